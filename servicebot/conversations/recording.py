"""Recording a conversation's model replies: by hand (each turn's ``model_reply`` or
``model_error``) or from the live model, into a scratch cassette that replaces the
conversation's own only once recording has finished; or (:class:`Kept`, ``servicebot record
--only-stale``) only the replies whose recording is stale or missing, keeping the others.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..cassette import Cassette, store_entry
from ..errors import ConfigError, ServicebotError
from ..model import AnswersAtOnce, Completion, ModelClient, ModelError, ModelRequest
from ..replay import Replayer, add_hand_written
from .files import Conversation, Turn, cassette_for

if TYPE_CHECKING:
    from ..config import BotSpec


@contextmanager
def fresh(cassette: Path) -> Iterator[Path]:
    """A scratch cassette that replaces ``cassette`` once recording has finished."""
    with tempfile.TemporaryDirectory(prefix="servicebot-record-") as folder:
        scratch = Path(folder) / cassette.name
        yield scratch
        put_in_place(scratch, cassette)


def put_in_place(scratch: Path, cassette: Path) -> None:
    """Replace ``cassette`` with the recording in ``scratch``; with none (no turn needed the
    model), remove it."""
    if scratch.exists():
        Cassette(cassette, Cassette.load(scratch).entries).save()
    else:
        cassette.unlink(missing_ok=True)


def hand_written(spec: BotSpec, conversations: Sequence[Conversation]) -> list[Conversation]:
    """The conversations whose cassette holds an answer written by hand, which recording them
    live replaces with the model's own (a scripted outage is written by hand either way)."""
    found = []
    for conversation in conversations:
        try:
            entries = Cassette.load(cassette_for(spec, conversation)).entries.values()
        except ConfigError:  # a broken cassette is replaced, whatever it held
            continue
        if any("written_by_hand" in entry.origin and entry.error is None for entry in entries):
            found.append(conversation)
    return found


class NoModelReplyError(ConfigError):
    """A turn recorded by hand needs the model, but gives no ``model_reply`` to record."""


class HandWriter(AnswersAtOnce):
    """A model client that answers each turn with the conversation's ``model_reply`` (or
    fails with its ``model_error``) and writes that down as a hand-written recording."""

    def __init__(self, cassette: Path, conversation: Conversation) -> None:
        self.cassette, self.conversation = cassette, conversation
        self.turn: Turn | None = None

    def begin(self, turn: Turn) -> None:
        self.turn = turn

    def complete(self, request: ModelRequest) -> Completion:
        turn = self.turn
        assert turn is not None, "begin() each turn first"
        note = f"{self.conversation.path.name}, turn {turn.number}"
        if turn.spec.model_error is not None:
            add_hand_written(self.cassette, request, error=turn.spec.model_error, note=note)
            raise ModelError(turn.spec.model_error, "written by hand")
        if turn.spec.model_reply is None:
            message = (
                f"turn {turn.number} needs the model, but has no 'model_reply' to record: add "
                "one (the answer, as the model would give it) or 'model_error: timeout'"
            )
            raise NoModelReplyError([self.conversation.problem(turn, message)])
        entry = add_hand_written(self.cassette, request, turn.spec.model_reply, note=note)
        assert entry.completion is not None
        return entry.completion


class LiveWriter(AnswersAtOnce):
    """A model client that records the live model's answer to each turn. A turn scripted as
    an outage (``model_error``) is written by hand instead, so that recording keeps the test
    of the fallback. A live failure (no connection, a bad key, an outage) is no answer to
    keep: it stops the recording with ServicebotError, before the cassette is replaced."""

    def __init__(self, cassette: Path, conversation: Conversation, model: ModelClient) -> None:
        self.live = Replayer(cassette, "record", model)
        self.by_hand = HandWriter(cassette, conversation)

    def begin(self, turn: Turn) -> None:
        self.by_hand.begin(turn)

    def complete(self, request: ModelRequest) -> Completion:
        turn = self.by_hand.turn
        assert turn is not None, "begin() each turn first"
        if turn.spec.model_error is not None:
            return self.by_hand.complete(request)
        try:
            return self.live.complete(request)
        except ModelError as exc:
            conversation = self.by_hand.conversation
            raise ServicebotError(
                f"{conversation.path}, turn {turn.number}: the model failed ({exc}); "
                "recording stopped, and the cassettes of this conversation and the ones "
                "after it are unchanged"
            ) from None


class Kept(AnswersAtOnce):
    """A model client that answers each request whose recording in ``recorded`` still
    matches from that recording, copied as it is (written by hand, or the model's) into the
    ``cassette`` being written, and hands the others to ``writer``: ``servicebot record
    --only-stale``. A recording matches as a replay finds it (``servicebot test``: the same
    request) and as recording would write it: the outage a turn's ``model_error`` scripts,
    or an answer when it scripts none. With no ``writer``, a request that matches none is a
    miss (ReplayMissError), and ``stale`` says whether there was one."""

    def __init__(
        self, cassette: Path | None, recorded: Path, writer: HandWriter | LiveWriter | None
    ) -> None:
        self.cassette, self.writer, self.stale = cassette, writer, False
        try:
            self.recorded = Cassette.load(recorded)
        except ConfigError:  # a broken cassette matches nothing: it is recorded anew
            self.recorded = Cassette(recorded)
        self.turn: Turn | None = None

    def begin(self, turn: Turn) -> None:
        self.turn = turn
        if self.writer is not None:
            self.writer.begin(turn)

    def complete(self, request: ModelRequest) -> Completion:
        assert self.turn is not None, "begin() each turn first"
        entry = self.recorded.get(request)
        if entry is None or entry.error != self.turn.spec.model_error:
            self.stale = True
            if self.writer is None:
                raise self.recorded.miss(request)
            return self.writer.complete(request)
        if self.cassette is not None:
            store_entry(self.cassette, entry)
        if entry.error is not None:
            raise ModelError(entry.error, "recorded outage")
        assert entry.completion is not None  # an entry holds one or the other
        return entry.completion
