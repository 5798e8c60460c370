"""The ``servicebot`` command: argument parsing and output only; the work happens elsewhere.

This package is the one place that turns :class:`~servicebot.errors.ServicebotError` into
exit codes. ``eval`` is in ``evaluate.py``, ``render`` in ``rendering.py``, ``test`` and
``record`` in ``scripts.py``, ``history`` and ``purge`` in ``storage.py``, ``usage`` in
``costs.py``, ``report`` and ``export`` in ``review.py``.
"""

from __future__ import annotations

import gc
import io
import os
import shlex
import shutil
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import __version__
from ..config import FAQ_FOLDER, SETTINGS_FILE, TEMPLATES_FOLDER, BotSpec, load_bot
from ..errors import ConfigError, Problem, ServicebotError
from ..exampleshop import set_name, shop_details
from .common import BOT_PATH, bot_option, load, nearest_bot, offline_reason
from .costs import usage
from .evaluate import evaluate_routing
from .rendering import render
from .review import export, report
from .scripts import record, test_conversations
from .storage import history, purge

if TYPE_CHECKING:
    from ..rasaimport import RasaImport


class _Commands(click.Group):
    """The command group, turning a path the system refuses (a name too long, a folder that
    cannot be read) into an error naming it, wherever it is met: in click's own checks of an
    argument, or in the command. A pipe closed by ``head`` is left to Python as before."""

    def main(self, args: Sequence[str] | None = None, *more: Any, **options: Any) -> Any:
        """Run the command line; when it is this process's own (``args`` read from
        ``sys.argv``: the ``servicebot`` script, ``python -m servicebot``), first move what
        loading the package made (modules, classes, compiled patterns: kept to the end) out
        of the collector's reach. A collection then scans only what the command makes: this
        took `servicebot check` on the example bot from 0.52 s to 0.49 s of CPU. A
        collection here finds nothing to free, so nothing is kept that would be. A caller
        that passes ``args`` (``CliRunner``, an application) owns the process: left alone."""
        if args is None:
            gc.freeze()
        return super().main(args, *more, **options)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise click.ClickException(_refused(exc)) from exc


def _refused(error: OSError) -> str:
    """'PATH: reason', with a path longer than a line shortened in the middle."""
    name = os.fsdecode(error.filename) if error.filename is not None else ""
    if len(name) > 120:
        name = f"{name[:60]}...{name[-40:]} ({len(name):,} characters)"
    reason = error.strerror or str(error)
    return f"{name}: {reason}" if name else reason


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="servicebot")
def main() -> None:
    """Customer-service bots kept in YAML and Jinja, on any OpenAI-compatible model."""
    # A terminal or pipe that cannot take every character (cp1252, ASCII) gets a stand-in
    # instead of a UnicodeError traceback: Chinese text, and the lines render draws.
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")


main.add_command(evaluate_routing)
main.add_command(test_conversations)
main.add_command(record)
main.add_command(history)
main.add_command(purge)
main.add_command(usage)
main.add_command(report)
main.add_command(export)
main.add_command(render)


@main.command()
@click.argument("path", type=BOT_PATH, required=False, callback=nearest_bot)
def check(path: Path) -> None:
    """Validate the bot folder PATH (default: the nearest one here or above) and list every
    mistake as file:line:column."""
    from ..budgetchecks import budget_warnings
    from ..checks import check_bot, facts_warnings, replay_warnings
    from ..conversations.scriptchecks import script_warnings
    from ..faqwarnings import (
        faq_file_warnings,
        few_shot_warnings,
        handoff_warnings,
        language_warnings,
        threshold_warnings,
    )
    from ..modelchecks import reasoning_warnings, token_count_warnings
    from ..storechecks import (
        pii_key_warnings,
        recording_warnings,
        retention_warnings,
        sqlite_mode_warnings,
        store_warnings,
    )
    from ..wordwarnings import number_warnings, own_text_warnings

    warnings = [f"warning: {found}" for found in faq_file_warnings(path)]
    try:
        spec, renderer = check_bot(path)
        # Before "ok": a template that fails only while a warning is looked for (with a long
        # answer as its fact) is a problem too, reported as one, never a traceback.
        later = [
            *threshold_warnings(spec),
            *budget_warnings(spec, renderer),
            *facts_warnings(spec, renderer),
            *language_warnings(spec),
            *handoff_warnings(spec),
            *few_shot_warnings(spec),
            *number_warnings(spec),
            *own_text_warnings(spec),
            *replay_warnings(spec),
            *store_warnings(spec),
            *recording_warnings(spec),
            *pii_key_warnings(spec),
            *retention_warnings(spec),
            *sqlite_mode_warnings(spec),
            *token_count_warnings(spec),
            *reasoning_warnings(spec),
            *script_warnings(spec),
        ]
    except ConfigError as exc:
        for problem_or_warning in [*map(str, exc.problems), *warnings]:
            click.echo(problem_or_warning, err=True)
        count = f"{exc.total} problem{'s' if exc.total > 1 else ''}"
        click.echo(f"{count} in {_named(path)}", err=True)
        raise SystemExit(1) from None
    click.echo(f"ok: {spec.summary()}")
    warnings += [f"warning: {found}" for found in later]
    warnings += [key] if (key := _model_key_warning(spec)) else []
    for warning in warnings:
        click.echo(warning, err=True)
    if len(warnings) > 1:  # last, as the problems' count is: "ok" is far above a long list
        click.echo(f"{len(warnings)} warnings in {_named(path)}", err=True)


def _named(folder: Path) -> Path:
    """``folder`` as given, unless that names no folder (``.``, ``..``): then its full path.
    "1 problem in ." said nothing to an operator who ran check in the bot folder."""
    return folder.resolve() if folder.name in ("", "..") else folder


def _model_key_warning(spec: BotSpec) -> str | None:
    """A configured model whose API key is not set: replies would raise ConfigError."""
    model = spec.settings.model
    if model.name is None or offline_reason(spec) is None:
        return None
    return (
        f"warning: {spec.root / SETTINGS_FILE}: model {model.name} is configured but "
        f"{model.api_key_env} is not set: Bot.reply() raises ConfigError and "
        "`servicebot chat` answers from the FAQ alone until it is"
    )


@main.command()
@bot_option
@click.option("--trace", is_flag=True, help="Show every stage's decision and time.")
@click.option(
    "--conversation",
    "conversation_id",
    callback=lambda _context, _option, value: _valid_id(value),
    help="Continue a stored conversation (or start one under this id).",
)
def chat(bot_path: Path, trace: bool, conversation_id: str | None) -> None:
    """Chat with the bot in the terminal, or answer the lines piped into it.

    With no model configured, or its API key not set, the bot answers from the FAQ alone:
    the best intent's answer as written when routing is sure of it (direct_threshold and
    direct_margin; shown as direct, whether or not the intent is direct: true), and a handoff or
    out-of-scope reply otherwise.

    With replay.mode: replay in servicebot.yaml, the model's answers come from the bot's
    recorded replies (<replay.cassettes>/bot.yaml) and no API key is needed; a message with no
    recorded reply is said as an error on standard error, unanswered, and the chat goes on to
    the next one, the command then exiting with status 1. With replay.mode: record, the
    model's answers are written there. The first line says which, and the file.

    A key, account or model the server refuses is said on standard error; the chat goes on
    from the FAQ alone, and the command then exits with status 1.
    """
    from ..chat import run_chat

    spec = load(bot_path)
    offline = offline_reason(spec)
    try:
        end = run_chat(spec, offline, trace, conversation_id)
    except ServicebotError as exc:
        raise click.ClickException(str(exc)) from exc
    # Each was said as it happened; a script piping lines in learns it here, from the status.
    failed = []
    if end.went_offline:
        failed.append("the model could not be used (see above): the FAQ answered after it")
    if end.misses:
        were = "message was" if end.misses == 1 else "messages were"
        failed.append(f"{end.misses} {were} not answered: no recorded reply to replay")
    if failed:
        raise click.ClickException("; ".join(failed))


def _valid_id(conversation_id: str | None) -> str | None:
    """The id ``--conversation`` names, refused as ``Bot.reply`` would refuse it, before
    the store is read."""
    from ..turnstart import conversation_id_problem

    if conversation_id is not None and not conversation_id.strip():
        raise click.BadParameter("is blank: leave it out to start a new conversation")
    if conversation_id and (problem := conversation_id_problem(conversation_id)):
        raise click.BadParameter(problem)
    return conversation_id


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--from-rasa",
    "rasa",
    type=click.Path(exists=True, path_type=Path),
    help="A Rasa 3 project folder: its intents and answers become faq/rasa.yaml "
    "(in place of the example's FAQ and conversations), and what could not be "
    "converted is listed.",
)
def init(directory: Path, rasa: Path | None) -> None:
    """Create a new bot folder DIRECTORY from the example store bot, or, with --from-rasa,
    from a Rasa 3 project's intents and answers."""
    if directory.exists() and any(directory.iterdir()):
        raise click.ClickException(f"{directory} is not empty; choose a new folder")
    converted = _rasa_import(rasa) if rasa else None
    example = _example_bot()
    named, details = None, []  # with --from-rasa: the name's line; the example shop's lines
    try:
        directory.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(example / SETTINGS_FILE, directory / SETTINGS_FILE)
        copied = (
            (TEMPLATES_FOLDER,) if converted else (FAQ_FOLDER, TEMPLATES_FOLDER, *_EXAMPLE_TESTS)
        )
        for folder in copied:
            if (example / folder).is_dir():
                _copy_contents(example / folder, directory / folder)
        if converted and rasa:
            _write_faq(directory, converted, rasa)
            named, details = set_name(directory, converted.name), shop_details(directory)
        (directory / ".gitignore").write_text(_GITIGNORE, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot create {directory}: {exc.strerror or exc}") from exc
    if converted:
        _said_converted(directory, converted)
        _said_to_edit(directory, converted, named, details)
    else:
        click.echo(f"Created {directory}, a copy of the example store bot:")
    try:
        spec = load_bot(directory)
    except ConfigError as exc:  # a conversion that missed a rule check applies: say where
        raise click.ClickException(f"{directory} was created but does not load:\n{exc}") from exc
    click.echo(f"  ok: {spec.summary()}")
    if converted:  # the lines to edit are listed above
        click.echo("Make it yours: edit the lines listed above and the rest of faq/rasa.yaml,")
    else:
        click.echo("Make it yours: set name and contact in servicebot.yaml, rewrite faq/*.yaml")
        click.echo("and the store details in templates/*.j2,")
    click.echo("then run after each edit:")
    # To paste as it is: "my bot" would be two arguments, and "-x" an option.
    typed = shlex.quote(f"./{directory}" if str(directory).startswith("-") else str(directory))
    click.echo(f"  servicebot check {typed}")
    if not converted:
        click.echo(f"  servicebot test --bot {typed}   (its conversations in tests/conversations)")
    if unset := _unset_secrets(spec):  # check warns of each; say so before it surprises
        click.echo(f"Where it runs, set {' and '.join(unset)}; `check` warns until then.")


def _rasa_import(project: Path) -> RasaImport:
    """The Rasa project ``project`` converted, its problems as a command's error."""
    from ..rasaimport import import_rasa

    try:
        return import_rasa(project)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _write_faq(directory: Path, converted: RasaImport, project: Path) -> None:
    """Write the intents converted from ``project`` as the new bot's only FAQ file."""
    from ..rasaimport import faq_text

    text = faq_text(converted, project)
    (directory / FAQ_FOLDER).mkdir()
    (directory / FAQ_FOLDER / "rasa.yaml").write_text(text, encoding="utf-8")


def _said_converted(directory: Path, converted: RasaImport) -> None:
    """Say what the import made, and list what it could not convert, each at file:line."""
    handed = sum(1 for intent in converted.intents if intent.get("handoff"))
    click.echo(
        f"Created {directory}: {len(converted.intents)} Rasa intents in faq/rasa.yaml "
        f"({handed} handed to a person), the example's settings and templates."
    )
    if converted.notes:
        count = len(converted.notes)
        click.echo(f"Not converted, or to decide ({count}; carry over by hand what matters):")
        for note in converted.notes:
            click.echo(f"  {note}")


def _said_to_edit(
    directory: Path, converted: RasaImport, named: int | None, details: list[Problem]
) -> None:
    """Say what name the bot was given, and list the copied lines that still describe the
    example shop (see exampleshop), each at file:line with the line under it."""
    if named is not None:
        where = f"{directory / SETTINGS_FILE}:{named}"
        click.echo(f"Named it {converted.name!r}, from {converted.named_from} ({where}).")
    if details:
        click.echo(f"To edit by hand ({len(details)}; the example shop's, in the copied files):")
        for detail in details:
            click.echo("  " + str(detail).replace("\n", "\n  "))


def _unset_secrets(spec: BotSpec) -> list[str]:
    """The environment variables a new bot needs where it runs and that are not set here: its
    model's API key and, for a store that keeps conversations, the placeholders' key."""
    from ..filters.placeholders import KEY_ENV
    from ..storechecks import pii_key_warnings

    key = spec.settings.model.api_key_env
    unset = [key] if key and spec.settings.model.name and not os.environ.get(key) else []
    return unset + ([KEY_ENV] if pii_key_warnings(spec) else [])


_EXAMPLE_TESTS = ("tests/conversations", "tests/replies")  # scripts and their recordings
# The example store keeps conversations (customer text) in the bot folder: never commit them.
_GITIGNORE = "# Conversations and usage the bot stores: customer text, not code.\n.servicebot/\n"


def _copy_contents(source: Path, target: Path) -> None:
    """Copy the folder ``source`` to the new folder ``target``, contents only: a read-only
    installation (Nix, a Docker layer after ``chmod -R a-w``) must not hand its modes and
    install-time dates to a bot folder its owner edits. Folders are made anew and files
    written afresh, so they get the user's umask and the current time, as copy2 and
    copytree's copystat would not."""
    target.mkdir(parents=True)
    for path in sorted(source.iterdir()):
        if path.is_dir():
            _copy_contents(path, target / path.name)
        else:
            shutil.copyfile(path, target / path.name)


def _example_bot() -> Path:
    """The example bot: packaged inside the wheel, or the repository root in a checkout."""
    packaged = Path(str(resources.files("servicebot"))) / "example"
    if (packaged / SETTINGS_FILE).is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[2]  # servicebot/cli/__init__.py -> the root
    if (checkout / SETTINGS_FILE).is_file():
        return checkout
    raise click.ClickException("the example bot is missing from this installation; reinstall")
