"""Threshold sweep: what other values of the routing thresholds would do on a labelled file.

``servicebot eval FILE --thresholds`` routes each row once, as ``evaluate`` does, and keeps
its ranking (:class:`Scored`). For each threshold (``min_score``, ``direct_threshold``,
``direct_margin``, ``handoff_threshold``), each candidate value around the bot's own then
decides every row's route again from that ranking with
:func:`~servicebot.routing.decide_ranked`, the function :meth:`Router.route` decides with, so
the sweep and the router cannot disagree, and no row is routed again per candidate.

Only ``min_score`` also chooses what is ranked: a short follow-up is read with its previous
message, and a message without its courtesies, when nothing matched otherwise at it. A row
that may be read so (one with a previous message or a courtesy: ``Scored.rereads``) is routed
again, by the same router, at each candidate ``min_score``; deciding from its one ranking put
0.10 above the example bot's 0.22 on ``bench/example_bot/follow_ups_dev.csv`` (top-1 0.917 for
0.900), where routing at 0.10 gets 0.808. The figures are those of ``servicebot eval
--min-score``.

A value is suggested only when ``servicebot check`` would warn of nothing new with it (a
threshold under ``min_score``; one of the bot's own phrasings handed off: ``Check``), which
the file cannot show: 0.30 was suggested for ``handoff_threshold`` on ``dev.csv``, where
check warns that the FAQ's own ``客服工作时间`` goes to a person (talk_to_human 0.32). A lower
``direct_threshold``, ``direct_margin`` or ``handoff_threshold`` (more rows answered as
written, or handed off) is suggested only when it does so for at least ``EVIDENCE`` more rows,
none wrongly: with none wrong of 30, fewer than one such row in ten is wrong, at 95% (the
rule of three, 3/n). On ``dev.csv``'s 240 rows, 0.05 was suggested for ``direct_margin`` for
3 more rows answered directly, and gave ``test.csv`` a wrong one. Last, the suggestions are
evaluated together (:func:`together`), which tuning each alone never shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ..routing import Decision, Match, decide_ranked
from ..settings import RoutingSettings
from .files import OUT_OF_SCOPE, Labelled

THRESHOLDS = ("min_score", "direct_threshold", "direct_margin", "handoff_threshold")
_STEP = 0.05  # candidates are multiples of this...
_SPAN = 4  # ...this many steps either side of the current value
EVIDENCE = 30  # more rows done, none wrongly, for a lower value to be suggested (see above)


@dataclass(frozen=True)
class Scored:
    """One row, routed once: its label and what the thresholds decide its route from."""

    row: Labelled
    ranked: tuple[Match, ...]  # as Routing.ranked
    direct: bool  # may be answered as written: not a follow-up (see decide_ranked)
    blank: bool  # nothing but invisible characters: out of scope, whatever the thresholds
    rereads: bool  # what is ranked may change with min_score (see the module docstring)


# A row routed again at another min_score.
Reroute = Callable[[Labelled, float], Scored]
# Where ``servicebot check`` warns of the thresholds with these settings (file, line), and
# how many times: the bot's phrasings, which a labelled file does not hold.
Check = Callable[[RoutingSettings], list[tuple[str, int | None]]]


@dataclass(frozen=True)
class Candidate:
    """What one value of a threshold does to the rows, the other thresholds as they are."""

    value: float
    current: bool  # the value evaluated: the bot's (or --min-score's)
    correct: int  # top-1: rows routed to their label
    accuracy: float
    out_of_scope_precision: float | None  # as EvalReport's
    out_of_scope_recall: float | None
    no_facts: int  # rows routed out of scope: the model answers them with no FAQ facts
    direct: int  # rows answered as written
    direct_wrong: int  # of those, rows labelled otherwise: a wrong answer sent as written
    handoff: int  # rows handed to a person
    handoff_wrong: int  # of those, rows not labelled with a handoff intent
    check_warns: bool = False  # check warns of something with it that it does not now


@dataclass(frozen=True)
class Sweep:
    """The candidates of one threshold, and the value this file suggests, with why."""

    threshold: str
    current: float
    candidates: tuple[Candidate, ...]
    suggested: float
    reason: str


@dataclass(frozen=True)
class Together:
    """The suggested values at once, and what they do on the file beside the values now."""

    values: dict[str, float]  # each threshold's suggested value
    suggested: Candidate  # the figures with them all (its value: min_score's)
    now: Candidate  # the figures with the values in effect
    check_warns: bool  # check warns of something with them all that it does not now


def decide_row(row: Scored, settings: RoutingSettings) -> Decision:
    """The route ``settings`` give ``row``, as a turn with no out-of-scope turn before it."""
    if row.blank:  # as Router.route has it: out of scope, and nothing more
        return Decision("out_of_scope", (), None, ())
    return decide_ranked(row.ranked, settings, direct=row.direct)


def sweep_thresholds(
    rows: Sequence[Scored],
    settings: RoutingSettings,
    hands_off: frozenset[str],
    reroute: Reroute,
    check: Check | None = None,
) -> tuple[Sweep, ...]:
    """Each threshold's candidates on ``rows``; ``hands_off``: the bot's handoff intents;
    ``check``: where check warns with other settings (None: nothing to check, --train)."""
    warns = _warns(settings, check)
    sweeps = []
    for name in THRESHOLDS:
        current = float(getattr(settings, name))
        candidates = []
        for value in candidate_values(current):
            read = rows if name != "min_score" else _read_at(rows, value, current, reroute)
            changed = settings.model_copy(update={name: value})
            candidate = _candidate(read, changed, hands_off, value, current)
            candidates.append(replace(candidate, check_warns=warns(changed)))
        sweeps.append(_suggest(name, current, tuple(candidates)))
    return tuple(sweeps)


def together(
    rows: Sequence[Scored],
    settings: RoutingSettings,
    sweeps: Sequence[Sweep],
    hands_off: frozenset[str],
    reroute: Reroute,
    check: Check | None = None,
) -> Together:
    """The figures of ``rows`` with every suggestion of ``sweeps`` at once, and now."""
    values = {sweep.threshold: sweep.suggested for sweep in sweeps}
    changed = settings.model_copy(update=values)
    read = _read_at(rows, changed.min_score, settings.min_score, reroute)
    suggested = _candidate(read, changed, hands_off, changed.min_score, settings.min_score)
    now = _candidate(rows, settings, hands_off, settings.min_score, settings.min_score)
    return Together(values, suggested, now, _warns(settings, check)(changed))


def _warns(settings: RoutingSettings, check: Check | None) -> Callable[[RoutingSettings], bool]:
    """Whether check warns with other settings of something it does not with ``settings``:
    at a new place, or more often."""
    if check is None:
        return lambda changed: False
    now = check(settings)

    def warns(changed: RoutingSettings) -> bool:
        found = check(changed)
        return bool(set(found) - set(now)) or len(found) > len(now)

    return warns


def _read_at(
    rows: Sequence[Scored], min_score: float, current: float, reroute: Reroute
) -> Sequence[Scored]:
    """``rows`` as routed at ``min_score``: those that read otherwise routed again."""
    if min_score == current:
        return rows
    return [reroute(row.row, min_score) if row.rereads else row for row in rows]


def candidate_values(current: float) -> tuple[float, ...]:
    """Multiples of 0.05 from four below ``current`` to four above, within 0 to 1, and
    ``current`` itself when it is none of them."""
    centre = round(current / _STEP)
    steps = range(max(centre - _SPAN, 0), min(centre + _SPAN, round(1 / _STEP)) + 1)
    return tuple(sorted({round(step * _STEP, 2) for step in steps} | {current}))


def _candidate(
    rows: Sequence[Scored],
    settings: RoutingSettings,
    hands_off: frozenset[str],
    value: float,
    current: float,
) -> Candidate:
    """The figures of ``rows`` routed with ``settings``, where the threshold swept is
    ``value`` (``current`` in the run)."""
    decided = [(row, decide_row(row, settings)) for row in rows]
    got = [d.matches[0].intent.name if d.matches else OUT_OF_SCOPE for _, d in decided]
    right = [row.row.intent == name for (row, _), name in zip(decided, got, strict=True)]
    routes = [d.route for _, d in decided]
    away = [name == OUT_OF_SCOPE for name in got]
    labelled_away = sum(not row.row.in_scope for row in rows)
    both = sum(a and not row.row.in_scope for a, row in zip(away, rows, strict=True))
    direct = [r == "direct" for r in routes]
    handoff = [r == "handoff" for r in routes]
    return Candidate(
        value=value,
        current=value == current,
        correct=sum(right),
        accuracy=ratio(sum(right), len(rows)) or 0.0,
        out_of_scope_precision=ratio(both, sum(away)),
        out_of_scope_recall=ratio(both, labelled_away),
        no_facts=sum(r == "out_of_scope" for r in routes),
        direct=sum(direct),
        direct_wrong=sum(d and not r for d, r in zip(direct, right, strict=True)),
        handoff=sum(handoff),
        handoff_wrong=sum(
            h and row.row.intent not in hands_off for h, row in zip(handoff, rows, strict=True)
        ),
    )


def ratio(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` to four places; None when ``whole`` is 0."""
    return round(part / whole, 4) if whole else None


def _suggest(name: str, current: float, candidates: tuple[Candidate, ...]) -> Sweep:
    """The sweep of ``name``, with the value this file suggests: for min_score, the highest
    top-1 (of a tie, the value nearest ``current``); for the others, see _least_costly."""
    allowed = tuple(c for c in candidates if not c.check_warns)
    if name == "min_score":
        best = max(allowed, key=lambda c: (c.correct, -abs(c.value - current)))
        reason = _top_1_reason(best, candidates)
    else:
        value, reason = _least_costly(name, current, allowed)
        best = next(c for c in allowed if c.value == value)
    if any(c.check_warns and _better(name, c, best) for c in candidates):
        reason = f"values that do better make `servicebot check` warn (!); of the others, {reason}"
    return Sweep(name, current, candidates, best.value, reason)


def _better(name: str, candidate: Candidate, best: Candidate) -> bool:
    """Whether the file alone would rather ``candidate`` than ``best``: a higher top-1 for
    min_score; for the others, more rows done and no more wrongly."""
    if name == "min_score":
        return candidate.correct > best.correct
    field = _field(name)
    done: int = getattr(candidate, field)
    wrong: int = getattr(candidate, f"{field}_wrong")
    than: int = getattr(best, field)
    than_wrong: int = getattr(best, f"{field}_wrong")
    return done > than and wrong <= than_wrong


def _field(name: str) -> str:
    """The Candidate field of what ``name``, not min_score, lets routing do."""
    return "handoff" if name == "handoff_threshold" else "direct"


def _top_1_reason(best: Candidate, candidates: tuple[Candidate, ...]) -> str:
    """Why ``best`` is the min_score suggested: its top-1, and the current value's."""
    now = next(c for c in candidates if c.current)
    if best.current:
        return f"no value tried routes more rows right (top-1 {best.accuracy:.4f})"
    return f"the highest top-1 of the values tried: {best.accuracy:.4f} (now {now.accuracy:.4f})"


def _least_costly(
    name: str, current: float, candidates: tuple[Candidate, ...]
) -> tuple[float, str]:
    """Of the values of ``name`` that make no costly mistake on the file (a wrong answer sent
    as written; a customer handed to a person though they asked what an intent answers, or
    nothing the bot does), the one that answers directly or hands off the most rows (of a
    tie, the nearest ``current``); with none such, the one with the fewest mistakes. A value
    under ``current`` only when it does so for EVIDENCE more rows, none wrongly."""
    field = _field(name)
    done_how = "handed off" if field == "handoff" else "answered directly"
    done = {c.value: getattr(c, field) for c in candidates}
    wrong = {c.value: getattr(c, f"{field}_wrong") for c in candidates}
    if not any(done.values()):
        return current, f"no value tried has a row {done_how}: the file says nothing of it"
    shown = _shown_enough(current, done, wrong)
    best = min(shown, key=lambda value: (wrong[value], -done[value], abs(value - current)))
    if wrong[best]:
        fewest = f"{wrong[best]:,} of {done[best]:,} (now {wrong[current]:,} of {done[current]:,})"
        return best, f"every value tried has rows {done_how} wrongly; the fewest: {fewest}"
    if best == current and (more := max(done[v] for v in done if not wrong[v]) - done[best]):
        few = f"{more:,} more rows {done_how}, none wrongly, are too few to lower it"
        return best, f"{few} (it takes {EVIDENCE}: this file cannot show that is safe)"
    if best == current:
        return best, f"no value tried has more rows {done_how} with none wrongly ({done[best]:,})"
    rows = f"{done[best]:,} (now {done[current]:,})"
    return best, f"the most rows {done_how} with none wrongly: {rows}"


def _shown_enough(current: float, done: dict[float, int], wrong: dict[float, int]) -> list[float]:
    """The values the file has rows enough to suggest: ``current``, those above it (fewer rows
    done), and those under it that do so for EVIDENCE more rows, none of them wrongly."""
    return [
        value
        for value in done
        if value >= current
        or (done[value] - done[current] >= EVIDENCE and wrong[value] == wrong[current])
    ]
