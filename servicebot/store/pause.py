"""The store's pause: :class:`Pause` runs each of a bot's store commands, and after one
fails slowly (or a few fail in a row) fails every command at once, untried, for a few
seconds, so that turns do not queue behind a store that cannot answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import ClassVar, ParamSpec, TypeVar

from ..errors import StorageError, StorePausedError

log = logging.getLogger("servicebot")
P = ParamSpec("P")
T = TypeVar("T")


class Pause:
    """Failing fast while a store cannot answer.

    A Redis server that stops answering (a partition, a failover), or a SQLite file another
    process holds locked (a VACUUM, a long purge), makes each command wait out
    ``store.timeout``, and async turns make their store calls in a few worker threads: 100
    turns at once queued behind each other for over a minute each. So after a command fails
    having waited ``SLOW`` seconds or more, every command fails at once, untried, for
    ``LENGTH`` seconds: each of those turns loses its record (or history) as a turn that waited
    would, in no time. Commands after the pause try the store again. ``slow`` is ``SLOW``, or
    the store's own timeout if that is shorter.

    A command that fails sooner costs less, but not nothing: against a Redis server that
    refuses connections (it is down) each is tried twice with a back-off between, about 0.1 s
    of a worker thread, and three per turn cut a bot's throughput from 160 to 30 turns a
    second. So ``FAILURES`` commands failing in a row pause the store too, however fast. A
    server that only refuses writes (a read-only replica, OOM) fails every turn's append but
    answers its reads between, so it is never paused: its reads still serve the history.

    The pause is logged once as it starts, and once as the store answers again; the turns it
    skips meet StorePausedError, which they log at DEBUG only.
    """

    SLOW: ClassVar[float] = 0.25
    LENGTH: ClassVar[float] = 5.0
    FAILURES: ClassVar[int] = 3

    def __init__(self, slow: float = SLOW, clock: Callable[[], float] = time.monotonic) -> None:
        self.slow, self.clock = min(slow, self.SLOW), clock
        self._until = 0.0  # when commands are tried again, on ``clock``
        # Failures in a row, and whether the store is paused (from the pause's start until a
        # command succeeds). Threads race on them harmlessly: at worst a pause starts one
        # failure late, or is logged twice.
        self._in_a_row, self._paused = 0, False

    def state(self) -> tuple[bool, float, int]:
        """Whether the store is paused (from the pause's start until a command succeeds),
        the seconds until commands are tried again, and the failures in a row: read only, for
        a health check (``Bot.store_breaker``)."""
        left = max(self._until - self.clock(), 0.0) if self._paused else 0.0
        return self._paused, left, self._in_a_row

    def run(self, command: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``command(*args, **kwargs)``, unless the store is paused: then StorePausedError."""
        self._refuse_while_paused()
        started = self.clock()
        try:
            result = command(*args, **kwargs)
        except StorageError as exc:
            self._failed(exc, slow=self.clock() - started >= self.slow)
            raise
        self.answered()
        return result

    def answered(self) -> None:
        """The store answered (a command, or a health probe: health.py): a pause ends, and
        commands are tried again at once."""
        if self._paused:
            log.warning("the conversation store answered again: turns are stored again")
        self._until, self._in_a_row, self._paused = 0.0, 0, False

    def run_lease(self, command: Callable[[], T], *, slow_counts: bool) -> T:
        """``command``, a lease's (store/leases.py), unless the store is paused, as
        :meth:`run`; but only a slow failure counts towards a pause, and only if
        ``slow_counts``. A lease is an extra command per turn: a Redis server that refuses
        connections failed three in a row where it failed two, and paused turns after it came
        back; and a SQLite file another process holds locked fails it slowly while reads
        still work beside the lock, which a pause would skip."""
        self._refuse_while_paused()
        started = self.clock()
        try:
            return command()
        except StorageError as exc:
            if slow_counts and self.clock() - started >= self.slow:
                self._failed(exc, slow=True)
            raise

    def _refuse_while_paused(self) -> None:
        """StorePausedError if the store is paused: the command is not tried."""
        if self._until > self.clock():
            # The same words every time (no countdown), for log tools to group the lines.
            raise StorePausedError(
                "not tried: the store failed just now (it is tried again "
                f"{self.LENGTH:g} s after it)"
            )

    def _failed(self, exc: StorageError, *, slow: bool) -> None:
        """A command failed: the store is paused if it failed slowly, or ``FAILURES`` in a
        row did; said once per pause, however many pauses follow before it answers."""
        self._in_a_row += 1
        if not slow and self._in_a_row < self.FAILURES:
            return
        self._until = self.clock() + self.LENGTH
        if not self._paused:
            self._paused = True
            why = "slowly" if slow else f"{self._in_a_row} times in a row"
            log.warning(
                "the conversation store failed %s (last: %s): turns are answered but not "
                "stored, without trying it, for %g s at a time until it answers again",
                why, exc, self.LENGTH,
            )  # fmt: skip
