"""How a stream's turn is stored once, whichever of its ends comes first.

A stream ends when its reading finishes, when its caller stops reading (a ``break``, a
cancelled task, ``close()``), when the bot is closed under it (:meth:`Bot.aclose`, at a web
server's shutdown), or when it is collected unclosed. The first of these stores the turn and
the others do nothing, even from another thread (a stopped stream's write runs in a worker).

Under uvicorn (Starlette's ``StreamingResponse``) a response cut at shutdown leaves its body
generator, and the ``async with bot.astream()`` in it, suspended: nothing closed it until the
event loop ended, and then ``asyncio.run`` cancelled the store write before its thread began.
The customer had been shown text, and the turn was neither stored nor logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from .turnlog import logged_as

if TYPE_CHECKING:
    from .reply import Reply
    from .stream import Shown
    from .turn import Turn

log = logging.getLogger("servicebot")


def _nothing() -> None:
    """No turn in progress to end (an async stream not read yet)."""


class StreamEnd:
    """A stream's turn, what it has shown, and whether one of its ends has stored it."""

    def __init__(self, end: Callable[[], None] = _nothing) -> None:
        self._lock = threading.Lock()
        self._taken = False
        self.end = end  # ends the turn in progress, for Bot.close() (see closing.py)
        self.turn: Turn | None = None  # once begun
        self.shown: Shown | None = None

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

        from .turnstorage import off_loop

        if self.turn is None:
            return None
        try:
            return await asyncio.shield(off_loop(self.turn.bot, self.stop))
        except asyncio.CancelledError:
            self.stop()  # nothing, if the thread took it
            raise

    def abandoned(self) -> None:
        """The stream was collected unclosed, or the interpreter exits holding it, with its
        turn unstored: its generator was dropped, its event loop gone. Store it now, and say
        so: what the customer was shown would otherwise be lost without a word."""
        if self.turn is None or self._taken:
            return
        log.error(
            "conversation %s: a stream was left unfinished and never closed; its turn is "
            "stored now, stopped with what it showed. Close streams: `async with "
            "bot.astream(...)`, and `await bot.aclose()` at shutdown",
            self.turn.conversation_id,
        )
        self.stop()
