"""``servicebot history`` and ``purge``: the conversations a bot has stored, listed, shown
(with their customers' ratings) or deleted, and the store opened for them (``usage`` tots
them up: costs.py). ``--holding VALUE`` finds a customer's conversations by an email or
phone number (store/holding.py; the option and what is said of what it finds: holding.py),
for an access or erasure request."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from ..config import BotSpec
from ..errors import ServicebotError
from ..store import PurgeReport, Rating, Store, TurnRecord, now, open_bot_store, stamp
from ..store.holding import conversations_holding
from ..terminal import on_terminal, printable, printable_json
from .common import bot_option, last_days, load_settings
from .holding import (
    holding_option,
    nothing_holds,
    placeholders,
    say_keyed_otherwise,
    standing_for,
    values_named,
)


@click.command()
@click.argument("conversation", required=False)
@click.option(
    "--days",
    type=click.IntRange(1, 36_500),
    help="Without CONVERSATION: list the conversations with a turn in the last DAYS days "
    "(default 7).",
)
@click.option(
    "--failed", is_flag=True, help="Without CONVERSATION: only those where a model call failed."
)
@click.option(
    "--not-helpful",
    is_flag=True,
    help="Without CONVERSATION: only those with an answer the customer rated not helpful, "
    "most such answers first.",
)
@holding_option(
    "List the conversations where the customer typed VALUE (an email, a phone number; repeat "
    "for several): an access or erasure request. With --json: their turns, as stored."
)
@click.option(
    "--json", "as_json", is_flag=True, help="JSON Lines: one turn or conversation a line."
)
@bot_option
def history(
    conversation: str | None,
    days: int | None,
    failed: bool,
    not_helpful: bool,
    values: tuple[str, ...],
    as_json: bool,
    bot_path: Path,
) -> None:
    """Print CONVERSATION turn by turn: actions, intents, ratings and filter events. Without
    it, list the recent conversations, newest first, with their turns, actions, failed model
    calls and ratings. The customer's values show as the placeholders the store keeps
    ([EMAIL_1]), not as typed."""
    if values:
        if conversation is not None or days is not None or failed or not_helpful:
            raise click.UsageError(
                "--holding finds the conversations: give no CONVERSATION, --days, --failed "
                "or --not-helpful"
            )
        _list_holding(bot_path, values, as_json)
        return
    if conversation is None:
        _list_conversations(bot_path, days or 7, (failed, not_helpful), as_json)
        return
    if days is not None or failed or not_helpful:
        raise click.UsageError(
            "--days, --failed and --not-helpful list conversations: give no CONVERSATION"
        )
    with _store(bot_path, create=False) as store:
        turns, ratings = store.history(conversation), store.ratings(conversation)
    if not turns:
        raise click.ClickException(f"no conversation {conversation!r} in this bot's store")
    if as_json:
        for turn in turns:
            click.echo(_json_line(_turn_data(turn, ratings)))
        return
    _print_turns(turns, ratings)


def _json_line(data: dict[str, Any]) -> str:
    """One line of ``--json``: Chinese as typed, as ``report --json`` and ``export`` write it,
    so that ``grep 退货`` finds it (JSON still escapes the line breaks and control codes). On
    a terminal, what it would act on or not show (a bidi override, a zero-width space, a line
    separator) is written as JSON escapes too (terminal.py); piped, the line is as stored."""
    line = json.dumps(data, ensure_ascii=False)
    return printable_json(line) if on_terminal() else line


def _turn_data(turn: TurnRecord, ratings: Mapping[int, Rating]) -> dict[str, Any]:
    """A turn as ``--json`` gives it: as stored, with the customer's rating of it (or null)."""
    rating = ratings.get(turn.number)
    return turn.as_data() | {"rating": None if rating is None else _rating_data(rating)}


def _rating_data(rating: Rating) -> dict[str, Any]:
    return {"helpful": rating.helpful, "comment": rating.comment, "at": stamp(rating.at)}


def _print_turns(turns: list[TurnRecord], ratings: Mapping[int, Rating]) -> None:
    """A conversation for the terminal: each turn's header, texts, rating and events."""
    for turn in turns:
        score = f" ({turn.score:.2f})" if turn.score is not None else ""
        intent = f" {turn.intent}{score}" if turn.intent else ""
        action = f"{turn.action} ({turn.fallback})" if turn.fallback else turn.action
        click.echo(f"#{turn.number} {turn.at:%Y-%m-%d %H:%M:%S} UTC  {action}{intent}")
        click.echo(f"  customer: {_indented(turn.customer_text)}")
        click.echo(f"  bot:      {_indented(turn.reply_text)}")
        if (rating := ratings.get(turn.number)) is not None:
            said = f": {_indented(rating.comment)}" if rating.comment else ""
            click.echo(f"  rated:    {'helpful' if rating.helpful else 'not helpful'}{said}")
        for event in turn.events:
            if event.detector == "caller":
                kept = "the part shown is kept" if turn.reply_text else "nothing had been shown"
                click.echo(f"  model:    stopped by the caller; {kept}")
                continue
            if event.stage == "model":  # the call failed, and the turn fell back
                click.echo(f"  model:    failed ({event.kind}), {event.action}")
                continue
            shown = f"{event.stage} {event.detector} {event.kind} {event.action}"
            placeholder = f" {event.placeholder}" if event.placeholder else ""
            click.echo(f"  filter:   {shown}{placeholder}")


def _list_conversations(bot_path: Path, days: int, only: tuple[bool, bool], as_json: bool) -> None:
    """Each conversation with a turn in the last ``days`` days, newest last turn first: an
    operator's way in to ``history ID`` without the application's logs. ``only``: keep
    those with a failed model call, those with an answer rated not helpful (the worst
    first: the weekly review's way to the conversations customers were unhappy with)."""
    failed, not_helpful = only
    since = now() - timedelta(days=days)
    with _store(bot_path, create=False) as store:
        recent = _summaries(store.turns_since(since), store.ratings_since(since))
    shown = [s for s in recent if (s.failed or not failed) and (s.not_helpful or not not_helpful)]
    if not_helpful:  # stable: newest first among as many
        shown.sort(key=lambda s: s.not_helpful, reverse=True)
    if as_json:
        for summary in shown:
            click.echo(_json_line(summary.as_data()))
        return
    if not shown:
        which = " and ".join(
            ["with a failed model call"] * failed
            + ["with an answer rated not helpful"] * not_helpful
        )
        click.echo(f"no conversation {which + ' ' if which else ''}in {last_days(days)}")
        return
    _print_summaries(shown)


def _print_summaries(shown: list[_Summary], notes: Mapping[str, str] | None = None) -> None:
    """One line per conversation; ``notes``: text to end a conversation's line with, by id."""
    for summary in shown:
        actions = ", ".join(f"{action} {n}" for action, n in sorted(summary.actions.items()))
        failures = f"; model failed {summary.failed}" if summary.failed else ""
        if summary.rated:
            failures += f"; rated {summary.rated}, not helpful {summary.not_helpful}"
        note = (notes or {}).get(summary.conversation_id, "")
        click.echo(
            f"{printable(summary.conversation_id)}  {summary.last:%Y-%m-%d %H:%M:%S} UTC  "
            f"{summary.turns} turn{'s' * (summary.turns != 1)} ({actions}{failures}){note}"
        )


def _list_holding(bot_path: Path, values: tuple[str, ...], as_json: bool) -> None:
    """The conversations holding any of ``values``, listed as recent ones are, with what
    stands for the values in each; with ``as_json``, their turns as stored (an access
    request's export), and on standard error which placeholders are the customer's."""
    with _store(bot_path, create=False) as store:
        holding = conversations_holding(store, values)
        turns = [turn for found in holding for turn in store.history(found.conversation_id)]
        ratings = {found.conversation_id: store.ratings(found.conversation_id) for found in holding}
        say_keyed_otherwise(store, values)
    if not holding:
        click.echo(nothing_holds(values), err=as_json)
        return
    if as_json:  # an access request's export: the customers' ratings too
        for turn in turns:
            click.echo(_json_line(_turn_data(turn, ratings[turn.conversation_id])))
        click.echo(
            f"the customer's values are shown as the store keeps them: {placeholders(holding)}",
            err=True,
        )
        return
    notes = {found.conversation_id: f"  {standing_for(found)}" for found in holding}
    _print_summaries(_summaries(turns), notes)
    stored = {turn.conversation_id for turn in turns}
    for cid in (found.conversation_id for found in holding if found.conversation_id not in stored):
        click.echo(f"{printable(cid)}  no turn stored{notes[cid]}")


@dataclass
class _Summary:
    """One conversation's turns in the listed days, counted."""

    conversation_id: str
    last: datetime
    turns: int = 0
    failed: int = 0  # turns whose model call failed (not those a caller stopped)
    actions: Counter[str] = field(default_factory=Counter)
    rated: int = 0  # of these turns, those the customer rated
    not_helpful: int = 0  # of those, the ones rated not helpful

    def as_data(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "last_at": stamp(self.last),
            "turns": self.turns,
            "failed_model_calls": self.failed,
            "actions": dict(sorted(self.actions.items())),
            "rated": self.rated,
            "not_helpful": self.not_helpful,
        }


def _summaries(turns: Iterable[TurnRecord], ratings: Iterable[Rating] = ()) -> list[_Summary]:
    """The turns (oldest first) gathered per conversation, newest last turn first, with the
    ``ratings`` of those turns (a rating of a turn not among them is not counted)."""
    summaries: dict[str, _Summary] = {}
    numbers: set[tuple[str, int]] = set()
    for turn in turns:
        numbers.add((turn.conversation_id, turn.number))
        summary = summaries.setdefault(
            turn.conversation_id, _Summary(turn.conversation_id, turn.at)
        )
        summary.last = max(summary.last, turn.at)
        summary.turns += 1
        summary.actions[turn.action] += 1
        summary.failed += any(e.stage == "model" and e.detector != "caller" for e in turn.events)
    for rating in ratings:
        if (rating.conversation_id, rating.turn) in numbers:
            summaries[rating.conversation_id].rated += 1
            summaries[rating.conversation_id].not_helpful += not rating.helpful
    return sorted(summaries.values(), key=lambda s: s.last, reverse=True)


def _indented(text: str) -> str:
    """Stored text for the terminal, its later lines under its first."""
    return printable(text).replace("\n", "\n            ")


@click.command()
@click.option(
    "--older-than", "days", type=click.IntRange(0, 36_500), help="Days since the last turn."
)
@click.option("--conversation", help="One conversation, such as a customer's erasure request.")
@holding_option(
    "Every conversation where the customer typed VALUE (an email, a phone number; repeat for "
    "several): a customer's erasure request. Lists them and asks first."
)
@click.option(
    "-y",
    "--yes",
    is_flag=True,
    help="Do not ask before --older-than 0 removes everything, or --holding what it found.",
)
@bot_option
def purge(
    days: int | None, conversation: str | None, values: tuple[str, ...], yes: bool, bot_path: Path
) -> None:
    """Delete old conversations (default: older than store.retention_days), one conversation,
    or those holding a customer's value, and say what was removed. --older-than 0 removes
    every conversation: it asks first."""
    if (days is not None) + (conversation is not None) + bool(values) > 1:
        raise click.UsageError(
            "give one of --older-than DAYS, --conversation ID and --holding VALUE, not both"
        )
    spec = load_settings(bot_path)
    if values:
        _purge_holding(bot_path, spec, values, yes)
        return
    if days is None and conversation is None:
        days = spec.settings.store.retention_days
        if days is None:
            raise click.UsageError("no retention_days in servicebot.yaml: give --older-than DAYS")
    if days == 0 and not yes:
        click.confirm("--older-than 0 removes every stored conversation. Go on?", abort=True)
    with _store(bot_path, spec, purging=True) as store:
        if conversation is not None:
            report = store.purge_conversation(conversation)
        else:
            report = store.purge_older_than(now() - timedelta(days=days or 0))
    if conversation is not None and not (report.turns or report.conversations):  # still a success
        click.echo(f"no conversation {conversation!r} in this bot's store: nothing to remove")
        return
    click.echo(str(report))


def _purge_holding(bot_path: Path, spec: BotSpec, values: tuple[str, ...], yes: bool) -> None:
    """Remove every conversation holding any of ``values`` (asking first, unless ``yes``)
    and say what was removed, naming them: the record of an erasure request."""
    with _store(bot_path, spec) as store:
        ids = [found.conversation_id for found in conversations_holding(store, values)]
        say_keyed_otherwise(store, values)
        if not ids:
            click.echo(f"{nothing_holds(values)}: nothing to remove")
            return
        named = ", ".join(map(printable, ids))
        if not yes:
            click.confirm(
                f"Remove {len(ids)} conversation(s) holding {values_named(values)}: {named}?",
                abort=True,
            )
        reports = [store.purge_conversation(conversation_id) for conversation_id in ids]
    removed = PurgeReport(sum(r.conversations for r in reports), sum(r.turns for r in reports))
    click.echo(f"{removed} ({named})")


@contextmanager
def _store(
    bot_path: Path, spec: BotSpec | None = None, create: bool = True, purging: bool = False
) -> Iterator[Store]:
    """The bot's conversation store, closed afterwards; store failures become CLI errors. An
    operator's command waits longer for a SQLite lock than a turn does, and all but
    ``purge`` (``purging``) see a SQLite file rid of what is past retention (open_bot_store)."""
    try:
        settings = spec or load_settings(bot_path)
        store = open_bot_store(settings, create=create, patient=True, purging=purging)
        try:
            yield store
        finally:
            store.close()
    except ServicebotError as exc:
        raise click.ClickException(str(exc)) from exc
