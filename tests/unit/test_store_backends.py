"""What each store backend does on its own. SQLite: events stored by an older version, its
migrations, a connection per thread, closed while other threads write, use after close, a file
deleted or replaced under it. Redis: a swap raced between WATCH and EXEC, keys that expire, a
server that stops answering or takes no writes. Either: a storage error when it cannot be
opened or reached. A url from the environment is test_store_environment.py's."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from servicebot import StorageError
from servicebot.filters import FilterEvent
from servicebot.store import open_store
from tests.conftest import REPO
from tests.unit.storedturns import turn

if TYPE_CHECKING:
    from tests.redisserver import RedisServer


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


def test_sqlite_records_its_migrations_once(tmp_path: Path) -> None:
    import sqlite3

    open_store("sqlite:///bot.db", root=tmp_path).close()
    open_store("sqlite:///bot.db", root=tmp_path).close()
    with sqlite3.connect(tmp_path / "bot.db") as db:
        assert db.execute("SELECT name FROM _migrations").fetchall() == [
            ("0001_conversations_and_turns",),
            ("0002_turns_fallback",),
            ("0003_namespaces",),
            ("0004_turns_message_id",),
            ("0005_leases",),
            ("0006_ratings",),
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


# Four threads store turns while the main thread closes the store again and again.
_CLOSED_UNDER_WRITES = """
import sys, threading
from pathlib import Path
from servicebot.store.sqlite import SQLiteStore
from tests.unit.storedturns import turn

store = SQLiteStore(Path(sys.argv[1]))
started = threading.Barrier(5)
def write(k):
    started.wait()
    for i in range(150):
        store.append_turn(turn(f"c{k}", str(i)))
        store.history(f"c{k}", limit=3)
threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
for thread in threads:
    thread.start()
started.wait()
while any(thread.is_alive() for thread in threads):
    store.close()
print(sum(len(store.history(f"c{k}")) for k in range(4)))
"""


def test_sqlite_closed_while_other_threads_store_turns_lets_them_finish(tmp_path: Path) -> None:
    """A reload: bot.close() on the old bot while its turns were still being stored in other
    threads closed their connections under them, and the process died (signal 11), 10 runs
    of 10. Run in a process of its own, so that a crash fails this test, not pytest."""
    result = subprocess.run(
        [sys.executable, "-c", _CLOSED_UNDER_WRITES, str(tmp_path / "bot.db")],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.split() == ["600"]  # every turn stored, once


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


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        ("MISCONF Redis is configured to save RDB snapshots, but", "cannot save to disk"),
        (
            'Command # 1 (SET k {"a": "MISCONF x"}) of pipeline caused error: MISCONF Redis is',
            "cannot save to disk",
        ),
        ('Command # 1 (SET k {"a": "MISCONF x"}) of pipeline caused error: ERR no', "failed:"),
    ],
)
def test_a_redis_that_cannot_save_is_told_by_its_reply_not_by_a_value_in_it(
    reply: str, said: str
) -> None:
    """redis-py has no exception for MISCONF; a pipeline's error quotes its command's value."""
    import redis

    from servicebot.store.refusals import outage

    assert said in outage(redis.ResponseError(reply), "redis://127.0.0.1:1/0")


SCRIPT = "ERR Error running script (call to f_8ea1): @user_script:1: "


@pytest.mark.parametrize(
    ("reply", "told"),
    [
        (SCRIPT + "MISCONF Redis is configured to save RDB snapshots, but", "MISCONF"),
        (SCRIPT + "OOM command not allowed when used memory > 'maxmemory'.", "OOM"),
        (SCRIPT + "@user_script: 1: -READONLY You can't write against a read only", "READONLY"),
        ("Command # 1 (EVALSHA 8ea1 1 k) of pipeline caused error: " + SCRIPT[4:] + "OOM x", "OOM"),
        (SCRIPT + "ERR wrong number of args, MISCONF OOM READONLY", None),  # words in its text
        (SCRIPT + "Script attempted to access nonexistent global variable 'x'", None),
    ],
)
def test_a_redis_that_takes_no_writes_is_told_where_a_script_error_wraps_its_reply(
    reply: str, told: str | None
) -> None:
    """An older Redis (before 7) wraps the reply a script's command met: it was logged as
    redis-py words it, not in plain words."""
    from redis._parsers.base import BaseParser

    from servicebot.store.refusals import outage

    said = outage(BaseParser.parse_error(reply), "redis://127.0.0.1:1/0")
    if told is None:
        assert said.startswith("the conversation store at redis://127.0.0.1:1/0 failed: ")
    else:
        assert said.startswith("the Redis server at redis://127.0.0.1:1/0 ")
        assert said.endswith(f"({told})")


@pytest.mark.redis
def test_redis_keeps_a_message_id_where_older_readers_pass_it_over(redis_url: str) -> None:
    """The version before message ids passes every top-level key of a stored turn to
    TurnRecord, which refused one it lacks: the id rides in an event, as the fallback's kind
    does, and comes back out of it."""
    import redis

    namespace = f"msg-{uuid.uuid4().hex}"
    store = open_store(redis_url, namespace=namespace)
    store.append_turn(turn("c", message_id="Ev0123"))
    client = redis.Redis.from_url(redis_url)
    (raw,) = client.lrange(f"{namespace}:conversation:c:turns", 0, -1)
    client.close()
    assert "message_id" not in json.loads(raw)
    (stored,) = store.history("c")
    assert stored.message_id == "Ev0123" and stored.events == ()
    store.close()
