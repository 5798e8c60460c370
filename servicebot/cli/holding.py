"""``--holding VALUE`` for ``servicebot history`` and ``purge``: the option, each value read
for PII before any store is opened, and what the commands say of the conversations it finds
(which placeholders stand for the values), of those another SERVICEBOT_PII_KEY masked, and of
finding none. The lookup itself is store/holding.py's."""

from __future__ import annotations

import os
from collections.abc import Callable

import click

from ..errors import NoPIIError
from ..filters.placeholders import KEY_ENV, PREVIOUS_KEY_ENV
from ..store import Store
from ..store.holding import Holding, conversations_keyed_otherwise, lookups
from ..terminal import printable


def _pii_values(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    """``--holding``'s values, each read for PII before any store is opened: one holding none
    ("hello") could be in no conversation, and the operator should hear so, not "none found"."""
    for value in values:
        try:
            lookups(value)
        except NoPIIError as exc:
            raise click.BadParameter(str(exc), ctx, param) from exc
    return values


def holding_option(text: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """``--holding VALUE``, repeatable, each value read for PII; ``text``: its help."""
    return click.option(
        "--holding", "values", multiple=True, metavar="VALUE", callback=_pii_values, help=text
    )


def say_keyed_otherwise(store: Store, values: tuple[str, ...]) -> None:
    """On standard error, the conversations this SERVICEBOT_PII_KEY (and the previous one,
    if set) cannot search, masked under another key: after a rotation, finding nothing is no
    proof of nothing. (A conversation masked under no key can always be read: see
    filters/placeholders.py.)"""
    if unread := conversations_keyed_otherwise(store, values):
        named = ", ".join(map(printable, unread))
        click.echo(
            f"{len(unread)} conversation(s) with a placeholder of that kind were masked with "
            f"another {KEY_ENV} than the one set here ({named}): this key cannot find "
            f"{values_named(values)} in them; look again with the key the bot ran with then (as "
            f"{KEY_ENV} or {PREVIOUS_KEY_ENV})",
            err=True,
        )


def placeholders(holding: list[Holding]) -> str:
    """Which placeholders stand for the values, per conversation: "[EMAIL_1] in c-42; ..."."""
    return "; ".join(
        f"{standing_for(found)} in {printable(found.conversation_id)}" for found in holding
    )


def standing_for(found: Holding) -> str:
    """What stands for the values in one conversation: its placeholders, its id, or both."""
    return ", ".join([*found.placeholders, *(["its id"] if found.by_id else [])])


def values_named(values: tuple[str, ...]) -> str:
    """How a message names the values looked for: "it", or "any of them"."""
    return "it" if len(values) == 1 else "any of them"


def nothing_holds(values: tuple[str, ...]) -> str:
    """What to say when no conversation holds ``values``; the digests are keyed by
    SERVICEBOT_PII_KEY, so a key other than the bot's (or none) finds nothing."""
    key = "set" if os.environ.get(KEY_ENV) else "not set"
    return (
        f"no conversation in this bot's store holds {values_named(values)}: only a value the "
        f"customer typed is found, and only with the {KEY_ENV} the bot runs with ({key} here)"
    )
