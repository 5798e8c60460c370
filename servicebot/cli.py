"""The ``servicebot`` command: argument parsing and output only; the work happens elsewhere.

This is the one place that turns :class:`~servicebot.errors.ServicebotError` into exit codes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from importlib import resources
from pathlib import Path

import click

from . import __version__
from .config import FAQ_FOLDER, SETTINGS_FILE, TEMPLATES_FOLDER, BotSpec, load_bot
from .errors import ConfigError, ServicebotError
from .store import Store, now, open_bot_store
from .usage import usage_by

_BOT_PATH = click.Path(file_okay=False, path_type=Path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="servicebot")
def main() -> None:
    """Customer-service bots kept in YAML and Jinja, on any OpenAI-compatible model."""


@main.command()
@click.argument("path", type=_BOT_PATH, default=".")
def check(path: Path) -> None:
    """Validate the bot folder PATH and list every mistake as file:line:column."""
    try:
        spec = load_bot(path)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{exc.total} problem{'s' if exc.total > 1 else ''} in {path}", err=True)
        raise SystemExit(1) from None
    click.echo(f"ok: {spec.summary()}")


@main.command()
@click.argument("conversation")
@click.option("--bot", "bot_path", type=_BOT_PATH, default=".", help="The bot folder.")
def history(conversation: str, bot_path: Path) -> None:
    """Print CONVERSATION turn by turn: actions, intents and filter events."""
    with _store(bot_path, create=False) as store:
        turns = store.history(conversation)
    if not turns:
        raise click.ClickException(f"no conversation {conversation!r} in this bot's store")
    for turn in turns:
        score = f" ({turn.score:.2f})" if turn.score is not None else ""
        intent = f" {turn.intent}{score}" if turn.intent else ""
        click.echo(f"#{turn.number} {turn.at:%Y-%m-%d %H:%M:%S} UTC  {turn.action}{intent}")
        click.echo(f"  customer: {turn.customer_text}")
        click.echo(f"  bot:      {turn.reply_text}")
        for event in turn.events:
            shown = " ".join(str(event.get(key)) for key in ("stage", "detector", "kind", "action"))
            placeholder = f" {event['placeholder']}" if event.get("placeholder") else ""
            click.echo(f"  filter:   {shown}{placeholder}")


@main.command()
@click.option(
    "--older-than", "days", type=click.IntRange(0, 36_500), help="Days since the last turn."
)
@click.option("--conversation", help="One conversation, such as a customer's erasure request.")
@click.option("--bot", "bot_path", type=_BOT_PATH, default=".", help="The bot folder.")
def purge(days: int | None, conversation: str | None, bot_path: Path) -> None:
    """Delete old conversations (default: older than store.retention_days), or one conversation,
    and say what was removed."""
    if days is not None and conversation is not None:
        raise click.UsageError("give one of --older-than DAYS and --conversation ID, not both")
    spec = _load(bot_path)
    if days is None and conversation is None:
        days = spec.settings.store.retention_days
        if days is None:
            raise click.UsageError("no retention_days in servicebot.yaml: give --older-than DAYS")
    with _store(bot_path, spec) as store:
        if conversation is not None:
            report = store.purge_conversation(conversation)
        else:
            report = store.purge_older_than(now() - timedelta(days=days or 0))
    click.echo(str(report))


@main.command()
@click.option("--days", type=click.IntRange(1, 36_500), default=30, show_default=True)
@click.option("--bot", "bot_path", type=_BOT_PATH, default=".", help="The bot folder.")
def usage(days: int, bot_path: Path) -> None:
    """Turns, tokens and estimated cost per day and per conversation."""
    spec = _load(bot_path)
    with _store(bot_path, spec, create=False) as store:
        by_day, by_conversation = usage_by(
            store.turns_since(now() - timedelta(days=days)), spec.settings.prices
        )
    if not by_day:
        click.echo(f"no turns stored in the last {days} days")
        return
    for title, rows in (("day", by_day), ("conversation", by_conversation)):
        click.echo(
            f"{title:<24} {'turns':>7} {'tokens in':>11} {'tokens out':>11} {'cost (USD)':>11}"
        )
        for key, totals in rows.items():
            click.echo(
                f"{key:<24} {totals.turns:>7} {totals.tokens_in:>11,} {totals.tokens_out:>11,}"
                f" {totals.cost:>11.4f}"
            )
        click.echo("")
    unpriced = sorted(set().union(*(u.unpriced_models for u in by_day.values())))
    if unpriced:
        click.echo(f"no price in servicebot.yaml for: {', '.join(unpriced)} (counted as 0)")


@main.command()
@click.argument("directory", type=_BOT_PATH)
def init(directory: Path) -> None:
    """Create a new bot folder DIRECTORY from the example store bot."""
    if directory.exists() and any(directory.iterdir()):
        raise click.ClickException(f"{directory} is not empty; choose a new folder")
    example = _example_bot()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        shutil.copy2(example / SETTINGS_FILE, directory / SETTINGS_FILE)
        for folder in (FAQ_FOLDER, TEMPLATES_FOLDER):
            shutil.copytree(example / folder, directory / folder)
    except OSError as exc:
        raise click.ClickException(f"cannot create {directory}: {exc.strerror or exc}") from exc
    click.echo(f"Created {directory}, a copy of the example store bot:")
    click.echo(f"  ok: {load_bot(directory).summary()}")
    click.echo("Make it yours: set name and contact in servicebot.yaml, rewrite faq/*.yaml and")
    click.echo("the store details in templates/*.j2, then run after each edit:")
    click.echo(f"  servicebot check {directory}")


def _example_bot() -> Path:
    """The example bot: packaged inside the wheel, or the repository root in a checkout."""
    packaged = Path(str(resources.files("servicebot"))) / "example"
    if (packaged / SETTINGS_FILE).is_file():
        return packaged
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / SETTINGS_FILE).is_file():
        return checkout
    raise click.ClickException("the example bot is missing from this installation; reinstall")


def _load(bot_path: Path) -> BotSpec:
    try:
        return load_bot(bot_path)
    except ConfigError as exc:
        raise click.ClickException(f"fix the bot folder first:\n{exc}") from exc


@contextmanager
def _store(bot_path: Path, spec: BotSpec | None = None, create: bool = True) -> Iterator[Store]:
    """The bot's conversation store, closed afterwards; store failures become CLI errors."""
    try:
        store = open_bot_store(spec or _load(bot_path), create=create)
        try:
            yield store
        finally:
            store.close()
    except ServicebotError as exc:
        raise click.ClickException(str(exc)) from exc
