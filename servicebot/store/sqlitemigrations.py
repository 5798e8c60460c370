"""The SQLite store's schema, as an ordered list of named migrations (llm's migrations.py):
each is applied once, in order, and recorded in the file's ``_migrations`` table, so that a
file made by any earlier version is brought up to date as it is first opened.

    0001_conversations_and_turns   conversations by id; their turns, numbered
    0002_turns_fallback            what a fallback sent, kept with its turn
    0003_namespaces                conversations by namespace and id (see namespaces.py)
    0004_turns_message_id          the platform's id of the customer's message, kept with
                                   its turn, to answer a retried delivery once
    0005_leases                    what one process holds for a while (a delivery it
                                   answers), with when it runs out (see leases.py)
    0006_ratings                   a customer's rating of a turn's reply (Bot.rate), removed
                                   with its turn

A file that records a migration this version does not know was migrated by a newer version.
A version's writes may not fit a newer schema (the version before 0003 failed every turn's
write on such a file, unstored and logged only as a conflict clause), so such a file is
refused (StorageError), saying to run the newer version or restore the copy made before
upgrading; unless the file says that versions as old as this one still use it right. Each
migration says so by being ``ADDITIVE`` (a new table or index, a column older versions leave
NULL): the file's ``PRAGMA user_version`` holds the number of the last migration it has that
is not (its compatible-from migration, 3 for ``0003_namespaces``), written by each version as
it migrates; a version that knows that migration uses the file. The header field is the
place: no version reads it but for this, and a version before this one refused the file only
for the migrations it lacks, so a rolling deploy works from this version on, one additive
migration at a time or several.

A migration that makes tables anew (``REBUILDS``) leaves the file twice its size (the old
tables' pages are freed, not given back) and the WAL as large: once it commits the file is
compacted (VACUUM, then the WAL emptied). Another process using the file meanwhile may keep
either from finishing: the file is then used as it is, and that is logged at INFO.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Collection
from contextlib import suppress
from pathlib import Path

from ..errors import StorageError
from . import now, stamp

log = logging.getLogger("servicebot")

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


def _add_message_id(db: sqlite3.Connection) -> None:
    """The platform's id of the customer's message (TurnRecord.message_id), found by index;
    NULL in the turns stored before."""
    db.execute("ALTER TABLE turns ADD COLUMN message_id TEXT")
    db.execute(
        "CREATE INDEX turns_message ON turns (namespace, conversation_id, message_id)"
        " WHERE message_id IS NOT NULL"
    )


def _add_leases(db: sqlite3.Connection) -> None:
    """Leases (store/leases.py): which process holds what of a conversation, by its token,
    until when (seconds since the epoch)."""
    db.execute(
        "CREATE TABLE leases (namespace TEXT NOT NULL, conversation_id TEXT NOT NULL,"
        " what TEXT NOT NULL, token TEXT NOT NULL, until REAL NOT NULL,"
        " PRIMARY KEY (namespace, conversation_id, what))"
    )


def _add_ratings(db: sqlite3.Connection) -> None:
    """Ratings (``Bot.rate``): one per turn, keyed as the turn is, and deleted with it (so
    with its conversation, by a purge or the retention, whichever version removes it)."""
    db.execute(
        "CREATE TABLE ratings (namespace TEXT NOT NULL, conversation_id TEXT NOT NULL,"
        " turn INTEGER NOT NULL, helpful INTEGER NOT NULL, comment TEXT, at TEXT NOT NULL,"
        " PRIMARY KEY (namespace, conversation_id, turn),"
        " FOREIGN KEY (namespace, conversation_id, turn)"
        " REFERENCES turns (namespace, conversation_id, number) ON DELETE CASCADE)"
    )


MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("0001_conversations_and_turns", _create_tables),
    ("0002_turns_fallback", _add_fallback),
    ("0003_namespaces", _add_namespaces),
    ("0004_turns_message_id", _add_message_id),
    ("0005_leases", _add_leases),
    ("0006_ratings", _add_ratings),
]
# The migrations that make a table anew and copy its rows: the file is compacted after them.
REBUILDS = frozenset({"0003_namespaces"})
# The migrations whose file a version without them still reads and writes right: a version
# that knows the last one not listed here uses the file (see the module docstring). A new
# migration is listed only if older versions' every read and write fits its schema.
ADDITIVE = frozenset(
    {"0002_turns_fallback", "0004_turns_message_id", "0005_leases", "0006_ratings"}
)


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Apply the migrations the file at ``path`` lacks, in one write transaction; none if it
    lacks none, so that a bot opening a file another process holds locked can still read it.
    StorageError for a file a newer version migrated (see :func:`_refuse_newer`)."""
    if (applied := _applied(db)) >= _KNOWN:
        _refuse_newer(db, applied, path)
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
        )
        applied = _applied(db)  # again, inside the lock: another process may have migrated
        _refuse_newer(db, applied, path)
        for name, step in MIGRATIONS:
            if name not in applied:
                step(db)
                db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, stamp(now())))
        db.execute(f"PRAGMA user_version = {_COMPATIBLE_FROM}")
        db.execute("COMMIT")
    except BaseException:
        rollback(db)
        raise
    if REBUILDS - applied and applied:  # a file with turns in it was rebuilt (not a new one)
        _compact(db, path)


def _number(name: str) -> int:
    """A migration's number: ``0003_namespaces`` is 3."""
    return int(name[:4])


_KNOWN = frozenset(name for name, _ in MIGRATIONS)
_KNOWN_NUMBERS = frozenset(_number(name) for name in _KNOWN)
# The file's compatible-from migration, once this version has migrated it.
_COMPATIBLE_FROM = max(_number(name) for name in _KNOWN - ADDITIVE)


def _refuse_newer(db: sqlite3.Connection, applied: set[str], path: Path) -> None:
    """StorageError if the file is one a newer version migrated (see :func:`_newer`): this
    one's writes may not fit its tables."""
    if unknown := _newer(db, applied):
        raise StorageError(_newer_message(unknown, path))


def _newer(db: sqlite3.Connection, applied: set[str]) -> set[str]:
    """The migrations of ``applied`` (the file's) that this version does not know, if its
    compatible-from migration is one of them; none if this version uses the file."""
    unknown = applied - _KNOWN
    return unknown if unknown and not _compatible(db) else set()


def _compatible(db: sqlite3.Connection) -> bool:
    """Whether the file's compatible-from migration (0: none recorded) is one this version
    knows, and has applied: versions as old as this one use the file right."""
    (since,) = db.execute("PRAGMA user_version").fetchone()
    return since in _KNOWN_NUMBERS


def _newer_message(unknown: Collection[str], path: Path) -> str:
    return (
        f"the conversation store {path} was migrated by a newer version of servicebot "
        f"({', '.join(sorted(unknown))}, unknown to this one), so this version neither reads "
        "nor stores conversations there; run the newer version, or, to roll back, restore the "
        'copy of the file made before upgrading (see "Upgrading and rolling back" in the README)'
    )


def newer_file(path: Path) -> str | None:
    """Why the file at ``path`` is refused, if a newer version migrated it, for ``check``:
    read without writing to it (no file made, no migration applied; its WAL, if any, is
    read, as a bot reads it); None if it cannot be read."""
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=1.0)
    except (sqlite3.Error, ValueError):
        return None
    try:
        unknown = _newer(db, _applied(db))
    except sqlite3.Error:  # not a database, or locked
        return None
    finally:
        db.close()
    return _newer_message(unknown, path) if unknown else None


def _compact(db: sqlite3.Connection, path: Path) -> None:
    """Give back the pages a rebuilding migration freed (VACUUM) and empty the WAL, which
    holds a copy of the whole file by then. Waits ``timeout`` for another process's lock, as a
    write does; if one keeps it (or a reader keeps the WAL), the file works as it is."""
    try:
        db.execute("VACUUM")
        (busy, _, _) = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.Error as exc:
        log.info("migrated %s, but not compacted (it is used as it is): %s", path, exc)
        return
    if busy:
        log.info("migrated and compacted %s; its WAL stays large while a reader holds it", path)


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
