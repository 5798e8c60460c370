"""Closing a bot whose turns are still running: what they use is closed when the last ends.

A reload closes the old bot while turns it had begun still wait on the model or are being
stored, in other threads or tasks. Closed under them, the model client refused to send ("the
client has been closed") and those turns became fallbacks. So a bot counts its turns in
progress (:meth:`Closing.turn`), and :meth:`Closing.close` releases at once only when none is;
otherwise the last turn to end releases, in its own thread, and ``close()`` returns at once:
nothing waits, neither a reload in a request handler nor an event loop. A turn begun after the
close opens what it uses again, as a store used after ``close()`` always did.

``aclose()`` first stores the streams suspended as stopped with what they showed
(:meth:`Closing.stop_suspended`): a web server stopping leaves the responses it cut
suspended, their streams unstored until the loop ends. It does not wait for a stream so
suspended, whose caller is not asking for a piece: nothing of it runs, and nothing would end
it; waiting for one held every shutdown for the model's whole timeout, longer than a web
server's graceful shutdown lets a lifespan hook run. Stopped first, it lets a message of its
conversation queued behind it run. Then ``aclose()`` waits a while for the turns
(:meth:`Closing.ended`), and stores the streams still open as stopped
(:meth:`Closing.stop_streams`).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from .forking import forget_in_child

log = logging.getLogger("servicebot")


class Stoppable(Protocol):
    """An open stream (stream.py), which a bot's close stores as stopped."""

    @property
    def suspended(self) -> bool:
        """Whether its turn is counted and nothing of it runs (its caller does not read)."""

    async def astop(self) -> None: ...


class Closing:
    """A bot's turns in progress, and the releases waiting for the last of them to end."""

    def __init__(self) -> None:
        self._forget_connections()
        forget_in_child(self)

    def _forget_connections(self) -> None:
        """No turn in progress: at creation, and in a forked child, whose parent's turns are
        not its own (see forking.py)."""
        self._lock = threading.Lock()
        self._running = 0
        self._waiting: list[Callable[[], None]] = []
        self._streams: weakref.WeakSet[Stoppable] = weakref.WeakSet()  # not kept alive here

    def opened(self, stream: Stoppable) -> None:
        """Keep ``stream``, weakly, for :meth:`stop_streams` to stop if it is still open then."""
        with self._lock:  # not while ended() looks at them from the event loop's thread
            self._streams.add(stream)

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Count one turn in progress while the block runs."""
        end = self.begin()
        try:
            yield
        finally:
            end()

    def begin(self) -> Callable[[], None]:
        """Count one turn in progress; the call that ends it, once however often it is made
        (a stream ends when it finishes, is closed, or is collected unread)."""
        with self._lock:
            self._running += 1
        once = threading.Lock()

        def end() -> None:
            if once.acquire(blocking=False):
                self._ended()

        return end

    def close(self, release: Callable[[], None]) -> None:
        """Call ``release`` now if no turn is in progress, else when the last one ends."""
        with self._lock:
            if self._running:
                self._waiting.append(release)
            else:
                release()

    async def ended(self, within: float) -> bool:
        """Whether the turns in progress, but for streams suspended (see :class:`Stoppable`),
        end within ``within`` seconds; awaited, so that the event loop serves on, and looked
        at every 10 ms, as they may run in any thread."""
        import asyncio  # here, not at the top: see pipeline.py

        until = time.monotonic() + within
        while self._busy() and time.monotonic() < until:
            await asyncio.sleep(0.01)
        return not self._busy()

    def _busy(self) -> bool:
        """Whether a turn is in progress that is not a suspended stream's."""
        return self._running > sum(stream.suspended for stream in self._open())

    def _open(self) -> list[Stoppable]:
        with self._lock:  # a WeakSet changed by another thread fails an iteration under way
            return list(self._streams)

    async def stop_suspended(self) -> None:
        """Store the streams suspended now as stopped (see :class:`Stoppable`), and end their
        turns. Called before :meth:`ended`: a message of the same conversation waiting behind
        one (turns of a conversation run one at a time) runs then, and is waited for. Stopped
        after the wait, such a stream held the turn behind it, counted, for all of it."""
        for stream in self._open():
            if stream.suspended:
                await stream.astop()

    async def stop_streams(self) -> None:
        """Store the streams still open as stopped, with what they showed, and end their
        turns. Called after :meth:`ended`: a stream read to its end meanwhile is not cut."""
        for stream in self._open():
            await stream.astop()  # nothing, for one stored already

    def _ended(self) -> None:
        # Released under the lock: a turn beginning meanwhile waits, then opens anew what it
        # uses, rather than taking a client about to be closed under it.
        with self._lock:
            self._running -= 1
            if self._running == 0:
                waiting, self._waiting = self._waiting, []
                for release in waiting:
                    _release(release)


def _release(release: Callable[[], None]) -> None:
    """Call ``release``; a failure is logged, not raised into the turn that happened to end
    last, which was answered and stored."""
    try:
        release()
    except Exception:
        log.exception("the bot's connections could not all be closed")
