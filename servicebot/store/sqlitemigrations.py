"""The SQLite store's schema, as an ordered list of named migrations (llm's migrations.py):
each is applied once, in order, and recorded in the file's ``_migrations`` table, so that a
file made by any earlier version is brought up to date as it is first opened.

    0001_conversations_and_turns   conversations by id; their turns, numbered
    0002_turns_fallback            what a fallback sent, kept with its turn
    0003_namespaces                conversations by namespace and id (see namespaces.py)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import suppress

from . import now, stamp

# The turns' columns after 0002, in order: 0003 copies them as they are.
_TURN_COLUMNS_0002 = (
    "conversation_id, customer_text, reply_text, action, intent, score, events, model,"
    " prompt_tokens, completion_tokens, latency_ms, at, number, id, fallback"
)


def _create_tables(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE conversations (id TEXT PRIMARY KEY, created_at TEXT NOT NULL,"
        " updated_at TEXT NOT NULL, state TEXT)"
    )
    db.execute(
        "CREATE TABLE turns (conversation_id TEXT NOT NULL REFERENCES conversations(id)"
        " ON DELETE CASCADE, customer_text TEXT NOT NULL, reply_text TEXT NOT NULL,"
        " action TEXT NOT NULL, intent TEXT, score REAL, events TEXT NOT NULL, model TEXT,"
        " prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,"
        " latency_ms REAL NOT NULL, at TEXT NOT NULL, number INTEGER NOT NULL,"
        " id TEXT NOT NULL, PRIMARY KEY (conversation_id, number), UNIQUE (conversation_id, id))"
    )
    db.execute("CREATE INDEX turns_at ON turns (at)")
    db.execute("CREATE INDEX conversations_updated ON conversations (updated_at)")


def _add_fallback(db: sqlite3.Connection) -> None:
    """What a fallback sent (TurnRecord.fallback); NULL in the turns stored before."""
    db.execute("ALTER TABLE turns ADD COLUMN fallback TEXT")


def _add_namespaces(db: sqlite3.Connection) -> None:
    """Key conversations by namespace and id, so that bots sharing a file keep theirs apart
    (see namespaces.py). The conversations already there are in namespace ``''``, which a bot
    without ``store.namespace`` uses: it reads them as before. SQLite cannot change a table's
    key, so each table is made anew and its rows copied (a conversation's rowid too: it
    orders conversations saved at one time)."""
    db.execute("ALTER TABLE turns RENAME TO turns_0002")
    db.execute("ALTER TABLE conversations RENAME TO conversations_0002")
    db.execute(
        "CREATE TABLE conversations (namespace TEXT NOT NULL, id TEXT NOT NULL,"
        " created_at TEXT NOT NULL, updated_at TEXT NOT NULL, state TEXT,"
        " PRIMARY KEY (namespace, id))"
    )
    db.execute(
        "CREATE TABLE turns (namespace TEXT NOT NULL, conversation_id TEXT NOT NULL,"
        " customer_text TEXT NOT NULL, reply_text TEXT NOT NULL,"
        " action TEXT NOT NULL, intent TEXT, score REAL, events TEXT NOT NULL, model TEXT,"
        " prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,"
        " latency_ms REAL NOT NULL, at TEXT NOT NULL, number INTEGER NOT NULL, id TEXT NOT NULL,"
        " fallback TEXT, PRIMARY KEY (namespace, conversation_id, number),"
        " UNIQUE (namespace, conversation_id, id),"
        " FOREIGN KEY (namespace, conversation_id) REFERENCES conversations (namespace, id)"
        " ON DELETE CASCADE)"
    )
    db.execute(
        "INSERT INTO conversations (rowid, namespace, id, created_at, updated_at, state)"
        " SELECT rowid, '', id, created_at, updated_at, state FROM conversations_0002"
    )
    db.execute(
        f"INSERT INTO turns (namespace, {_TURN_COLUMNS_0002})"
        f" SELECT '', {_TURN_COLUMNS_0002} FROM turns_0002"
    )
    db.execute("DROP TABLE turns_0002")  # with their indexes
    db.execute("DROP TABLE conversations_0002")
    db.execute("CREATE INDEX turns_at ON turns (namespace, at)")
    db.execute("CREATE INDEX conversations_updated ON conversations (namespace, updated_at)")


MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("0001_conversations_and_turns", _create_tables),
    ("0002_turns_fallback", _add_fallback),
    ("0003_namespaces", _add_namespaces),
]


def migrate(db: sqlite3.Connection) -> None:
    """Apply the migrations the file lacks, in one write transaction; none if it lacks none,
    so that a bot opening a file another process holds locked can still read it."""
    if _applied(db) >= {name for name, _ in MIGRATIONS}:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
        )
        applied = _applied(db)  # again, inside the lock: another process may have migrated
        for name, step in MIGRATIONS:
            if name not in applied:
                step(db)
                db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, stamp(now())))
        db.execute("COMMIT")
    except BaseException:
        rollback(db)
        raise


def _applied(db: sqlite3.Connection) -> set[str]:
    """The migrations the file records as applied, read without a lock; none if it records
    none (a new file)."""
    try:
        return {name for (name,) in db.execute("SELECT name FROM _migrations")}
    except sqlite3.OperationalError:  # no such table
        return set()


def rollback(db: sqlite3.Connection) -> None:
    """End ``db``'s open transaction, if it has one, changing nothing. A closed connection
    has none to end: the error that brought us here is raised."""
    with suppress(sqlite3.ProgrammingError):
        if db.in_transaction:
            db.execute("ROLLBACK")
