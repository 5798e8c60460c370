"""Bots sharing one store keep their conversations apart: two bots on one Redis server or one
SQLite file, with the same conversation id, each read their own history and placeholders and
purge only their own; a SQLite file from before namespaces keeps its conversations; a Latin
name's Redis keys do not move; ``check`` warns of a shared store with no ``store.namespace``."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from servicebot import ConfigError
from servicebot.cli import main
from servicebot.config import load_bot
from servicebot.model import Completion, ModelRequest
from servicebot.pipeline import Bot
from servicebot.store import now, open_bot_store, open_store, sqlite, sqlitemigrations
from tests.unit.botcopies import make_bot
from tests.unit.storedturns import turn
from tests.unit.streammodels import Says

STATE = '{"salt": "s", "by_digest": {}, "counts": {}}'
EXAMPLE_URL = "  url: sqlite:///.servicebot/conversations.db"


class Heard(Says):
    """A model that gives one answer and keeps the requests it was sent."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.requests: list[ModelRequest] = []

    def complete(self, request: ModelRequest) -> Completion:
        self.requests.append(request)
        return super().complete(request)


def _bot_folder(tmp_path: Path, folder: str, name: str, url: str, namespace: str = "") -> Path:
    """A copy of the example bot named ``name`` whose store is ``url``, in ``namespace``."""
    (tmp_path / folder).mkdir()
    store = f"  url: {url}" + (f"\n  namespace: {namespace}" if namespace else "")
    settings = [("name: Maple Market support", f"name: {name}"), (EXAMPLE_URL, store)]
    return make_bot(tmp_path / folder, settings=settings)


@pytest.mark.parametrize(
    ("kind", "a", "b"),
    [
        ("sqlite", ("Acme support", "acme"), ("Globex support", "globex")),
        pytest.param("redis", ("阿里客服", ""), ("京东客服", ""), marks=pytest.mark.redis),
        pytest.param(
            "redis", ("Acme Support", "acme"), ("ACME support!", "acme-2"), marks=pytest.mark.redis
        ),
    ],
)
def test_two_bots_on_one_store_keep_one_conversation_id_apart(
    request: pytest.FixtureRequest, tmp_path: Path, kind: str, a: tuple[str, str],
    b: tuple[str, str],
) -> None:  # fmt: skip
    """Before, names without a Latin letter all shared ``servicebot:bot`` on Redis, and a
    SQLite file had one namespace: B's prompt held A's customer's email, B's phone was
    ``[PHONE_2]``, and B's purge removed A's conversation."""
    url = (
        request.getfixturevalue("redis_url")
        if kind == "redis"
        else f"sqlite:///{tmp_path}/shared/all.db"
    )
    folders = [_bot_folder(tmp_path, f"b{i}", n, url, ns) for i, (n, ns) in enumerate((a, b))]
    heard = Heard("Noted.")
    bots = [Bot.load(folder, model=heard) for folder in folders]
    for bot in bots:  # a clean slate on a Redis server other tests share
        bot.store.purge_conversation("ticket-1")
    first, second = bots
    first.reply("my email is alice@acme-customer.com, where is my order?", "ticket-1")
    heard.requests.clear()
    second.reply("and what about my order? call me on 13900139000", "ticket-1")
    [request] = heard.requests  # the first bot's customer's words are not its history
    assert request.messages[-1].content == "and what about my order? call me on [PHONE_1]"
    assert not any("[EMAIL_1]" in message.content for message in request.messages)
    [theirs] = second.store.history("ticket-1")
    assert theirs.customer_text.endswith("call me on [PHONE_1]")  # numbered in its own conversation
    assert [t.number for t in first.store.history("ticket-1")] == [1]
    assert "[EMAIL_1]" in first.store.history("ticket-1")[0].customer_text
    assert [t.conversation_id for t in second.store.turns_since(now() - timedelta(hours=1))] == [
        "ticket-1"
    ]
    assert str(second.store.purge_conversation("ticket-1")) == "removed 1 turn in 1 conversation"
    second.store.purge_older_than(now() + timedelta(days=1))
    assert [t.number for t in first.store.history("ticket-1")] == [1]
    assert first.store.purge_conversation("ticket-1").turns == 1
    for bot in bots:
        bot.close()


@pytest.mark.parametrize("applied", [1, 2])  # before turns kept fallback, and after
def test_a_sqlite_file_from_before_namespaces_keeps_its_conversations(
    tmp_path: Path, applied: int
) -> None:
    with sqlite3.connect(tmp_path / "bot.db") as db:  # as an earlier version left it
        db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
        for name, step in sqlitemigrations.MIGRATIONS[:applied]:
            step(db)
            db.execute("INSERT INTO _migrations VALUES (?, '')", (name,))
        db.execute("INSERT INTO conversations VALUES ('c', 'x', 'x', ?)", (STATE,))
        row = sqlite._row(turn("c", "hello", number=1, fallback="handoff"))[: 13 + applied]
        db.execute(f"INSERT INTO turns VALUES ({', '.join('?' * len(row))})", row)
    db.close()
    store = open_store("sqlite:///bot.db", root=tmp_path)  # no store.namespace: ''
    [old] = store.history("c")
    assert old.customer_text == "hello"
    assert old.fallback == (None if applied == 1 else "handoff")  # the column is kept
    assert store.load_state("c") == json.loads(STATE)
    assert store.append_turn(turn("c", "again")).number == 2
    other = open_store("sqlite:///bot.db", root=tmp_path, namespace="other")
    assert other.history("c") == [] and other.load_state("c") is None
    assert other.append_turn(turn("c", "mine")).number == 1
    store.close(), other.close()
    with sqlite3.connect(tmp_path / "bot.db") as db:
        assert db.execute("SELECT COUNT(*) FROM turns").fetchone() == (3,)
        tables = {n for (n,) in db.execute("SELECT name FROM sqlite_master")}
        assert not {"turns_0002", "conversations_0002"} & tables
    db.close()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def test_a_customers_conversations_are_found_in_the_bots_namespace_alone(
    request: pytest.FixtureRequest, tmp_path: Path, kind: str
) -> None:
    """``history --holding`` and ``purge --holding`` start from the conversations whose
    placeholders include an email: another bot's on the same store are not this bot's."""
    url = request.getfixturevalue("redis_url") if kind == "redis" else "sqlite:///all.db"
    suffix = uuid.uuid4().hex  # a Redis server other tests share
    acme, globex = (
        open_store(url, root=tmp_path, namespace=f"{name}-{suffix}") for name in ("acme", "globex")
    )
    state = {"salt": "s", "by_digest": {}, "counts": {"EMAIL": 1}}
    assert acme.swap_state("a-ticket", None, state)
    assert globex.swap_state("g-ticket", None, state)
    assert acme.conversations_with_placeholders(["EMAIL"]) == ["a-ticket"]
    assert globex.conversations_with_placeholders(["EMAIL"]) == ["g-ticket"]
    for store, conversation in ((acme, "a-ticket"), (globex, "g-ticket")):
        store.purge_conversation(conversation)
        store.close()


@pytest.mark.redis
def test_a_latin_names_redis_keys_do_not_move(tmp_path: Path, redis_url: str) -> None:
    """A deployment's conversations stay where they are, and ``store.namespace`` set to the
    name's slug (as ``check`` advises) names the same keys."""
    import redis

    folder = _bot_folder(tmp_path, "bot", "Acme support", redis_url)
    store = open_bot_store(load_bot(folder))
    store.purge_conversation("keys-stay")
    store.append_turn(turn("keys-stay"))
    client = redis.Redis.from_url(redis_url)
    assert client.exists("servicebot:acme-support:conversation:keys-stay:turns")
    folder = _bot_folder(tmp_path, "set", "Other name", redis_url, namespace="acme-support")
    pinned = open_bot_store(load_bot(folder))
    assert [t.number for t in pinned.history("keys-stay")] == [1]
    pinned.purge_conversation("keys-stay")
    client.close(), store.close(), pinned.close()


@pytest.mark.parametrize(
    ("name", "url", "namespace", "warned"),
    [
        ("Acme support", "sqlite:///.servicebot/conversations.db", None, None),
        ("Acme support", "sqlite:///data/bot.db", None, None),  # in the bot folder
        ("Acme support", "memory://", None, None),
        ("Acme support", "sqlite:////srv/shared/all.db", None, "another bot can name this"),
        ("Acme support", "sqlite:///../shared/all.db", None, "another bot can name this"),
        ("Acme support", "sqlite:///${DATA}/all.db", None, "another bot can name this"),
        ("Acme support", "redis://cache:6379/0", None, "store.namespace: acme-support to keep"),
        ("阿里客服", "redis://cache:6379/0", None, "set store.namespace: bot to keep reading"),
        ("Acme support", "redis://cache:6379/0", "acme", None),
        ("Acme support", "sqlite:////srv/shared/all.db", "acme", None),
    ],
)
def test_check_warns_of_a_shared_store_with_no_namespace(
    name: str, url: str, namespace: str | None, warned: str | None
) -> None:
    from servicebot.settings import Settings
    from servicebot.store.namespaces import namespace_warning

    settings = Settings.model_validate(
        {"name": name, "store": {"url": url, "namespace": namespace}}
    )
    found = namespace_warning(settings)
    assert found is None if warned is None else warned in (found or "")


def test_check_says_so_at_the_store_url(tmp_path: Path) -> None:
    folder = _bot_folder(tmp_path, "bot", "Acme support", "sqlite:////srv/shared/all.db")
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert result.exit_code == 0, result.output
    [warned] = [line for line in result.output.splitlines() if "store.namespace" in line]
    assert warned.startswith(f"warning: {folder / 'servicebot.yaml'}:37:")


def test_a_namespace_is_one_part_of_a_key(tmp_path: Path) -> None:
    folder = _bot_folder(tmp_path, "bot", "Acme", "redis://cache:6379/0", namespace="'acme:x'")
    with pytest.raises(ConfigError, match="is not a namespace such as acme-support"):
        load_bot(folder)


def test_one_bots_retention_leaves_another_bots_conversations_in_a_shared_file(
    tmp_path: Path,
) -> None:
    other = open_store("sqlite:///all.db", root=tmp_path, namespace="globex")
    other.append_turn(turn("c", at=now() - timedelta(days=10)))
    open_store("sqlite:///all.db", root=tmp_path, namespace="acme", retention_days=1).close()
    assert [t.number for t in other.history("c")] == [1]  # its own retention is its own
    other.close()


@pytest.mark.parametrize(
    ("value", "warned"),
    [
        ("redis://cache:6379/0", "store.namespace: acme-support to keep"),
        ("sqlite:///data/bot.db", "another bot can name this"),  # a file from a variable
        ("memory://", None),
        (None, None),  # not set here: store_warnings says so
    ],
)
def test_a_whole_url_variable_is_warned_of_by_its_value(
    monkeypatch: pytest.MonkeyPatch, value: str | None, warned: str | None
) -> None:
    """``${STORE_URL}`` holding a Redis url is a shared store too: its scheme is read from
    the variable's value, not from the url as written."""
    from servicebot.settings import Settings
    from servicebot.store.namespaces import namespace_warning

    if value is not None:
        monkeypatch.setenv("STORE_URL", value)
    settings = Settings.model_validate({"name": "Acme support", "store": {"url": "${STORE_URL}"}})
    found = namespace_warning(settings)
    assert found is None if warned is None else warned in (found or "")
