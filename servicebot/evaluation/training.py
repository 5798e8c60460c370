"""Intents built from a labelled training file (``servicebot eval --train``).

:func:`intents_from` builds intents from a labelled file when there is no bot folder to
evaluate.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import ConfigError, Problem
from ..routing.features import features
from ..settings import Intent
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
    first: dict[str, Labelled] = {}
    warnings = []
    for row in rows:
        earlier = first.setdefault(row.text.strip().casefold(), row)
        if row.in_scope and earlier.in_scope and earlier.intent != row.intent:
            message = (
                f"'{row.text.strip()}' is labelled '{row.intent}' here and '{earlier.intent}' "
                f"at {place(earlier.line, earlier.item)}: it is an example of both"
            )
            if row.item:
                message = f"item {row.item}: {message}"
            warnings.append(Problem(path, message, row.line))
    return warnings


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
