"""The pipeline: one customer turn through every stage, in order. It only sequences them.

    text ─► prefilter ─► routing ─► prompt ─► budget ─► (model ─► postfilter ─► store)
              │ block      │ direct: the intent's answer, as written
              ▼            │ handoff: handoff.j2
          blocked.j2       │ out_of_scope: no FAQ facts; the system template says so
                           ▼ model: the top-k intents as facts, their few-shot pairs

:meth:`Bot.prepare` runs everything before the model call and returns a :class:`Prepared`
turn: either a reply that needs no model, or the exact messages to send.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations, product
from typing import Any, ParamSpec, TypeVar

from .budget import (
    MESSAGE_OVERHEAD,
    REPLY_PRIMING,
    Fitted,
    TokenCounter,
    budget_limit,
    counter_for,
    fit_prompt,
)
from .config import TEMPLATES_FOLDER, BotSpec
from .errors import BudgetError, ConfigError, Problem
from .filters import FilterResult
from .filters.placeholders import Placeholders
from .prefilter import FLAGS, Prefilter
from .prompt import Context, Exchange, Renderer, few_shot
from .routing import Router, Routing, detect_language

# Tokens every request has besides the system text: two message overheads, two roles, priming.
_FIXED_TOKENS = 2 * (MESSAGE_OVERHEAD + 1) + REPLY_PRIMING
# Every combination of pre-filter flags a template may branch on.
_FLAG_SETS = [
    frozenset(chosen) for size in range(len(FLAGS) + 1) for chosen in combinations(FLAGS, size)
]
P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Prepared:
    """A turn made ready for the model: a reply that needs none, or the messages to send."""

    filtered: FilterResult  # what the pre-filter made of the customer's text
    routing: Routing | None  # None when the pre-filter blocked the message
    reply: str | None = None  # the answer when no model is needed (blocked, direct, handoff)
    fitted: Fitted | None = None  # the prompt, when the model answers
    timings: Mapping[str, float] = field(default_factory=dict)  # ms per stage


class Bot:
    """A loaded bot: every stage built once from its spec, ready for many turns."""

    def __init__(self, spec: BotSpec) -> None:
        settings = spec.settings
        self.spec = spec
        self.renderer = validate_bot(spec)
        self.prefilter = Prefilter(settings.prefilter)
        self.router = Router(spec.intents, settings.routing, settings.languages)
        self.counter: TokenCounter = counter_for(settings.model.name, settings.budget.encoding)

    def prepare(
        self,
        text: str,
        history: Sequence[Exchange] = (),
        customer: Mapping[str, Any] | None = None,
        placeholders: Placeholders | None = None,
        *,
        itemise: bool = False,
    ) -> Prepared:
        """Run a turn up to the model call: pre-filter, routing, prompt and budget.

        ``itemise`` costs each FAQ entry on its own in ``fitted.parts`` (see
        :func:`~servicebot.budget.fit_prompt`), for ``servicebot render``.
        """
        clock = _Clock()
        filtered = clock.time("prefilter", self.prefilter.run, text, placeholders or Placeholders())
        previous = history[-1].user if history else None
        if filtered.verdict == "block":
            language = detect_language(text, self.spec.settings.languages, previous)
            context = Context(language, customer=customer)
            reply = self.renderer.render("blocked.j2", context)
            return Prepared(filtered, None, reply=reply, timings=clock.laps)
        routing = clock.time("routing", self.router.route, filtered.text, previous)
        context = Context(
            routing.language,
            routing.matches if routing.route != "out_of_scope" else (),
            routing.route == "out_of_scope",
            filtered.flags,
            customer,
        )
        if routing.route in ("direct", "handoff"):
            reply = clock.time("prompt", self._canned_reply, routing, context)
            return Prepared(filtered, routing, reply=reply, timings=clock.laps)
        fitted = clock.time("prompt", self._fit, context, history, filtered.text, itemise)
        return Prepared(filtered, routing, fitted=fitted, timings=clock.laps)

    def _canned_reply(self, routing: Routing, context: Context) -> str:
        if routing.route == "handoff" or routing.best is None:
            return self.renderer.render("handoff.j2", context)
        return routing.best.intent.answer_in(context.language)

    def _fit(
        self, context: Context, history: Sequence[Exchange], text: str, itemise: bool = False
    ) -> Fitted:
        return fit_prompt(
            self.counter,
            self.spec.settings.budget,
            lambda n: self.renderer.system(context, n),
            [match.intent.name for match in context.matches],
            few_shot(context.matches, context.language, self.spec.settings.languages),
            history,
            text,
            itemise=itemise,
        )


def validate_bot(spec: BotSpec) -> Renderer:
    """What a bot's startup checks beyond :func:`load_bot`; ``servicebot check`` runs it too.

    The templates must compile, and the system message with no FAQ facts must fit the
    budget in every language the bot speaks. A token is at least one byte, so a system
    message with fewer bytes than the budget fits without loading an encoding at all.
    """
    renderer = Renderer(spec)
    for language in spec.settings.languages:
        for out_of_scope, flags in product((False, True), _FLAG_SETS):
            system = renderer.system(Context(language, (), out_of_scope, flags), 0)
            _check_system_fits(spec, system, language)
    return renderer


def _check_system_fits(spec: BotSpec, system: str, language: str) -> None:
    settings = spec.settings
    if len(system.encode()) + _FIXED_TOKENS <= budget_limit(settings.budget):
        return
    try:
        counter = counter_for(settings.model.name, settings.budget.encoding)
        fit_prompt(counter, settings.budget, lambda _: system, [], [], [], "")
    except BudgetError as exc:
        path = spec.root / TEMPLATES_FOLDER / "system.j2"
        raise ConfigError([Problem(path, f"in {language}: {exc}")]) from exc


class _Clock:
    """Times each stage of one turn, in milliseconds."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}

    def time(self, stage: str, run: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        start = time.perf_counter()
        try:
            return run(*args, **kwargs)
        finally:
            self.laps[stage] = self.laps.get(stage, 0.0) + (time.perf_counter() - start) * 1000
