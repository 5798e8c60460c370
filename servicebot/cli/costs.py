"""``servicebot usage``: the stored turns' tokens and estimated cost, per day and per
conversation."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..store import now
from ..terminal import printable
from ..usage import Usage, usage_by
from .common import bot_option, last_days, load_settings
from .storage import _store

if TYPE_CHECKING:  # imported where used: the other commands start without rich
    from rich.table import Table


@click.command()
@click.option("--days", type=click.IntRange(1, 36_500), default=30, show_default=True)
@bot_option
def usage(days: int, bot_path: Path) -> None:
    """Turns, tokens and estimated cost per day and per conversation."""
    from rich.console import Console

    spec = load_settings(bot_path)
    with _store(bot_path, spec, create=False) as store:
        by_day, by_conversation = usage_by(
            store.turns_since(now() - timedelta(days=days)), spec.settings.prices
        )
    if not by_day:
        click.echo(f"no turns stored in {last_days(days)}")
        return
    console = Console(highlight=False, soft_wrap=True, emoji=False)
    console.print(_usage_table("day", by_day), "", _usage_table("conversation", by_conversation))
    unpriced = sorted(set().union(*(u.unpriced_models for u in by_day.values())))
    if unpriced:
        click.echo(
            f"- or *: no price in servicebot.yaml for {', '.join(unpriced)}, whose tokens are "
            "left out of the cost (-: all of the row's tokens, *: some of them)"
        )
    if snapshots := sorted(set().union(*(u.snapshots for u in by_day.values()))):
        click.echo(
            f"priced as the model they are a snapshot of: {', '.join(snapshots)} "
            "(give one its own price in servicebot.yaml if it differs)"
        )


def _usage_table(title: str, rows: Mapping[str, Usage]) -> Table:
    """One row per day or conversation; an application's conversation ids are shown as
    text, whatever they hold (rich would read ``[bold]`` as markup)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title, "turns", "tokens in", "tokens out", "cost (USD)", box=None, pad_edge=False)
    for column in table.columns[1:]:
        column.justify = "right"
    for key, totals in rows.items():
        table.add_row(
            Text(printable(key)),
            str(totals.turns),
            f"{totals.tokens_in:,}",
            f"{totals.tokens_out:,}",
            _cost(totals),
        )
    return table


def _cost(totals: Usage) -> str:
    """A row's cost; ``-`` when none of its tokens has a price, ``*`` when some have none."""
    if totals.unpriced_models and not totals.cost:
        return "-"
    return f"{totals.cost:.4f}" + ("*" if totals.unpriced_models else "")
