"""How a stream's turn is stored once, whichever of its ends comes first.

A stream ends when its reading finishes, when its caller stops reading (a ``break``, a
cancelled task, ``close()``), when the bot is closed under it (:meth:`Bot.aclose`, at a web
server's shutdown), or when it is collected unclosed. The first of these stores the turn and
the others do nothing, even from another thread (a stopped stream's write runs in a worker).

Under uvicorn (Starlette's ``StreamingResponse``) a response cut at shutdown leaves its body
generator, and the ``async with bot.astream()`` in it, suspended: nothing closed it until the
event loop ended, and then ``asyncio.run`` cancelled the store write before its thread began.
The customer had been shown text, and the turn was neither stored nor logged.

A reading that an error ended (a replay miss) stores nothing, as ``reply()`` and ``areply()``
store nothing for a turn an error ended; nor does a sync stream dropped before it was read,
whose customer was shown nothing (see :meth:`StreamEnd.abandoned`).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import AsyncGenerator, Callable, Generator
from typing import TYPE_CHECKING

from .turnlog import logged_as

if TYPE_CHECKING:
    from .reply import Reply
    from .shown import Shown
    from .turn import Turn

log = logging.getLogger("servicebot")


Reading = Generator[str, None, None] | AsyncGenerator[str, None]


class StreamEnd:
    """A stream's turn, what it has shown, and whether one of its ends has stored it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._taken = False
        self._end: Callable[[], None] | None = None  # see counted()
        self.turn: Turn | None = None  # once begun
        self.shown: Shown | None = None
        self.began = False  # whether its reading began: a stream never read showed nothing
        # The reading, held weakly: it holds the stream (see ReplyStream).
        self.reading: weakref.ref[Reading] | None = None

    def counted(self, end: Callable[[], None]) -> None:
        """Keep ``end``, which ends the count of the turn in progress (see closing.py)."""
        self._end = end

    def end(self) -> None:
        """End the turn's count, for Bot.close(): when the reading ends, the stream is
        closed or stopped, or it is collected. Once, however often it is called."""
        end, self._end = self._end, None
        if self.turn is not None:  # and the conversation's next turn goes ahead (turnorder.py)
            self.turn.let_go()
        if end is not None:
            end()  # once, even called from two threads at once: see Closing.begin

    @property
    def suspended(self) -> bool:
        """Whether the turn is counted and nothing of it runs: its reading waits for its
        caller to ask for the next piece (a response a web server cut at shutdown is left so
        for good), or a sync stream's was never begun. ``Bot.aclose()`` does not wait for
        such a turn: nothing of it would end it. A reading waiting on the model, or on the
        store, is running (``gi_running``; an async generator's ``ag_running`` stays set
        across its awaits)."""
        reading = None if self.reading is None else self.reading()
        running = getattr(reading, "gi_running", False) or getattr(reading, "ag_running", False)
        return self._end is not None and not running

    def failed(self) -> None:
        """The reading ended in an error (a replay miss): nothing is stored, as ``reply()``
        stores nothing for a turn an error ended, and no other end stores it later."""
        if self.turn is not None:
            self.turn.let_go()
        self.turn = self.shown = None

    @property
    def taken(self) -> bool:
        """Whether an end has stored the turn, or is storing it."""
        return self._taken

    def take(self) -> bool:
        """Whether the caller is the first end, which stores the turn; the others are not."""
        with self._lock:
            taken, self._taken = self._taken, True
        return not taken

    def stop(self) -> Reply | None:
        """Store the turn as stopped with what it showed, unless another end did: the reply
        stored, or None. Blocking: an async caller runs it off the loop (:meth:`astop`)."""
        if self.turn is None or self.shown is None or not self.take():
            return None
        try:
            with logged_as(self.turn.log_fields):
                return self.turn.stopped(self.shown)
        finally:
            self.end()

    async def astop(self) -> Reply | None:
        """:meth:`stop` in a worker thread, shielded, as ``Turn.astopped`` runs it. A write
        cancelled before its thread began is made here, on the loop: ``asyncio.run``, ending,
        cancels every task, among them the one that would have handed the write over."""
        import asyncio  # here, not at the top: see pipeline.py

        if self.turn is None:
            return None
        try:
            return await asyncio.shield(self.turn.written_off_loop(self.stop))
        except asyncio.CancelledError:
            self.stop()  # nothing, if the thread took it
            raise

    def abandoned(self) -> None:
        """The stream was collected unclosed, or the interpreter exits holding it, with its
        turn unstored: its generator was dropped, its event loop gone. Store it now, and say
        so: what the customer was shown would otherwise be lost without a word.

        A sync stream never read (its turn begun by ``bot.stream()``) is not stored: its
        customer was shown nothing, and ``reply()`` stores nothing for a turn begun and not
        finished either. Its message's placeholders stay kept, as they do then."""
        try:
            self._abandoned()
        finally:
            self.end()

    def _abandoned(self) -> None:
        if self.turn is None or self._taken:
            return
        if not self.began:
            log.warning(
                "conversation %s: a stream was never read nor closed; its turn is not "
                "stored. Read it, or close it: `with bot.stream(...)`",
                self.turn.conversation_id,
            )
            return
        log.error(
            "conversation %s: a stream was left unfinished and never closed; its turn is "
            "stored now, stopped with what it showed. Close streams: `async with "
            "bot.astream(...)`, and `await bot.aclose()` at shutdown",
            self.turn.conversation_id,
        )
        self.stop()
