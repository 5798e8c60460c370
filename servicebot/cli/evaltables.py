"""The tables ``servicebot eval`` prints under its report: each labelled intent's figures
(``--per-intent``), and for each routing threshold the figures of values around the bot's,
with the value the file suggests and why (``--thresholds``; ``evaluation/thresholds.py``
computes them); and the options and check that go with them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from ..settings import RoutingSettings
from ..terminal import printable

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from ..config import BotSpec
    from ..evaluation import EvalReport
    from ..evaluation.perintent import IntentFigures
    from ..evaluation.thresholds import Candidate, Check, Sweep, Together

_IN_EFFECT = ("min_score", "direct_threshold", "direct_margin", "handoff_threshold", "top_k")
_OVERFITS = (
    "These values are tuned on this file, and its figures flatter them: tune on one file "
    "(a dev set), then check the values on another with a plain `servicebot eval`."
)

_DEFAULT = "(default: the bot's, or the default with --train)"
_THRESHOLDS = {  # each an option: tried on a file without editing servicebot.yaml
    "min_score": "Below this score a message is out of scope (default: the bot's, or 0.2 "
    "with --train).",
    "direct_threshold": f"A direct intent scoring this much gets its answer as written {_DEFAULT}.",
    "direct_margin": f"...if it also leads the next intent by this much {_DEFAULT}.",
    "handoff_threshold": f"A handoff intent scoring this much hands the customer off {_DEFAULT}.",
}


def threshold_options(command: Callable[..., None]) -> Callable[..., None]:
    """An option for each routing threshold, ``--min-score`` first."""
    for name, text in reversed(_THRESHOLDS.items()):
        option = "--" + name.replace("_", "-")
        command = click.option(option, name, type=click.FloatRange(0, 1), help=text)(command)
    return command


def check_thresholds(spec: BotSpec) -> Check:
    """Where ``servicebot check`` warns of the bot's thresholds with other routing settings
    (its own phrasings handed off, a threshold under min_score), for the sweep to suggest no
    value it would warn of."""
    from ..faqwarnings import routing_warner

    warnings = routing_warner(spec)
    return lambda routing: [(str(p.path), p.line) for p in warnings(routing)]


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
    console.print(
        f"thresholds: {now}; each tried with the others as they are (* in effect; "
        "! `servicebot check` would warn):"
    )
    for sweep in report.thresholds:
        console.print(_table(sweep, with_out_of_scope=report.out_of_scope_rows > 0))
        value = _value(sweep.suggested)
        console.print(f"suggested {sweep.threshold} {value}: {sweep.reason}")
    if report.together is not None:
        console.print(_together(report.together))
    console.print(_OVERFITS)


def _together(together: Together) -> str:
    """One line: the suggested values at once, what they do on the file, and what now does."""
    values = ", ".join(f"{name} {_value(value)}" for name, value in together.values.items())
    warns = "; `servicebot check` warns with them all" if together.check_warns else ""
    suggested, now = _at_once(together.suggested), _at_once(together.now)
    return f"suggested together ({values}): {suggested}; now {now}{warns}"


def _at_once(figures: Candidate) -> str:
    """Top-1, and the rows answered directly and handed off wrongly, of a set of values."""
    return (
        f"top-1 {figures.accuracy:.4f} ({figures.correct:,}), answered directly wrongly "
        f"{figures.direct_wrong:,} of {figures.direct:,}, handed off wrongly "
        f"{figures.handoff_wrong:,} of {figures.handoff:,}"
    )


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
        mark = ("*" if candidate.current else "") + ("!" if candidate.check_warns else "")
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
