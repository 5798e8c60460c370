"""The tables ``servicebot eval`` prints under its report: each labelled intent's figures
(``--per-intent``), and for each routing threshold the figures of values around the bot's,
with the value the file suggests and why (``--thresholds``; ``evaluation/thresholds.py``
computes them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..settings import RoutingSettings
from ..terminal import printable

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console
    from rich.table import Table

    from ..evaluation import EvalReport
    from ..evaluation.perintent import IntentFigures
    from ..evaluation.thresholds import Candidate, Sweep

_IN_EFFECT = ("min_score", "direct_threshold", "direct_margin", "handoff_threshold", "top_k")
_OVERFITS = (
    "These values are tuned on this file, and its figures flatter them: tune on one file "
    "(a dev set), then check the values on another with a plain `servicebot eval`."
)


def per_intent_table(report: EvalReport) -> Table:
    """One row per labelled intent, worst first; the out-of-scope rows last, on their own."""
    from rich.table import Table

    columns = ("intent", "rows", "top-1", "accuracy", f"recall@{report.k}", "most missed to")
    table = Table(*columns, box=None, pad_edge=False)
    for column in table.columns[1:5]:
        column.justify = "right"
    for column in (table.columns[0], table.columns[5]):
        column.overflow = "fold"  # a long intent name is wrapped whole, not cut short
    for figures in report.per_intent:
        table.add_row(*_per_intent_row(figures))
    if report.per_intent_out_of_scope is not None:
        table.add_row(*_per_intent_row(report.per_intent_out_of_scope))
    return table


def _per_intent_row(figures: IntentFigures) -> tuple[str, ...]:
    """An intent's cells: recall@k is '-' for the out-of-scope rows, which no ranking holds."""
    names = ", ".join(map(printable, (figures.missed_to or "", *figures.missed_to_ties)))
    each = " each" if figures.missed_to_ties else ""  # ties: one intent named hid the others
    missed = f"{names} ({figures.missed_to_rows:,}{each})" if figures.missed_to else ""
    return (
        printable(figures.intent),
        f"{figures.rows:,}",
        f"{figures.correct:,}",
        f"{figures.accuracy:.4f}",
        "-" if figures.recall_at_k is None else f"{figures.recall_at_k:.4f}",
        missed,
    )


def print_thresholds(console: Console, report: EvalReport, settings: RoutingSettings) -> None:
    """The values in effect, each threshold's table (``*`` marks the value in effect) and
    suggestion, and what the suggestions are worth."""
    now = ", ".join(f"{name} {getattr(settings, name)}" for name in _IN_EFFECT)
    console.print(f"thresholds: {now}; each tried with the others as they are (* in effect):")
    for sweep in report.thresholds:
        console.print(_table(sweep, with_out_of_scope=report.out_of_scope_rows > 0))
        value = _value(sweep.suggested)
        console.print(f"suggested {sweep.threshold} {value}: {sweep.reason}")
    console.print(_OVERFITS)


def _table(sweep: Sweep, *, with_out_of_scope: bool) -> Table:
    """One row per candidate value of ``sweep``'s threshold, with the figures it moves:
    out-of-scope precision and recall only for a file with rows labelled out of scope."""
    from rich.table import Table

    shown = _shown(sweep.threshold, with_out_of_scope)
    headers = _HEADERS.get(sweep.threshold, _HEADERS["direct"])
    table = Table(sweep.threshold, *shown(headers), box=None, pad_edge=False)
    for column in table.columns:
        column.justify = "right"
    for candidate in sweep.candidates:
        mark = "*" if candidate.current else ""
        table.add_row(mark + _value(candidate.value), *shown(_cells(sweep.threshold, candidate)))
    return table


def _shown(threshold: str, with_out_of_scope: bool) -> Callable[[tuple[str, ...]], list[str]]:
    """The columns of ``threshold``'s table to show: all but min_score's out-of-scope
    precision and recall for a file with no row labelled out of scope."""
    if threshold == "min_score" and not with_out_of_scope:
        return lambda columns: [columns[0], columns[-1]]
    return list


_HEADERS = {
    "min_score": ("top-1", "out-of-scope precision", "recall", "no facts"),
    "handoff_threshold": ("handed off", "wrongly"),
    "direct": ("answered directly", "wrongly"),  # direct_threshold's and direct_margin's
}


def _cells(threshold: str, candidate: Candidate) -> tuple[str, ...]:
    """The figures of ``candidate`` under ``threshold``'s headers."""
    if threshold == "min_score":
        top_1 = f"{candidate.accuracy:.4f} ({candidate.correct:,})"
        precision = _figure(candidate.out_of_scope_precision)
        recall = _figure(candidate.out_of_scope_recall)
        return top_1, precision, recall, f"{candidate.no_facts:,}"
    if threshold == "handoff_threshold":
        return f"{candidate.handoff:,}", f"{candidate.handoff_wrong:,}"
    return f"{candidate.direct:,}", f"{candidate.direct_wrong:,}"


def _value(value: float) -> str:
    """A threshold's value to two places, or as given when that has more (0.225)."""
    return f"{value:.2f}" if round(value, 2) == value else f"{value:g}"


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
