"""The model client a conversation's turns run on: it remembers each turn's request (for the
``prompt`` expectation) and turns the recording misses a turn's expectation explains into an
outage, for the turn to end with the routing that says where its message went.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from ..cassette import Cassette, ReplayMissError
from ..model import Completion, ModelClient, ModelError, ModelRequest
from .causes import NO_MODEL
from .files import Turn
from .recording import NoModelReplyError


class Watched:
    """A model client that remembers the turn's request, for the ``prompt`` expectation.

    A turn that expects no model call (direct, handoff, blocked, out of scope) and gives no
    answer for one may still be sent to the model: its recording is then missing because its
    expectation is wrong. That miss (``missed``) is answered as an outage, for the turn to end
    with the routing that says where the message went (see :func:`.failures.missed_turn`). So is a
    replay's miss in a turn that expects an intent the bot no longer has (``stale``): renamed,
    it changed the prompt, and the turn's intent says where the old name went."""

    def __init__(self, client: ModelClient) -> None:
        self.client = client
        self.request: ModelRequest | None = None
        self.missed: ReplayMissError | NoModelReplyError | None = None
        self._expects_no_model = self._stale = False
        self._calls = 0  # the model calls made, the one under way too

    def past_recording(self) -> bool:
        """Whether the call under way comes after every call the cassette recorded: each call
        before it found its recording (a miss stops the conversation), and a recording holds
        the calls of one run, so this one's turn was added since (at the end of the script)."""
        cassette = getattr(self.client, "cassette", None)
        if not isinstance(cassette, Cassette) or not cassette.entries:  # its miss says so
            return False
        return self._calls > len(cassette.entries)

    def begin(self, turn: Turn, stale: bool = False) -> None:
        self.request, self.missed, self._stale = None, None, stale
        spec = turn.spec
        answered = spec.model_reply is not None or spec.model_error is not None
        self._expects_no_model = spec.expect.action in NO_MODEL and not answered

    def complete(self, request: ModelRequest) -> Completion:
        self.request, self._calls = request, self._calls + 1
        try:
            return self.client.complete(request)
        except (ReplayMissError, NoModelReplyError) as exc:
            if self._explained(exc):
                raise ModelError("rejected", "no recorded reply") from exc
            raise

    async def acomplete(self, request: ModelRequest) -> Completion:
        self.request, self._calls = request, self._calls + 1
        try:
            return await self.client.acomplete(request)
        except (ReplayMissError, NoModelReplyError) as exc:
            if self._explained(exc):
                raise ModelError("rejected", "no recorded reply") from exc
            raise

    def stream(self, request: ModelRequest) -> Iterator[str | Completion]:
        self.request, self._calls = request, self._calls + 1
        items = self.client.stream(request)
        try:
            yield from items  # a close() reaches the client's stream through it
        except (ReplayMissError, NoModelReplyError) as exc:
            if self._explained(exc):
                raise ModelError("rejected", "no recorded reply") from exc
            raise

    async def astream(self, request: ModelRequest) -> AsyncIterator[str | Completion]:
        self.request, self._calls = request, self._calls + 1
        items = self.client.astream(request)
        try:
            async for item in items:
                yield item
        except (ReplayMissError, NoModelReplyError) as exc:
            if self._explained(exc):
                raise ModelError("rejected", "no recorded reply") from exc
            raise
        finally:  # closed now, not when asyncio finalises it, as Replayer.astream does
            if aclose := getattr(items, "aclose", None):
                await aclose()

    def _explained(self, exc: ReplayMissError | NoModelReplyError) -> bool:
        """Whether the turn's expectation explains the miss (see the class): then it is kept
        in ``missed``, and the pipeline is told of an outage."""
        stale = self._stale and isinstance(exc, ReplayMissError)
        if not (self._expects_no_model or stale):
            return False
        self.missed = exc
        return True
