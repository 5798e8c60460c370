"""Conversations in one SQLite file: the default store.

WAL mode lets readers work while a turn is written; ``BEGIN IMMEDIATE`` makes writers take
turns, so a conversation's next number is read and used inside one locked transaction (and
the primary key on (conversation, number) would refuse a duplicate anyway). With
``synchronous=NORMAL`` a committed turn survives the writing process being killed; only a
power cut can lose the last moments. The schema is an ordered list of named migrations,
each recorded in ``_migrations`` once applied.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import StorageError
from . import PurgeReport, TurnRecord, now, parse_stamp, stamp

_COLUMNS = (
    "conversation_id, number, at, customer_text, reply_text, action, intent, score, events,"
    " model, prompt_tokens, completion_tokens, latency_ms"
)


def _create_tables(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE conversations (id TEXT PRIMARY KEY, created_at TEXT NOT NULL,"
        " updated_at TEXT NOT NULL, state TEXT)"
    )
    db.execute(
        "CREATE TABLE turns (conversation_id TEXT NOT NULL REFERENCES conversations(id)"
        " ON DELETE CASCADE, number INTEGER NOT NULL, at TEXT NOT NULL, customer_text TEXT"
        " NOT NULL, reply_text TEXT NOT NULL, action TEXT NOT NULL, intent TEXT, score REAL,"
        " events TEXT NOT NULL, model TEXT, prompt_tokens INTEGER NOT NULL, completion_tokens"
        " INTEGER NOT NULL, latency_ms REAL NOT NULL, PRIMARY KEY (conversation_id, number))"
    )
    db.execute("CREATE INDEX turns_at ON turns (at)")
    db.execute("CREATE INDEX conversations_updated ON conversations (updated_at)")


MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("0001_conversations_and_turns", _create_tables),
]


class SQLiteStore:
    """A :class:`~servicebot.store.Store` in one SQLite file; safe across threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._transaction() as db:
                _migrate(db)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open the conversation store {path}: {exc}") from exc

    def append_turn(self, turn: TurnRecord) -> TurnRecord:
        at = stamp(turn.at)
        with self._transaction() as db:
            db.execute(
                "INSERT INTO conversations (id, created_at, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at",
                (turn.conversation_id, at, at),
            )
            (number,) = db.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM turns WHERE conversation_id = ?",
                (turn.conversation_id,),
            ).fetchone()
            stored = replace(turn, number=number)
            db.execute(
                f"INSERT INTO turns ({_COLUMNS}) VALUES ({', '.join('?' * 13)})", _row(stored)
            )
        return stored

    def history(self, conversation_id: str, limit: int | None = None) -> list[TurnRecord]:
        rows = self._query(
            f"SELECT {_COLUMNS} FROM turns WHERE conversation_id = ? ORDER BY number DESC LIMIT ?",
            (conversation_id, -1 if limit is None else limit),
        )
        return [_turn(row) for row in reversed(rows)]

    def load_state(self, conversation_id: str) -> dict[str, Any] | None:
        rows = self._query("SELECT state FROM conversations WHERE id = ?", (conversation_id,))
        state: dict[str, Any] | None = json.loads(rows[0][0]) if rows and rows[0][0] else None
        return state

    def save_state(self, conversation_id: str, state: dict[str, Any]) -> None:
        at = stamp(now())
        with self._transaction() as db:
            db.execute(
                "INSERT INTO conversations (id, created_at, updated_at, state) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET state = excluded.state",
                (conversation_id, at, at, json.dumps(state)),
            )

    def turns_since(self, since: datetime) -> Iterator[TurnRecord]:
        rows = self._query(
            f"SELECT {_COLUMNS} FROM turns WHERE at >= ? ORDER BY at", (stamp(since),)
        )
        return (_turn(row) for row in rows)

    def purge_conversation(self, conversation_id: str) -> PurgeReport:
        return self._purge("WHERE id = ?", (conversation_id,))

    def purge_older_than(self, cutoff: datetime) -> PurgeReport:
        return self._purge("WHERE updated_at < ?", (stamp(cutoff),))

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    def _purge(self, where: str, args: tuple[Any, ...]) -> PurgeReport:
        with self._transaction() as db:
            chosen = f"SELECT id FROM conversations {where}"
            (turns,) = db.execute(
                f"SELECT COUNT(*) FROM turns WHERE conversation_id IN ({chosen})", args
            ).fetchone()
            conversations = db.execute(f"DELETE FROM conversations {where}", args).rowcount
        return PurgeReport(conversations, turns)

    def _query(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        try:
            return self._connection().execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"cannot read the conversation store {self.path}: {exc}") from exc

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: the database lock is taken at the start, not at first write."""
        db = self._connection()
        try:
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            _rollback(db)
            raise StorageError(f"cannot write the conversation store {self.path}: {exc}") from exc
        except BaseException:
            _rollback(db)
            raise

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections must stay in their thread)."""
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA foreign_keys = ON")
            self._local.connection = connection
        return connection


def _migrate(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    applied = {name for (name,) in db.execute("SELECT name FROM _migrations")}
    for name, migrate in MIGRATIONS:
        if name not in applied:
            migrate(db)
            db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, stamp(now())))


def _rollback(db: sqlite3.Connection) -> None:
    if db.in_transaction:
        db.execute("ROLLBACK")


def _row(turn: TurnRecord) -> tuple[Any, ...]:
    return (
        turn.conversation_id, turn.number, stamp(turn.at), turn.customer_text,
        turn.reply_text, turn.action, turn.intent, turn.score, json.dumps(list(turn.events)),
        turn.model, turn.prompt_tokens, turn.completion_tokens, turn.latency_ms,
    )  # fmt: skip


def _turn(row: tuple[Any, ...]) -> TurnRecord:
    (conversation_id, number, at, customer, reply, action, intent, score, events, model,
     prompt_tokens, completion_tokens, latency_ms) = row  # fmt: skip
    return TurnRecord(
        conversation_id=conversation_id,
        customer_text=customer,
        reply_text=reply,
        action=action,
        intent=intent,
        score=score,
        events=tuple(json.loads(events)),
        model=model,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        latency_ms=latency_ms,
        at=parse_stamp(at),
        number=number,
    )
