"""Turns of one conversation taken one at a time, in the order they arrive, in this process.

A chat platform's webhook delivers a customer's messages as they are typed, each in its own
request: a turn that waits on the model still runs when the next message arrives. Run at
once, the second turn loaded the history without the first (the model never saw it), and
turn numbers followed the order the turns ended in. So a turn takes its :class:`Place` in its
conversation's line before it loads the conversation, and lets it go once it is stored: the
next turn loads the history after it. Turns of other conversations do not wait.

Threads and asyncio tasks (of any event loop) wait in one line, first come first served. A
task cancelled while it waits leaves the line. A line is held weakly: a conversation with no
turn in progress costs nothing. A turn that holds its place longer than its bound (a stream
whose caller left it suspended, never read nor closed) is passed over, with a warning: the
next turn goes ahead without it. Several processes (two web workers) each keep their own
lines; on a SQLite file or Redis server they share, a turn also holds its conversation in the
store once it has its place here (turnclaim.py), so turns sent to different processes are
taken one at a time too.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING

from .forking import forget_in_child

if TYPE_CHECKING:
    from .turn import Turn

log = logging.getLogger("servicebot")


class _Line:
    """One conversation's turns: the one holding it, since when, and those waiting."""

    __slots__ = ("__weakref__", "holder", "since", "waiting")

    def __init__(self) -> None:
        self.holder: Place | None = None
        self.since = 0.0
        self.waiting: deque[Place] = deque()


class _Lines:
    """Every conversation's line in this process, keyed by store and conversation id."""

    def __init__(self) -> None:
        self._forget_connections()
        forget_in_child(self)

    def _forget_connections(self) -> None:
        """Empty, at creation and in a forked child: its parent's turns are not its own."""
        self.lock = threading.Lock()
        self.lines: weakref.WeakValueDictionary[Hashable, _Line] = weakref.WeakValueDictionary()


_LINES = _Lines()


class Place:
    """A turn's place in its conversation's line: held from :func:`take` until :meth:`let_go`."""

    def __init__(
        self,
        key: Hashable,
        conversation_id: str,
        bound: float,
        wake: Callable[[], object] | None = None,
    ) -> None:
        self.conversation_id, self.bound = conversation_id, bound
        self.granted = threading.Event()
        self.wake = wake  # tells an async waiter, on its event loop, that the line is its
        with _LINES.lock:
            line = _LINES.lines.get(key)
            if line is None:
                line = _LINES.lines[key] = _Line()
            self._line = line  # held strongly: the line lives while a turn has a place in it
            line.waiting.append(self)
            if line.holder is None:
                _next(line)

    def let_go(self) -> None:
        """Leave the line: the next turn goes ahead. Once, however often it is called (a turn
        stored, its stream ended, its task cancelled while it waited)."""
        with _LINES.lock:
            line = self._line
            if line.holder is self:
                _next(line)
            else:
                with suppress(ValueError):
                    line.waiting.remove(self)

    def seconds_left(self) -> float:
        """How long the turn ahead may still hold the line, before it is passed over."""
        with _LINES.lock:
            holder = self._line.holder
            if holder is None or holder is self:
                return 0.0
            return max(self._line.since + holder.bound - time.monotonic(), 0.01)

    def pass_overdue(self) -> None:
        """Pass over the turn ahead if it held the line past its bound."""
        with _LINES.lock:
            line, holder = self._line, self._line.holder
            if self.granted.is_set() or holder is None:
                return
            if time.monotonic() - line.since >= holder.bound:
                log.warning(
                    "conversation %s: a turn held it for over %g s (a stream left unread and "
                    "unclosed?); the next turn goes ahead without it",
                    holder.conversation_id,
                    holder.bound,
                )
                _next(line)


def _next(line: _Line) -> None:
    """Give the line to the first turn waiting, under the lock. One whose event loop has
    closed (its task can never run) is passed over."""
    line.holder = None
    while line.waiting:
        place = line.waiting.popleft()
        line.holder, line.since = place, time.monotonic()
        place.granted.set()
        try:
            if place.wake is not None:
                place.wake()
            return
        except RuntimeError:  # call_soon_threadsafe on a closed loop
            line.holder = None


def take(key: Hashable, conversation_id: str, bound: float) -> Place:
    """The turn's place in the line of ``key``'s conversation, once the turns before it let
    theirs go (or held them past ``bound`` seconds each). Blocking: for a thread. Stopped
    while it waits (Ctrl-C), it leaves the line, as :func:`atake` does when cancelled: a
    place left in it would hold every later turn its whole bound."""
    place = Place(key, conversation_id, bound)
    try:
        while not place.granted.wait(place.seconds_left()):
            place.pass_overdue()
    except BaseException:
        place.let_go()
        raise
    return place


async def atake(key: Hashable, conversation_id: str, bound: float) -> Place:
    """:func:`take` for a task, which waits without holding its event loop. Cancelled while
    it waits, it leaves the line."""
    import asyncio  # here, not at the top: see pipeline.py

    loop, woken = asyncio.get_running_loop(), asyncio.Event()
    place = Place(key, conversation_id, bound, lambda: loop.call_soon_threadsafe(woken.set))
    try:
        while not place.granted.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), place.seconds_left())
            place.pass_overdue()
    except BaseException:
        place.let_go()
        raise
    return place


@contextmanager
def letting_go(turn: Turn) -> Iterator[None]:
    """Let the conversation's next turn go ahead as the block ends, however it ends: stored,
    the turn lets go already; an error (a replay miss) ends it unstored."""
    try:
        yield
    finally:
        turn.let_go()
