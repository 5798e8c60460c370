"""Routing evaluation: read labelled messages, route each one, and measure how well it went.

Reading labelled files is ``evaluation/files.py``'s; building intents from one when there
is no bot folder to evaluate, ``evaluation/training.py``'s; finding the labels that name no
intent, ``evaluation/labels.py``'s.

:func:`evaluate` routes every message with :class:`~servicebot.routing.Router`, exactly as a
turn does, and returns an :class:`EvalReport`: top-1 accuracy, recall@k, the confused intent
pairs, the figures of each intent (``evaluation/perintent.py``'s), out-of-scope precision and
recall, the routes the bot's thresholds take (and
the rows a handoff intent sends to a person though an intent that answers was asked for),
and routing times. The figures other than the times depend only on the inputs. Asked for,
it adds what other values of the thresholds would do (``evaluation/thresholds.py``'s).
"""

from __future__ import annotations

import functools
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from ..faq import Intent
from ..routing import Route, Router, Routing, is_blank
from ..settings import RoutingSettings
from .files import OUT_OF_SCOPE, Labelled
from .labels import UnknownLabel, find_unknown
from .labels import unknown_labels as unknown_labels  # re-exported: the CLI and tests use it
from .perintent import IntentFigures, Routed, per_intent
from .thresholds import (
    Check,
    Reroute,
    Scored,
    Sweep,
    Together,
    decide_row,
    ratio,
    sweep_thresholds,
    together,
)

_HANDED_OFF_SHOWN = 10


@dataclass(frozen=True)
class Misroute:
    """A message routed to the wrong intent. ``score`` is the routed intent's, as the turn
    scored it (past courtesies, or with the previous message for a follow-up), as ``render``
    and ``chat`` show it; the best intent's, even below min_score, for one routed out of scope.
    ``route`` says what the customer got: ``direct`` is a wrong answer sent as written,
    ``model`` a wrong intent given to the model as facts."""

    text: str
    expected: str
    got: str
    score: float
    line: int
    item: int = 0  # as in Labelled
    route: Route = "model"
    previous: str | None = None  # as in Labelled


@dataclass(frozen=True)
class EvalReport:
    """What evaluating a labelled file against a set of intents found."""

    rows: int
    intents: int
    examples: int
    k: int
    correct: int  # rows routed to their label (out_of_scope counts as a label)
    accuracy: float
    # in-scope rows whose intent is in the top k at or above min_score; None without such rows
    recall_at_k: float | None
    found_at_k: int  # how many in-scope rows that is
    # every (expected, predicted, count) mistake, most first, ties in name order
    confused: tuple[tuple[str, str, int], ...]
    out_of_scope_rows: int
    out_of_scope_precision: float | None  # None when nothing was routed out of scope
    out_of_scope_recall: float | None  # None when no row is labelled out of scope
    unknown_intents: tuple[UnknownLabel, ...]  # in the order of their first rows
    # How the bot's thresholds route the rows (its top_k, not k), most first; and the rows
    # a handoff intent took from an intent that answers: (labelled, handoff intent, count).
    routes: tuple[tuple[Route, int], ...]
    handed_off: tuple[tuple[str, str, int], ...]
    # each labelled intent's figures, worst first; the out-of-scope rows' (None without any)
    per_intent: tuple[IntentFigures, ...]
    per_intent_out_of_scope: IntentFigures | None
    misroutes: tuple[Misroute, ...]  # the most confident mistakes, as many as asked for
    build_seconds: float
    route_ms_median: float
    route_ms_p99: float
    # each threshold's candidate values, with what they do: only when asked for
    thresholds: tuple[Sweep, ...] = ()
    together: Together | None = None  # the suggested values at once, with the sweep

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True)
class _Outcome:
    """How one row was routed."""

    row: Labelled
    predicted: str
    ranked: tuple[str, ...]  # intents at or above min_score, best first, at most k
    nanoseconds: int
    route: Route  # as a turn would route it, with the bot's own top_k
    handoff: str | None  # the handoff intent that took it, if one did
    score: float  # the best intent's, as routed (see Misroute)
    scored: Scored  # what the route was decided from, for other thresholds to decide on


def evaluate(
    rows: Sequence[Labelled],
    intents: Sequence[Intent],
    settings: RoutingSettings,
    languages: Sequence[str] = ("en",),
    *,
    k: int = 3,
    errors: int | None = 0,
    advance: Callable[[], None] | None = None,
    thresholds: bool = False,
    check: Check | None = None,
) -> EvalReport:
    """Route every row with ``intents`` and ``settings``; ``advance`` is called after each.

    ``errors`` asks for that many misrouted rows, the most confident first; None for all.
    ``thresholds`` asks for what other values of the thresholds would do (see
    ``evaluation/thresholds.py``), from the same routing, suggesting none ``check`` warns of.
    """
    started = time.perf_counter()
    router = Router(intents, _wide(settings, k), languages)
    build_seconds = time.perf_counter() - started
    outcomes = [_route(router, row, k, settings, advance) for row in rows]
    correct, found = _accuracy(outcomes)
    in_scope = sum(row.in_scope for row in rows)
    precision, out_recall = _out_of_scope(outcomes)
    times = sorted(outcome.nanoseconds for outcome in outcomes)
    figures, out_of_scope = per_intent(
        Routed(o.row.intent, o.predicted, o.row.in_scope and o.row.intent in o.ranked)
        for o in outcomes
    )
    report = EvalReport(
        rows=len(rows),
        intents=len(intents),
        examples=sum(len(intent.examples) for intent in intents),
        k=k,
        correct=correct,
        accuracy=ratio(correct, len(rows)) or 0.0,
        recall_at_k=ratio(found, in_scope),
        found_at_k=found,
        confused=_confused(outcomes),
        out_of_scope_rows=sum(not row.in_scope for row in rows),
        out_of_scope_precision=precision,
        out_of_scope_recall=out_recall,
        unknown_intents=find_unknown(rows, intents, _predicted(outcomes)),
        routes=tuple(Counter(outcome.route for outcome in outcomes).most_common()),
        handed_off=_handed_off(outcomes, intents),
        per_intent=figures,
        per_intent_out_of_scope=out_of_scope,
        misroutes=_misroutes(outcomes, errors),
        build_seconds=round(build_seconds, 4),
        route_ms_median=round(percentile(times, 50) / 1e6, 4),
        route_ms_p99=round(percentile(times, 99) / 1e6, 4),
    )
    if not thresholds:
        return report
    return replace(report, **_swept(outcomes, router, settings, intents, check))


def _swept(
    outcomes: Sequence[_Outcome],
    router: Router,
    settings: RoutingSettings,
    intents: Sequence[Intent],
    check: Check | None,
) -> dict[str, Any]:
    """What other values of each threshold would do to the rows of ``outcomes``, which
    ``router`` routed, and the values suggested at once: EvalReport's fields."""
    hands_off = frozenset(intent.name for intent in intents if intent.handoff)
    scored, reroute = [outcome.scored for outcome in outcomes], _rerouter(router)
    sweeps = sweep_thresholds(scored, settings, hands_off, reroute, check)
    at_once = together(scored, settings, sweeps, hands_off, reroute, check)
    return {"thresholds": sweeps, "together": at_once}


def _rerouter(router: Router) -> Reroute:
    """A row routed again by ``router`` at another min_score."""
    at = functools.cache(
        lambda min_score: router.with_settings(
            router.settings.model_copy(update={"min_score": min_score})
        )
    )
    return lambda row, min_score: _scored(router, row, at(min_score).route(row.text, row.previous))


def _scored(router: Router, row: Labelled, routing: Routing) -> Scored:
    """What the thresholds decide ``row``'s route from, as ``router`` routed it."""
    direct = not (routing.follow_up or routing.unspoken)  # as Router.route has it
    rereads = row.previous is not None or len(router.readings(row.text)) > 1
    return Scored(row, routing.ranked, direct, is_blank(row.text), rereads)


def _wide(settings: RoutingSettings, k: int) -> RoutingSettings:
    """The settings with room for k matches: top_k changes no intent's rank or the cut."""
    return settings.model_copy(update={"top_k": max(k, settings.top_k)})


def _route(
    router: Router,
    row: Labelled,
    k: int,
    settings: RoutingSettings,
    advance: Callable[[], None] | None,
) -> _Outcome:
    started = time.perf_counter_ns()
    routing = router.route(row.text, row.previous)  # as a turn after the previous message
    elapsed = time.perf_counter_ns() - started
    if advance is not None:
        advance()
    ranked = tuple(match.intent.name for match in routing.matches[:k])
    predicted = ranked[0] if ranked else OUT_OF_SCOPE  # none: out of scope, or handoff_after 1
    scored = _scored(router, row, routing)
    route, _, handoff, _ = decide_row(scored, settings)  # with the bot's own top_k
    best = (routing.matches or routing.closest or (None,))[0]
    score = best.score if best else 0.0
    taken_by = handoff and handoff.intent.name
    return _Outcome(row, predicted, ranked, elapsed, route, taken_by, score, scored)


def _accuracy(outcomes: Sequence[_Outcome]) -> tuple[int, int]:
    """Rows routed to their label, and in-scope rows with theirs in the top k."""
    correct = sum(outcome.predicted == outcome.row.intent for outcome in outcomes)
    found = sum(o.row.in_scope and o.row.intent in o.ranked for o in outcomes)
    return correct, found


def _confused(outcomes: Sequence[_Outcome]) -> tuple[tuple[str, str, int], ...]:
    """Every (expected, predicted) mistake, most frequent first; ties in name order. All of
    them: the terminal shows as many as asked for, and JSON all, for two runs to diff."""
    pairs = Counter((o.row.intent, o.predicted) for o in outcomes if o.predicted != o.row.intent)
    return _most_common(pairs)


def _most_common(
    pairs: Counter[tuple[str, str]], limit: int | None = None
) -> tuple[tuple[str, str, int], ...]:
    """The ``limit`` (None: all) most frequent pairs, with their counts; ties in name order."""
    ordered = sorted(pairs.items(), key=lambda item: (-item[1], item[0]))
    return tuple((first, second, count) for (first, second), count in ordered[:limit])


def _handed_off(
    outcomes: Sequence[_Outcome], intents: Sequence[Intent]
) -> tuple[tuple[str, str, int], ...]:
    """Rows labelled with an intent that answers, which a handoff intent sent to a person:
    (labelled, handoff intent, count), most first."""
    hands_off = {intent.name for intent in intents if intent.handoff}
    pairs = Counter(
        (o.row.intent, o.handoff)
        for o in outcomes
        if o.handoff and o.row.in_scope and o.row.intent not in hands_off
    )
    return _most_common(pairs, _HANDED_OFF_SHOWN)


def _out_of_scope(outcomes: Sequence[_Outcome]) -> tuple[float | None, float | None]:
    """Precision and recall of routing out of scope (None where nothing is to divide by)."""
    routed = [outcome.predicted == OUT_OF_SCOPE for outcome in outcomes]
    labelled = [not outcome.row.in_scope for outcome in outcomes]
    both = sum(r and lab for r, lab in zip(routed, labelled, strict=True))
    return ratio(both, sum(routed)), ratio(both, sum(labelled))


def _predicted(outcomes: Sequence[_Outcome]) -> Callable[[Labelled], str]:
    """Where a row went, as ``outcomes`` have it."""
    predicted = {(o.row.line, o.row.item): o.predicted for o in outcomes}
    return lambda row: predicted[row.line, row.item]


def _misroutes(outcomes: Sequence[_Outcome], wanted: int | None) -> tuple[Misroute, ...]:
    """The ``wanted`` (None: all) misroutes with the highest best score: the most confident
    mistakes, ties in file order."""
    wrong = [o for o in outcomes if o.predicted != o.row.intent] if wanted != 0 else []
    found = [_misroute(outcome) for outcome in wrong]
    found.sort(key=lambda misroute: (-misroute.score, misroute.line, misroute.item))
    return tuple(found[:wanted])


def _misroute(outcome: _Outcome) -> Misroute:
    """The misroute of ``outcome``, scored as it was routed: scoring the text again without
    the router showed another score than the turn's (0.569 for 0.75 with "thanks a lot, ..."),
    and below min_score sometimes another intent's."""
    row = outcome.row
    got, score = outcome.predicted, outcome.score
    where = (row.line, row.item, outcome.route, row.previous)
    return Misroute(row.text, row.intent, got, score, *where)


def percentile(values: Sequence[int], percent: float) -> float:
    """The nearest-rank percentile of sorted ``values`` (0 for none): 50 is the lower median."""
    if not values:
        return 0.0
    return float(values[max(0, math.ceil(percent / 100 * len(values)) - 1)])
