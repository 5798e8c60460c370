"""The SQLite store's migrations (store/sqlitemigrations.py): a file a newer version migrated
is refused, naming the file, by turns and the CLI alike; a file a rebuilding migration
brought up to date is compacted after it, or used as it is when another process holds it."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from servicebot import StorageError
from servicebot.cli import main
from servicebot.pipeline import Bot
from servicebot.store import open_store, sqlite, sqlitemigrations
from tests.unit.botcopies import make_bot
from tests.unit.storedturns import turn

EXAMPLE_URL = "sqlite:///.servicebot/conversations.db"
NEWER = "0099_a_newer_versions"  # a migration this version does not know


def _newer_file(path: Path, compatible_from: int = 99) -> None:
    """A file this version made, then migrated further by a newer version, which says
    versions that know migration ``compatible_from`` still use it (99: only itself)."""
    open_store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO _migrations VALUES (?, '')", (NEWER,))
        db.execute(f"PRAGMA user_version = {compatible_from}")
    db.close()


def test_a_file_a_newer_version_migrated_additively_is_used(tmp_path: Path) -> None:
    """A rolling deploy: the newer version's migration adds only what this one ignores (a
    table, as 0005_leases did), and says so; this version reads and stores turns there, and
    check does not warn. Before, every newer file was refused, so the old processes of a
    rolling deploy stored no turn once the first new one had opened the file."""
    folder = make_bot(tmp_path, settings=[(EXAMPLE_URL, "sqlite:///bot.db")])
    open_store("sqlite:///bot.db", root=folder).append_turn(turn("c"))
    _newer_file(folder / "bot.db", compatible_from=3)
    store = open_store("sqlite:///bot.db", root=folder)
    store.append_turn(turn("c", "again"))
    assert [t.customer_text for t in store.history("c")] == ["hi", "again"]
    store.close()
    assert "newer version" not in CliRunner().invoke(main, ["check", str(folder)]).output


def test_this_version_records_that_versions_since_0003_use_the_file(tmp_path: Path) -> None:
    """The compatible-from migration of a file this version made: the last that is not
    additive. A newer version that knows it reads the header the same way."""
    open_store("sqlite:///bot.db", root=tmp_path).close()
    with sqlite3.connect(tmp_path / "bot.db") as db:
        assert db.execute("PRAGMA user_version").fetchone() == (3,)
    db.close()


def test_a_file_a_newer_version_migrated_is_refused_naming_it(tmp_path: Path) -> None:
    """Before, it was used: the version before 0003 then failed every turn's write, logged
    only as ``ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint``."""
    _newer_file(tmp_path / "bot.db")
    with pytest.raises(StorageError) as raised:
        open_store("sqlite:///bot.db", root=tmp_path)
    said = str(raised.value)
    assert said.startswith(f"the conversation store {tmp_path / 'bot.db'} was migrated by a newer")
    assert NEWER in said and "restore the copy of the file made before upgrading" in said
    assert "cannot open the conversation store" not in said  # said once, not wrapped again


def test_a_turn_on_a_newer_file_is_answered_unstored_and_history_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = make_bot(tmp_path, settings=[(EXAMPLE_URL, "sqlite:///bot.db")])
    _newer_file(folder / "bot.db")
    bot = Bot.load(folder, offline=True)
    with caplog.at_level(logging.WARNING, logger="servicebot"):
        reply = bot.reply("How long do refunds take?", conversation_id="c1")
    bot.close()
    assert reply.text and reply.turn is None
    assert any("was migrated by a newer version" in r.getMessage() for r in caplog.records)
    result = CliRunner().invoke(main, ["history", "c1", "--bot", str(folder)])
    assert result.exit_code == 1
    assert f"{folder / 'bot.db'} was migrated by a newer version" in result.output
    with sqlite3.connect(folder / "bot.db") as db:  # untouched
        assert db.execute("SELECT COUNT(*) FROM turns").fetchone() == (0,)
    db.close()


def test_turns_on_a_newer_file_are_paused_as_a_failing_store_is(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Its store cannot be opened: before, every turn tried to open it again, and logged
    each of its store calls' failures, never paused (a command's failures are)."""
    folder = make_bot(tmp_path, settings=[(EXAMPLE_URL, "sqlite:///bot.db")])
    _newer_file(folder / "bot.db")
    bot = Bot.load(folder, offline=True)
    with caplog.at_level(logging.WARNING, logger="servicebot"):
        replies = [bot.reply("How long do refunds take?", conversation_id="c1") for _ in range(6)]
    bot.close()
    assert all(reply.text and reply.turn is None for reply in replies)
    assert len([r for r in caplog.records if "was migrated by a newer" in r.getMessage()]) <= 4
    assert [r for r in caplog.records if "turns are answered but not stored" in r.getMessage()]


def _file_before_namespaces(path: Path, conversations: int = 1500) -> None:
    """A file as the version before 0003_namespaces left it, with some turns in it."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    for name, step in sqlitemigrations.MIGRATIONS[:2]:
        step(db)
        db.execute("INSERT INTO _migrations VALUES (?, '')", (name,))
    db.execute("BEGIN")
    for i in range(conversations):
        db.execute("INSERT INTO conversations VALUES (?, 'x', 'x', NULL)", (f"c{i}",))
        for number in (1, 2):
            row = sqlite._row(turn(f"c{i}", "where is my order? " * 8, number=number))[:15]
            db.execute(f"INSERT INTO turns VALUES ({', '.join('?' * len(row))})", row)
    db.execute("COMMIT")
    db.close()


def _size(path: Path) -> int:
    """The bytes the file and its WAL take."""
    wal = Path(f"{path}-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def test_a_file_rebuilt_by_a_migration_is_compacted(tmp_path: Path) -> None:
    """Before, 0003 left the file twice its size and a WAL as large again (4 -> 16 MB)."""
    path = tmp_path / "bot.db"
    _file_before_namespaces(path)
    before = _size(path)
    store = open_store("sqlite:///bot.db", root=tmp_path)
    assert _size(path) < before * 1.2
    assert len(store.history("c7")) == 2
    store.close()


class _WriterAtVacuum(sqlite3.Connection):
    """A connection whose VACUUM finds another process's write transaction under way."""

    other: sqlite3.Connection | None = None

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql == "VACUUM":
            self.other = sqlite3.connect(self.path, isolation_level=None)
            self.other.execute("BEGIN IMMEDIATE")
        return super().execute(sql, *args)


def test_a_file_another_process_holds_is_migrated_and_used_uncompacted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bot.db"
    _file_before_namespaces(path, conversations=20)
    db = sqlite3.connect(path, timeout=0.05, isolation_level=None, factory=_WriterAtVacuum)
    db.path = path  # type: ignore[attr-defined]
    with caplog.at_level(logging.INFO, logger="servicebot"):
        sqlitemigrations.migrate(db, path)  # no error: the migration is committed
    assert isinstance(db, _WriterAtVacuum) and db.other is not None
    db.other.close()
    db.close()
    [said] = [r for r in caplog.records if "not compacted" in r.getMessage()]
    assert said.levelno == logging.INFO and str(path) in said.getMessage()
    store = open_store("sqlite:///bot.db", root=tmp_path)
    assert len(store.history("c7")) == 2 and store.append_turn(turn("c7")).number == 3
    store.close()


def test_check_warns_of_a_file_a_newer_version_migrated(tmp_path: Path) -> None:
    """Before, ``check`` said nothing, and every turn went unstored."""
    folder = make_bot(tmp_path, settings=[(EXAMPLE_URL, "sqlite:///bot.db")])
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert "newer version" not in result.output
    assert not (folder / "bot.db").exists()  # check made no file
    _newer_file(folder / "bot.db")
    files = sorted(os.listdir(folder))
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert f"{folder / 'bot.db'} was migrated by a newer version" in result.output
    assert sorted(os.listdir(folder)) == files  # nor a WAL


def test_a_file_before_message_ids_is_migrated_its_turns_kept(tmp_path: Path) -> None:
    """0004_turns_message_id: the turns stored before have none; new ones are found by it."""
    path = tmp_path / "conversations.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    for name, step in sqlitemigrations.MIGRATIONS[:3]:
        step(db)
        db.execute("INSERT INTO _migrations VALUES (?, '')", (name,))
    db.execute("INSERT INTO conversations VALUES ('', 'c', 'x', 'x', NULL)")
    row = sqlite._row(turn("c", "where is my order?", number=1))[:-1]  # no message_id
    db.execute(f"INSERT INTO turns VALUES ('', {', '.join('?' * len(row))})", row)
    db.close()
    store = open_store(f"sqlite:///{path}")
    assert [(t.customer_text, t.message_id) for t in store.history("c")] == [
        ("where is my order?", None)
    ]
    assert store.append_turn(turn("c", "again", message_id="m-2")).number == 2
    found = store.turn_for_message("c", "m-2")
    assert found is not None and found.number == 2
    assert store.turn_for_message("c", "m-1") is None
    store.close()
