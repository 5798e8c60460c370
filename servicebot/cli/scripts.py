"""``servicebot test`` and ``servicebot record``: the bot's scripted conversations, run
against their recordings or recorded anew, and the results printed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from ..config import SETTINGS_FILE, BotSpec
from ..errors import ConfigError, Problem, ServicebotError
from ..terminal import printable
from .common import BOT_PATH, bot_folder, load

if TYPE_CHECKING:
    from ..conversations import Conversation, ConversationResult
    from ..conversations.files import Via
    from ..model import OpenAIClient

_T = TypeVar("_T")  # what a run of each conversation gives: its result, or itself
_SCRIPTS_BOT_HELP = (
    "The bot folder (default: the nearest one at the first PATH or above it; with no PATH, "
    "the nearest here or above)."
)


@click.command("test")
@click.argument("paths", metavar="[PATH]...", nargs=-1, type=click.Path(path_type=Path))
@click.option("--bot", "bot_path", type=BOT_PATH, help=_SCRIPTS_BOT_HELP)
@click.option(
    "--via",
    "ways",
    metavar="WAYS",
    multiple=True,
    callback=lambda _ctx, _param, values: _ways(values),
    help="Also run every conversation through these Bot methods, besides the ones its own "
    "via: names: a comma-separated list of reply, stream, areply and astream, or all.",
)
def test_conversations(
    paths: tuple[Path, ...], bot_path: Path | None, ways: tuple[Via, ...]
) -> None:
    """Run the conversations in each PATH (a folder or one file; default, or PATH the bot
    folder: the bot's tests/conversations) against the recorded model replies; exit 1 if any
    fails."""
    from ..conversations import run_conversation

    spec, conversations, unreadable = _conversations(bot_path, paths, keep_going=True)
    results = _run_conversations(
        conversations, lambda c: run_conversation(spec, c, also=ways), "testing"
    )
    _print_results(results, unreadable)


def _ways(values: Sequence[str]) -> tuple[Via, ...]:
    """The ways ``--via`` names (the option given once or more), as the pytest plugin's
    ``--servicebot-via`` reads them: see :func:`~servicebot.conversations.files.named_ways`."""
    from ..conversations.files import named_ways

    try:
        return named_ways(values)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@click.argument("paths", metavar="[PATH]...", nargs=-1, type=click.Path(path_type=Path))
@click.option("--bot", "bot_path", type=BOT_PATH, help=_SCRIPTS_BOT_HELP)
@click.option("-y", "--yes", is_flag=True, help="Call the model without asking first.")
@click.option(
    "--by-hand",
    is_flag=True,
    help="Call no model: record each turn's model_reply (or model_error) as its answer. If "
    "any conversation cannot be recorded so, no cassette is written.",
)
@click.option(
    "--only-stale",
    is_flag=True,
    help="Record only the replies whose recording is stale or missing (a request that "
    "`servicebot test` finds no recording for, or a recorded outage the turn no longer "
    "scripts), in the conversations that have one; keep every recording that still "
    "matches as it is, one written by hand too, and leave the other cassettes untouched.",
)
def record(
    paths: tuple[Path, ...], bot_path: Path | None, yes: bool, by_hand: bool, only_stale: bool
) -> None:
    """Record the model's replies to the conversations in each PATH (default, or PATH the bot
    folder: the bot's tests/conversations), replacing each conversation's cassette in the bot's
    replay.cassettes folder. A turn with a model_error is recorded as that outage; if the
    model fails, recording stops and the cassettes left are unchanged."""
    from ..conversations import HandRecording, run_conversation

    spec, conversations, _ = _conversations(bot_path, paths)
    if spec.settings.model.name is None:  # before any cassette is touched
        raise click.ClickException(
            f"{spec.root / SETTINGS_FILE}: no model to record for: with no model.name the bot "
            "answers from the FAQ alone, and `servicebot test` runs its conversations that way "
            "with no recordings; set model.name to record the model's replies"
        )
    if only_stale and not (conversations := _stale(spec, conversations)):
        return
    if by_hand:  # all or nothing: see HandRecording
        with HandRecording(spec, keep=only_stale) as recording:
            results = _run_conversations(conversations, recording.record, "writing")
            try:
                recording.save()
            except ServicebotError as exc:
                raise click.ClickException(str(exc)) from None
    else:
        model = _live_model(spec, conversations, yes, only_stale)
        try:
            results = _run_conversations(
                conversations,
                lambda c: run_conversation(spec, c, "record", model, keep=only_stale),
                "recording",
            )
        finally:
            model.close()
    click.echo(f"recorded into {spec.root / spec.settings.replay.cassettes}")
    _print_results(results)


def _conversations(
    bot_path: Path | None, paths: Sequence[Path], *, keep_going: bool = False
) -> tuple[BotSpec, list[Conversation], list[Problem]]:
    """The bot (the first path's, unless ``bot_path``), its conversations at ``paths``, and
    the mistakes in the files that could not be read: with ``keep_going`` the others run;
    otherwise nothing does."""
    from ..conversations import CONVERSATIONS_FOLDER, read_conversations

    spec = load(bot_folder(bot_path, paths[0] if paths else Path(".")))
    folders = [_scripts_folder(spec, path) for path in paths]
    folders = folders or [spec.root / CONVERSATIONS_FOLDER]
    try:
        conversations, problems = read_conversations(*folders)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if problems and not keep_going:
        raise click.ClickException(str(ConfigError(problems)))
    if not conversations and not problems:
        where = ", ".join(map(str, folders))
        raise click.ClickException(f"no conversations (*.yaml) in {where}; write one first")
    return spec, conversations, problems


def _scripts_folder(spec: BotSpec, path: Path) -> Path:
    """Where the scripts at ``path`` are: the bot's own conversations folder when ``path``
    holds it (the bot folder, as ``servicebot check mybot`` is typed, or its ``tests``),
    whose other YAML files are its settings, FAQ and recordings, none of them a script;
    else ``path`` itself. Named from ``path``, as the files' messages then name them."""
    from ..conversations import CONVERSATIONS_FOLDER

    own = (spec.root / CONVERSATIONS_FOLDER).resolve()
    if not path.is_dir() or path.resolve() not in own.parents:
        return path
    return path / own.relative_to(path.resolve())


def _stale(spec: BotSpec, conversations: list[Conversation]) -> list[Conversation]:
    """The ``conversations`` with a recording stale or missing, after saying how many of
    them match, whose cassettes ``--only-stale`` leaves untouched."""
    from ..conversations import needs_recording

    stale = _run_conversations(
        conversations, lambda c: c if needs_recording(spec, c) else None, "comparing"
    )
    matching = _count(len(conversations) - len(stale), "conversation")
    if not stale:
        click.echo(f"the recordings of every one of {matching} match: nothing to record")
    elif len(stale) < len(conversations):
        click.echo(f"{matching} whose recordings match: left as they are")
    return stale


def _live_model(
    spec: BotSpec, conversations: list[Conversation], yes: bool, only_stale: bool = False
) -> OpenAIClient:
    """The bot's model, after saying what recording will cost and asking (unless ``yes``);
    with ``only_stale``, the recordings kept need no warning (see _warn_of_hand_written)."""
    from ..model import OpenAIClient

    settings, settings_file = spec.settings.model, spec.root / SETTINGS_FILE
    client = OpenAIClient(settings, settings_file)
    try:
        client.api_key()
    except ConfigError as exc:  # its advice to remove model.name would leave nothing to record
        raise click.ClickException(
            f"{exc}\nWith no model to call, `servicebot record --by-hand` writes each turn's "
            "model_reply from the scripts as its recording."
        ) from None
    calls = sum(len(conversation.turns) for conversation in conversations)
    click.echo(f"model: {settings.name} at {settings.base_url or 'https://api.openai.com/v1'}")
    click.echo(
        f"up to {_count(calls, 'model call')} ({_count(calls, 'customer turn')} in "
        f"{_count(len(conversations), 'conversation')}); their cassettes are replaced"
        + (", keeping each recording that still matches" if only_stale else "")
    )
    if not only_stale:
        _warn_of_hand_written(spec, conversations)
    if not yes:
        click.confirm("Record now?", abort=True)
    return client


def _warn_of_hand_written(spec: BotSpec, conversations: list[Conversation]) -> None:
    """Say which cassettes hold answers written by hand, which a live recording replaces: the
    scripts that expect those answers may fail on the model's."""
    from ..conversations.recording import hand_written

    found = [conversation.name for conversation in hand_written(spec, conversations)]
    if not found:
        return
    listed = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
    click.echo(
        f"warning: {len(found)} of these cassettes {'holds' if len(found) == 1 else 'hold'} "
        f"answers written by hand ({listed}): recording replaces them with the model's "
        "answers; to keep them, record only the scripts you changed (servicebot record PATH), "
        "or write them again with --by-hand"
    )


def _run_conversations(
    conversations: list[Conversation], run: Callable[[Conversation], _T | None], label: str
) -> list[_T]:
    """Each conversation in turn, with a progress bar on stderr; the results of those that
    ``run`` did not set aside (None)."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    results = []
    with Progress(console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task(label, total=len(conversations))
        for conversation in conversations:
            progress.update(task, description=f"{label} {conversation.name}")
            try:
                result = run(conversation)
            except ServicebotError as exc:
                raise click.ClickException(str(exc)) from None
            if result is not None:
                results.append(result)
            progress.advance(task)
    return results


def _print_results(results: list[ConversationResult], unreadable: Sequence[Problem] = ()) -> None:
    """A table of the conversations, then every failure in full, then the mistakes in the
    files that could not be read; exit 1 if any failed or could not be read."""
    from rich.console import Console
    from rich.table import Table

    table = Table("conversation", "turns", "result", "first failure", box=None)
    table.columns[0].no_wrap = True
    for result in results:
        ran, total = len(result.replies), len(result.conversation.turns)
        turns = str(total) if ran == total else f"{ran} of {total} run"  # it stopped early
        first = printable(result.failures[0].summary()) if result.failures else ""
        table.add_row(
            result.conversation.name, turns, "passed" if result.passed else "FAILED", first
        )
    not_read: dict[Path, list[Problem]] = {}
    for problem in unreadable:
        not_read.setdefault(problem.path, []).append(problem)
    for path, problems in not_read.items():
        table.add_row(path.stem, "-", "NOT RUN", printable(problems[0].message))
    Console(markup=False, emoji=False, highlight=False).print(table)
    failed = [result for result in results if not result.passed]
    for result in failed:
        click.echo(f"\nFAILED {result.conversation.path}")
        for failure in result.failures:
            click.echo(printable(str(failure)))
    for problems in not_read.values():
        click.echo(f"\nNOT RUN: {ConfigError(problems)}")
    passed, files = len(results) - len(failed), len(not_read)
    counts = [f"{len(failed)} failed"] if failed else []
    counts += [f"{_count(files, 'file')} not read"] if unreadable else []
    click.echo(f"\n{', '.join([*counts, f'{passed} passed'])}")
    if failed or unreadable:
        raise SystemExit(1)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
