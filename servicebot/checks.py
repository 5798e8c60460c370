"""Startup checks: what a bot must pass beyond :func:`~servicebot.config.load_bot`.

``Bot`` runs them when it is built and ``servicebot check`` runs them without building one,
so that a check needs neither the model SDK nor, usually, an encoding file.

This module renders every template for each kind of turn and checks the system message
against the budget; it warns of a system template that never prints the intents' answers.
The warnings about a budget that leaves too little room are ``budgetchecks.py``'s; those
about FAQ files, phrasings, thresholds, languages and few-shot pairs are ``faqwarnings.py``'s;
those about the store and what a bot keeps of its customers are ``storechecks.py``'s.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import combinations, product
from pathlib import Path

from .budget import budget_limit, fit_prompt, window_bounds
from .budget.tokens import MESSAGE_OVERHEAD, REPLY_PRIMING, counter_for
from .config import (
    SETTINGS_FILE,
    TEMPLATES_FOLDER,
    BotSpec,
    in_reading_order,
    read_bot,
)
from .errors import BudgetError, ConfigError, Problem, TemplateError
from .languages import ANY_LANGUAGE
from .prefilter import FLAGS
from .prompt import Context, Renderer
from .replay import bot_cassette, bot_record_hint
from .routing import Match
from .settings import Script
from .templates import TEMPLATE_NAMES
from .yamlfile import read_yaml

# Tokens every request has besides the system text: two message overheads, two roles, priming.
FIXED_TOKENS = 2 * (MESSAGE_OVERHEAD + 1) + REPLY_PRIMING
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
    from .storechecks import store_problem  # which builds on settings_problems, below

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
    for context in system_contexts(spec):
        _check_system_fits(spec, renderer.system(context, 0), context)
    return renderer


def system_contexts(spec: BotSpec) -> Iterator[Context]:
    """Every kind of turn the system message is rendered for, without FAQ facts."""
    for language in spec.settings.languages:
        for out_of_scope, flags, script in product(
            (False, True), _FLAG_SETS, _SCRIPTS[language == "zh"]
        ):
            yield Context(language, (), out_of_scope, flags, script=script)
        for out_of_scope in (False, True):
            yield Context(language, (), out_of_scope, other_script=_OTHER_SCRIPT)


def replay_warnings(spec: BotSpec) -> list[Problem]:
    """``replay.mode: replay`` with no recording of the bot's own to replay: every message
    that needs the model would go unanswered, though the bot loads fine."""
    if spec.settings.model.name is None or spec.settings.replay.mode != "replay":
        return []  # with no model, the FAQ answers and nothing is replayed
    cassette = bot_cassette(spec)
    if cassette.exists():
        return []
    message = (
        f"replay.mode is replay but {cassette} does not exist, so no message that needs the "
        f"model can be answered; {bot_record_hint(spec)}"
    )
    return [Problem(spec.root / SETTINGS_FILE, message)]


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


def budget_key(spec: BotSpec) -> tuple[str, ...]:
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


def settings_problems(
    spec: BotSpec, messages: Mapping[tuple[str | int, ...], str]
) -> list[Problem]:
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
    message = (
        f"renders to nothing for {describe_turn(context)}: the customer would get a blank reply"
    )
    return Problem(spec.root / TEMPLATES_FOLDER / name, message, 1)


def describe_turn(context: Context) -> str:
    """The kind of turn a context stands for: "an out-of-scope turn in zh (traditional script)
    flagged pii"."""
    turn = f"{'an out-of-scope' if context.out_of_scope else 'a'} turn in {context.language}"
    if context.language == "zh":
        turn += f" ({context.script} script)"
    if context.flags:
        turn += f" flagged {', '.join(sorted(context.flags))}"
    if context.other_script:
        turn += f" written in {context.other_script}"
    return turn


# A writing system no bot's language uses, for templates that branch on ``other_script``.
_OTHER_SCRIPT = "Thai"
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
        if name != "blocked.j2":  # a message the bot's languages do not write (see Context)
            yield Context(language, facts, name == "out_of_scope.j2", other_script=_OTHER_SCRIPT)
            if name == "system.j2":
                yield Context(language, (), True, other_script=_OTHER_SCRIPT)


def _check_system_fits(spec: BotSpec, system: str, context: Context) -> None:
    settings = spec.settings
    if len(system.encode()) + FIXED_TOKENS <= budget_limit(settings.budget):
        return
    try:
        counter = counter_for(settings.model.name, settings.budget.encoding)
        fit_prompt(counter, settings.budget, lambda _: system, [], [], [], "")
    except BudgetError as exc:  # at the setting that bounds the budget, where it was lowered
        message = f"for {describe_turn(context)}: {exc}"
        problems = settings_problems(spec, {budget_key(spec): message})
        raise ConfigError(problems) from exc
