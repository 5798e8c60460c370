"""Recording a conversation's model replies: by hand (each turn's ``model_reply`` or
``model_error``) or from the live model, into a scratch cassette that replaces the
conversation's own only once recording has finished.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..cassette import Cassette
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
