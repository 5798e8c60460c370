"""Each thread's connection to a SQLite store's file (sqlite.py): opened with the store's
pragmas (WAL, ``synchronous=NORMAL``, ``secure_delete``) and the file made 0600, migrated
when the file is new, opened anew when the file was deleted or replaced under the running
bot, and closed from any thread once its call ends. :class:`SQLiteConnections` gives the
store its reads (``_query``) and write transactions (``_transaction``, ``BEGIN IMMEDIATE``),
each on the calling thread's connection, and a health probe (``ping``).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from ..errors import StorageError
from ..privatefiles import PRIVATE_FILE
from .sqlitemigrations import migrate, rollback

# Less free space than this, and turns are not stored: every write fails "database or disk
# is full" while a read, and a folder's mode, say nothing of it. A turn's write needs a few
# pages (4 KiB each) in the -wal file, and the WAL grows until a checkpoint.
MIN_FREE = 1 << 20


def _free_bytes(folder: Path) -> int:
    """The bytes this process may still write in ``folder``'s file system: root may use the
    blocks it reserves for root, others may not."""
    stat = os.statvfs(folder)
    blocks = stat.f_bfree if os.geteuid() == 0 else stat.f_bavail
    return blocks * stat.f_frsize


class SQLiteConnections:
    """The connections of a :class:`~servicebot.store.sqlite.SQLiteStore`, one a thread:
    a mixin, as the store's ``path``, ``timeout`` and ``_file`` (the file migrated last:
    device, inode) are its own."""

    path: Path
    timeout: float
    _file: tuple[int, int] | None

    def _forget_connections(self) -> None:
        """Start with no connection: at creation, and in a forked child, which must not use
        its parent's (SQLite's rule); collected, they close only the child's copies."""
        self._local = threading.local()
        # Every live thread's connection, to close them all. Weakly: a thread's connection is
        # closed when its thread ends, as asyncio.to_thread's workers do after each
        # asyncio.run, so that a process serving many loops does not run out of files.
        self._opened: weakref.WeakSet[_Held] = weakref.WeakSet()
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close every thread's connection; a thread that goes on opens a new one.

        A connection another thread is using (a turn still being stored) is closed once that
        call ends: closed under it, SQLite freed what the call was using, and the process
        crashed (signal 11). Each use holds its connection's lock (see :meth:`_used`)."""
        with self._lock:
            opened = list(self._opened)
            self._opened.clear()
        for held in opened:
            with held.lock:
                held.connection.close()
                held.file = None
        self._local.__dict__.clear()

    def ping(self) -> None:
        """A health probe (health.py), writing nothing: one read, which never waits (WAL),
        on this thread's connection (opened again, as a turn's would be, if the file was
        replaced); then whether a connection opened now could write: the file and its folder
        (where SQLite makes the ``-wal`` and ``-shm`` files) writable, and ``MIN_FREE`` bytes
        free on its disk. StorageError if not."""
        self._query("SELECT COUNT(*) FROM _migrations", ())
        for place in (self.path, self.path.parent):
            if not os.access(place, os.W_OK):
                raise StorageError(f"cannot write the conversation store: {place} is not writable")
        if (free := _free_bytes(self.path.parent)) < MIN_FREE:
            raise StorageError(
                f"cannot write the conversation store: {self.path.parent} has {free} bytes free"
            )

    def _query(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        try:
            with self._used() as db:
                rows: list[Any] = db.execute(sql, args).fetchall()
            return rows
        except (sqlite3.Error, UnicodeError, OverflowError) as exc:
            raise StorageError(f"cannot read the conversation store {self.path}: {exc}") from exc

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[sqlite3.Connection]:
        """One write transaction: the database lock is taken at the start, not at first write."""
        with self._used() as db:
            try:
                db.execute("BEGIN IMMEDIATE")
                yield db
                db.execute("COMMIT")
            except (sqlite3.Error, ValueError, TypeError, OverflowError) as exc:
                rollback(db)
                raise StorageError(
                    f"cannot {doing} the conversation store {self.path}: {exc}"
                ) from exc
            except BaseException:
                rollback(db)
                raise

    @contextmanager
    def _used(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, held for one call (a query, a transaction), so that
        :meth:`close`, in another thread, waits for the call to end before closing it."""
        while True:
            held = self._connection()
            with held.lock:
                if held.file is not None:  # else closed since: this thread opens another
                    yield held.connection
                    return

    def _connection(self) -> _Held:
        """This thread's connection (sqlite3 connections must stay in their thread), opened
        again when the file it has is no longer the store's: deleted or replaced under the
        running bot (a clean-up job, a restored backup), where its turns would go to a file no
        one can open; or closed by :meth:`close`. A new file gets its tables first."""
        held: _Held | None = getattr(self._local, "held", None)
        if held is not None and held.file is not None and held.file == _file_of(self.path):
            return held
        try:
            _make_file(self.path)
            # Used only by this thread; check_same_thread=False lets close() end it from another.
            connection = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
            held = _Held(connection)
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA foreign_keys = ON")
            # Deleted text is overwritten with zeros, not left in free pages: erasure must
            # not depend on whether this platform's SQLite was built with SECURE_DELETE.
            connection.execute("PRAGMA secure_delete = ON")
            held.file = _file_of(self.path)
            if held.file != self._file:  # first opened, or made anew
                migrate(connection, self.path)
                self._file = held.file
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"cannot open the conversation store {self.path}: {exc}") from exc
        with self._lock:  # only now, set up, may close() end it
            self._opened.add(held)
        self._local.held = held
        return held


def _make_file(path: Path) -> None:
    """Make the database file, if there is none, readable by its owner alone (0600); SQLite
    gives its -wal and -shm files the database file's mode. (SQLite itself would make all
    three 0644, for every user of the machine to read.) A file that exists keeps its mode."""
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))


def _file_of(path: Path) -> tuple[int, int] | None:
    """Which file ``path`` is now (device, inode); None if there is none."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


class _Held:
    """A thread's connection, closed when the thread ends and its thread-local values go;
    ``lock`` is held while it is used, and by :meth:`SQLiteStore.close`."""

    __slots__ = ("__weakref__", "connection", "file", "lock")

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.file: tuple[int, int] | None = None  # the file it has open; None once closed
        self.lock = threading.Lock()

    def __del__(self) -> None:
        self.connection.close()
