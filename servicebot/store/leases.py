"""Leases in the store: what one process holds for a while, so that other processes on the
same store wait for it or take over once it expires.

A lease is named by its conversation and ``what`` it is of (``turns``: the conversation,
from loading its history to storing a turn; ``message <id>``: a delivery of one message,
answered by one process; see turnclaim.py). It is taken with no wait (a caller
that did not get it decides what to do meanwhile), ends after ``seconds`` however its holder
ends (a process killed mid-turn holds nothing for good), and is let go only by its holder:
one that outlived its time and was taken over by another process leaves the new holder's
alone. Its holder keeps it longer by taking it again (``acquire``: ``seconds`` more from
then), which works while no other process has taken it since; :meth:`Lease.left` says when
that is due, by this process's clock, started before each take (so never later than the
store's).

    redis://    redis-py's own :class:`redis.lock.Lock`: ``SET NX PX``, and a token-checked
                release (a Lua script), under ``{ns}:lease:{length of id}:{id}:{what}``
    sqlite://   a row of the ``leases`` table (migration 0005), taken in one ``INSERT ... ON
                CONFLICT DO UPDATE ... WHERE until <= now`` and deleted by its token
    memory://   none: one process, whose turns of a conversation are already taken one at a
                time (turnorder.py). Nor for a store of the application's own.
"""

from __future__ import annotations

import logging
import math
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import StorageError

if TYPE_CHECKING:
    from redis.lock import Lock

    from . import Store
    from .sqliteconnections import SQLiteConnections

log = logging.getLogger("servicebot")


class Lease(Protocol):
    """One lease of the store, taken and let go by this process."""

    # Whether a slow failure to take or let it go pauses the store (Pause.run_lease): not on
    # SQLite, whose file another process holds locked for writes is still read.
    slow_counts: bool
    what: str  # what it is of: "turns", or "message <id>"
    seconds: float  # how long each take holds it

    def acquire(self) -> bool:
        """Take the lease if no other process holds it (or its time ran out), or keep it
        ``seconds`` more from now if this one does; False if another does. StorageError if
        the store cannot answer."""

    def left(self) -> float:
        """Seconds this process still holds the lease for, at least (0 or less: it may have
        run out, and been taken over)."""

    def release(self) -> None:
        """Let the lease go if this process still holds it; nothing if it ran out and another
        took it. StorageError if the store cannot answer."""


def lease_for(store: Store, conversation_id: str, what: str, seconds: float) -> Lease | None:
    """The lease ``what`` of the conversation on ``store``, held ``seconds`` at most once
    taken; None for a store shared by no other process (memory://, or one of the
    application's own)."""
    from .sqlite import SQLiteStore  # here: sqlite3 is always there, redis-py may not be

    if isinstance(store, SQLiteStore):
        return store.lease(conversation_id, what, seconds)
    # A RedisStore's module is imported already: importing it otherwise needs redis-py.
    redis_module = sys.modules.get(f"{__package__}.redis")
    if redis_module is not None and isinstance(store, redis_module.RedisStore):
        lease: Lease = store.lease(conversation_id, what, seconds)
        return lease
    return None


class _Timed:
    """When a lease was last taken, by this process's monotonic clock, read before the take's
    command was sent: the store counts its time from later, so :meth:`left` errs short."""

    seconds: float
    _taken = -math.inf

    def left(self) -> float:
        return self.seconds - (time.monotonic() - self._taken)

    def _timed(self, take: Callable[[], bool]) -> bool:
        """``take()``, noting when it was sent if it took the lease."""
        start = time.monotonic()
        if taken := take():
            self._taken = start
        return taken


class RedisLease(_Timed):
    """redis-py's Lock, which is exactly a lease: ``SET key token NX PX``, released by a
    script that deletes the key only if it still holds the token, and kept longer by one that
    resets its time if it still does (``reacquire``). Made by :meth:`RedisStore.lease
    <servicebot.store.redis.RedisStore.lease>`, which gives it the lock under the
    conversation's key and the store's ``call``, which runs a command and turns its failure
    into StorageError."""

    slow_counts = True  # a server too slow for it is too slow for a read too

    def __init__(self, lock: Lock, call: Callable[[Callable[[], Any]], Any], what: str) -> None:
        self._lock, self._call, self.what = lock, call, what
        self.seconds = float(lock.timeout or 0)

    def acquire(self) -> bool:
        return self._timed(lambda: bool(self._call(self._take)))

    def _take(self) -> bool:
        """Keep the lock if this process holds it, else take it if no one does."""
        from redis.exceptions import LockNotOwnedError

        if self._lock.local.token is not None:
            with suppress(LockNotOwnedError):  # it ran out: taken over, or free
                return self._lock.reacquire()
        return bool(self._lock.acquire(blocking=False))

    def release(self) -> None:
        from redis.exceptions import LockError

        try:
            self._call(self._lock.release)
        except StorageError as exc:
            if not isinstance(exc.__cause__, LockError):  # ran out, and maybe taken over
                raise


def redis_lease_key(namespace: str, conversation_id: str, what: str) -> str:
    """The Redis key of the lease ``what`` of a conversation: under ``{ns}:lease:``, where no
    conversation's key is (``{ns}:conversation:c:lease:turns`` was conversation ``c:lease``'s
    turns, so its every turn held ``c``'s), and the id's length before it, so that no two
    ids and leases make one name (``a:b`` and ``message m`` against ``a`` and ``b:message m``)."""
    return f"{namespace}:lease:{len(conversation_id)}:{conversation_id}:{what}"


class SQLiteLease(_Timed):
    """A row of the ``leases`` table, with its holder's token and when it runs out.

    Hand-written: sqlite3 has no lock that outlives a transaction, and holding a write
    transaction across a model call would stop every other turn's write for its length. So
    the lease is a row, taken in one statement (SQLite's UPSERT, in ``BEGIN IMMEDIATE``), and
    runs out on the wall clock, which the processes sharing a file share (one host). Made by
    :meth:`SQLiteStore.lease <servicebot.store.sqlite.SQLiteStore.lease>`, which gives it the
    store (its write transactions and reads: StorageError if they fail) and namespace."""

    slow_counts = False  # a write lock another process holds fails it; reads still work

    def __init__(self, store: SQLiteConnections, key: tuple[str, str, str], seconds: float) -> None:
        """``key``: the namespace, the conversation and what the lease is of."""
        self._transaction, self._read = store._transaction, store._query
        self._key, self.seconds = key, seconds
        self.what, self._token = key[2], uuid.uuid4().hex

    def acquire(self) -> bool:
        return self._timed(self._take)

    def _take(self) -> bool:
        """The row made, or made this process's again: its time ran out, or it was ours. Read
        first, without a lock: a turn waiting for another's lease looks every 50 ms, and
        each look took the file's write lock, which every turn's write waits for."""
        if self._held_by_another():
            return False
        at = time.time()
        with self._transaction("take a lease in") as db:
            # Rows left by holders that died: a conversation's id is a customer's value.
            db.execute("DELETE FROM leases WHERE namespace = ? AND until <= ?", (self._key[0], at))
            taken = db.execute(
                "INSERT INTO leases (namespace, conversation_id, what, token, until)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (namespace, conversation_id, what)"
                " DO UPDATE SET token = excluded.token, until = excluded.until"
                " WHERE leases.until <= ? OR leases.token = excluded.token",
                (*self._key, self._token, at + self.seconds, at),
            ).rowcount
        return taken == 1

    def _held_by_another(self) -> bool:
        """Whether the row is another holder's, with time left (a read: no lock taken)."""
        rows = self._read(
            "SELECT token, until FROM leases WHERE namespace = ? AND conversation_id = ?"
            " AND what = ?",
            self._key,
        )
        return bool(rows) and rows[0][0] != self._token and rows[0][1] > time.time()

    def release(self) -> None:
        with self._transaction("let a lease go in") as db:
            db.execute(
                "DELETE FROM leases WHERE namespace = ? AND conversation_id = ? AND what = ?"
                " AND token = ?",
                (*self._key, self._token),
            )
