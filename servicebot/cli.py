"""The ``servicebot`` command: argument parsing and output only; the work happens elsewhere.

This is the one place that turns :class:`~servicebot.errors.ServicebotError` into exit codes.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import __version__
from .config import FAQ_FOLDER, SETTINGS_FILE, TEMPLATES_FOLDER, BotSpec, load_bot
from .errors import ConfigError, ServicebotError
from .settings import Intent, RoutingSettings
from .store import Store, now, open_bot_store
from .terminal import printable
from .usage import usage_by

if TYPE_CHECKING:  # imported where used: `check` and the others start without numpy or rich
    from rich.console import Console
    from rich.table import Table

    from .budget import Fitted
    from .conversations import Conversation, ConversationResult
    from .evaluation import EvalReport, Labelled
    from .model import OpenAIClient
    from .pipeline import Bot, Prepared

_BOT_PATH = click.Path(file_okay=False, path_type=Path)
_FILE_PATH = click.Path(dir_okay=False, path_type=Path)
_SCRIPTS_BOT_HELP = "The bot folder (default: the one PATH is in, else .)."
_PROGRESS_FROM = 200  # rows: a shorter evaluation needs no progress bar


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="servicebot")
def main() -> None:
    """Customer-service bots kept in YAML and Jinja, on any OpenAI-compatible model."""


@main.command()
@click.argument("path", type=_BOT_PATH, default=".")
def check(path: Path) -> None:
    """Validate the bot folder PATH and list every mistake as file:line:column."""
    from .checks import validate_bot

    try:
        spec = load_bot(path)
        validate_bot(spec)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{exc.total} problem{'s' if exc.total > 1 else ''} in {path}", err=True)
        raise SystemExit(1) from None
    click.echo(f"ok: {spec.summary()}")
    if warning := _model_key_warning(spec):
        click.echo(warning, err=True)


def _model_key_warning(spec: BotSpec) -> str | None:
    """A configured model whose API key is not set: replies would raise ConfigError."""
    model = spec.settings.model
    if model.name is None or _offline_reason(spec) is None:
        return None
    return (
        f"warning: {spec.root / SETTINGS_FILE}: model {model.name} is configured but "
        f"{model.api_key_env} is not set: Bot.reply() raises ConfigError and "
        "`servicebot chat` answers from the FAQ alone until it is"
    )


@main.command()
@click.option("--bot", "bot_path", type=_BOT_PATH, default=".", help="The bot folder.")
@click.option("--trace", is_flag=True, help="Show every stage's decision and time.")
@click.option("--conversation", "conversation_id", help="Continue a stored conversation.")
def chat(bot_path: Path, trace: bool, conversation_id: str | None) -> None:
    """Chat with the bot in the terminal, or answer the lines piped into it.

    With no model configured, or its API key not set, the bot answers from the FAQ alone:
    the best intent's answer as written when it scores at least routing.direct_threshold
    (shown as direct, whether or not the intent is direct: true), and a handoff or
    out-of-scope reply otherwise.
    """
    from .chat import run_chat

    spec = _load(bot_path)
    offline = _offline_reason(spec)
    try:
        run_chat(spec, offline, trace, conversation_id)
    except ServicebotError as exc:
        raise click.ClickException(str(exc)) from exc


def _offline_reason(spec: BotSpec) -> str | None:
    """Why chat answers from the FAQ alone, or None when a model will answer."""
    model = spec.settings.model
    if model.name is None:
        return "no model is configured in servicebot.yaml"
    if not os.environ.get(model.api_key_env, "").strip():
        return f"{model.api_key_env} is not set"
    return None


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
        click.echo(f"  customer: {_indented(turn.customer_text)}")
        click.echo(f"  bot:      {_indented(turn.reply_text)}")
        for event in turn.events:
            shown = " ".join(str(event.get(key)) for key in ("stage", "detector", "kind", "action"))
            placeholder = f" {event['placeholder']}" if event.get("placeholder") else ""
            click.echo(f"  filter:   {shown}{placeholder}")


def _indented(text: str) -> str:
    """Stored text for the terminal, its later lines under its first."""
    return printable(text).replace("\n", "\n            ")


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
    if conversation is not None and not (report.turns or report.conversations):  # still a success
        click.echo(f"no conversation {conversation!r} in this bot's store: nothing to remove")
        return
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
        for folder in (FAQ_FOLDER, TEMPLATES_FOLDER, *_EXAMPLE_TESTS):
            if (example / folder).is_dir():
                shutil.copytree(example / folder, directory / folder)
        (directory / ".gitignore").write_text(_GITIGNORE, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot create {directory}: {exc.strerror or exc}") from exc
    click.echo(f"Created {directory}, a copy of the example store bot:")
    click.echo(f"  ok: {load_bot(directory).summary()}")
    click.echo("Make it yours: set name and contact in servicebot.yaml, rewrite faq/*.yaml and")
    click.echo("the store details in templates/*.j2, then run after each edit:")
    click.echo(f"  servicebot check {directory}")
    click.echo(f"  servicebot test --bot {directory}   (its conversations in tests/conversations)")


@main.command("eval")
@click.argument("file", type=_FILE_PATH)
@click.option("--bot", "bot_path", type=_BOT_PATH, help="The bot folder to evaluate (default: .).")
@click.option("--train", type=_FILE_PATH, help="Build the intents from this labelled file instead.")
@click.option(
    "--min-score",
    type=click.FloatRange(0, 1),
    help="Below this score a message is out of scope (default: the bot's, or 0.2 with --train).",
)
@click.option(
    "-k",
    "--top-k",
    "k",
    type=click.IntRange(1),
    default=3,
    show_default=True,
    help="Recall@k: the right intent is among the first k.",
)
@click.option(
    "--errors",
    type=click.IntRange(0),
    default=0,
    metavar="N",
    help="List up to N misrouted messages, most confident first.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def evaluate_routing(
    file: Path,
    bot_path: Path | None,
    train: Path | None,
    min_score: float | None,
    k: int,
    errors: int,
    as_json: bool,
) -> None:
    """Measure routing on FILE, a labelled CSV or JSON Lines file (text, intent).

    An empty intent or out_of_scope marks a message no intent should claim.
    """
    from .evaluation import read_labelled

    if bot_path is not None and train is not None:
        raise click.UsageError("give one of --bot and --train, not both")
    try:
        rows = read_labelled(file)
        intents, settings, languages = _eval_target(bot_path, train)
    except ServicebotError as exc:
        raise click.ClickException(str(exc)) from exc
    if min_score is not None:
        settings = settings.model_copy(update={"min_score": min_score})
    report = _evaluate_with_progress(rows, intents, settings, languages, k=k, errors=errors)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        _print_report(report)


def _eval_target(
    bot_path: Path | None, train: Path | None
) -> tuple[tuple[Intent, ...], RoutingSettings, tuple[str, ...]]:
    """The intents, routing settings and languages to evaluate: a bot's, or built from --train."""
    from .evaluation import read_intents

    if train is not None:
        return read_intents(train), RoutingSettings(), ("en",)
    spec = _load(bot_path or Path("."))
    return spec.intents, spec.settings.routing, spec.settings.languages


def _evaluate_with_progress(
    rows: list[Labelled],
    intents: tuple[Intent, ...],
    settings: RoutingSettings,
    languages: tuple[str, ...],
    *,
    k: int,
    errors: int,
) -> EvalReport:
    """evaluate(), with a progress bar on stderr when there are many rows."""
    from rich.console import Console
    from rich.progress import Progress

    from .evaluation import evaluate

    if len(rows) <= _PROGRESS_FROM:
        return evaluate(rows, intents, settings, languages, k=k, errors=errors)
    console = Console(stderr=True)
    with Progress(console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("routing", total=len(rows))
        advance: Callable[[], None] = lambda: progress.advance(task)  # noqa: E731
        return evaluate(rows, intents, settings, languages, k=k, errors=errors, advance=advance)


def _print_report(report: EvalReport) -> None:
    from rich.console import Console

    console = Console(markup=False, emoji=False, highlight=False)
    console.print(_summary(report))
    if report.confused:
        _print_confused(console, report)
    if report.misroutes:
        _print_misroutes(console, report)
    if report.unknown_intents:
        shown = ", ".join(report.unknown_intents[:10])
        more = len(report.unknown_intents) - 10
        console.print(
            f"labels that name no intent (counted wrong): {shown}"
            + (f" and {more} more" if more > 0 else "")
        )


def _summary(report: EvalReport) -> Table:
    from rich.table import Table

    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_row("rows", f"{report.rows:,}")
    table.add_row("intents", f"{report.intents:,} ({report.examples:,} examples)")
    every = "rows" if not report.out_of_scope_rows else "rows, out of scope ones included"
    table.add_row(
        "top-1 accuracy", f"{report.accuracy:.4f} ({report.correct:,} of {report.rows:,} {every})"
    )
    in_scope = report.rows - report.out_of_scope_rows
    table.add_row(
        f"recall@{report.k}",
        f"{report.recall_at_k:.4f} ({report.found_at_k:,} of {in_scope:,} in-scope rows)",
    )
    if report.out_of_scope_rows:
        table.add_row(
            "out of scope",
            f"precision {_figure(report.out_of_scope_precision)}, "
            f"recall {_figure(report.out_of_scope_recall)} "
            f"({report.out_of_scope_rows:,} rows)",
        )
    table.add_row(
        "routing time",
        f"median {report.route_ms_median:.3f} ms, p99 {report.route_ms_p99:.3f} ms per message",
    )
    table.add_row("index build", f"{report.build_seconds:.3f} s")
    return table


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _print_confused(console: Console, report: EvalReport) -> None:
    console.print("most confused, expected -> routed to:")
    width = len(f"{report.confused[0][2]:,}")
    for expected, got, count in report.confused:
        console.print(f"  {count:>{width},}  {expected} -> {got}", overflow="fold")


def _print_misroutes(console: Console, report: EvalReport) -> None:
    """Each misrouted message on its own line, under where it is and what went wrong."""
    console.print("misrouted, most confident first:")
    for miss in report.misroutes:
        console.print(f"  line {miss.line}: {miss.expected} -> {miss.got} ({miss.score:.3f})")
        console.print(f"    {printable(miss.text)}", overflow="fold")


_EXAMPLE_TESTS = ("tests/conversations", "tests/replies")  # scripts and their recordings
# The example store keeps conversations (customer text) in the bot folder: never commit them.
_GITIGNORE = "# Conversations and usage the bot stores: customer text, not code.\n.servicebot/\n"


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


@main.command()
@click.argument("message")
@click.option(
    "--history",
    "history_file",
    type=_FILE_PATH,
    help="Earlier turns: a YAML or JSON list of user/assistant pairs.",
)
@click.option(
    "--customer",
    multiple=True,
    metavar="KEY=VALUE",
    help="Customer metadata for the templates (repeatable).",
)
@click.option("--bot", "bot_path", type=_BOT_PATH, default=".", help="The bot folder.")
def render(
    message: str, history_file: Path | None, customer: tuple[str, ...], bot_path: Path
) -> None:
    """Print the exact messages MESSAGE would send to the model, and their token budget."""
    from rich.console import Console

    from .pipeline import Bot
    from .prompt import read_history

    try:
        bot = Bot(load_bot(bot_path))
        history = read_history(history_file) if history_file else []
        prepared = bot.prepare(message, history, _key_values(customer), itemise=True)
    except ServicebotError as exc:
        raise click.ClickException(str(exc)) from None
    console = Console(highlight=False, soft_wrap=True)
    console.print(_route_line(prepared), markup=False)
    for event in prepared.filtered.events:
        placeholder = f" -> {event.placeholder}" if event.placeholder else ""
        console.print(
            f"pre-filter: {event.detector} {event.kind} {event.action}{placeholder}", markup=False
        )
    if prepared.fitted is None:
        console.print(
            f"\nreply, without a model call:\n{printable(prepared.reply or '')}", markup=False
        )
        return
    for sent in prepared.fitted.messages:
        console.rule(sent.role, align="left")
        console.print(printable(sent.content), markup=False)
    console.rule()
    console.print(_budget_table(prepared.fitted))
    console.print(_budget_summary(bot, prepared.fitted), markup=False)


def _key_values(pairs: tuple[str, ...]) -> dict[str, str]:
    found = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--customer")
        found[key] = value
    return found


def _route_line(prepared: Prepared) -> str:
    routing = prepared.routing
    if routing is None:
        return "route: blocked by the pre-filter"
    intents = ", ".join(f"{m.intent.name} {m.score:.2f}" for m in routing.matches) or "none"
    follow_up = " (read with the previous message)" if routing.follow_up else ""
    return f"route: {routing.route}  language: {routing.language}  intents: {intents}{follow_up}"


def _budget_table(fitted: Fitted) -> Table:
    from rich.table import Table

    table = Table("part", "item", "tokens", "sent", box=None)
    for part in fitted.parts:
        tokens = "not counted" if part.tokens is None else str(part.tokens)
        table.add_row(part.kind, part.label, tokens, "yes" if part.kept else "DROPPED")
    return table


def _budget_summary(bot: Bot, fitted: Fitted) -> str:
    from .budget.tokens import REPLY_PRIMING

    budget = bot.spec.settings.budget
    lines = [
        f"budget: {fitted.budget} tokens = min(context_window {budget.context_window} - "
        f"reply_reserve {budget.reply_reserve}, max_prompt_tokens {budget.max_prompt_tokens})",
        f"used: {fitted.used} (with {REPLY_PRIMING} that prime the reply), left: {fitted.left}, "
        f"encoding: {bot.counter.name}",
    ]
    if fitted.dropped:
        dropped = ", ".join(f"{part.kind} {part.label}" for part in fitted.dropped)
        lines.append(f"dropped to fit ({' > '.join(budget.drop_order)} go first): {dropped}")
    if fitted.truncated:
        lines.append("the customer's message was truncated to fit")
    return "\n".join(lines)


# --- scripted conversations: test and record --------------------------------------------------


@main.command("test")
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option("--bot", "bot_path", type=_BOT_PATH, help=_SCRIPTS_BOT_HELP)
def test_conversations(path: Path | None, bot_path: Path | None) -> None:
    """Run the conversations in PATH (a folder or one file; default: the bot's
    tests/conversations) against the recorded model replies; exit 1 if any fails."""
    from .conversations import run_conversation

    spec, conversations = _conversations(bot_path, path)
    results = _run_conversations(conversations, lambda c: run_conversation(spec, c), "testing")
    _print_results(results)


@main.command()
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option("--bot", "bot_path", type=_BOT_PATH, help=_SCRIPTS_BOT_HELP)
@click.option("-y", "--yes", is_flag=True, help="Call the model without asking first.")
@click.option(
    "--by-hand",
    is_flag=True,
    help="Call no model: record each turn's model_reply (or model_error) as its answer.",
)
def record(path: Path | None, bot_path: Path | None, yes: bool, by_hand: bool) -> None:
    """Record the model's replies to the conversations in PATH (default: the bot's
    tests/conversations), replacing each conversation's cassette in the bot's
    replay.cassettes folder."""
    from .conversations import run_conversation, write_by_hand

    spec, conversations = _conversations(bot_path, path)
    if by_hand:
        results = _run_conversations(conversations, lambda c: write_by_hand(spec, c), "writing")
    else:
        model = _live_model(spec, conversations, yes)
        try:
            results = _run_conversations(
                conversations, lambda c: run_conversation(spec, c, "record", model), "recording"
            )
        finally:
            model.close()
    click.echo(f"recorded into {spec.root / spec.settings.replay.cassettes}")
    _print_results(results)


def _conversations(bot_path: Path | None, path: Path | None) -> tuple[BotSpec, list[Conversation]]:
    from .conversations import CONVERSATIONS_FOLDER, load_conversations

    spec = _load(bot_path or _bot_holding(path))
    path = path or spec.root / CONVERSATIONS_FOLDER
    try:
        conversations = load_conversations(path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if not conversations:
        raise click.ClickException(f"no conversations (*.yaml) in {path}; write one first")
    return spec, conversations


def _bot_holding(path: Path | None) -> Path:
    """The bot folder a conversation path is in (the nearest one with a servicebot.yaml), or ."""
    if path is not None:
        for folder in path.resolve().parents:
            if (folder / SETTINGS_FILE).is_file():
                return folder
    return Path(".")


def _live_model(spec: BotSpec, conversations: list[Conversation], yes: bool) -> OpenAIClient:
    """The bot's model, after saying what recording will cost and asking (unless ``yes``)."""
    from .model import OpenAIClient

    settings, settings_file = spec.settings.model, spec.root / SETTINGS_FILE
    if settings.name is None:
        raise click.ClickException(
            f"{settings_file}: no model to record from: set model.name, or write the replies "
            "yourself with `servicebot record --by-hand`"
        )
    client = OpenAIClient(settings, settings_file)
    try:
        client.api_key()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    calls = sum(len(conversation.turns) for conversation in conversations)
    click.echo(f"model: {settings.name} at {settings.base_url or 'https://api.openai.com/v1'}")
    click.echo(
        f"up to {_count(calls, 'model call')} ({_count(calls, 'customer turn')} in "
        f"{_count(len(conversations), 'conversation')}); their cassettes are replaced"
    )
    if not yes:
        click.confirm("Record now?", abort=True)
    return client


def _run_conversations(
    conversations: list[Conversation],
    run: Callable[[Conversation], ConversationResult],
    label: str,
) -> list[ConversationResult]:
    """Each conversation in turn, with a progress bar on stderr."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    results = []
    with Progress(console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task(label, total=len(conversations))
        for conversation in conversations:
            progress.update(task, description=f"{label} {conversation.name}")
            try:
                results.append(run(conversation))
            except ServicebotError as exc:
                raise click.ClickException(str(exc)) from None
            progress.advance(task)
    return results


def _print_results(results: list[ConversationResult]) -> None:
    """A table of the conversations, then every failure in full; exit 1 if any failed."""
    from rich.console import Console
    from rich.table import Table

    table = Table("conversation", "turns", "result", "first failure", box=None)
    table.columns[0].no_wrap = True
    for result in results:
        turns = f"{len(result.replies)}/{len(result.conversation.turns)}"
        first = printable(result.failures[0].summary()) if result.failures else ""
        table.add_row(
            result.conversation.name, turns, "passed" if result.passed else "FAILED", first
        )
    Console(markup=False, emoji=False, highlight=False).print(table)
    failed = [result for result in results if not result.passed]
    for result in failed:
        click.echo(f"\nFAILED {result.conversation.path}")
        for failure in result.failures:
            click.echo(printable(str(failure)))
    passed = len(results) - len(failed)
    click.echo(f"\n{len(failed)} failed, {passed} passed" if failed else f"\n{passed} passed")
    if failed:
        raise SystemExit(1)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
