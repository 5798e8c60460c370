"""Startup checks: what a bot must pass beyond :func:`~servicebot.config.load_bot`.

``Bot`` runs them when it is built and ``servicebot check`` runs them without building one,
so that a check needs neither the model SDK nor, usually, an encoding file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import combinations, product
from pathlib import Path

import yaml

from .budget import budget_limit, fit_prompt, remedies, window_bounds
from .budget.tokens import MESSAGE_OVERHEAD, REPLY_PRIMING, counter_for
from .config import (
    FAQ_FOLDER,
    SETTINGS_FILE,
    TEMPLATES_FOLDER,
    BotSpec,
    Place,
    in_reading_order,
    intent_problems,
    placed_in_intents,
    read_bot,
    yaml_files,
)
from .errors import BudgetError, ConfigError, Problem, TemplateError
from .figures import phrases, unstated
from .prefilter import FLAGS
from .prompt import Context, Renderer, Script
from .routing import Match, Router, detect_language, handing_off
from .settings import ANY_LANGUAGE
from .templates import TEMPLATE_NAMES
from .yamlfile import YamlFile, read_yaml

_TEMPLATE_SYNTAX = re.compile(r"\{\{.*?(?:\}\}|$)|\{%.*?(?:%\}|$)|\{#.*?(?:#\}|$)", re.MULTILINE)
_SHOWN_SYNTAX = 40  # characters of it quoted in the warning
# Tokens every request has besides the system text: two message overheads, two roles, priming.
_FIXED_TOKENS = 2 * (MESSAGE_OVERHEAD + 1) + REPLY_PRIMING
# The least room a budget should leave for the customer's message: a few sentences, about 75
# English words or 100 Chinese characters. Less, and a message of a few lines is cut.
_MESSAGE_ROOM = 100
# Every combination of pre-filter flags a template may branch on.
_FLAG_SETS = [
    frozenset(chosen) for size in range(len(FLAGS) + 1) for chosen in combinations(FLAGS, size)
]


def check_bot(path: Path) -> tuple[BotSpec, Renderer]:
    """The bot folder at ``path``, read and validated, for ``servicebot check``.

    Raises:
        ConfigError: listing every mistake at once: :func:`~servicebot.config.read_bot`'s,
            and what :func:`validate_bot` finds in templates that read cleanly, even when a
            FAQ file has a mistake; a store that cannot be opened only once there are none.
    """
    spec, problems = read_bot(path)
    renderer = None
    if spec is not None:
        try:
            renderer = validate_bot(spec)
        except ConfigError as exc:
            problems = in_reading_order([*problems, *exc.problems], spec.root)
    if spec is None or renderer is None or problems:
        raise ConfigError.listing(problems)
    if problem := store_problem(spec):
        raise ConfigError([problem])
    return spec, renderer


def validate_bot(spec: BotSpec) -> Renderer:
    """What a bot's startup checks beyond :func:`load_bot`; ``servicebot check`` runs it too.

    Every template must render for each kind of turn the pipeline renders it for (see
    :func:`_turns`). A mistake only rendering finds (an unguarded ``customer.name``, a
    computed sandbox escape) is reported here, with its file and line, instead of in a
    customer's turn. Customer details are unknown here and rendered absent: a template must
    guard them with ``is defined``. Then the system message with no FAQ facts must fit the
    budget in every language the bot speaks. A token is at least one byte, so a system
    message with fewer bytes than the budget fits without loading an encoding at all.
    """
    renderer = Renderer(spec)
    problems = [p for name in TEMPLATE_NAMES if (p := _render_problem(renderer, spec, name))]
    if problems:
        raise ConfigError(problems)
    for context in _system_contexts(spec):
        _check_system_fits(spec, renderer.system(context, 0), context)
    return renderer


def _system_contexts(spec: BotSpec) -> Iterator[Context]:
    """Every kind of turn the system message is rendered for, without FAQ facts."""
    for language in spec.settings.languages:
        for out_of_scope, flags, script in product(
            (False, True), _FLAG_SETS, _SCRIPTS[language == "zh"]
        ):
            yield Context(language, (), out_of_scope, flags, script=script)


def budget_warnings(spec: BotSpec, renderer: Renderer) -> list[Problem]:
    """A budget that leaves too little room for the customer's message or for the reply,
    and answers too long to be a fact beside them."""
    return [*_message_room(spec, renderer), *_reply_room(spec), *_answer_room(spec, renderer)]


def facts_warnings(spec: BotSpec, renderer: Renderer) -> list[Problem]:
    """A system template that never prints the matching intents' answers: the model would
    answer without the FAQ, though ``render`` lists its entries as sent. Told by an answer
    of digits alone, which survives filters such as ``upper`` or ``indent``."""
    if not spec.intents or spec.settings.model.name is None:
        return []  # with no model, no system message is sent
    marked = spec.intents[0].model_copy(update={"answer": {ANY_LANGUAGE: _MARKED_ANSWER}})
    fact = (Match(marked, 1.0),)
    silent = [
        language
        for language in spec.settings.languages
        if _MARKED_ANSWER not in renderer.system(Context(language, fact), 1)
    ]
    if not silent:
        return []
    where = "" if len(silent) == len(spec.settings.languages) else f" in {', '.join(silent)}"
    message = (
        f"never prints the matching intents' answers{where}: the model would answer without "
        "the FAQ (loop over `intents` and print `intent.answer`, as the example bot's does)"
    )
    return [Problem(spec.root / TEMPLATES_FOLDER / "system.j2", message, 1)]


_MARKED_ANSWER = "8406217935"


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
    return _settings_problems(spec, {("model", "max_tokens"): message})


def _message_room(spec: BotSpec, renderer: Renderer) -> list[Problem]:
    """A budget that leaves the customer's message less than ``_MESSAGE_ROOM`` tokens beside
    the longest system message: a longer message is cut, and no FAQ fact fits beside it.
    (:func:`validate_bot` refuses a system message that leaves no room at all.)"""
    limit = budget_limit(spec.settings.budget)
    system, context = max(
        ((renderer.system(c, 0), c) for c in _system_contexts(spec)), key=lambda s: len(s[0])
    )
    taken, room = _room_beside(spec, system)
    if room >= _MESSAGE_ROOM:
        return []
    message = (
        f"for {_turn(context)}, the system message takes {taken} of the {limit}-token prompt "
        f"budget, leaving {room} "
        "for the customer's message: a longer one is cut, and no FAQ fact fits beside it "
        f"({remedies(spec.settings.budget, 'shorten templates/system.j2')})"
    )
    return _settings_problems(spec, {_budget_key(spec): message})


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
            system = renderer.system(Context(language, (Match(intent, 1.0),)), 1)
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
    if len(system.encode()) + _FIXED_TOKENS + _MESSAGE_ROOM <= limit:
        return 0, _MESSAGE_ROOM  # a token is at least one byte: no encoding needed to tell
    counter = counter_for(spec.settings.model.name, spec.settings.budget.encoding)
    taken = counter.count_message("system", system)
    return taken, limit - taken - counter.count_message("user", "") - REPLY_PRIMING


def _budget_key(spec: BotSpec) -> tuple[str, ...]:
    """Where the budget is set in servicebot.yaml: at max_prompt_tokens; or, when the context
    window less the reply's reserve bounds it, at whichever of the two is written (the one
    the operator changed), else at max_prompt_tokens if written above it. At the ``budget``
    block when none of them is written."""
    budget = spec.settings.budget
    keys: tuple[str, ...] = ("max_prompt_tokens",)
    if window_bounds(budget):
        keys = ("context_window", "reply_reserve", *keys)
    written = [key for key in keys if key in budget.model_fields_set]
    return ("budget", written[0]) if written else ("budget",)


def store_problem(spec: BotSpec) -> Problem | None:
    """The store ``servicebot.yaml`` names, if this installation cannot open it: a redis://
    store without redis-py. (``Bot`` is not refused for it: its application may pass its
    own store.)"""
    if not spec.settings.store.url.startswith(("redis://", "rediss://")):
        return None
    try:
        import redis  # noqa: F401
    except ImportError:
        message = (
            "a redis store needs redis-py, not installed here: pip install 'servicebot[redis]'"
        )
        return _settings_problems(spec, {("store", "url"): message})[0]
    return None


def threshold_warnings(spec: BotSpec) -> list[Problem]:
    """Thresholds under ``min_score``, which can never apply as written: matches below
    ``min_score`` are cut before any other threshold is read, so a ``handoff_threshold`` of
    0.3 under a ``min_score`` of 0.5 acts as 0.5."""
    routing = spec.settings.routing
    low = [
        name
        for name in ("direct_threshold", "handoff_threshold")
        if getattr(routing, name) < routing.min_score
    ]
    return _settings_problems(
        spec,
        {
            ("routing", name): f"routing {name} ({getattr(routing, name)}) is below min_score "
            f"({routing.min_score}), which is applied first: it acts as {routing.min_score}"
            for name in low
        },
    )


def language_warnings(spec: BotSpec) -> list[Problem]:
    """What the bot's languages cannot do: only Chinese is told apart from other text, so a
    second language besides Chinese is never chosen; and an intent with no phrasing in one of
    a bilingual bot's languages is seldom reached by messages in it (routing compares a
    message with phrasings in its own script)."""
    others = [language for language in spec.settings.languages if language != "zh"]
    warnings = []
    if len(others) > 1:
        unused = ", ".join(others[1:])
        message = (
            f"only Chinese is told apart from other text: every message not in Chinese is "
            f"answered in {others[0]}, so {unused} is never chosen"
        )
        warnings += _settings_problems(spec, {("languages",): message})
    if "zh" in spec.settings.languages and others:
        warnings += _one_language_intents(spec, others[0])
    return warnings


def _one_language_intents(spec: BotSpec, other: str) -> list[Problem]:
    """A warning at the examples of each intent whose phrasings are all Chinese, or all not."""
    messages = {}
    for intent in spec.intents:
        found = {detect_language(text, ("zh", other)) for text in intent.examples}
        if len(found) == 1:
            missing = "Chinese" if found == {other} else other
            messages[intent.name] = (
                f"intent '{intent.name}' has no phrasing in {missing}: messages in "
                f"{missing} seldom reach it (add a few, in the words customers use)"
            )
    return intent_problems(spec.root, messages, "examples")


def handoff_warnings(spec: BotSpec, shown: int = 3) -> list[Problem]:
    """Phrasings of answering intents that a customer typing them would be handed off for: a
    handoff intent among their top ``top_k`` scores at least ``handoff_threshold``, and one
    anywhere there wins (so that "where is my order? let me talk to a person" goes to a
    person). Warned at the first such phrasing of each intent, naming the first ``shown``
    and the score the threshold would have to clear."""
    if not any(intent.handoff for intent in spec.intents):
        return []
    settings = spec.settings.routing
    router = Router(spec.intents, settings, spec.settings.languages)
    messages, first = {}, {}
    for intent in spec.intents:
        taken = [
            (text, match)
            for text in ([] if intent.handoff else intent.examples)
            if (match := handing_off(router.route(text).matches, settings)) is not None
        ]
        if not taken:
            continue
        first[intent.name] = intent.examples.index(taken[0][0])  # warned at its line
        highest = max(match.score for _, match in taken)
        handoffs = "', '".join(dict.fromkeys(match.intent.name for _, match in taken))
        listed = [f"'{text}' ({m.intent.name} {m.score:.2f})" for text, m in taken[:shown]]
        listed += [f"and {len(taken) - shown} more"] if len(taken) > shown else []
        messages[intent.name] = (
            f"{len(taken)} phrasing{'s' * (len(taken) > 1)} of '{intent.name}' would go to a "
            f"person, a handoff intent scoring at least handoff_threshold "
            f"({settings.handoff_threshold}) among the top {settings.top_k}: {', '.join(listed)}. "
            f"Raise routing.handoff_threshold above {highest:.2f}, or make '{handoffs}' "
            "phrasings less like these"
        )
    return intent_problems(spec.root, messages, "examples", index=first)


def few_shot_warnings(spec: BotSpec) -> list[Problem]:
    """Few-shot replies stating a figure (a number, link or email address) that their intent's
    answer in the pair's language does not, nor the pair's customer line, nor the bot's
    contacts: the model copies few-shot replies, so an answer edited from 30 days to 45 with
    its pair left at 30 has customers told 30. Not a figure another answer states in the same
    words ("6-digit order number"). Warned at each such reply; not offline, where no pair is
    shown."""
    if spec.settings.model.name is None:
        return []
    languages = spec.settings.languages
    contacts = [value for value in spec.settings.contact.model_dump().values() if value]
    stated = {
        language: phrases(intent.answer_in(language) for intent in spec.intents)
        for language in languages
    }  # the intent's own answer among them changes nothing: its figures are stated anyway
    messages: dict[Place, str] = {}
    first_figures: dict[Place, str] = {}  # where each warning points: its first figure
    for intent in spec.intents:
        for index, pair in enumerate(intent.few_shot):
            language = detect_language(pair.user, languages)  # as prompt.few_shot picks pairs
            answer, also = intent.answer_in(language), [pair.user, *contacts]
            if figures := unstated(pair.assistant, answer, also, stated[language]):
                where = "" if ANY_LANGUAGE in intent.answer else f" in {language}"
                quoted = ", ".join(f'"{figure}"' for figure in figures)
                place = (intent.name, ("few_shot", index, "assistant"))
                messages[place] = (
                    f"few-shot reply of '{intent.name}' says {quoted} but its answer{where} "
                    "does not: update the pair, the model copies it"
                )
                first_figures[place] = figures[0]
    return placed_in_intents(spec.root, messages, first_figures)


def _settings_problems(spec: BotSpec, messages: dict[tuple[str, ...], str]) -> list[Problem]:
    """A problem for each message, at its key in ``servicebot.yaml`` (naming the file alone
    when the key is not written there: a default value)."""
    path = spec.root / SETTINGS_FILE
    document = read_yaml(path, []) if messages else None
    problems = []
    for key, message in messages.items():
        node = document.node_at(key) if document else None
        problems.append(
            document.problem_at(node, message) if document and node else Problem(path, message)
        )
    return problems


def faq_file_warnings(root: Path) -> list[Problem]:
    """FAQ files with no intents (empty, or all comments: a topic set aside while it is
    rewritten), a full-width comma in an item of a ``[...]`` list, and Jinja syntax in FAQ
    text (``{{ contact.phone }}`` in an answer): FAQ text is data, sent and shown to the model
    as written, so the customer would see the braces. None is surely a mistake (a Chinese
    phrasing has commas of its own; a bot about templates may mean the braces), so
    ``servicebot check`` warns and still passes."""
    warnings = []
    for path in yaml_files(root / FAQ_FOLDER):
        document = read_yaml(path, [])
        if document is not None and document.data is None:
            message = "no intents: the file is empty or all comments, so it adds nothing"
            warnings.append(document.problem(message, 1, 1))
        if document is not None and "，" in document.text:
            warnings += _wide_comma_warnings(document)
        if document is None or not _TEMPLATE_SYNTAX.search(document.text):
            continue
        for node in _text_values(document.root):
            if found := _TEMPLATE_SYNTAX.search(node.value):
                syntax = found[0][:_SHOWN_SYNTAX] + ("..." if len(found[0]) > _SHOWN_SYNTAX else "")
                where = document.text.find(found[0][:2], node.start_mark.index, node.end_mark.index)
                message = (
                    f"FAQ text is not a template: '{syntax}' is sent as written "
                    "(only templates/ fill in {{ }} and {% %})"
                )
                warnings.append(document.problem_at_offset(message, max(where, 0)))
    return warnings


def _wide_comma_warnings(document: YamlFile) -> list[Problem]:
    """Items of a ``[...]`` list of several with a full-width comma in them: part of the text
    (``你好，优惠券怎么用``), or meant to separate two items? (One item alone is an error.)"""
    message = (
        "a full-width comma '，' inside this item: YAML reads it as part of the text; if it "
        "separates two items, write a plain ','"
    )
    return [
        document.problem_at_offset(message, document.text.index("，", item.start_mark.index))
        for node in _nodes(document.root)
        if isinstance(node, yaml.SequenceNode) and node.flow_style and len(node.value) > 1
        for item in node.value
        if isinstance(item, yaml.ScalarNode) and not item.style and "，" in item.value
    ]


def _text_values(root: yaml.Node | None) -> Iterator[yaml.ScalarNode]:
    """Every value under ``root`` that a customer or the model may read, in file order: not
    example phrasings, which only routing reads."""
    for node in _nodes(root, skipping="examples"):
        if isinstance(node, yaml.ScalarNode):
            yield node


def _nodes(root: yaml.Node | None, skipping: str | None = None) -> Iterator[yaml.Node]:
    """Every node under ``root`` in file order, each once (an alias is the node it names):
    not mapping keys, nor what the key ``skipping`` holds."""
    seen: set[int] = set()
    waiting = [root]
    while waiting:
        node = waiting.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, yaml.SequenceNode):
            waiting += reversed(node.value)
        elif isinstance(node, yaml.MappingNode):
            waiting += reversed([value for key, value in node.value if key.value != skipping])


def _render_problem(renderer: Renderer, spec: BotSpec, name: str) -> Problem | None:
    """The first way template ``name`` fails to render for a turn the bot can have, if any."""
    try:
        for context in _turns(spec, name):
            if name == "system.j2":
                renderer.system(context)
            elif not renderer.render(name, context):
                return _blank_reply(spec, name, context)
    except TemplateError as exc:
        return exc.problems[0]
    return None


def _blank_reply(spec: BotSpec, name: str, context: Context) -> Problem:
    """A canned reply that renders to nothing (an emptied file, a branch left without text):
    the customer would be sent a blank message."""
    message = f"renders to nothing for {_turn(context)}: the customer would get a blank reply"
    return Problem(spec.root / TEMPLATES_FOLDER / name, message, 1)


def _turn(context: Context) -> str:
    """The kind of turn a context stands for: "an out-of-scope turn in zh (traditional script)
    flagged pii"."""
    turn = f"{'an out-of-scope' if context.out_of_scope else 'a'} turn in {context.language}"
    if context.language == "zh":
        turn += f" ({context.script} script)"
    if context.flags:
        turn += f" flagged {', '.join(sorted(context.flags))}"
    return turn


_SCRIPTS: dict[bool, tuple[Script, ...]] = {  # by whether the language is Chinese
    False: ("simplified",),
    True: ("simplified", "traditional"),
}


def _turns(spec: BotSpec, name: str) -> Iterator[Context]:
    """The contexts the pipeline renders template ``name`` with, customer details aside: in
    each language (Chinese in both scripts) and combination of flags (for blocked.j2, what
    blocked the message); the system message and handoff.j2 without intents and with one to
    ``top_k`` of them (a handoff may come with none: a customer the bot kept missing; fewer
    than ``top_k`` may match, and the budget may drop some), and the system message out of
    scope too."""
    facts = tuple(Match(intent, 1.0) for intent in spec.intents[: spec.settings.routing.top_k])
    for language in spec.settings.languages:
        for script in _SCRIPTS[language == "zh"]:
            for flags in _FLAG_SETS:
                if name == "blocked.j2":
                    yield Context(language, (), False, flags, script=script)
                    continue
                if name == "out_of_scope.j2":
                    yield Context(language, (), True, flags, script=script)
                    continue
                for count in range(len(facts) + 1):
                    yield Context(language, facts[:count], False, flags, script=script)
                if name == "system.j2":
                    yield Context(language, (), True, flags, script=script)


def _check_system_fits(spec: BotSpec, system: str, context: Context) -> None:
    settings = spec.settings
    if len(system.encode()) + _FIXED_TOKENS <= budget_limit(settings.budget):
        return
    try:
        counter = counter_for(settings.model.name, settings.budget.encoding)
        fit_prompt(counter, settings.budget, lambda _: system, [], [], [], "")
    except BudgetError as exc:  # at the setting that bounds the budget, where it was lowered
        message = f"for {_turn(context)}: {exc}"
        problems = _settings_problems(spec, {_budget_key(spec): message})
        raise ConfigError(problems) from exc
