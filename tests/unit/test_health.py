"""Bot.health probes the store now, not as the last turn found it: a SQLite folder removed or
a file made read-only, a Redis server stopped, show at once in an idle process, and clear as
the store comes back. A probe never raises, names no customer's text, and counts nothing
towards the turns' pause."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from servicebot import Bot, BotSpec, Health
from servicebot.errors import StorageError
from servicebot.store import open_store
from tests.redisserver import RedisServer

SECRET = "my card 4111 1111 1111 1111 was charged twice"


def _bot(spec: BotSpec, url: str, root: Path) -> Bot:
    return Bot(spec, store=open_store(url, root=root, timeout=0.5), offline=True)


def test_a_memory_store_is_healthy_and_the_model_offline(spec: BotSpec) -> None:
    bot = _bot(spec, "memory://", Path("."))
    health = bot.health()
    assert health == Health(
        ok=True, bot=spec.settings.name, store="ok", model="offline", detail="",
        store_ms=health.store_ms, model_retry_in=0.0, model_failures=0, model_last_failure=None,
    )  # fmt: skip
    assert asyncio.run(bot.ahealth()).ok


def test_a_removed_sqlite_folder_shows_before_a_turn_meets_it(
    spec: BotSpec, tmp_path: Path
) -> None:
    bot = _bot(spec, "sqlite:///data/bot.db", tmp_path)
    bot.reply(SECRET, conversation_id="c")
    assert bot.health().ok
    shutil.rmtree(tmp_path / "data")
    health = bot.health()  # an idle process: no turn has met it
    assert (health.ok, health.store) == (False, "failed")
    assert str(tmp_path / "data" / "bot.db") in health.detail
    assert "4111" not in repr(health)
    assert not bot.store_breaker.open and bot.store_breaker.failures == 0  # nothing counted
    assert not asyncio.run(bot.ahealth()).ok  # in a worker thread, on its own connection
    (tmp_path / "data").mkdir()
    assert bot.health().ok  # the file is made anew, as a turn would make it


@pytest.mark.parametrize("made_read_only", ["data/bot.db", "data"])
def test_a_read_only_sqlite_file_or_folder_is_unhealthy(
    spec: BotSpec, tmp_path: Path, made_read_only: str
) -> None:
    _skip_if_read_only_is_writable(tmp_path)
    bot = _bot(spec, "sqlite:///data/bot.db", tmp_path)
    bot.reply(SECRET, conversation_id="c")
    place = tmp_path / made_read_only
    mode = place.stat().st_mode
    place.chmod(0o555 if place.is_dir() else 0o444)
    try:
        health = bot.health()
        assert (health.ok, health.store) == (False, "failed")
        assert health.detail.endswith(f"{place} is not writable")
        assert len(bot.store.history("c")) == 1  # the probe wrote nothing
    finally:
        place.chmod(mode)
    assert bot.health().ok


def _skip_if_read_only_is_writable(folder: Path) -> None:
    """Root (with CAP_DAC_OVERRIDE, as in most containers) writes a read-only file: there it
    is healthy, rightly."""
    probe = folder / "read-only"
    probe.touch(0o444)
    if os.access(probe, os.W_OK):
        pytest.skip("this process writes read-only files (root)")


def test_a_probe_that_answers_ends_the_turns_pause(spec: BotSpec) -> None:
    """An idle process whose store came back said "paused" until a customer's turn tried it."""
    bot = _bot(spec, "memory://", Path("."))

    def failing() -> None:
        raise StorageError("the conversation store at redis://cache:6379/0 failed")

    for _ in range(3):
        with pytest.raises(StorageError):
            bot.store_pause.run(failing)
    assert bot.store_breaker.open
    assert bot.health().ok
    assert not bot.store_breaker.open and bot.store_breaker.failures == 0


class _Unprobed:
    """A store of the application's own, with no ping(): its state is the turns'."""

    blocking = False

    def close(self) -> None:
        pass


def test_a_store_without_ping_reports_the_turns_pause(spec: BotSpec) -> None:
    bot = Bot(spec, store=_Unprobed(), offline=True)  # type: ignore[arg-type]
    assert bot.health().store == "ok"
    bot.store_pause._paused = True  # as turns that failed leave it
    health = bot.health()
    assert (health.ok, health.store) == (True, "paused")


@pytest.mark.redis
def test_a_stopped_redis_server_shows_at_once_and_its_return_too(
    spec: BotSpec, own_redis: RedisServer, tmp_path: Path
) -> None:
    bot = _bot(spec, own_redis.url, tmp_path)
    bot.reply(SECRET, conversation_id="c")
    health = bot.health()
    assert (health.ok, health.store, health.detail) == (True, "ok", "")
    own_redis.stop()
    health = bot.health()
    assert (health.ok, health.store) == (False, "failed")
    assert own_redis.url in health.detail and "4111" not in repr(health)
    assert health.store_ms < 2000  # refused at once: no wait for store.timeout
    assert not asyncio.run(bot.ahealth()).ok
    assert bot.store_breaker.failures == 0
    own_redis.start()  # on the same port
    assert bot.health().ok
    assert len(bot.store.history("c")) == 1


def test_a_full_disk_is_unhealthy(
    spec: BotSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk fails every turn's write ("database or disk is full") while a read and the
    folder's mode are as before: the probe said ok, and its success ended the turns' pause."""
    bot = _bot(spec, "sqlite:///data/bot.db", tmp_path)
    bot.reply(SECRET, conversation_id="c")
    real = os.statvfs

    def full(path: str | os.PathLike[str]) -> os.statvfs_result:
        stat = real(path)
        return os.statvfs_result((*stat[:3], 10, 10, *stat[5:]))  # 10 blocks free

    monkeypatch.setattr(os, "statvfs", full)
    health = bot.health()
    assert (health.ok, health.store) == (False, "failed")
    assert health.detail.endswith(
        f"{tmp_path / 'data'} has {10 * real(tmp_path).f_frsize} bytes free"
    )
    monkeypatch.setattr(os, "statvfs", real)
    assert bot.health().ok
