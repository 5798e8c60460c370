"""Per-intent routing figures: for each label of a labelled file, how its rows were routed.

This module owns :class:`IntentFigures` and :func:`per_intent`, which ``evaluate`` calls with
each row's label, where it went and whether its label was among the first k. The figures are
ordered worst first (lowest top-1 accuracy, then lowest recall@k, then most rows, then name),
so the intents that need work come first and two runs list them in the same order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .files import OUT_OF_SCOPE


@dataclass(frozen=True)
class IntentFigures:
    """How the rows labelled ``intent`` were routed."""

    intent: str
    rows: int
    correct: int  # rows routed to ``intent`` (top-1)
    accuracy: float
    found_at_k: int  # rows with ``intent`` among the first k at or above min_score
    recall_at_k: float | None  # None for out_of_scope, which no ranking holds
    # where most of its misrouted rows went (ties in name order), and how many; None if none
    missed_to: str | None
    missed_to_rows: int
    # the other intents as many of its misrouted rows went to, in name order
    missed_to_ties: tuple[str, ...] = ()


@dataclass(frozen=True)
class Routed:
    """One row as per_intent needs it: its label, where it went, whether its label ranked."""

    label: str
    predicted: str
    found: bool  # the label is among the first k at or above min_score


def per_intent(
    routed: Iterable[Routed],
) -> tuple[tuple[IntentFigures, ...], IntentFigures | None]:
    """The figures of each in-scope label, worst first, and those of the rows labelled out of
    scope (None without such rows), which are shown on their own line."""
    by_label: dict[str, list[Routed]] = {}
    for row in routed:
        by_label.setdefault(row.label, []).append(row)
    out_of_scope = by_label.pop(OUT_OF_SCOPE, None)
    figures = sorted((_figures(label, rows) for label, rows in by_label.items()), key=_worst)
    return tuple(figures), _figures(OUT_OF_SCOPE, out_of_scope) if out_of_scope else None


def _figures(label: str, rows: list[Routed]) -> IntentFigures:
    """``label``'s figures over its ``rows``."""
    correct = sum(row.predicted == label for row in rows)
    found = sum(row.found for row in rows)
    missed = Counter(row.predicted for row in rows if row.predicted != label)
    # most first, ties in name order, so that two runs name the same intent
    top = min(missed.items(), key=lambda item: (-item[1], item[0]), default=None)
    ties = sorted(name for name, count in missed.items() if top and count == top[1])[1:]
    return IntentFigures(
        intent=label,
        rows=len(rows),
        correct=correct,
        accuracy=round(correct / len(rows), 4),
        found_at_k=found,
        recall_at_k=None if label == OUT_OF_SCOPE else round(found / len(rows), 4),
        missed_to=top[0] if top else None,
        missed_to_rows=top[1] if top else 0,
        missed_to_ties=tuple(ties),
    )


def _worst(figures: IntentFigures) -> tuple[float, float, int, str]:
    """Sort key: lowest accuracy first, then lowest recall@k, then most rows, then name."""
    recall = figures.recall_at_k if figures.recall_at_k is not None else 1.0
    return figures.accuracy, recall, -figures.rows, figures.intent
