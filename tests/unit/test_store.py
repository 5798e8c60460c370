"""Every store backend keeps the same promises: the memory dict, a SQLite file, a Redis server."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from servicebot import StorageError
from servicebot.filters import FilterEvent
from servicebot.store import Store, TurnRecord, now, open_store

if TYPE_CHECKING:
    from tests.redisserver import RedisServer


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        opened = open_store(url, namespace=f"test-{uuid.uuid4().hex}")
    else:
        url = {"memory": "memory://", "sqlite": "sqlite:///conversations.db"}[request.param]
        opened = open_store(url, root=tmp_path)
    yield opened
    opened.close()


def turn(conversation: str, text: str = "hi", **fields: object) -> TurnRecord:
    return TurnRecord(conversation, text, f"re: {text}", "answer", **fields)  # type: ignore[arg-type]


def test_turns_are_numbered_per_conversation_and_kept_in_order(store: Store) -> None:
    numbers = [store.append_turn(turn(c, f"{c}{i}")).number for i in range(3) for c in "ab"]
    assert numbers == [1, 1, 2, 2, 3, 3]
    assert [t.customer_text for t in store.history("a")] == ["a0", "a1", "a2"]
    assert [t.number for t in store.history("b", limit=2)] == [2, 3]
    assert store.history("nobody") == []


def test_a_turn_keeps_every_field(store: Store) -> None:
    original = turn(
        "c-42", "我的快递到哪了？[PHONE_1]", intent="order_status", score=0.91, model="gpt-4o-mini",
        events=(FilterEvent("prefilter", "pii", "PHONE", "mask", "[PHONE_1]", count=2),),
        prompt_tokens=812, completion_tokens=64, latency_ms=1234.5,
    )  # fmt: skip
    stored = store.append_turn(original)
    (loaded,) = store.history("c-42")
    assert loaded == stored
    assert (loaded.number, loaded.at) == (1, original.at)


def test_a_turns_events_read_back_as_the_filter_events_a_reply_holds(store: Store) -> None:
    events = (
        FilterEvent("prefilter", "pii", "PHONE", "mask", "[PHONE_1]"),
        FilterEvent("model", "caller", "stopped", "kept"),
    )
    store.append_turn(turn("c-42", events=events))
    (loaded,) = store.history("c-42")
    assert loaded.events == events
    assert all(type(event) is FilterEvent for event in loaded.events)


def test_events_stored_as_dicts_by_an_older_version_still_read(tmp_path: Path) -> None:
    store = open_store("sqlite:///conversations.db", root=tmp_path)
    store.append_turn(turn("c-42"))
    older = [  # as stored before FilterEvent had count: with ms instead
        {"stage": "prefilter", "detector": "pii", "kind": "PHONE", "action": "mask",
         "placeholder": "[PHONE_1]", "ms": 0.2},
    ]  # fmt: skip
    with sqlite3.connect(tmp_path / "conversations.db") as db:
        db.execute("UPDATE turns SET events = ?", (json.dumps(older),))
    (loaded,) = store.history("c-42")
    assert loaded.events == (FilterEvent("prefilter", "pii", "PHONE", "mask", "[PHONE_1]"),)
    store.append_turn(turn("c-43", events=loaded.events))
    with sqlite3.connect(tmp_path / "conversations.db") as db:  # stored as before: as dicts
        (stored,) = db.execute("SELECT events FROM turns WHERE conversation_id = 'c-43'").fetchone()
    assert json.loads(stored) == [
        {"stage": "prefilter", "detector": "pii", "kind": "PHONE", "action": "mask",
         "placeholder": "[PHONE_1]", "count": 1},
    ]  # fmt: skip
    store.close()


def test_the_placeholder_state_is_kept_apart_and_purged_with_the_conversation(store: Store) -> None:
    state = {"salt": "s", "by_digest": {"d": "[PHONE_1]"}, "counts": {"PHONE": 1}}
    assert store.swap_state("c1", None, state)
    store.append_turn(turn("c1"))
    assert store.load_state("c1") == state
    assert store.load_state("c2") is None
    report = store.purge_conversation("c1")
    assert (report.conversations, report.turns) == (1, 1)
    assert store.history("c1") == [] and store.load_state("c1") is None


def test_the_placeholder_state_is_swapped_only_from_what_the_turn_loaded(store: Store) -> None:
    first = {"salt": "s", "by_digest": {"d1": "[PHONE_1]"}, "counts": {"PHONE": 1}}
    rival = {"salt": "s", "by_digest": {"d2": "[PHONE_1]"}, "counts": {"PHONE": 1}}
    assert store.swap_state("c", None, first)
    assert not store.swap_state("c", None, rival)  # loaded before the first was kept
    assert store.load_state("c") == first
    both = {**first, "by_digest": {"d1": "[PHONE_1]", "d2": "[PHONE_2]"}, "counts": {"PHONE": 2}}
    assert store.swap_state("c", first, both)
    assert not store.swap_state("c", first, rival)
    assert store.load_state("c") == both
    assert not store.swap_state("new", first, rival)  # it was never stored
    assert store.load_state("new") is None


@pytest.mark.redis
def test_redis_refuses_a_swap_when_the_state_is_written_between_watch_and_exec(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis

    namespace = f"watch-{uuid.uuid4().hex}"
    store = open_store(redis_url, namespace=namespace)
    rival = {"salt": "r", "by_digest": {"d2": "[PHONE_1]"}, "counts": {"PHONE": 1}}
    other, multi = redis.Redis.from_url(redis_url), redis.client.Pipeline.multi

    def write_first(pipe: Any) -> None:  # another worker's turn, after this one's comparison
        other.set(f"{namespace}:conversation:c:state", json.dumps(rival))
        multi(pipe)

    monkeypatch.setattr(redis.client.Pipeline, "multi", write_first)
    assert not store.swap_state("c", None, {"salt": "s", "by_digest": {}, "counts": {}})
    assert store.load_state("c") == rival
    other.close()
    store.close()


@pytest.mark.parametrize("name", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def test_a_state_whose_turn_was_never_stored_is_purged_too(
    name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = "sqlite:///c.db" if name == "sqlite" else request.getfixturevalue("redis_url")
    store = open_store(url, root=tmp_path, namespace=f"lone-{uuid.uuid4().hex}")
    assert store.swap_state("c", None, {"salt": "s", "by_digest": {}, "counts": {}})
    assert store.purge_older_than(now() + timedelta(days=1)).conversations == 1
    assert store.load_state("c") is None
    store.close()


@pytest.mark.parametrize("name", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def test_an_unreadable_stored_state_is_a_storage_error(
    name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if name == "redis":
        import redis

        namespace = f"bad-{uuid.uuid4().hex}"
        store = open_store(request.getfixturevalue("redis_url"), namespace=namespace)
        client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
        client.set(f"{namespace}:conversation:c:state", b"{not json")
        client.close()
    else:
        store = open_store("sqlite:///conversations.db", root=tmp_path)
        assert store.swap_state("c", None, {"salt": "s", "by_digest": {}, "counts": {}})
        with sqlite3.connect(tmp_path / "conversations.db") as db:
            db.execute("UPDATE conversations SET state = '{not json'")
    with pytest.raises(StorageError, match=r"placeholder state .* cannot be read"):
        store.load_state("c")
    with pytest.raises(StorageError, match=r"placeholder state .* cannot be read"):
        store.swap_state("c", None, {"salt": "s", "by_digest": {}, "counts": {}})
    store.close()


def test_purge_older_than_removes_only_quiet_conversations(store: Store) -> None:
    old = now() - timedelta(days=120)
    store.append_turn(turn("old", at=old))
    store.append_turn(turn("old", at=old + timedelta(minutes=1)))
    store.append_turn(turn("recent"))
    report = store.purge_older_than(now() - timedelta(days=90))
    assert (report.conversations, report.turns) == (1, 2)
    assert str(report) == "removed 2 turns in 1 conversation"
    assert store.history("old") == [] and len(store.history("recent")) == 1


def test_turns_since_reports_recent_turns(store: Store) -> None:
    store.append_turn(turn("a", at=now() - timedelta(days=3)))
    store.append_turn(turn("a"))
    store.append_turn(turn("b"))
    recent = list(store.turns_since(now() - timedelta(days=1)))
    assert sorted(t.conversation_id for t in recent) == ["a", "b"]


def test_sqlite_records_its_migrations_once(tmp_path: Path) -> None:
    import sqlite3

    open_store("sqlite:///bot.db", root=tmp_path).close()
    open_store("sqlite:///bot.db", root=tmp_path).close()
    with sqlite3.connect(tmp_path / "bot.db") as db:
        assert db.execute("SELECT name FROM _migrations").fetchall() == [
            ("0001_conversations_and_turns",)
        ]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def _open_files(under: Path) -> int:
    """How many of this process's file descriptors are open on files in ``under``."""
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if str(under) in os.path.realpath(fd))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_sqlite_closes_a_threads_connection_when_the_thread_ends(tmp_path: Path) -> None:
    """asyncio.run(bot.areply(...)) per request runs the store in a new thread each time: the
    files each thread opened stayed open until close(), until the process ran out."""
    store = open_store("sqlite:///bot.db", root=tmp_path)
    for n in range(20):
        worker = threading.Thread(target=store.append_turn, args=(turn(f"c{n}"),))
        worker.start()
        worker.join()
    assert len(store.history("c19")) == 1
    # This thread's database, WAL and shared memory, and one SQLite keeps to reuse: not a
    # set of files for each thread that ever wrote.
    assert _open_files(tmp_path) <= 4
    store.close()
    assert _open_files(tmp_path) == 0


def test_sqlite_used_after_close_opens_again_in_every_thread(tmp_path: Path) -> None:
    """A pool thread serving requests after bot.close(): it failed every turn from then on,
    while the thread that closed the store opened it again."""
    store = open_store("sqlite:///bot.db", root=tmp_path)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(store.append_turn, turn("c")).result()
        store.close()
        assert pool.submit(store.append_turn, turn("c", "again")).result().number == 2
    assert store.append_turn(turn("c", "here")).number == 3
    store.close()


@pytest.mark.parametrize("replaced", [False, True])
def test_a_sqlite_file_deleted_or_replaced_under_a_running_store_is_opened_anew(
    tmp_path: Path, replaced: bool
) -> None:
    """A clean-up job or a restored backup: threads that had the old file open went on writing
    to it, where no one could read their turns, and new threads found a file with no tables."""
    store = open_store("sqlite:///bot.db", root=tmp_path)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(store.append_turn, turn("c", "first")).result()
        store.append_turn(turn("c", "second"))
        for file in tmp_path.glob("bot.db*"):
            file.unlink()
        if replaced:
            backup = open_store("sqlite:///bot.db", root=tmp_path)
            backup.append_turn(turn("old", "from the backup"))
            backup.close()
        assert pool.submit(store.append_turn, turn("c", "third")).result().number == 1
        assert store.append_turn(turn("c", "fourth")).number == 2
    reopened = open_store("sqlite:///bot.db", root=tmp_path)
    assert [t.customer_text for t in reopened.history("c")] == ["third", "fourth"]
    assert len(reopened.history("old")) == (1 if replaced else 0)
    reopened.close()
    store.close()


def test_an_unusable_sqlite_path_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(StorageError, match="cannot open the conversation store"):
        open_store("sqlite:///file/conversations.db", root=tmp_path)


def test_an_unreachable_redis_is_a_storage_error_without_the_password() -> None:
    store = open_store("redis://user:s3cret@127.0.0.1:1/0", namespace="x")
    with pytest.raises(StorageError) as raised:
        store.append_turn(turn("c"))
    assert "redis://127.0.0.1:1/0" in str(raised.value) and "s3cret" not in str(raised.value)


def test_appending_the_same_turn_twice_stores_it_once(store: Store) -> None:
    original = turn("c", "retried after a timeout")
    first, again = store.append_turn(original), store.append_turn(original)
    assert first.number == again.number == 1
    assert len(store.history("c")) == 1


def test_times_without_a_zone_are_utc(store: Store) -> None:
    naive = now().replace(tzinfo=None)
    store.append_turn(turn("c", at=naive))
    assert [t.conversation_id for t in store.turns_since(naive - timedelta(minutes=1))] == ["c"]
    assert store.purge_older_than(naive - timedelta(days=1)).conversations == 0


def test_a_conversations_age_is_its_newest_turn_not_its_last_appended(store: Store) -> None:
    store.append_turn(turn("c"))
    store.append_turn(turn("c", "imported from last year", at=now() - timedelta(days=365)))
    assert store.purge_older_than(now() - timedelta(days=90)).turns == 0


def test_text_no_encoder_accepts_is_stored_with_a_replacement(store: Store) -> None:
    store.append_turn(turn("c", "broken \ud800 surrogate"))
    assert store.history("c")[0].customer_text == "broken \ufffd surrogate"


@pytest.mark.redis
def test_redis_keys_expire_retention_days_after_the_last_write(redis_url: str) -> None:
    import redis

    namespace = f"ttl-{uuid.uuid4().hex}"
    store = open_store(redis_url, namespace=namespace, retention_days=2)
    store.append_turn(turn("c"))
    assert store.swap_state("c", None, {"salt": "s", "by_digest": {}, "counts": {}})
    client = redis.Redis.from_url(redis_url)
    for suffix in ("turns", "ids", "state"):
        ttl = client.ttl(f"{namespace}:conversation:c:{suffix}")
        assert 2 * 86_400 - 60 < ttl <= 2 * 86_400, suffix
    client.close()
    store.close()


@pytest.mark.redis
def test_a_changed_retention_applies_to_a_conversation_from_its_next_write(redis_url: str) -> None:
    """Cut from 90 days to 7 for compliance, or to none: the next write sets it."""
    import redis

    namespace, client = f"ttl-{uuid.uuid4().hex}", redis.Redis.from_url(redis_url)
    for days, low, high in ((90, 89 * 86_400, 90 * 86_400), (7, 6 * 86_400, 7 * 86_400)):
        store = open_store(redis_url, namespace=namespace, retention_days=days)
        store.append_turn(turn("c"))
        store.close()
        assert low < client.ttl(f"{namespace}:conversation:c:turns") <= high, days
    store = open_store(redis_url, namespace=namespace, retention_days=None)
    store.append_turn(turn("c"))
    store.close()
    assert client.ttl(f"{namespace}:conversation:c:turns") == -1  # kept
    client.close()


def test_a_sqlite_path_can_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "sqlite:///${BOT_DATA}/conversations.db"
    with pytest.raises(StorageError, match=r"names \$\{BOT_DATA\}, which is not set"):
        open_store(url, root=tmp_path / "bot")
    monkeypatch.setenv("BOT_DATA", str(tmp_path / "data dir"))  # a path, not URL-quoted
    (tmp_path / "data dir").mkdir()
    store = open_store(url, root=tmp_path / "bot")
    assert store.append_turn(turn("c")).number == 1
    store.close()
    assert (tmp_path / "data dir" / "conversations.db").is_file()
    assert not (tmp_path / "bot").exists()  # no file named ${BOT_DATA} in the bot folder
    monkeypatch.setenv("BOT_DB", str(tmp_path / "data dir" / "other.db"))
    open_store("sqlite://${BOT_DB}", root=tmp_path / "bot").close()  # its own / is kept
    assert (tmp_path / "data dir" / "other.db").is_file()
    monkeypatch.setenv("BOT_DATA", "")
    with pytest.raises(StorageError, match=r"names \$\{BOT_DATA\}, which is empty"):
        open_store(url, root=tmp_path / "bot")  # not /conversations.db


@pytest.mark.redis
def test_a_redis_password_can_come_from_the_environment(
    own_redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis

    redis.Redis.from_url(own_redis.url).config_set("requirepass", "s3cret:@/x")
    url = own_redis.url.replace("redis://", "redis://:${BOT_REDIS_PASSWORD}@")
    with pytest.raises(StorageError, match=r"names \$\{BOT_REDIS_PASSWORD\}, which is not set"):
        open_store(url)
    monkeypatch.setenv("BOT_REDIS_PASSWORD", "s3cret:@/x")  # quoted into the url
    store = open_store(url)
    assert store.append_turn(turn("c")).number == 1
    assert "s3cret" not in str(store.url)
    store.close()


@pytest.mark.redis
def test_a_redis_server_that_stops_answering_fails_a_command_within_its_timeout(
    own_redis: RedisServer,
) -> None:
    """A paused server (a partition, a failover) used to hold each command 20 s (5 s, four
    tries), and a turn about 73 s; with ``store.timeout`` 0.2 s a command fails in about 0.4 s.
    The bound asserted is loose: this checks that the wait is bounded, not how fast it is."""
    import signal
    import time

    store = open_store(own_redis.url, timeout=0.2)
    store.append_turn(turn("c"))
    assert own_redis.process is not None
    own_redis.process.send_signal(signal.SIGSTOP)
    started = time.monotonic()
    with pytest.raises(StorageError):
        store.history("c")
    assert time.monotonic() - started < 5
    store.close()


def test_a_turn_id_is_per_conversation(store: Store) -> None:
    store.append_turn(turn("a", id="msg-1"))
    store.append_turn(turn("b", id="msg-1"))  # another conversation's client reused the id
    assert len(store.history("a")) == len(store.history("b")) == 1
