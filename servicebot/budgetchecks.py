"""``servicebot check``'s warnings about the prompt budget: one that leaves the customer's
message too little room beside the longest system message, a ``model.max_tokens`` a full
prompt leaves no room for, an answer too long to be a fact, and few-shot pairs too long ever
to be sent. (A system message that does not fit at all is an error: see
:func:`~servicebot.checks.validate_bot`.) A token is at least one byte, so most of these are
told from the bytes without loading an encoding.
"""

from __future__ import annotations

from .budget import budget_limit, remedies
from .budget.tokens import REPLY_PRIMING, TokenCounter, counter_for
from .checks import FIXED_TOKENS, budget_key, describe_turn, settings_problems, system_contexts
from .config import BotSpec, Place, intent_problems, placed_in_intents
from .errors import ConfigError, Problem, TemplateError
from .faq import Intent
from .languages import ANY_LANGUAGE
from .prompt import Context, Renderer
from .routing import Match, detect_language

# The least room a budget should leave for the customer's message: a few sentences, about 75
# English words or 100 Chinese characters. Less, and a message of a few lines is cut.
_MESSAGE_ROOM = 100


def budget_warnings(spec: BotSpec, renderer: Renderer) -> list[Problem]:
    """A budget that leaves too little room for the customer's message or for the reply,
    and answers too long to be a fact beside them."""
    return [
        *_message_room(spec, renderer),
        *_reply_room(spec),
        *_answer_room(spec, renderer),
        *_few_shot_room(spec, renderer),
    ]


def _reply_room(spec: BotSpec) -> list[Problem]:
    """A ``model.max_tokens`` that a full prompt leaves no room for: the request asks for
    more tokens than the context window holds, which OpenAI's API refuses with a 400
    ("maximum context length") on the turns whose prompt uses the whole budget."""
    settings = spec.settings
    limit, window = budget_limit(settings.budget), settings.budget.context_window
    if settings.model.name is None or limit + settings.model.max_tokens <= window:
        return []  # offline, no model is asked
    message = (
        f"model.max_tokens ({settings.model.max_tokens}) does not fit beside a full "
        f"{limit}-token prompt in context_window ({window}): the model's API refuses such a "
        f"request (raise budget.reply_reserve to {settings.model.max_tokens}, or lower "
        "max_tokens)"
    )
    return settings_problems(spec, {("model", "max_tokens"): message})


def _message_room(spec: BotSpec, renderer: Renderer) -> list[Problem]:
    """A budget that leaves the customer's message less than ``_MESSAGE_ROOM`` tokens beside
    the longest system message: a longer message is cut, and no FAQ fact fits beside it.
    (:func:`~servicebot.checks.validate_bot` refuses a system message that leaves no room at
    all.)"""
    limit = budget_limit(spec.settings.budget)
    system, context = max(
        ((renderer.system(c, 0), c) for c in system_contexts(spec)), key=lambda s: len(s[0])
    )
    taken, room = _room_beside(spec, system)
    if room >= _MESSAGE_ROOM:
        return []
    message = (
        f"for {describe_turn(context)}, the system message takes {taken} of the {limit}-token "
        f"prompt budget, leaving {room} "
        "for the customer's message: a longer one is cut, and no FAQ fact fits beside it "
        f"({remedies(spec.settings.budget, 'shorten templates/system.j2')})"
    )
    return settings_problems(spec, {budget_key(spec): message})


def _answer_room(spec: BotSpec, renderer: Renderer) -> list[Problem]:
    """An answer that, as the one fact in the system message, leaves the customer's message
    less than ``_MESSAGE_ROOM`` tokens: beside a longer message the budget drops it, and the
    facts after it (they go in by relevance, and stop at the first that does not fit). Warned
    at the answer (at its language's text, when it has one per language), once an intent."""
    if spec.settings.model.name is None:
        return []  # with no model, answers are only ever sent as written
    messages: dict[str | None, dict[str, str]] = {}  # by the answer's language key
    for intent in spec.intents:
        if intent.handoff:
            continue  # a handoff intent's answer is never a fact
        for language in spec.settings.languages:
            system = _with_fact(spec, renderer, intent, language)
            taken, room = _room_beside(spec, system)
            if room < _MESSAGE_ROOM:
                key = None if ANY_LANGUAGE in intent.answer else language
                messages.setdefault(key, {})[intent.name] = _too_long_to_be_a_fact(
                    spec, intent.name, key, taken, room
                )
                break  # once an intent
    return [
        problem
        for key, found in messages.items()
        for problem in intent_problems(spec.root, found, "answer", *([key] if key else []))
    ]


def _few_shot_room(spec: BotSpec, renderer: Renderer) -> list[Problem]:
    """Few-shot pairs too long ever to be sent: a pair goes only beside its intent's answer as
    a fact, and one that takes more than that system message leaves even an empty customer
    message is dropped from every prompt (``render`` shows it DROPPED; a pasted page did).
    Warned at the pair's reply. A pair of fewer bytes than half the budget is not measured:
    it fits unless the answer alone takes the other half, which ``_answer_room`` warns of."""
    if spec.settings.model.name is None:
        return []  # with no model, no pair is ever sent
    limit = budget_limit(spec.settings.budget)
    messages: dict[Place, str] = {}
    for intent in spec.intents:
        for index, pair in enumerate(intent.few_shot):
            if len(pair.user.encode()) + len(pair.assistant.encode()) < limit // 2:
                continue  # a token is at least one byte: see above (no encoding is loaded)
            counter = counter_for(spec.settings.model.name, spec.settings.budget.encoding)
            language = detect_language(pair.user, spec.settings.languages)
            system = _with_fact(spec, renderer, intent, language)
            room = limit - counter.count_message("system", system) - _empty_message(counter)
            taken = counter.count_message("user", pair.user)
            taken += counter.count_message("assistant", pair.assistant)
            if taken > room:
                messages[intent.name, ("few_shot", index, "assistant")] = (
                    f"this few-shot pair of '{intent.name}' takes {taken:,} tokens, more than "
                    f"the {limit}-token prompt budget leaves it beside the intent's answer "
                    f"({max(room, 0):,}): it is never sent (shorten it)"
                )
    return placed_in_intents(spec.root, messages)


def _with_fact(spec: BotSpec, renderer: Renderer, intent: Intent, language: str) -> str:
    """The system message with ``intent``'s answer as its one fact.

    Raises:
        ConfigError: at the answer, when the template fails with it (one that prints each
            answer several times, past the sandbox's limit): every turn it is a fact for
            would fail, and the template's line alone would not say which answer to look at.
    """
    try:
        return renderer.system(Context(language, (Match(intent, 1.0),)), 1)
    except TemplateError as exc:
        failed = exc.problems[0]
        message = (
            f"with the answer of '{intent.name}' as a fact, {failed.path}:{failed.line}: "
            f"{failed.message} (shorten the answer, or print it fewer times)"
        )
        key = [] if ANY_LANGUAGE in intent.answer else [language]
        raise ConfigError(
            intent_problems(spec.root, {intent.name: message}, "answer", *key)
        ) from exc


def _too_long_to_be_a_fact(
    spec: BotSpec, name: str, language: str | None, taken: int, room: int
) -> str:
    limit = budget_limit(spec.settings.budget)
    where = f" in {language}" if language and len(spec.settings.languages) > 1 else ""
    takes = f"with it the system message takes {taken} of the {limit}-token prompt budget"
    effect = (
        f"{takes}, leaving {room} for the customer's message: beside a longer one the "
        "budget drops it, and the facts after it"
        if room > 0
        else f"{takes}, leaving no room for the customer's message: the model never gets "
        "it, nor the facts after it"
    )
    return (
        f"the answer of '{name}' is too long to be a fact{where}: {effect} "
        f"({remedies(spec.settings.budget, 'shorten it')})"
    )


def _room_beside(spec: BotSpec, system: str) -> tuple[int, int]:
    """The tokens a system message takes, and the room it leaves the customer's message; the
    room is at least ``_MESSAGE_ROOM`` without counting when the bytes say so."""
    limit = budget_limit(spec.settings.budget)
    if len(system.encode()) + FIXED_TOKENS + _MESSAGE_ROOM <= limit:
        return 0, _MESSAGE_ROOM  # a token is at least one byte: no encoding needed to tell
    counter = counter_for(spec.settings.model.name, spec.settings.budget.encoding)
    taken = counter.count_message("system", system)
    return taken, limit - taken - _empty_message(counter)


def _empty_message(counter: TokenCounter) -> int:
    """What an empty customer message and the reply's priming take."""
    return counter.count_message("user", "") + REPLY_PRIMING
