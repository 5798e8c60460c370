"""How a scripted turn fails: :class:`Failure` (an expectation it did not meet, at the line
of its key), and the failures of a turn whose model call missed its recording
(:func:`missed_turn`), of the turns after it that cannot run (:func:`not_run`), and of one
with no recording (:func:`unrecorded`); and those a script's ways share said once
(:func:`said_once`). Running the turns is ``conversations/__init__.py``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..cassette import ReplayMissError, record_hint
from ..config import BotSpec
from ..reply import Reply
from .causes import NO_MODEL, routing_cause
from .expectations import Check, stale_intent
from .files import Conversation, Turn
from .recording import NoModelReplyError


@dataclass(frozen=True)
class Failure:
    """An expectation a turn did not meet (or a turn with no recorded reply)."""

    path: Path
    turn: int
    line: int | None
    expected: str
    got: str
    because: str | None = None  # the line under a one-line ``got`` that says why, if known
    via: str = "reply"  # the Bot method the turn ran through (the script's ``via:``), or methods;
    # "" for every one the script ran (see said_once)
    recording: bool = False  # a missed recording's: every way misses alike (see said_once)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        got = self.got.replace("\n", "\n    ")
        # A block (a miss's diff, a prompt) reads on without a "got"; a one-line got keeps it.
        shown = got if "\n" in self.got else f"got {got}"
        if self.because:
            shown += f"\n    {self.because}"
        return f"{where}: {self._turn()}: expected {self.expected}\n    {shown}"

    def summary(self) -> str:
        """One line for a table."""
        return f"{self._turn()}: expected {self.expected}"

    def _turn(self) -> str:
        """``turn 2``, and the ways it ran unless Bot.reply alone or every way the script ran:
        ``turn 2 via stream``, ``turn 2 via reply, stream``."""
        return f"turn {self.turn}" + ("" if self.via in ("reply", "") else f" via {self.via}")


def not_run(
    spec: BotSpec, conversation: Conversation, missed: Turn, replies: Sequence[Reply]
) -> list[Failure]:
    """The turns after ``missed`` (whose recording missed, so that they cannot run) that
    expect an intent the bot has no longer: a renamed intent's name is stale in them too.
    ``replies``: the turns' that ran, first to last, where an old name went."""
    went: dict[str | None, tuple[int, Reply]] = {}
    for turn, reply in zip(conversation.turns, replies, strict=False):
        went.setdefault(turn.spec.expect.intent, (turn.number, reply))
    failures = []
    for turn in conversation.turns[missed.number :]:
        expect = turn.spec.expect
        if (check := stale_intent(expect, None, spec.intents, went.get(expect.intent))) is None:
            continue
        failures.append(failure(conversation, turn, check))
    return failures


def missed_turn(
    spec: BotSpec,
    conversation: Conversation,
    turn: Turn,
    reply: Reply,
    missed: ReplayMissError | NoModelReplyError,
) -> list[Failure]:
    """The failures of a turn whose model call ``missed`` its recording: where routing sent a
    message the turn expects no model for (``servicebot test``), or as ``missed`` says when
    routing did as expected; and the turn's expected intent, if the bot has it no longer
    (see :func:`stale_intent`). By hand, that is a turn the recording cannot go on from."""
    expected = turn.spec.expect.action
    settings = spec.settings.routing
    cause = None  # a stale intent's miss (see _Watched.begin) may expect the model
    if expected is not None and expected in NO_MODEL:
        cause = routing_cause(expected, reply, spec.intents, settings)
    if isinstance(missed, NoModelReplyError):
        if cause is None:
            raise missed
        message = f"turn {turn.number}: expected action {expected}, but {cause}"
        raise NoModelReplyError([conversation.problem(turn, message)])
    stale = stale_intent(turn.spec.expect, reply, spec.intents)
    found = [] if stale is None else [failure(conversation, turn, stale)]
    if cause is None:
        found.append(unrecorded(conversation, turn, missed))
    else:
        got = f"a model call: {cause}"
        found.append(failure(conversation, turn, Check("action", f"action {expected}", got)))
    return sorted(found, key=lambda failure: failure.line or 0)  # in the file's order


def failure(conversation: Conversation, turn: Turn, check: Check) -> Failure:
    """``check``'s failure, at the line of its key in ``turn``."""
    line = turn.line_of(check.check)
    return Failure(conversation.path, turn.number, line, check.expected, check.got, check.because)


def unrecorded(
    conversation: Conversation, turn: Turn, missed: ReplayMissError, added: bool = False
) -> Failure:
    """The failure of a turn whose model request has no recording, as ``missed`` says; or,
    for a turn ``added`` after the recording was made (see ``_Watched.past_recording``),
    that it was never recorded: a diff against the turn before it says nothing useful."""
    wanted = "a recorded model reply for this turn"
    got = str(missed)
    if added:
        got = f"turn {turn.number} has no recording: {record_hint(conversation.path)}"
    return Failure(conversation.path, turn.number, turn.line, wanted, got)


def of_recording(failures: Sequence[Failure]) -> list[Failure]:
    """``failures``, of a missed recording: each way misses alike (see :func:`said_once`)."""
    return [replace(found, recording=True) for found in failures]


def said_once(failures: Sequence[Failure], ways: Sequence[str]) -> list[Failure]:
    """``failures`` (of a script run each of ``ways``) with each one of a missed recording
    (``recording``) that several ways share said once, where it came first, naming those
    ways unless it is every one: each way sends the model the same requests, so a miss, its
    diff and the turns it stops were printed once a way, the same each time."""
    missed: dict[Failure, list[str]] = {}  # each, without its way, and the ways it came
    for found in failures:
        if found.recording:
            missed.setdefault(replace(found, via=""), []).append(found.via)
    once = []
    for found in failures:
        if not found.recording:
            once.append(found)
        elif (shared := missed.pop(replace(found, via=""), None)) is not None:
            named = "" if len(shared) > 1 and set(shared) == set(ways) else ", ".join(shared)
            once.append(replace(found, via=named))
    return once
