"""What an erasure leaves behind. SQLite: a purged conversation's text is gone from the file
and its WAL while the bot still runs, whatever the platform's SQLite build; its files are the
owner's alone; retention_days holds without a scheduled purge. Redis: no conversation id
outlives its conversation in the index."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from servicebot.store import now, open_bot_store, open_store
from servicebot.store.sqlite import SQLiteStore
from tests.unit.storedturns import turn

SECRET = "NI number QQ123456C, 221B Baker Street"


def _on_disk(folder: Path) -> bytes:
    """Every byte of the store's files: the database, its WAL and shared memory."""
    return b"".join(file.read_bytes() for file in sorted(folder.glob("bot.db*")))


def test_a_purge_leaves_no_erased_text_in_the_wal_while_the_bot_runs(tmp_path: Path) -> None:
    running = open_store("sqlite:///bot.db", root=tmp_path)  # the bot's, never closed here
    running.append_turn(turn("ticket-2", SECRET))
    running.append_turn(turn("ticket-other", "where is my order?"))
    for purge in ("conversation", "older_than"):
        operator = open_store("sqlite:///bot.db", root=tmp_path)
        if purge == "conversation":
            assert operator.purge_conversation("ticket-2").conversations == 1
        else:
            running.append_turn(turn("old", SECRET, at=now() - timedelta(days=200)))
            assert operator.purge_older_than(now() - timedelta(days=90)).conversations == 1
        operator.close()
        assert SECRET.encode() not in _on_disk(tmp_path), purge
    assert [t.customer_text for t in running.history("ticket-other")] == ["where is my order?"]
    running.close()


def test_a_purge_overwrites_the_text_on_a_sqlite_built_without_secure_delete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """python.org's and macOS's SQLite leave deleted rows in free pages; this machine's build
    zeroes them. Each connection is made as theirs would be, secure_delete off."""
    connect = sqlite3.connect

    def without_secure_delete(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection = connect(*args, **kwargs)
        connection.execute("PRAGMA secure_delete = OFF")
        return connection

    monkeypatch.setattr(sqlite3, "connect", without_secure_delete)
    store = open_store("sqlite:///bot.db", root=tmp_path)
    store.append_turn(turn("gone", SECRET))
    store.append_turn(turn("kept", "where is my order?"))
    assert store._query("PRAGMA secure_delete", ()) == [(1,)]  # type: ignore[attr-defined]
    store.purge_conversation("gone")
    assert SECRET.encode() not in _on_disk(tmp_path)
    store.close()
    assert SECRET.encode() not in _on_disk(tmp_path)


def test_a_sqlite_store_servicebot_creates_is_its_owners_alone(tmp_path: Path) -> None:
    """Other users of the machine could read every conversation: SQLite makes its files 0644."""
    store = open_store("sqlite:///.servicebot/data/bot.db", root=tmp_path)
    store.append_turn(turn("c", SECRET))
    folder = tmp_path / ".servicebot" / "data"
    modes = {file.name: _mode(file) for file in folder.glob("bot.db*")}
    assert modes == {"bot.db": 0o600, "bot.db-wal": 0o600, "bot.db-shm": 0o600}
    assert _mode(folder) == _mode(folder.parent) == 0o700
    store.close()


def test_a_sqlite_file_the_operator_made_keeps_its_mode(tmp_path: Path) -> None:
    """Shared with a backup job's group on purpose: not servicebot's to change."""
    (tmp_path / "bot.db").touch(mode=0o640)
    (tmp_path / "bot.db").chmod(0o640)
    tmp_path.chmod(0o750)
    store = open_store("sqlite:///bot.db", root=tmp_path)
    store.append_turn(turn("c"))
    assert (_mode(tmp_path / "bot.db"), _mode(tmp_path)) == (0o640, 0o750)
    store.close()


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_a_sqlite_store_removes_conversations_past_retention_as_it_opens(tmp_path: Path) -> None:
    """retention_days was kept only by an operator who scheduled `servicebot purge`."""
    kept_forever = open_store("sqlite:///bot.db", root=tmp_path)
    kept_forever.append_turn(turn("quiet", SECRET, at=now() - timedelta(days=91)))
    kept_forever.append_turn(turn("in-use", "first", at=now() - timedelta(days=325)))
    kept_forever.append_turn(turn("in-use", "today"))
    kept_forever.close()
    store = open_store("sqlite:///bot.db", root=tmp_path, retention_days=90)
    assert store.history("quiet") == []
    assert [t.customer_text for t in store.history("in-use")] == ["first", "today"]  # last turn
    store.close()
    assert SECRET.encode() not in _on_disk(tmp_path)


def test_a_running_sqlite_store_applies_retention_at_most_once_an_hour(tmp_path: Path) -> None:
    clock = [0.0]
    store = SQLiteStore(tmp_path / "bot.db", retention_days=90, clock=lambda: clock[0])
    store.append_turn(turn("imported", at=now() - timedelta(days=200)))
    store.append_turn(turn("c"))
    assert len(store.history("imported")) == 1  # swept when opened, not again yet
    clock[0] = 3600.0
    store.append_turn(turn("c"))
    assert store.history("imported") == [] and len(store.history("c")) == 2
    store.close()


def test_retention_leaves_no_erased_text_in_the_wal_while_the_bot_runs(tmp_path: Path) -> None:
    """The sweep's delete stayed in the -wal file until the bot closed, which it never does."""
    clock = [0.0]
    old = open_store("sqlite:///bot.db", root=tmp_path)
    old.append_turn(turn("quiet", SECRET, at=now() - timedelta(days=91)))
    opened = SQLiteStore(tmp_path / "bot.db", retention_days=90, clock=lambda: clock[0])
    assert opened.history("quiet") == []
    assert SECRET.encode() not in _on_disk(tmp_path)  # swept as it opened
    old.append_turn(turn("imported", SECRET, at=now() - timedelta(days=200)))
    clock[0] = 3600.0
    opened.append_turn(turn("c"))
    assert opened.history("imported") == []
    assert SECRET.encode() not in _on_disk(tmp_path)  # swept as it wrote
    opened.close()
    old.close()


def test_an_operators_command_leaves_retention_to_purge(tmp_path: Path) -> None:
    """`purge` removes them itself and says how many (`history` and the others sweep)."""
    old = open_store("sqlite:///bot.db", root=tmp_path)
    old.append_turn(turn("quiet", at=now() - timedelta(days=91)))
    old.close()
    spec = SimpleNamespace(
        root=tmp_path,
        settings=SimpleNamespace(
            name="bot",
            store=SimpleNamespace(
                url="sqlite:///bot.db", timeout=1.0, retention_days=90, namespace=None
            ),
        ),
    )
    store = open_bot_store(spec, patient=True, purging=True)  # type: ignore[arg-type]
    assert store.purge_older_than(now() - timedelta(days=90)).conversations == 1
    store.close()


@pytest.mark.redis
def test_a_redis_write_drops_ids_past_retention_from_the_index(redis_url: str) -> None:
    """The index has conversation ids, which may be emails: they outlived the expired keys."""
    import redis

    namespace, client = f"index-{uuid.uuid4().hex}", redis.Redis.from_url(redis_url)
    store = open_store(redis_url, namespace=namespace, retention_days=1)
    store.append_turn(turn("alice@example.org", at=now() - timedelta(days=2)))
    store.append_turn(turn("c"))
    index = f"{namespace}:conversations"
    assert client.zrange(index, 0, -1) == [b"c"]
    assert 86_400 - 60 < client.ttl(index) <= 86_400  # an idle bot's index expires too
    store.close()
    client.close()


@pytest.mark.redis
def test_a_redis_purge_drops_ids_whose_conversation_expired(redis_url: str) -> None:
    import redis

    namespace, client = f"index-{uuid.uuid4().hex}", redis.Redis.from_url(redis_url)
    store = open_store(redis_url, namespace=namespace, retention_days=90)
    store.append_turn(turn("alice@example.org"))
    assert store.swap_state("bob@example.org", None, {"salt": "s", "by_digest": {}, "counts": {}})
    store.append_turn(turn("c"))
    for key in client.keys(f"{namespace}:conversation:*@example.org:*"):
        client.delete(key)  # as their time to live does, set when retention was shorter
    assert store.purge_older_than(now() - timedelta(days=90)).conversations == 0
    assert client.zrange(f"{namespace}:conversations", 0, -1) == [b"c"]
    assert len(store.history("c")) == 1
    store.close()
    client.close()
