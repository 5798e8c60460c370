"""A real store that cannot answer a turn, and one set up wrongly: a SQLite file another process
holds locked, a redis-server that stops answering turns sent at once, and a redis-server that
refuses the URL's password, user or database. The first two cost a turn about store.timeout
and answer it unstored; the last is the operator's to fix, so it is raised as a ConfigError."""

from __future__ import annotations

import asyncio
import logging
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from servicebot import Bot, ConfigError, StorageError
from servicebot.cli import main
from servicebot.config import BotSpec
from servicebot.pipeline import Reply
from servicebot.store import open_store
from tests.conftest import REPO
from tests.e2e.conftest import line_of, with_settings
from tests.redisserver import RedisServer, free_port
from tests.unit.storedturns import turn

# Another process that takes the file's write lock and keeps it until killed (or ``seconds``).
_HOLD = """import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


@pytest.fixture
def held(tmp_path: Path) -> Iterator[Path]:
    """A conversation store with a turn in it, locked by another process for the test."""
    path = tmp_path / "conversations.db"
    store = open_store(f"sqlite:///{path}")
    store.append_turn(turn("c"))
    store.close()
    holder = _hold(path, 600)
    yield path
    holder.kill()
    _release(holder)


def _hold(path: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


def _release(holder: subprocess.Popen[str]) -> None:
    """Wait for the holder to end (its lock with it), and close its pipe."""
    holder.wait()
    assert holder.stdout is not None
    holder.stdout.close()


def test_a_locked_sqlite_file_costs_one_turn_about_store_timeout(
    spec: BotSpec, held: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A VACUUM, a long purge or a tool's open transaction: each turn waited 30 s to open the
    file and 30 s more to store, and nothing set it. Now a write waits store.timeout, the
    history is read beside the lock, and the turns after skip the store for a while."""
    bot = Bot(with_settings(spec, store={"url": f"sqlite:///{held}", "timeout": 1}), offline=True)
    started = time.monotonic()
    reply = bot.reply("how long do refunds take?", "c")
    assert time.monotonic() - started < 10  # loose: it took 60 s
    assert reply.text and reply.turn is None
    assert "not held" in reply.trace[0].decision  # the conversation, a write
    assert reply.trace[1].decision == "1 turn loaded"  # read, though another process writes
    assert "database is locked" in reply.trace[-1].decision and "turn not stored" in caplog.text
    skipped = bot.reply("how long do refunds take?", "c")
    assert skipped.turn is None and "not tried" in skipped.trace[-1].decision
    assert bot.store_breaker.open and bot.store_breaker.seconds_left > 0  # for a /healthz
    bot.close()


def test_async_turns_at_once_on_a_locked_sqlite_file_do_not_queue_for_minutes(
    spec: BotSpec, held: Path
) -> None:
    """20 areply calls at once each waited about 74 s, queued for a few worker threads."""
    bot = Bot(with_settings(spec, store={"url": f"sqlite:///{held}", "timeout": 1}), offline=True)

    async def turns() -> list[Reply]:
        asked = [bot.areply("how long do refunds take?", f"c{n}") for n in range(20)]
        return await asyncio.gather(*asked)

    started = time.monotonic()
    replies = asyncio.run(turns())
    assert time.monotonic() - started < 15  # loose: each turn once waited a minute
    assert all(reply.text and reply.turn is None for reply in replies)
    bot.close()


def test_purge_waits_longer_for_a_lock_than_a_turn_does(tmp_path: Path) -> None:
    """An operator's command beside a busy bot should not fail after store.timeout."""
    folder = tmp_path / "bot"
    CliRunner().invoke(main, ["init", str(folder)])
    settings = folder / "servicebot.yaml"
    text = settings.read_text("utf-8")
    settings.write_text(text.replace("retention_days: 90", "retention_days: 90\n  timeout: 0.2"))
    path = folder / ".servicebot" / "conversations.db"
    store = open_store(f"sqlite:///{path}")
    store.append_turn(turn("c-42"))
    store.close()
    holder = _hold(path, 1.5)  # a purge of its own, say
    result = CliRunner().invoke(main, ["purge", "--conversation", "c-42", "--bot", str(folder)])
    _release(holder)
    assert result.exit_code == 0, result.output
    assert result.output == "removed 1 turn in 1 conversation\n"


@pytest.mark.redis
def test_turns_at_once_on_a_redis_that_stops_answering_each_wait_about_twice_its_timeout(
    spec: BotSpec, own_redis: RedisServer
) -> None:
    """Five areply calls at once: the first failed in 2.1 s and the others in 4.3 s, as a new
    connection pinged the server (tried twice) inside a connect tried twice. The README says
    a hung server costs a turn about twice store.timeout."""
    settings = {"url": own_redis.url, "timeout": 1.5}
    bot = Bot(with_settings(spec, store=settings), offline=True)
    assert bot.reply("how long do refunds take?", "warm").turn == 1  # one pooled connection
    assert own_redis.process is not None
    own_redis.process.send_signal(signal.SIGSTOP)

    async def timed(n: int) -> float:
        started = time.monotonic()
        reply = await bot.areply("how long do refunds take?", f"c{n}")
        assert reply.text and reply.turn is None
        return time.monotonic() - started

    async def turns() -> list[float]:
        return await asyncio.gather(*[timed(n) for n in range(5)])

    waits = asyncio.run(turns())
    assert max(waits) < 5, waits  # twice 1.5 s, and room for a slow machine; it was 6.4 s
    own_redis.process.send_signal(signal.SIGCONT)
    bot.close()


def _bot_on(tmp_path: Path, url: str) -> Path:
    """A copy of the example bot whose store.url is ``url``."""
    folder = tmp_path / "bot"
    for name in ("faq", "templates"):
        shutil.copytree(REPO / name, folder / name)
    text = (REPO / "servicebot.yaml").read_text("utf-8")
    (folder / "servicebot.yaml").write_text(
        text.replace("url: sqlite:///.servicebot/conversations.db", f"url: {url}"), "utf-8"
    )
    return folder


@pytest.mark.redis
@pytest.mark.parametrize(
    ("mistake", "told"),
    [
        ("password", "refused the user or password (invalid username-password pair"),
        ("acl", "the Redis user is not allowed what the store does (this user has no permissions"),
        ("database", "has no such database (DB index is out of range)"),
    ],
)
def test_a_redis_that_refuses_the_store_url_is_a_config_error_at_its_line(
    mistake: str, told: str, own_redis: RedisServer, tmp_path: Path
) -> None:
    """Every turn was answered and logged "turn not stored", for ever, and nothing told the
    application. The turn is still answered (the error carries it), as for a refused model
    key; a server that is down stays an outage (test_store_backends.py)."""
    import redis

    server = redis.Redis.from_url(own_redis.url)
    server.execute_command("ACL", "SETUSER", "reader", "on", ">s3cret", "~*", "+@read")
    server.config_set("requirepass", "right")
    base = f"127.0.0.1:{own_redis.port}"
    url = {
        "password": f"redis://:s3cret@{base}/0",
        "acl": f"redis://reader:s3cret@{base}/0",  # may read, may not run the append script
        "database": f"redis://:right@{base}/99",
    }[mistake]
    folder = _bot_on(tmp_path, url)
    bot = Bot.load(folder, offline=True)
    with pytest.raises(ConfigError) as raised:
        bot.reply("how long do refunds take?", "c")
    settings = folder / "servicebot.yaml"
    assert raised.value.path == settings and raised.value.line == line_of(settings, "url: redis")
    assert f"store.url: the Redis server at redis://{base}" in str(raised.value) or (
        "store.url: the Redis user" in str(raised.value)
    )
    assert told in str(raised.value) and "s3cret" not in str(raised.value)
    assert raised.value.reply is not None and raised.value.reply.turn is None
    assert raised.value.reply.text  # answered: the application can show it
    bot.close()
    with pytest.raises(StorageError, match="store"):  # a URL from code, with no file to blame
        open_store(url, namespace="x").append_turn(turn("c"))
    server.close()


@pytest.mark.redis
def test_a_stream_shows_the_whole_reply_before_a_refused_store_url_is_raised(
    own_redis: RedisServer, tmp_path: Path
) -> None:
    """The error came before the reply's last part (all of it for an answer from the FAQ):
    the customer was shown less than the reply, and error.reply again would repeat the rest."""
    import redis

    redis.Redis.from_url(own_redis.url).config_set("requirepass", "right")
    bot = Bot.load(_bot_on(tmp_path, f"redis://:wrong@127.0.0.1:{own_redis.port}/0"), offline=True)
    shown: list[str] = []

    async def astream() -> None:
        async for piece in bot.astream("how long do refunds take?", "c"):
            shown.append(piece)

    for read in (lambda: shown.extend(bot.stream("how long do refunds take?", "c")),
                 lambda: asyncio.run(astream())):  # fmt: skip
        shown.clear()
        with pytest.raises(ConfigError, match=r"store\.url") as raised:
            read()
        assert raised.value.reply is not None and "".join(shown) == raised.value.reply.text != ""
    bot.close()


@pytest.fixture
def spare_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, in a folder of its own that the test may remove."""
    import redis

    (tmp_path / "redis").mkdir()
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    with redis.Redis.from_url(server.url) as client:
        client.config_set("save", "")  # a snapshot that cannot be saved blocks its shutdown
    server.stop()


def _refuse_writes(server: RedisServer, how: str) -> None:
    """Put ``server`` in a state where it refuses writes with the ``how`` reply."""
    import redis

    with redis.Redis.from_url(server.url) as client:
        if how == "READONLY":  # a replica of a primary it cannot reach, as in a failover
            client.config_set("replica-read-only", "yes")
            client.execute_command("REPLICAOF", "127.0.0.1", str(free_port()))
        elif how == "OOM":
            client.config_set("maxmemory-policy", "noeviction")
            client.config_set("maxmemory", 1)
        else:  # MISCONF: a snapshot that failed, its folder gone
            client.config_set("save", "3600 1")
            shutil.rmtree(server.folder)
            client.bgsave()
            deadline = time.monotonic() + 10
            while client.info("persistence")["rdb_last_bgsave_status"] != "err":
                assert time.monotonic() < deadline, "the snapshot did not fail"
                time.sleep(0.05)


@pytest.mark.redis
@pytest.mark.parametrize(
    ("how", "told"),
    [
        ("READONLY", "is read-only (a replica, or failing over): turns are answered but not"),
        ("OOM", "is out of memory (its maxmemory reached, and its maxmemory-policy evicts"),
        ("MISCONF", "cannot save to disk (its last snapshot failed, and stop-writes-on-bgsave"),
    ],
)
def test_a_redis_that_takes_no_writes_for_a_while_is_an_outage_said_in_plain_words(
    spec: BotSpec,
    spare_redis: RedisServer,
    caplog: pytest.LogCaptureFixture,
    how: str,
    told: str,
) -> None:
    """Not the operator's store.url to fix (a failover, a full memory or disk clears on the
    server's side): the turn is answered, and not stored. The log said only redis-py's text,
    "You can't write against a read only replica. script: 7511…, on @user_script:5."."""
    bot = Bot(with_settings(spec, store={"url": spare_redis.url}), offline=True)
    _refuse_writes(spare_redis, how)
    with caplog.at_level(logging.ERROR, logger="servicebot"):
        reply = bot.reply("how long do refunds take?", "c")
    assert reply.text and reply.turn is None
    [logged] = [line for line in caplog.messages if "turn not stored" in line]
    base = f"redis://127.0.0.1:{spare_redis.port}/0"
    assert f"turn not stored: the Redis server at {base} {told}" in logged
    assert logged.endswith(f"({how})")
    bot.close()
