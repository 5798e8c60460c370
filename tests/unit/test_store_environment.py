"""A store url from the environment (``${VAR}`` in ``store.url``): a SQLite path or whole url,
a Redis host, port, database, password or whole url; a variable unset or empty refused by a
turn where it matters, and told to ``servicebot check``."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from servicebot import StorageError
from servicebot.settingvalues import known_store
from servicebot.store import open_store, unset_variables
from servicebot.storeurl import empty_variables
from tests.unit.storedturns import turn

if TYPE_CHECKING:
    from tests.redisserver import RedisServer


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


def test_check_is_told_of_the_variables_a_turn_would_refuse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BOT_A", raising=False)
    monkeypatch.setenv("BOT_B", "")
    # An empty SQLite folder would make the path /bot.db; an empty Redis password is none.
    assert unset_variables("sqlite:///${BOT_A}/${BOT_B}/${BOT_A}.db") == ["BOT_A", "BOT_B"]
    assert unset_variables("redis://:${BOT_B}@${BOT_A}:6379/0") == ["BOT_A"]


@pytest.mark.parametrize(
    ("url", "found"),
    [
        ("redis://:${BOT_E}@cache:6379/0", [("BOT_E", "password")]),  # meant, missing
        ("rediss://${BOT_E}:${BOT_S}@cache:6379/0", [("BOT_E", "user")]),
        ("redis://${BOT_E}:6379/0", [("BOT_E", "host")]),  # redis-py would use localhost
        ("redis://${BOT_E}.internal:6379/0", [("BOT_E", "host")]),  # .internal
        ("redis://cache${BOT_E}:6379/0", []),  # cache: a suffix left out, a host still
        ("redis://127.0.0.1:${BOT_E}/0", [("BOT_E", "port")]),  # redis-py would use 6379
        ("redis://127.0.0.1:63${BOT_E}/0", []),  # a port still
        ("redis://127.0.0.1:6379/${BOT_E}", [("BOT_E", "database")]),  # would use 0
        ("redis://[::1]:${BOT_E}/0", [("BOT_E", "port")]),
        ("redis://:${BOT_S}@${BOT_S}:6379/0", []),  # set
        ("sqlite:///${BOT_E}/bot.db", []),  # unset_variables' to tell
    ],
)
def test_check_is_told_of_an_empty_variable_in_a_redis_url_where_it_matters(
    monkeypatch: pytest.MonkeyPatch, url: str, found: list[tuple[str, str]]
) -> None:
    """An empty ``${REDIS_PASSWORD}`` said nothing: Redis takes an empty password as none,
    but one written as a variable was meant, and empty it is a secret missing."""
    monkeypatch.setenv("BOT_E", "")
    monkeypatch.setenv("BOT_S", "set")
    assert empty_variables(url) == found


@pytest.mark.parametrize(
    ("written", "part"),
    [
        ("${BOT_E}:{port}/0", "host"),
        ("127.0.0.1:${BOT_E}/0", "port"),
        ("{hostport}/${BOT_E}", "database"),
    ],
)
def test_a_turn_refuses_a_redis_url_an_empty_variable_leaves_without_its_host_port_or_database(
    monkeypatch: pytest.MonkeyPatch, written: str, part: str
) -> None:
    """``redis://127.0.0.1:${RP}/0`` with ``RP=`` connected to port 6379, another server's
    (or ``${DB}`` to database 0, another bot's) and stored the turns there."""
    monkeypatch.setenv("BOT_E", "")
    url = "redis://" + written.replace("{port}", "6379").replace("{hostport}", "127.0.0.1:6379")
    with pytest.raises(
        StorageError, match=rf"names \$\{{BOT_E\}}, which is empty: .* {part} empty"
    ):
        open_store(url, namespace="x")
    assert known_store(url) == url  # the bot loads, and answers each turn unstored


@pytest.mark.redis
def test_a_redis_host_port_database_or_whole_url_can_come_from_the_environment(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """REDIS_HOSTPORT=127.0.0.1:16399 was quoted to 127.0.0.1%3A16399, and every turn failed
    (connecting to 127.0.0.1:16399:6379); a port, database or whole url was refused."""
    import redis

    hostport = redis_url.removeprefix("redis://").removesuffix("/0")
    monkeypatch.setenv("BOT_HOSTPORT", hostport)
    monkeypatch.setenv("BOT_PORT", hostport.rpartition(":")[2])
    monkeypatch.setenv("BOT_DB", "3")
    monkeypatch.setenv("BOT_STORE_URL", f"redis://{hostport}/3")
    for url in ("redis://${BOT_HOSTPORT}/${BOT_DB}", "redis://127.0.0.1:${BOT_PORT}/3",
                "${BOT_STORE_URL}"):  # fmt: skip
        namespace = f"env-{uuid.uuid4().hex}"
        store = open_store(url, namespace=namespace)
        assert store.append_turn(turn("c")).number == 1, url
        store.close()
        client = redis.Redis.from_url(f"redis://{hostport}/3")
        assert client.exists(f"{namespace}:conversation:c:turns"), url  # in database 3
        client.close()
    monkeypatch.delenv("BOT_STORE_URL")
    with pytest.raises(
        StorageError, match=r"the store url is \$\{BOT_STORE_URL\}, which is not set"
    ):
        open_store("${BOT_STORE_URL}")


def test_a_whole_sqlite_url_can_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_STORE_URL", "sqlite:///data/bot.db")
    open_store("${BOT_STORE_URL}", root=tmp_path).close()
    assert (tmp_path / "data" / "bot.db").is_file()
    monkeypatch.setenv("BOT_STORE_URL", "")
    assert unset_variables("${BOT_STORE_URL}") == ["BOT_STORE_URL"]  # check warns of it
    with pytest.raises(StorageError, match=r"is \$\{BOT_STORE_URL\}, which is empty"):
        open_store("${BOT_STORE_URL}", root=tmp_path)


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
