"""``servicebot chat``: the bot in a terminal, one line in, one reply out.

At a terminal, lines are read with ``input()`` and the standard ``readline`` module (line
editing and history, no extra dependency); piped lines are answered one by one, so
``printf 'hi\\nwhere is my order?\\n' | servicebot chat`` works. Replies stream as the
post-filter clears them, each followed by its action and intent (and why, when that is not
plain: a model that failed, a direct intent not answered as written). The ``servicebot``
logger's warnings (a reasoning tag out of place, a server counting tokens far from ours, a
request the server refused, in its words) are said on standard error after the turn that
logged them, never inside a reply's line.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from typing import NamedTuple

import click

from .cassette import ReplayMissError
from .config import BotSpec
from .errors import ConfigError, TemplateError
from .pipeline import Bot, Reply
from .replay import Replayer
from .source import decode_typed
from .terminal import printable

_OFFLINE = "answers come from the FAQ; the rest goes to a person"
_QUIT = {"exit", "quit", "/exit", "/quit", "退出"}
_PROMPT = "bot> "  # begins the line of each reply


class ChatEnd(NamedTuple):
    """What went wrong in a chat that went on, for the command to exit with an error: each
    was said on standard error as it happened."""

    misses: int  # messages with no recorded reply to replay
    went_offline: bool  # the server refused the key, account or model: FAQ answers after it


class _Warnings(logging.Handler):
    """The ``servicebot`` logger's warnings and errors, held until :meth:`flush` says them on
    standard error, as ``warning: ...``: a warning logged while a reply streams would break
    its line. A record marked ``raised`` is left out: the error is raised too, and chat says
    it itself (the model that cannot be used); so is one marked ``checked``, setup advice
    ``servicebot check`` gives (a store with no PII key), which would greet every chat."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.held: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not getattr(record, "raised", False) and not getattr(record, "checked", False):
            self.held.append(f"{record.levelname.lower()}: {printable(record.getMessage())}")

    def flush(self) -> None:
        for line in self.held:
            click.echo(line, err=True)
        self.held.clear()


def run_chat(
    spec: BotSpec, offline: str | None, trace: bool, conversation_id: str | None
) -> ChatEnd:
    """Chat until end of input (Ctrl-D) or, typed at a terminal, ``exit``; ``offline`` says why
    no model answers. A message with no recorded reply to replay, and a server refusing the
    setup, are said on standard error and the chat goes on: see :class:`ChatEnd`. The
    ``servicebot`` logger's warnings are said after each turn (see :class:`_Warnings`)."""
    warnings, logger = _Warnings(), logging.getLogger("servicebot")
    logger.addHandler(warnings)
    try:
        return _chat(spec, offline, trace, conversation_id, warnings)
    finally:
        logger.removeHandler(warnings)
        warnings.flush()


def _chat(
    spec: BotSpec,
    offline: str | None,
    trace: bool,
    conversation_id: str | None,
    warnings: _Warnings,
) -> ChatEnd:
    """:func:`run_chat`, its warnings said after each turn."""
    bot = Bot(spec, offline=offline is not None)
    interactive = sys.stdin.isatty()
    if conversation_id and not bot.store.history(conversation_id, 1):
        click.echo(f"no stored conversation {conversation_id!r}: a new one starts under that id")
    conversation_id = conversation_id or uuid.uuid4().hex[:12]
    shown_id = printable(conversation_id)  # a bidi override in an id would turn the line round
    if offline:
        click.echo(f"offline FAQ mode ({offline}): {_OFFLINE}")
    elif isinstance(bot.model, Replayer):
        click.echo(_replaying(bot.model))
    if interactive:
        click.echo(f"{spec.settings.name}, conversation {shown_id}. Ctrl-D or 'exit' ends.")
    kept, misses = False, 0  # kept: whether any turn was stored, so the id can be continued
    for line in _lines(interactive):
        if interactive and line.strip().casefold() in _QUIT:
            break  # piped lines are customer messages: a transcript may hold "exit"
        if not line.strip():
            continue
        if not interactive:
            click.echo(f"you> {printable(line)}")
        try:
            reply = _answer(bot, line, conversation_id)
        except ReplayMissError as exc:  # unanswered and not stored: the next message may hit
            # The diff against the closest recording helps a test, not a chat: one line here.
            click.echo(f"error: not answered: {exc.brief}", err=True)
            misses += 1
            warnings.flush()
            continue
        click.echo(f"\n     [{_summary(reply)}]")
        if trace:
            click.echo(_trace(reply))
        warnings.flush()
        kept = kept or reply.turn is not None
    ending = f"conversation {shown_id} (continue it with --conversation)"
    if not kept:
        ending = f"conversation {shown_id}: nothing was stored"
    click.echo(f"\n{ending}" if interactive else ending)
    bot.close()
    # Only a refused setup (see _offline_after) takes the model of a bot that had one away.
    return ChatEnd(misses, went_offline=offline is None and bot.model is None)


def _answer(bot: Bot, line: str, conversation_id: str, shown: bool = False) -> Reply:
    """Print the reply as it streams; a key the server rejects turns the chat offline.
    ``bot>`` is printed before the reply is waited for, so the customer sees the bot is
    answering while a live model thinks; when replaying, with the first piece instead: a
    request with no recorded reply raises ReplayMissError before it, and that error is said
    on standard error, not shown as the bot's answer. ``shown``: ``bot>`` is on the line
    already, waiting for the reply."""
    prompt = "" if shown else _PROMPT
    if prompt and not _replaying_only(bot):
        click.echo(prompt, nl=False)
        prompt = ""
    try:
        stream = bot.stream(line, conversation_id=conversation_id)
        for piece in stream:
            click.echo(prompt + printable(piece), nl=False)
            prompt = ""
        click.echo(prompt, nl=False)  # an empty reply is shown as one
    except TemplateError:
        if not prompt:  # the line begun ends before the error
            click.echo()
        raise  # the operator's mistake, not the model's: the chat stops at its file and line
    except ConfigError as exc:
        if bot.model is None:
            raise
        return _offline_after(bot, line, conversation_id, exc, shown=not prompt)
    assert stream.reply is not None  # set once the stream is exhausted
    return stream.reply


def _offline_after(
    bot: Bot, line: str, conversation_id: str, exc: ConfigError, shown: bool
) -> Reply:
    """The chat goes offline after the server refused the key or model: the operator's error
    is said on standard error, as other errors are, never on the ``bot>`` line as if it were
    the bot's answer. Refused before the turn began, the turn is answered offline on that
    line (``shown``: begun already). Refused during it, the stream has shown the whole reply
    (the fallback, stored) before raising: it is not shown, or answered, again."""
    if exc.reply is not None and sys.stdout.isatty():
        click.echo()  # the reply's line ends before the error, which shares the terminal
    elif exc.reply is None:
        shown = shown and not _unshow_prompt()
    click.echo(f"error: the model cannot be used: {exc}\noffline FAQ mode: {_OFFLINE}", err=True)
    bot.model = None
    if exc.reply is None:  # refused before the turn began: answer it offline
        return _answer(bot, line, conversation_id, shown)
    return exc.reply


def _unshow_prompt() -> bool:
    """At a terminal, take back the ``bot> `` waiting on the line, so that an error said on
    standard error starts a line of its own: True if it was. Piped output keeps it, for the
    reply that follows, as standard error is apart from it."""
    if not sys.stdout.isatty():
        return False
    click.echo("\r" + " " * len(_PROMPT) + "\r", nl=False)
    return True


def _replaying_only(bot: Bot) -> bool:
    """Whether ``bot``'s model answers from recordings alone, so that a request may find
    none (ReplayMissError). Recording asks the live model: it misses nothing."""
    return isinstance(bot.model, Replayer) and bot.model.mode == "replay"


def _replaying(replayer: Replayer) -> str:
    """The line saying where the model's answers come from, or go: an operator trying the bot
    must know whether a reply was the model's just now or one recorded earlier."""
    if replayer.mode == "replay":
        where = f"replaying recorded replies from {replayer.path}"
        return f"{where} (replay.mode: replay): nothing reaches a model"
    return f"recording the model's replies into {replayer.path} (replay.mode: record)"


def _lines(interactive: bool) -> Iterator[str]:
    if not interactive:
        yield from _piped_lines()
        return
    import readline  # noqa: F401 - importing it gives input() line editing and history

    while True:
        try:
            yield input("you> ")
        except (EOFError, KeyboardInterrupt):
            return


def _piped_lines() -> Iterator[str]:
    """The lines piped in, each decoded by :func:`decode_typed`; one not UTF-8 is said once,
    on standard error."""
    told = False
    for raw in sys.stdin.buffer:
        line, read_as = decode_typed(raw)
        if read_as and not told:
            click.echo(f"standard input is not UTF-8: {read_as}", err=True)
            told = True
        yield line.rstrip("\r\n")


def _summary(reply: Reply) -> str:
    """Action (a fallback's with what it sent), intent and turn (for a handoff intent below
    the top, both); and why, when the model could not answer (an operator trying the bot
    needs to know that a fallback was an outage, not the bot's choice), or when a direct
    intent was not answered as written (routing's why_not_direct, as render says)."""
    intent = f" {reply.intent} {reply.score:.2f}" if reply.intent and reply.score else ""
    stored = f", turn {reply.turn}" if reply.turn else f", {_not_stored(reply)}"
    routing, model = reply.step("routing"), reply.step("model")
    if routing and "by" in routing.detail:  # a handoff intent below the top: name both
        intent = f" {routing.detail['by']}"
    not_direct = f"; {routing.detail['why']}" if routing and "why" in routing.detail else ""
    failed = f"; the model {model.decision}" if model and "failed" in model.decision else ""
    action = f"{reply.action} ({reply.fallback})" if reply.fallback else reply.action
    return f"{action}{intent}{stored}{not_direct}{failed}"


def _not_stored(reply: Reply) -> str:
    """Why a turn was not stored, as the trace's last store step says ("not stored (why)")."""
    steps = [step.decision for step in reply.trace if step.stage == "store"]
    return next((d for d in reversed(steps) if d.startswith("not stored")), "not stored")


def _trace(reply: Reply) -> str:
    rows = []
    for step in reply.trace:
        detail = ", ".join(f"{k}={v}" for k, v in step.detail.items() if v not in ("", [], {}))
        rows.append(f"     {step.stage:<10} {step.ms:7.2f} ms  {step.decision}  {detail}".rstrip())
    return "\n".join(rows)
