"""Labels that name no intent: :func:`unknown_labels` says where each is first used, as a
problem, and :func:`find_unknown` finds them for the report, each an :class:`UnknownLabel`
with what it may mean (the intent its rows route to, or the closest name).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import Problem
from ..faq import Intent
from ..routing import Router
from ..settings import RoutingSettings
from ..validation import closest
from .files import OUT_OF_SCOPE, Labelled


@dataclass(frozen=True)
class UnknownLabel:
    """A label that names no intent (a typo, or an intent the bot lacks): counted wrong."""

    label: str
    line: int  # its first row's
    rows: int
    closest: str | None  # the intent name it is closest to, if any is close
    item: int = 0  # as in Labelled
    routed: str | None = None  # the intent most of its rows route to, if most route to one
    routed_rows: int = 0  # how many of its rows route there

    def hint(self) -> str:
        """What the label may mean, for the line naming it: the intent most of its rows route
        to (an intent renamed since the file was labelled: refund_status renamed refund_timing
        is nearer order_status by name), else the closest name. A single row says less: a
        typo's row may be misrouted, so the closest name comes first, with where it went."""
        meant = f"; did you mean '{self.closest}'?" if self.closest else ""
        if self.routed is None or self.routed == self.closest:
            return meant
        if self.rows > 1:
            went = f"its rows route to '{self.routed}' ({self.routed_rows:,} of {self.rows:,})"
            return f"; {went}: was it renamed?"
        went = f"its row routes to '{self.routed}'"
        return f"{meant} ({went})" if meant else f"; {went}: was it renamed?"


def unknown_labels(
    path: Path,
    rows: Sequence[Labelled],
    intents: Sequence[Intent],
    settings: RoutingSettings | None = None,
    languages: Sequence[str] = ("en",),
) -> list[Problem]:
    """A problem for each label of ``rows`` (read from ``path``) that names none of
    ``intents``, at its first row: a typo such as ``refund_stauts`` would otherwise only
    lower the scores. Its rows are routed with ``settings`` and ``languages``, for where they
    go to say what the label may mean (see UnknownLabel.hint); with no settings, they are not,
    and the closest name is all it says."""
    found = {(row.line, row.item): row for row in rows}
    problems = []
    route = _routed_by(intents, settings, languages) if settings else lambda row: OUT_OF_SCOPE
    for unknown in find_unknown(rows, intents, route):
        count = f" ({unknown.rows:,} rows, the first here)" if unknown.rows > 1 else ""
        message = f"no intent is named '{unknown.label}'{count}{unknown.hint()}"
        if unknown.item:
            message = f"item {unknown.item}: {message}"
        first = found[unknown.line, unknown.item]
        problems.append(Problem(path, message, unknown.line, None, first.source_line))
    return problems


def find_unknown(
    rows: Sequence[Labelled], intents: Sequence[Intent], route: Callable[[Labelled], str]
) -> tuple[UnknownLabel, ...]:
    """The labels of ``rows`` that name none of ``intents``, each with where ``route`` (a
    row's best intent, or out of scope) sends most of its rows, if most go to one intent."""
    names = [intent.name for intent in intents]
    unknown: dict[str, list[Labelled]] = {}
    for row in rows:
        if row.in_scope and row.intent not in names:
            unknown.setdefault(row.intent, []).append(row)
    return tuple(_unknown_label(label, found, names, route) for label, found in unknown.items())


def _unknown_label(
    label: str, rows: Sequence[Labelled], names: Sequence[str], route: Callable[[Labelled], str]
) -> UnknownLabel:
    """``label``, used by ``rows``, with the intent more than half of them route to."""
    near = closest(label, names)
    routed = Counter(route(row) for row in rows)
    routed.pop(OUT_OF_SCOPE, None)
    first = rows[0]
    unknown = UnknownLabel(label, first.line, len(rows), near, first.item)
    if not routed:
        return unknown
    (intent, count), *_ = routed.most_common(1)
    if 2 * count <= len(rows):
        return unknown
    return replace(unknown, routed=intent, routed_rows=count)


def _routed_by(
    intents: Sequence[Intent], settings: RoutingSettings, languages: Sequence[str]
) -> Callable[[Labelled], str]:
    """Where a row routes: its best intent, or out of scope. The router is built at the first
    row asked, as only the rows of unknown labels are, and most files have none."""
    router = functools.cache(lambda: Router(intents, settings, languages))

    def route(row: Labelled) -> str:
        best = router().route(row.text, row.previous).best
        return best.intent.name if best else OUT_OF_SCOPE

    return route
