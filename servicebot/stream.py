"""Streaming a reply: the model's answer shown as it arrives, a cleared sentence at a time.

Nothing reaches the customer before the post-filter has passed it: the answer so far is
reviewed up to its last sentence end, and only what the review lets through is shown. That
review, and what it lets through, is ``shown.py``'s :class:`~servicebot.shown.Shown`.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterator

from .reply import Reply
from .shown import Shown
from .streamend import StreamEnd
from .turn import Turn
from .turnlog import NO_TURN, Fields, alogged_steps, logged_steps


class ReplyStream:
    """A reply being streamed: iterate once for cleared text; ``reply`` is set at the end.

    A reading left early is stored with what it showed when its generator is closed, which
    Python does at once for a ``for`` left with ``break``, but only when it collects one held
    elsewhere (``pieces = iter(stream)``), or as the interpreter exits. Inside ``with``,
    leaving the block closes it at once, as :meth:`close` does. A reading an error ended is
    not stored, as ``reply()`` stores nothing then; nor is a stream dropped unread (see
    :meth:`StreamEnd.abandoned`).
    """

    def __init__(self, turn: Turn, end: Callable[[], None]) -> None:
        self._turn = turn
        self._ending = StreamEnd()  # which end stores the turn: see streamend.py
        self._ending.counted(end)  # the turn, begun already, counts for Bot.close()
        self._ending.turn, self._ending.shown = turn, Shown(turn)
        # Collected unclosed, or held as the interpreter exits: stored, or its count ended.
        weakref.finalize(self, _abandoned, self._ending)
        self.reply: Reply | None = None

    def __iter__(self) -> Iterator[str]:
        _refuse_a_second_reading(self._held(), "bot.stream()")
        pieces = logged_steps(lambda: self._turn.log_fields, self._stream())
        # Held weakly: the reading holds the stream, and a strong reference back would leave
        # both to the garbage collector, where a ``for`` left with ``break`` closes the
        # reading, and stores the turn, at once.
        self._ending.reading = weakref.ref(pieces)
        return pieces

    def __enter__(self) -> ReplyStream:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading: store the turn with what was shown, and set ``reply``, now.

        Never read, the turn is stored with nothing shown: its message was already taken in
        (and its placeholders kept), as a cancelled ``astream`` stores one. Once ``reply``
        is set, closing does nothing.
        """
        if (pieces := self._held()) is not None:
            pieces.close()  # a reading under way stores what it showed, as it stops
        self._stopped(self._ending.stop())
        self._ending.end()

    async def astop(self) -> None:
        """Store the turn as stopped with what it has shown, now, unless it is stored: for
        :meth:`Bot.aclose`, under a reading that may go on in another thread (it ends at its
        next piece)."""
        self._stopped(await self._ending.astop())

    @property
    def suspended(self) -> bool:
        """Whether nothing of the turn runs: see :attr:`StreamEnd.suspended`."""
        return self._ending.suspended

    def _stopped(self, reply: Reply | None) -> None:
        """Keep the reply a stop stored, if it stored one."""
        if reply is not None:
            self.reply = reply

    def _held(self) -> Generator[str, None, None] | None:
        return _held(self._ending)

    def _stream(self) -> Generator[str, None, None]:
        ending = self._ending
        ending.began = True
        try:
            yield from self._read()
        finally:
            if not ending.taken:  # an error ended it: nothing to store, as for reply()
                ending.failed()
            ending.end()

    def _read(self) -> Generator[str, None, None]:
        ending = self._ending
        if ending.taken:  # read once: the turn is already answered and stored
            return
        turn, shown = self._turn, ending.shown
        assert shown is not None
        if pending := turn.pending():
            model, request = pending
            pieces = model.stream(shown.watched(request))
            try:
                with turn.model_call():
                    for piece in pieces:
                        yield from shown.take(piece)
                        # Full, or stopped by Bot.aclose(), which stored what was shown: the
                        # connection, and the model's work, end here.
                        if shown.full or ending.taken:
                            if close := getattr(pieces, "close", None):  # not an iterator's
                                close()
                            if ending.taken:
                                return
                            turn.model_answered(shown.cut(request))
                            break
            except GeneratorExit:  # the caller stopped reading: keep what it was shown
                self._stopped(ending.stop())
                raise
        if not ending.take():  # stopped by Bot.aclose() as the model ended
            return
        self.reply = turn.finish(shown)
        yield from shown.rest(self.reply.text)
        # A setup mistake (a refused key or store password) is raised once the customer has
        # been shown the whole reply: what came before it was shown already, and a caller
        # that showed error.reply would say it twice.
        turn.raise_for_setup(self.reply)


def _held(ending: StreamEnd) -> Generator[str, None, None] | None:
    """A sync stream's reading, if it is still held."""
    reading = None if ending.reading is None else ending.reading()
    return reading if isinstance(reading, Generator) else None


def _abandoned(ending: StreamEnd) -> None:
    """A sync stream collected, or held as the interpreter exits (a script that kept
    ``pieces = iter(stream)`` to its end): its reading, if still held and not running in
    another thread, is closed first, which stores what it showed and closes the model's
    stream while imports still work (left to the interpreter's teardown, closing it failed:
    ``sys.meta_path is None``). Weakref's own exit hook runs this: one way out, not two.
    Async streams end with their event loop (``asyncio.run`` closes them)."""
    if (pieces := _held(ending)) is not None and not getattr(pieces, "gi_running", True):
        pieces.close()
    ending.abandoned()


class AsyncReplyStream:
    """:class:`ReplyStream` for asyncio; the stages around the model run in a worker thread.

    An ``async for`` left with ``break`` or an exception leaves the stream to asyncio, which
    closes it on a later pass of the event loop: only then is the turn stored with what was
    shown, and ``reply`` set. Inside ``async with``, leaving the block closes it at once.
    """

    def __init__(
        self, begin: Callable[[], Awaitable[Turn]], counted: Callable[[], Callable[[], None]]
    ) -> None:
        self._begin = begin
        self._counted = counted  # counts the turn in progress, for Bot.close() (closing.py)
        self._ending = StreamEnd()  # which end stores the turn: see streamend.py
        # Dropped unclosed (its event loop gone before it could close it), or held as the
        # interpreter exits: its turn was never stored.
        weakref.finalize(self, self._ending.abandoned)
        self._in_block = False
        # The stream read inside ``async with``; held only there, as the stream and the
        # generator would keep each other alive, and asyncio would never close it.
        self._held: AsyncGenerator[str, None] | None = None
        self.reply: Reply | None = None

    def __aiter__(self) -> AsyncIterator[str]:
        reading = None if self._ending.reading is None else self._ending.reading()
        _refuse_a_second_reading(reading, "bot.astream()")
        pieces = alogged_steps(self._log_fields, self._stream())
        self._ending.reading = weakref.ref(pieces)  # see ReplyStream
        if self._in_block:
            self._held = pieces
        return pieces

    async def __aenter__(self) -> AsyncReplyStream:
        self._in_block = True
        return self

    async def __aexit__(self, *_: object) -> None:
        self._in_block, pieces, self._held = False, self._held, None
        if pieces is not None:
            await pieces.aclose()

    def _log_fields(self) -> Fields:
        """The turn's log fields, once it has begun (abegin_turn sets them meanwhile)."""
        turn = self._ending.turn
        return NO_TURN if turn is None else turn.log_fields

    async def astop(self) -> None:
        """Store the turn as stopped with what it has shown, now, unless it is stored: for
        :meth:`Bot.aclose`. A reading left suspended (a web server's response cut at
        shutdown) is closed, which stores it and closes the model's stream under it, in
        order: left to the event loop's end, which closes every generator at once, the
        model's stream was closed while its reader's close awaited it ("asynchronous
        generator is already running"). A reading that runs ends at its next piece."""
        reading = None if self._ending.reading is None else self._ending.reading()
        if isinstance(reading, AsyncGenerator) and self.suspended:
            await reading.aclose()  # read again, it ends: nothing more is shown
        await self._stored()

    async def _stored(self) -> None:
        """Store the turn as stopped with what it has shown, unless it is stored."""
        if (reply := await self._ending.astop()) is not None:
            self.reply = reply

    @property
    def suspended(self) -> bool:
        """Whether nothing of the turn runs: see :attr:`StreamEnd.suspended`."""
        return self._ending.suspended

    async def _stream(self) -> AsyncGenerator[str, None]:
        import asyncio  # here, not at the top: see pipeline.py

        ending = self._ending
        if ending.taken:  # read once: the turn is already answered and stored
            return
        ending.counted(self._counted())
        ending.began = True
        try:
            turn = ending.turn = await self._begin()
            shown = ending.shown = Shown(turn)
            if pending := turn.pending():
                model, request = pending
                pieces = model.astream(shown.watched(request))
                try:
                    with turn.model_call():
                        async for piece in pieces:
                            for text in shown.take(piece):
                                yield text
                                if ending.taken:  # read again after Bot.aclose() stopped it
                                    break
                            if shown.full or ending.taken:  # see ReplyStream
                                if aclose := getattr(pieces, "aclose", None):
                                    await aclose()
                                if ending.taken:
                                    return
                                turn.model_answered(shown.cut(request))
                                break
                # The caller stopped reading (aclose), or its task was cancelled (a web client
                # went away): keep what it was shown, stored before the cancel goes on.
                # The model's stream is closed here, after: left to the loop, it may be closed
                # while this close awaits it (see astop).
                except (GeneratorExit, asyncio.CancelledError):
                    try:
                        await self._stored()
                    finally:
                        if aclose := getattr(pieces, "aclose", None):
                            await aclose()
                    raise
            if not ending.take():  # stopped by Bot.aclose() as the model ended
                return
            self.reply = await turn.afinish(shown)
            for text in shown.rest(self.reply.text):
                yield text
            turn.raise_for_setup(self.reply)  # see ReplyStream
        finally:
            if not ending.taken:  # an error ended it: nothing to store, as for areply()
                ending.failed()
            ending.end()


def _refuse_a_second_reading(
    reading: Generator[str, None, None] | AsyncGenerator[str, None] | None, again: str
) -> None:
    """Refuse a second reading of a stream whose ``reading`` was begun and has not ended or
    been closed (it may not have started: a generator keeps its frame until it ends): it
    would ask the model again and store two turns for one message. ``again``: the call that
    makes a new stream."""
    frame = "ag_frame" if isinstance(reading, AsyncGenerator) else "gi_frame"
    if getattr(reading, frame, None) is not None:
        raise TypeError(f"this stream is already being read: read it once, or call {again} again")
