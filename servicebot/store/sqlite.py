"""Conversations in one SQLite file: the default store.

WAL mode lets readers work while a turn is written; ``BEGIN IMMEDIATE`` makes writers take
turns, so a conversation's next number is read and used inside one locked transaction (and
the primary key on (conversation, number) would refuse a duplicate anyway). With
``synchronous=NORMAL`` a committed turn survives the writing process being killed; only a
power cut can lose the last moments. ``secure_delete`` zeroes what a delete frees, so a
purged conversation's text leaves the file whatever the platform's SQLite build. The
schema is an ordered list of named migrations, each recorded in ``_migrations`` once applied
(sqlitemigrations.py). Bots sharing a file each keep to their ``namespace`` (namespaces.py):
every read, write, purge and retention sweep names it.

A write waits at most ``timeout`` seconds (``store.timeout``) for another process's lock (a
VACUUM, a long purge, a tool holding a transaction): then it fails with StorageError, which
the turns' :class:`~servicebot.store.Pause` counts as slow. Reads do not wait: WAL lets them
go on beside a writer, and a file whose migrations are all applied is opened without a lock.
Each thread's connection, and the reads and write transactions on it, are
sqliteconnections.py's.

With ``retention_days``, the store removes the conversations whose last turn is older (as
``purge`` does): when it opens, and then at most once an hour, inside a turn's own write
transaction, through the index on (``namespace``, ``updated_at``). Nothing has to schedule
``purge`` for the setting to hold. A sweep that removed any ends with the purge's TRUNCATE
checkpoint, once its transaction commits, so that the removed text leaves the ``-wal`` file
too; if a reader keeps the log busy, the next write tries again.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
from collections.abc import Callable, Collection, Generator, Iterator
from contextlib import suppress
from datetime import datetime, timedelta
from itertools import groupby
from operator import attrgetter
from pathlib import Path
from typing import Any

from ..errors import StorageError
from ..forking import forget_in_child
from ..privatefiles import make_private_folder
from . import PurgeReport, Rating, TurnRecord, by_first_turn, now, parse_stamp, read_state, stamp
from .leases import SQLiteLease
from .sqliteconnections import SQLiteConnections

FIELDS = tuple(field.name for field in dataclasses.fields(TurnRecord))  # the turns' columns
_COLUMNS = ", ".join(FIELDS)
_T_COLUMNS = ", ".join(f"t.{name}" for name in FIELDS)  # of turns joined as t
_PLACES = ", ".join("?" * len(FIELDS))
_RATING_COLUMNS = "namespace, conversation_id, turn, helpful, comment, at"


class SQLiteStore(SQLiteConnections):
    """A :class:`~servicebot.store.Store` in one SQLite file; safe across threads and processes."""

    blocking = True
    SWEEP_EVERY = 3600.0  # seconds between two removals of the conversations past retention

    def __init__(
        self,
        path: Path,
        timeout: float = 1.0,
        retention_days: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        namespace: str = "",
    ) -> None:
        """``timeout``: seconds a write may wait for another connection's lock.
        ``retention_days``: how long a conversation is kept after its last turn (None: kept).
        ``namespace``: the bot's part of the file; every read, write and purge stays in it."""
        self.path, self.timeout, self.namespace = path, timeout, namespace
        self._retention = None if retention_days is None else timedelta(days=retention_days)
        self._clock, self._sweep_due = clock, clock()
        self._swept = False  # the last sweep removed text the WAL may still hold
        self._forget_connections()
        forget_in_child(self)
        try:
            make_private_folder(path.parent)
        except OSError as exc:
            raise StorageError(f"cannot open the conversation store {path}: {exc}") from exc
        self._file: tuple[int, int] | None = None  # the file migrated last: device, inode
        self._connection()  # makes the file and its tables
        if self._retention is not None:
            self._sweep_on_open()

    def append_turn(self, turn: TurnRecord) -> TurnRecord:
        at, ns = stamp(turn.at), self.namespace
        with self._transaction("write") as db:
            done = db.execute(
                "SELECT number FROM turns WHERE namespace = ? AND conversation_id = ? AND id = ?",
                (ns, turn.conversation_id, turn.id),
            ).fetchone()
            if done:  # the same turn again (a retry): store it once
                return dataclasses.replace(turn, number=done[0])
            db.execute(
                "INSERT INTO conversations (namespace, id, created_at, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (namespace, id)"
                " DO UPDATE SET updated_at = MAX(updated_at, excluded.updated_at)",
                (ns, turn.conversation_id, at, at),
            )
            (number,) = db.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM turns"
                " WHERE namespace = ? AND conversation_id = ?",
                (ns, turn.conversation_id),
            ).fetchone()
            stored = dataclasses.replace(turn, number=number)
            db.execute(
                f"INSERT INTO turns (namespace, {_COLUMNS}) VALUES (?, {_PLACES})",
                (ns, *_row(stored)),
            )
            if self._clock() >= self._sweep_due:
                self._sweep(db)
        self._empty_wal_after_sweep()
        return stored

    def history(self, conversation_id: str, limit: int | None = None) -> list[TurnRecord]:
        rows = self._query(
            f"SELECT {_COLUMNS} FROM turns WHERE namespace = ? AND conversation_id = ?"
            " ORDER BY number DESC LIMIT ?",
            (self.namespace, conversation_id, -1 if limit is None else max(limit, 0)),
        )
        return [_turn(row) for row in reversed(rows)]

    def turn_for_message(self, conversation_id: str, message_id: str) -> TurnRecord | None:
        rows = self._query(
            f"SELECT {_COLUMNS} FROM turns WHERE namespace = ? AND conversation_id = ?"
            " AND message_id = ? ORDER BY number DESC LIMIT 1",
            (self.namespace, conversation_id, message_id),
        )
        return _turn(rows[0]) if rows else None

    def load_state(self, conversation_id: str) -> dict[str, Any] | None:
        rows = self._query(
            "SELECT state FROM conversations WHERE namespace = ? AND id = ?",
            (self.namespace, conversation_id),
        )
        return read_state(rows[0][0] if rows else None, self.path)

    def swap_state(
        self, conversation_id: str, before: dict[str, Any] | None, after: dict[str, Any]
    ) -> bool:
        at = stamp(now())
        with self._transaction("write") as db:  # no other writer between the read and the write
            row = db.execute(
                "SELECT state FROM conversations WHERE namespace = ? AND id = ?",
                (self.namespace, conversation_id),
            ).fetchone()
            if read_state(row[0] if row else None, self.path) != before:
                return False
            db.execute(
                "INSERT INTO conversations (namespace, id, created_at, updated_at, state)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (namespace, id) DO UPDATE SET state = excluded.state",
                (self.namespace, conversation_id, at, at, json.dumps(after)),
            )
        return True

    def turns_since(self, since: datetime) -> Iterator[TurnRecord]:
        rows = self._query(
            f"SELECT {_COLUMNS} FROM turns WHERE namespace = ? AND at >= ? ORDER BY at",
            (self.namespace, stamp(since)),
        )
        return (_turn(row) for row in rows)

    def conversations_since(self, since: datetime) -> list[list[TurnRecord]]:
        """One query: the turns of the conversations whose newest turn (``updated_at``, on
        its index) is at or after ``since``."""
        rows = self._query(
            f"SELECT {_COLUMNS} FROM turns WHERE namespace = ? AND conversation_id IN"
            " (SELECT id FROM conversations WHERE namespace = ? AND updated_at >= ?)"
            " ORDER BY conversation_id, number",
            (self.namespace, self.namespace, stamp(since)),
        )
        return by_first_turn(map(_turn, rows))

    def iter_conversations_since(self, since: datetime) -> Generator[list[TurnRecord]]:
        """One cursor, ordered in SQL by each conversation's first turn, so that rows are
        gathered a conversation at a time and none is held past its own. SQLite sorts on
        its side (an index per conversation's first turn is not kept)."""
        sql = (
            f"SELECT {_T_COLUMNS} FROM turns t JOIN (SELECT c.id AS id, (SELECT at FROM turns"
            " WHERE namespace = c.namespace AND conversation_id = c.id ORDER BY number"
            " LIMIT 1) AS first FROM conversations c WHERE c.namespace = ? AND"
            " c.updated_at >= ?) chosen ON t.conversation_id = chosen.id"
            " WHERE t.namespace = ? ORDER BY chosen.first, chosen.id, t.number"
        )
        try:
            with self._used() as db:
                rows = db.execute(sql, (self.namespace, stamp(since), self.namespace))
                for _, turns in groupby(map(_turn, rows), key=attrgetter("conversation_id")):
                    yield list(turns)
        except (sqlite3.Error, UnicodeError, OverflowError) as exc:
            raise StorageError(f"cannot read the conversation store {self.path}: {exc}") from exc

    def rate_turn(self, rating: Rating) -> bool:
        key = (self.namespace, rating.conversation_id, rating.turn)
        with self._transaction("write") as db:
            if not db.execute(
                "SELECT 1 FROM turns WHERE namespace = ? AND conversation_id = ? AND number = ?",
                key,
            ).fetchone():
                return False
            db.execute(
                f"INSERT OR REPLACE INTO ratings ({_RATING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (*key, rating.helpful, rating.comment, stamp(rating.at)),
            )
        return True

    def ratings(self, conversation_id: str) -> dict[int, Rating]:
        rows = self._query(
            f"SELECT {_RATING_COLUMNS} FROM ratings WHERE namespace = ? AND conversation_id = ?",
            (self.namespace, conversation_id),
        )
        return {rating.turn: rating for rating in map(_rating, rows)}

    def ratings_since(self, since: datetime) -> list[Rating]:
        """One query, choosing the conversations as :meth:`conversations_since` does."""
        rows = self._query(
            f"SELECT {_RATING_COLUMNS} FROM ratings WHERE namespace = ? AND conversation_id IN"
            " (SELECT id FROM conversations WHERE namespace = ? AND updated_at >= ?)",
            (self.namespace, self.namespace, stamp(since)),
        )
        return list(map(_rating, rows))

    def conversation_ids(self) -> list[str]:
        rows = self._query("SELECT id FROM conversations WHERE namespace = ?", (self.namespace,))
        return [row[0] for row in rows]

    def conversations_with_placeholders(self, kinds: Collection[str]) -> list[str]:
        """One query over the conversations' states (JSON1); turns are read only for the
        conversations that match, for the time of their first."""
        chosen = sorted(kinds)
        rows = self._query(
            "SELECT c.id FROM conversations c WHERE c.namespace = ? AND c.state IS NOT NULL"
            " AND EXISTS (SELECT 1 FROM json_each(c.state, '$.counts')"
            f" WHERE key IN ({', '.join('?' * len(chosen))}) AND value > 0)"
            " ORDER BY COALESCE((SELECT MIN(at) FROM turns"
            " WHERE namespace = c.namespace AND conversation_id = c.id), c.created_at), c.rowid",
            (self.namespace, *chosen),
        )
        return [conversation_id for (conversation_id,) in rows]

    def purge_conversation(self, conversation_id: str) -> PurgeReport:
        return self._purge("WHERE id = ?", (conversation_id,))

    def purge_older_than(self, cutoff: datetime) -> PurgeReport:
        return self._purge("WHERE updated_at < ?", (stamp(cutoff),))

    def lease(self, conversation_id: str, what: str, seconds: float) -> SQLiteLease:
        """The lease ``what`` of the conversation (see leases.py): a row in this file."""
        return SQLiteLease(self, (self.namespace, conversation_id, what), seconds)

    def _sweep_on_open(self) -> None:
        """Remove the conversations past retention now; if another process holds the file
        locked past ``timeout`` (a VACUUM, a long purge), the first write does instead."""
        with suppress(StorageError), self._transaction("apply retention to") as db:
            self._sweep(db)
        self._empty_wal_after_sweep()

    def _sweep(self, db: sqlite3.Connection) -> None:
        """Remove the conversations past retention in ``db``'s open write transaction, and
        put the next removal an hour off."""
        if self._retention is not None:
            cutoff = stamp(now() - self._retention)
            removed = db.execute(
                "DELETE FROM conversations WHERE namespace = ? AND updated_at < ?",
                (self.namespace, cutoff),
            )
            self._swept = self._swept or removed.rowcount > 0
        self._sweep_due = self._clock() + self.SWEEP_EVERY

    def _empty_wal_after_sweep(self) -> None:
        """After a committed sweep that removed any conversation, empty the WAL as a purge
        does: retention is an erasure too. A busy log is not the turn's failure (its turn is
        stored): the flag stays, and the next write tries again."""
        if self._swept:
            with suppress(StorageError):
                self._checkpoint()
                self._swept = False

    def _purge(self, where: str, args: tuple[Any, ...]) -> PurgeReport:
        """Delete the conversations ``where`` chooses, then empty the WAL file.

        The erased text is still in the ``-wal`` file after the delete commits: the frames
        that wrote it stay there until a checkpoint resets the log, and SQLite truncates the
        log only when the last connection closes, which a running bot's never do. An erasure
        request must leave nothing on disk, so the purge ends with a TRUNCATE checkpoint.
        Only this store's namespace: ``where`` is narrowed to it."""
        where, args = f"{where} AND namespace = ?", (*args, self.namespace)
        with self._transaction("write") as db:
            chosen = f"SELECT id FROM conversations {where}"
            (turns,) = db.execute(
                f"SELECT COUNT(*) FROM turns WHERE namespace = ? AND conversation_id IN ({chosen})",
                (self.namespace, *args),
            ).fetchone()
            conversations = db.execute(f"DELETE FROM conversations {where}", args).rowcount
            # and the leases holders that died left (store/leases.py): each names a conversation
            db.execute(
                "DELETE FROM leases WHERE namespace = ? AND until <= ?",
                (self.namespace, time.time()),
            )
        self._checkpoint()
        return PurgeReport(conversations, turns)

    def _checkpoint(self) -> None:
        """Copy the WAL into the database file and truncate it to nothing, waiting up to
        ``timeout`` for readers and writers (a bot's connections hold none between calls)."""
        try:
            with self._used() as db:
                (busy, _, _) = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as exc:
            raise StorageError(f"cannot empty the WAL of {self.path}: {exc}") from exc
        if busy:
            raise StorageError(
                f"purged, but the WAL of {self.path} still holds the removed text: another "
                "connection kept it busy; run the purge again"
            )


def _row(turn: TurnRecord) -> tuple[Any, ...]:
    values = turn.as_data()
    values["events"] = json.dumps(list(values["events"]), ensure_ascii=False)  # as dicts
    return tuple(values[name] for name in FIELDS)


def _turn(row: tuple[Any, ...]) -> TurnRecord:
    try:
        values = dict(zip(FIELDS, row, strict=True))
        values["events"] = json.loads(values["events"])
        return TurnRecord.from_data(values)
    except (ValueError, TypeError) as exc:
        raise StorageError(f"a stored turn cannot be read: {exc}") from exc


def _rating(row: tuple[Any, ...]) -> Rating:
    """A row of ``_RATING_COLUMNS`` as a Rating (its namespace is the store's)."""
    try:
        return Rating(row[1], int(row[2]), bool(row[3]), row[4], parse_stamp(row[5]))
    except (ValueError, TypeError) as exc:
        raise StorageError(f"a stored rating cannot be read: {exc}") from exc
