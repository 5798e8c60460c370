"""A period's headline figures beside the previous period of the same length (``servicebot
report``): turns, answered (as written, by the model), handoffs and fallbacks (each reason and
cause too), complaints, messages that matched no intent and rated answers (those rated
helpful too), each with its change; and the share rated helpful beside the previous one.

Both periods are summed from one store read (from the start of the previous period on:
report.py's ``build_report`` with ``until``). A figure that was 0 before has no change in
percent: it is ``new`` (or nothing at all, if it is 0 in both).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .report import Report
from .store import stamp


@dataclass(frozen=True)
class Trend:
    """One headline figure in both periods: ``kind`` is a handoff's reason, a fallback's
    cause, ``direct`` or ``model`` for the answered; None for a total."""

    figure: str
    kind: str | None
    now: int
    before: int

    @property
    def change(self) -> int | None:
        """The change in percent, rounded; None when the figure was 0 before."""
        if not self.before:
            return None
        return round((self.now - self.before) * 100 / self.before)

    def shown_change(self) -> str:
        """``+20%``, ``-5%``, ``0%``; ``new`` when it was 0 before, ``-`` when 0 in both."""
        if self.change is not None:
            return f"{self.change:+d}%" if self.change else "0%"
        return "new" if self.now else "-"

    def as_data(self) -> dict[str, Any]:
        return {
            "figure": self.figure,
            "kind": self.kind,
            "turns": self.now,
            "previous": self.before,
            "change_percent": self.change,
        }


def previous_start(start: datetime, end: datetime) -> datetime:
    """When the period before ``start`` of the same length as ``start`` to ``end`` starts."""
    return start - (end - start)


def trends(current: Report, previous: Report) -> list[Trend]:
    """Every headline figure of ``current`` beside ``previous``'s: a handoff reason or a
    fallback cause found in either period, in the order of Report.headline."""
    now = {(figure, kind): n for figure, kind, n in current.headline()}
    before = {(figure, kind): n for figure, kind, n in previous.headline()}
    keys = list(now) + [key for key in before if key not in now]
    order = {figure: i for i, (figure, _) in enumerate(dict.fromkeys(now))}
    keys.sort(key=lambda key: (order[key[0]], key[1] is not None, key[1] or ""))
    return [Trend(f, k, now.get((f, k), 0), before.get((f, k), 0)) for f, k in keys]


def period_length(start: datetime, end: datetime) -> str:
    """``7 days``, ``1 day``, ``7.6 days``: how long a period is, for a label."""
    days = round((end - start) / timedelta(days=1), 1)
    return f"{days:g} day{'s' * (days != 1)}"


def compared_data(current: Report, previous: Report) -> dict[str, Any]:
    """The previous period and every figure beside it, for ``--json``."""
    assert previous.until is not None  # the previous period ends where the report's starts
    return {
        "since": stamp(previous.since),
        "until": stamp(previous.until),
        "conversations": previous.conversations,
        "turns": previous.turns,
        "figures": [trend.as_data() for trend in trends(current, previous)],
        "ratings": previous.ratings_data(),
    }


def helpful_line(current: Report, previous: Report) -> str:
    """``found helpful: 75% of 12 rated answers (previous 7 days: 60% of 10)``."""
    assert previous.until is not None
    before = f"previous {period_length(previous.since, previous.until)}"
    return f"found helpful: {_share(current)} ({before}: {_share(previous)})"


def _share(report: Report) -> str:
    """``75% of 12 rated answers``; ``no rated answers``."""
    rated, share = report.rated.total(), report.helpful_share()
    if share is None:
        return "no rated answers"
    return f"{share:.0%} of {rated} rated answer{'s' * (rated != 1)}"
