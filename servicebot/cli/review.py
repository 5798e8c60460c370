"""``servicebot report`` and ``export``: a period of stored conversations summed up for the
weekly review of a bot (servicebot/report.py), read from the store in one go
(Store.conversations_since), or written out a turn a row (servicebot/export.py) as the
store's cursor reads it (Store.iter_conversations_since)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from ..config import BotSpec, load_bot
from ..errors import ConfigError
from ..export import COLUMNS, Row, csv_row, export_rows
from ..privatefiles import open_private
from ..report import (
    ACTIONS,
    DAILY,
    Intents,
    Ratings,
    Report,
    build_report,
    intents_from_turns,
    ranked,
)
from ..store import Rating, TurnRecord, now
from ..terminal import on_terminal, printable, printable_json
from ..trends import compared_data, helpful_line, period_length, previous_start, trends
from .common import bot_option, load_settings
from .storage import _store

if TYPE_CHECKING:  # imported where used: the other commands start without rich
    from rich.table import Table


def period_options(command: Callable[..., None]) -> Callable[..., None]:
    """``--days N`` (default 7) or ``--since DATE``: the turns a command reads."""
    since = click.option(
        "--since",
        type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
        help="The turns from DATE on (YYYY-MM-DD, UTC) instead of the last --days.",
    )
    days = click.option(
        "--days", type=click.IntRange(1, 36_500), help="The turns of the last DAYS days (7)."
    )
    return days(since(command))


def period_start(days: int | None, since: datetime | None, end: datetime | None = None) -> datetime:
    """When the period up to ``end`` (now) starts: ``since`` (a date in UTC), or ``days``
    (7) before ``end``."""
    if days is not None and since is not None:
        raise click.UsageError("give --days or --since, not both")
    if since is not None:
        return since.replace(tzinfo=UTC)
    return (end or now()) - timedelta(days=days or 7)


def read_period(bot_path: Path, start: datetime) -> tuple[Intents, list[list[TurnRecord]], Ratings]:
    """The bot's intents (which hand off, which take complaints), its conversations with
    a turn since ``start``, each with all its turns, and their ratings. A bot folder that
    does not load (a broken FAQ file) still has its store, named in servicebot.yaml: the
    intents are then read from the stored turns, and standard error says what could not be
    used."""
    spec = _bot_or_none(bot_path)
    settings = spec or load_settings(bot_path)  # servicebot.yaml alone, read once
    with _store(bot_path, settings, create=False) as store:
        conversations = store.conversations_since(start)
        ratings = by_turn(store.ratings_since(start))
    if spec is None:
        threshold = settings.settings.routing.direct_threshold
        return intents_from_turns(conversations, threshold), conversations, ratings
    return intent_sets(spec), conversations, ratings


def by_turn(ratings: Iterable[Rating]) -> Ratings:
    """Ratings keyed by their turn: (conversation, turn number)."""
    return {(rating.conversation_id, rating.turn): rating for rating in ratings}


def _bot_or_none(bot_path: Path) -> BotSpec | None:
    """The bot, or None when its folder does not load (said on standard error); the store
    then needs servicebot.yaml alone."""
    try:
        return load_bot(bot_path)
    except ConfigError as exc:
        _say_store_alone(exc)
        return None


def _say_store_alone(exc: ConfigError) -> None:
    """Tell the operator, on standard error, that the bot folder did not load and what the
    figures lack for it."""
    first = str(exc).splitlines()[0]
    click.echo(
        f"warning: the bot folder does not load ({first}); reading the store alone: intent "
        "names are not checked against the FAQ (none is told as renamed, "
        "intent_not_in_bot), handoff intents are taken from the stored turns (an intent "
        "whose every turn handed off), and complaints (complaint: true intents) are not "
        "counted. Run `servicebot check` to see what to fix.",
        err=True,
    )


def intent_sets(spec: BotSpec) -> Intents:
    """The bot's handoff intents, all its intents, its complaint intents, and the score
    under which routing is unsure of an intent (routing.direct_threshold)."""
    return Intents(
        handoff={i.name for i in spec.intents if i.handoff},
        known={i.name for i in spec.intents},
        complaint={i.name for i in spec.intents if i.complaint},
        direct_threshold=spec.settings.routing.direct_threshold,
    )


@click.command()
@period_options
@click.option(
    "--top", type=click.IntRange(1, 1000), default=10, show_default=True,
    help="How many intents, messages that matched no intent or an intent only weakly, and "
    "messages after an answer to list.",
)  # fmt: skip
@click.option(
    "--by-day", is_flag=True,
    help="Also a row per day (UTC, as --since): turns, handoffs, fallbacks, complaints, "
    "messages that matched no intent, and answers rated and rated not helpful.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
@bot_option
def report(
    days: int | None,
    since: datetime | None,
    top: int,
    by_day: bool,
    as_json: bool,
    bot_path: Path,
) -> None:
    """Sum up the stored conversations of the last 7 days (or --days, --since), each headline
    figure beside the previous period of the same length and its change: turns per
    action, handoffs per reason, fallbacks per cause, the intents asked most, the messages that
    matched no intent, those that matched an intent only weakly (handed off as unsure with no
    model, or scoring under routing.direct_threshold), and the messages right after an
    answer (or after a complaint about it) that matched no intent, asked for a person or
    complained (a `complaint: true` intent),
    counted against that answer's intent, and the share of rated answers (Bot.rate) found
    helpful, overall and for the intents rated not helpful most. Customer texts are shown as
    stored: values as placeholders ([PHONE_1])."""
    end = now()
    start = period_start(days, since, end)
    before = previous_start(start, end)
    intents, conversations, ratings = read_period(bot_path, before)  # both periods, one read
    figures = build_report(conversations, start, intents, ratings=ratings)
    previous = build_report(conversations, before, intents, until=start, ratings=ratings)
    if as_json:
        data = figures.as_data(top) | {"previous": compared_data(figures, previous)}
        if by_day:
            data["by_day"] = figures.by_day(end)
        text = json.dumps(data, ensure_ascii=False, indent=2)
        click.echo(printable_json(text) if on_terminal() else text)
        return
    if not figures.turns:
        click.echo(f"no turns stored since {start:%Y-%m-%d %H:%M} UTC")
        return
    _print_report(figures, previous, top, end if by_day else None)


def _print_report(figures: Report, previous: Report, top: int, days_to: datetime | None) -> None:
    """The report's tables, one after another, and a row per day up to ``days_to`` if given;
    piped to a file, a row is one line, and no name or text is cut short."""
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True, emoji=False)
    if not console.is_terminal:
        console.width = 10_000  # the tables are as wide as their cells, not this
    conversations = (
        f"{figures.conversations} conversation{'' if figures.conversations == 1 else 's'}"
    )
    turns_since = f"{figures.turns} turn{'' if figures.turns == 1 else 's'} since"
    console.print(f"{conversations}, {turns_since} {figures.since:%Y-%m-%d %H:%M} UTC\n")
    console.print(_trend_table(figures, previous), "")
    actions = [(action, figures.actions[action]) for action in ACTIONS]
    turns = ("turns", figures.turns)
    console.print(_table("action", actions, turns))
    tables = (
        ("handoff reason", ranked(figures.handoffs), ("handoffs", figures.handoffs.total())),
        ("fallback cause", ranked(figures.fallbacks), ("fallbacks", figures.fallbacks.total())),
        ("intent", ranked(figures.intents, top), turns),
        ("matched no intent", ranked(figures.out_of_scope, top), turns),
    )
    for title, rows, of in tables:
        if rows:
            console.print("", _table(title, rows, of))
    if weakly := figures.matched_weakly(top):
        console.print("", _weak_table(weakly))
    if figures.after:
        console.print("", _after_table(figures, top))
    if figures.rated or previous.rated:
        console.print("\n" + helpful_line(figures, previous))  # print("", line) would indent it
    if least := figures.least_helpful(top):
        console.print("", _unhelpful_table(least))
    if days_to is not None:
        console.print("", _day_table(figures.by_day(days_to)))


def _table(title: str, rows: list[tuple[str, int]], of: tuple[str, int]) -> Table:
    """One count per row, with its share of ``of``: what it is a share of (the period's
    turns, its handoffs, its fallbacks) and their number; stored text shown as text (rich
    would read ``[PHONE_1]`` or ``[bold]`` as markup)."""
    from rich.table import Table
    from rich.text import Text

    name, total = of
    table = Table(title, "turns", f"of {name}", box=None, pad_edge=False)
    table.columns[0].overflow = "fold"  # on a narrow terminal, wrapped whole, not cut short
    for column in table.columns[1:]:
        column.justify = "right"
    for key, count in rows:
        table.add_row(Text(printable(key)), str(count), f"{count / total:.0%}")
    return table


def _trend_table(figures: Report, previous: Report) -> Table:
    """Each headline figure beside the previous period of the same length: ``handoffs  42
    35  +20%``; a reason or cause indented under its total."""
    from rich.table import Table
    from rich.text import Text

    assert previous.until is not None
    before = f"previous {period_length(previous.since, previous.until)}"
    table = Table("compared", "turns", before, "change", box=None, pad_edge=False)
    table.columns[0].overflow = "fold"
    for column in table.columns[1:]:
        column.justify = "right"
    for trend in trends(figures, previous):
        name = f"  {trend.kind}" if trend.kind else trend.figure
        row = (str(trend.now), str(trend.before), trend.shown_change())
        table.add_row(Text(printable(name)), *row)
    return table


def _day_table(days: list[dict[str, Any]]) -> Table:
    """A row per day of the period (UTC), days with no turn too."""
    from rich.table import Table

    names = ("turns", "handoffs", "fallbacks", "complaints", "no match", "rated", "not helpful")
    table = Table("day (UTC)", *names, box=None, pad_edge=False)
    for column in table.columns[1:]:
        column.justify = "right"
    for day in days:
        table.add_row(day["day"], *(str(day[name]) for name in DAILY))
    return table


def _weak_table(weakly: list[tuple[str, str, int]]) -> Table:
    """The messages routing was unsure of, each with the intent it matched weakly: FAQ
    candidates beside those that matched no intent."""
    from rich.table import Table
    from rich.text import Text

    table = Table("matched weakly (unsure)", "intent", "turns", box=None, pad_edge=False)
    for column in table.columns[:2]:
        column.overflow = "fold"
    table.columns[2].justify = "right"
    for text, intent, turns in weakly:
        table.add_row(Text(printable(text)), Text(printable(intent)), str(turns))
    return table


def _after_table(figures: Report, top: int) -> Table:
    """The ``top`` messages right after an answer that may not have helped, counted per
    text, answered intent and outcome, with where the first of them is."""
    from rich.table import Table
    from rich.text import Text

    table = Table(
        "after an answer", "answered intent", "then", "turns", "first", box=None, pad_edge=False
    )
    for column in table.columns:
        column.overflow = "fold"
    table.columns[3].justify = "right"
    for found in figures.after_answers(top):
        where = f"{printable(found.first[0])} #{found.first[1]}"
        row: list[Any] = [Text(printable(found.text)), found.answered, found.outcome]
        table.add_row(*row, str(found.turns), Text(where))
    return table


def _unhelpful_table(least: list[tuple[str, int, int]]) -> Table:
    """The intents with the most answers rated not helpful, each with its share helpful."""
    from rich.table import Table
    from rich.text import Text

    table = Table("rated not helpful", "rated", "not helpful", "helpful", box=None, pad_edge=False)
    table.columns[0].overflow = "fold"
    for column in table.columns[1:]:
        column.justify = "right"
    for intent, rated, unhelpful in least:
        shown = Text(printable(intent)) if intent else Text("(no intent)")
        table.add_row(shown, str(rated), str(unhelpful), f"{(rated - unhelpful) / rated:.0%}")
    return table


@click.command()
@period_options
@click.option(
    "--format", "form", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True,
    help="CSV in UTF-8 with a byte order mark (Excel reads Chinese right), or JSON Lines.",
)  # fmt: skip
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write (default: standard output).",
)  # fmt: skip
@bot_option
def export(
    days: int | None, since: datetime | None, form: str, output: Path | None, bot_path: Path
) -> None:
    """Write the stored turns of the last 7 days (or --days, --since), one row a turn:
    conversation, turn, time (UTC: 2026-11-16 13:01:36 in CSV, a date and time to Excel;
    ISO 8601 in JSON Lines), previous (the customer's message before), text, action,
    intent, score, why, reply, rating and rating_comment (the customer's rating of the turn,
    its comment masked). Correct the intent column and run `servicebot eval FILE` on
    the file as it is. Texts are as stored: the customer's values are placeholders
    ([EMAIL_1]), never the values. In CSV, a cell starting with = + - @, a tab or a carriage
    return gets a ' before it, so that a spreadsheet never runs it as a formula (eval reads
    the cell without it). JSON Lines keeps types: turn and score numbers, no intent null."""
    start = period_start(days, since)
    spec = _bot_or_none(bot_path)
    with _store(bot_path, spec, create=False) as store:
        intents = (
            intent_sets(spec)
            if spec
            else intents_from_turns(store.iter_conversations_since(start))  # a first pass
        )
        ratings = by_turn(store.ratings_since(start))  # read before the cursor: it holds its
        # connection. Closed before the store, however the writing ends (a reader that stopped
        # early: `| head`): an open cursor holds its connection, which closing the store waits for.
        with closing(store.iter_conversations_since(start)) as conversations:
            rows = export_rows(conversations, start, intents, ratings)
            if output is None:
                written = _write_rows(_Echo(), rows, form)
            else:
                with open_private(output) as handle:
                    written = _write_rows(handle, rows, form)
    where = f" to {output}" if output else ""
    click.echo(f"{written} turn{'s' * (written != 1)} written{where}", err=True)


class _Echo:
    """Standard output as a file to write to, through click.echo (its encoding and its
    handling of a closed pipe), a piece at a time: rows go out as they are read. Written as
    given (``color=True``): piped to a file, click would otherwise take out what reads as a
    colour code (``\\x1b[31m``) from the customers' texts, and the file would differ from
    ``-o``'s. ``terminal``: whether standard output is one, where the rows are escaped."""

    def __init__(self) -> None:
        self.terminal = on_terminal()

    def write(self, text: str) -> int:
        click.echo(text, nl=False, color=True)
        return len(text)


def _write_rows(handle: IO[str] | _Echo, rows: Iterable[Row], form: str) -> int:
    """The rows as CSV (a header first, after a byte order mark) or JSON Lines, each as it
    comes; how many. On a terminal, the customers' texts have what a terminal would act on
    (an escape sequence, a bidi override) escaped, as every command prints them
    (terminal.py); a file gets them as stored."""
    written, terminal = 0, isinstance(handle, _Echo) and handle.terminal
    if form == "jsonl":
        for row in rows:
            line = json.dumps(row, ensure_ascii=False)
            handle.write((printable_json(line) if terminal else line) + "\n")
            written += 1
        return written
    handle.write("\ufeff")
    writer = csv.DictWriter(handle, COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        cells = csv_row(row)
        writer.writerow({k: printable(v) for k, v in cells.items()} if terminal else cells)
        written += 1
    return written
