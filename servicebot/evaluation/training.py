"""Intents built from a labelled training file (``servicebot eval --train``), and the texts
a labelled file labels twice.

:func:`intents_from` builds intents from a labelled file when there is no bot folder to
evaluate. :func:`labelled_twice` warns of each text a training file makes an example of two
intents; :func:`labelled_otherwise` of the texts a file to score labels twice, once for all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from ..errors import ConfigError, Problem
from ..faq import Intent
from ..routing.features import features
from .files import Labelled, place, read_labelled


def read_intents(path: Path) -> tuple[Intent, ...]:
    """Intents built from a labelled file (see :func:`intents_from`).

    Raises:
        ConfigError: as :func:`read_labelled`, or when no row gives an intent to route to.
    """
    intents = intents_from(read_labelled(path))
    if not intents:
        raise ConfigError.at(path, "every row is out of scope: no intents to build")
    if not any(features(text) for intent in intents for text in (intent.name, *intent.examples)):
        raise ConfigError.at(path, "no row has a word or a Chinese character to route by")
    return intents


def labelled_twice(path: Path, rows: Sequence[Labelled]) -> list[Problem]:
    """A warning for each row of ``path`` whose text an earlier row labels otherwise: built
    into intents, it is an example of both, and each takes some of the other's messages (a bot
    folder refuses this; in a labelled file it is the data's own noise)."""
    warnings = []
    for row, earlier in _twice(rows, lambda row: None):  # an example is its text alone
        if row.in_scope and earlier.in_scope:
            warnings.append(_labelled_here(path, row, earlier, "it is an example of both"))
    return warnings


def labelled_otherwise(path: Path, rows: Sequence[Labelled]) -> Problem | None:
    """One warning for the texts of ``path`` (with the same previous message) that an earlier
    row labels otherwise, at the first, naming both rows, with how many more there are:
    whatever routing does, one of the two rows is counted wrong. None if there are none."""
    found = list(_twice(rows, lambda row: row.previous))
    if not found:
        return None
    row, earlier = found[0]
    warning = _labelled_here(path, row, earlier, "at most one of the two can be routed right")
    if more := len(found) - 1:
        warning = replace(warning, message=f"{warning.message} ({more:,} more rows like it)")
    return warning


def _twice(
    rows: Sequence[Labelled], previous: Callable[[Labelled], str | None]
) -> Iterator[tuple[Labelled, Labelled]]:
    """Each row whose text (in any case, after the same ``previous`` message) an earlier row
    labels otherwise, with the first row of that text."""
    first: dict[tuple[str, str | None], Labelled] = {}
    for row in rows:
        earlier = first.setdefault((row.text.strip().casefold(), previous(row)), row)
        if earlier.intent != row.intent:
            yield row, earlier


def _labelled_here(path: Path, row: Labelled, earlier: Labelled, meaning: str) -> Problem:
    """The warning at ``row`` that ``earlier`` labels its text otherwise, and what it means."""
    message = (
        f"'{row.text.strip()}' is labelled '{row.intent}' here and '{earlier.intent}' "
        f"at {place(earlier.line, earlier.item)}: {meaning}"
    )
    if row.item:
        message = f"item {row.item}: {message}"
    return Problem(path, message, row.line)


def intents_from(rows: Sequence[Labelled]) -> tuple[Intent, ...]:
    """One intent per label, its examples the label's texts (out-of-scope rows are skipped).

    Labels such as ``reverted_card_payment?`` are not valid YAML intent names, so the
    intents are built without validation; they only ever feed a routing index.
    """
    texts: dict[str, list[str]] = {}
    for row in rows:
        if row.in_scope:
            texts.setdefault(row.intent, []).append(row.text)
    return tuple(_intent(name, examples) for name, examples in texts.items())


def _intent(name: str, examples: list[str]) -> Intent:
    return Intent.model_construct(
        name=name,
        examples=tuple(dict.fromkeys(examples)),
        answer={},
        description="",
        few_shot=(),
        direct=False,
        handoff=False,
    )
