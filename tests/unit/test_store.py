"""Every store backend keeps the same promises: the memory dict, a SQLite file, a Redis server.
What one backend does on its own is in test_store_backends.py."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from servicebot import StorageError
from servicebot.filters import FilterEvent
from servicebot.store import Store, now, open_store
from tests.unit.storedturns import turn


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
        prompt_tokens=812, completion_tokens=64, latency_ms=1234.5, fallback="handoff",
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


def test_conversations_since_gives_each_recent_conversation_whole(store: Store) -> None:
    store.append_turn(turn("old", at=now() - timedelta(days=3)))
    store.append_turn(turn("b", "b1", at=now() - timedelta(hours=2)))
    store.append_turn(turn("a", "a1", at=now() - timedelta(days=2)))  # before since: kept
    store.append_turn(turn("a", "a2"))
    store.append_turn(turn("b", "b2"))
    found = store.conversations_since(now() - timedelta(days=1))
    assert [[(t.customer_text, t.number) for t in turns] for turns in found] == [
        [("a1", 1), ("a2", 2)],  # by their first turns
        [("b1", 1), ("b2", 2)],
    ]
    assert store.conversations_since(now() + timedelta(days=1)) == []


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


def test_a_turn_id_is_per_conversation(store: Store) -> None:
    store.append_turn(turn("a", id="msg-1"))
    store.append_turn(turn("b", id="msg-1"))  # another conversation's client reused the id
    assert len(store.history("a")) == len(store.history("b")) == 1


@pytest.mark.parametrize("name", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def test_a_turn_stored_before_fallbacks_were_kept_reads_with_none(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A SQLite file or Redis list an older version wrote, with no ``fallback``, still reads."""
    if name == "sqlite":
        _older_sqlite_file(tmp_path / "old.db")
        store = open_store("sqlite:///old.db", root=tmp_path)
    else:
        import redis

        namespace, url = f"test-{uuid.uuid4().hex}", request.getfixturevalue("redis_url")
        store = open_store(url, namespace=namespace)
        store.append_turn(turn("c-1"))
        client = redis.Redis.from_url(url)
        key = f"{namespace}:conversation:c-1:turns"
        older = json.loads(client.lindex(key, 0))  # type: ignore[arg-type]
        assert "fallback" not in older  # left out when None: older versions read it too
        older["action"] = "fallback"
        client.lset(key, 0, json.dumps(older))
        client.close()
    (old,) = store.history("c-1")
    assert (old.action, old.fallback) == ("fallback", None)
    assert store.append_turn(turn("c-1", fallback="answer")).number == 2
    assert store.history("c-1")[1].fallback == "answer"
    store.close()


# TurnRecord's fields in the version before turns kept their fallback's kind (7728cac): it
# passes every top-level key of a stored turn to TurnRecord, so a key outside these makes the
# whole conversation unreadable there. Its events keep only the keys they know.
_FIELDS_BEFORE_FALLBACK = {
    "conversation_id", "customer_text", "reply_text", "action", "intent", "score", "events",
    "model", "prompt_tokens", "completion_tokens", "latency_ms", "at", "number", "id",
}  # fmt: skip
_EVENT_FIELDS_BEFORE_FALLBACK = {"stage", "detector", "kind", "action", "placeholder", "count"}


@pytest.mark.redis
def test_a_redis_turn_with_a_fallback_reads_in_the_version_before_fallbacks_were_kept(
    redis_url: str,
) -> None:
    """A rolling deploy or a rollback: pods on the older version read the newer turns."""
    import redis

    namespace = f"test-{uuid.uuid4().hex}"
    store = open_store(redis_url, namespace=namespace)
    event = FilterEvent("model", "model", "timeout", "fallback")
    store.append_turn(turn("c-1", events=(event,), fallback="handoff"))
    client = redis.Redis.from_url(redis_url)
    (raw,) = client.lrange(f"{namespace}:conversation:c-1:turns", 0, -1)
    client.close()
    stored = json.loads(raw)
    assert set(stored) <= _FIELDS_BEFORE_FALLBACK
    assert all(
        FilterEvent(**{k: e[k] for k in _EVENT_FIELDS_BEFORE_FALLBACK if k in e})
        for e in stored["events"]
    )
    (loaded,) = store.history("c-1")
    assert (loaded.fallback, loaded.events) == ("handoff", (event,))
    store.close()


@pytest.mark.redis
def test_a_redis_turn_with_its_fallback_at_the_top_level_still_reads(redis_url: str) -> None:
    """As the version just before this one stored it."""
    import redis

    namespace = f"test-{uuid.uuid4().hex}"
    store = open_store(redis_url, namespace=namespace)
    store.append_turn(turn("c-1"))
    client, key = redis.Redis.from_url(redis_url), f"{namespace}:conversation:c-1:turns"
    older = json.loads(client.lindex(key, 0))  # type: ignore[arg-type]
    client.lset(key, 0, json.dumps({**older, "action": "fallback", "fallback": "answer"}))
    client.close()
    (loaded,) = store.history("c-1")
    assert (loaded.action, loaded.fallback, loaded.events) == ("fallback", "answer", ())
    store.close()


def _older_sqlite_file(path: Path) -> None:
    """A conversation store as servicebot made it before turns kept ``fallback``."""
    from servicebot.store.sqlitemigrations import MIGRATIONS

    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
        MIGRATIONS[0][1](db)
        db.execute("INSERT INTO _migrations VALUES ('0001_conversations_and_turns', 'then')")
        db.execute("INSERT INTO conversations VALUES ('c-1', 'then', 'then', NULL)")
        db.execute(
            "INSERT INTO turns VALUES ('c-1', 'hi', 'sorry', 'fallback', NULL, NULL, '[]', NULL,"
            " 0, 0, 1.0, '2024-05-01T10:00:00.000000Z', 1, 'id-1')"
        )
    db.close()


def test_a_turn_is_found_by_its_message_id_in_its_conversation_only(store: Store) -> None:
    """What a retried webhook delivery is answered from (Bot.reply's ``message_id``)."""
    store.append_turn(turn("a", "first"))
    store.append_turn(turn("a", "second", message_id="wamid.42"))
    found = store.turn_for_message("a", "wamid.42")
    assert found is not None and (found.number, found.customer_text) == (2, "second")
    assert found.message_id == "wamid.42" and found.events == ()
    assert [t.message_id for t in store.history("a")] == [None, "wamid.42"]
    assert store.turn_for_message("b", "wamid.42") is None
    assert store.turn_for_message("a", "wamid.43") is None


def test_conversations_since_one_at_a_time_come_whole_in_the_same_order(store: Store) -> None:
    store.append_turn(turn("old", at=now() - timedelta(days=3)))
    store.append_turn(turn("z", "z1", at=now() - timedelta(days=2)))  # first, though last by id
    tie = now() - timedelta(hours=2)
    store.append_turn(turn("b", "b1", at=tie))
    store.append_turn(turn("a", "a1", at=tie))  # a tie: by id
    for conversation in ("z", "a", "b", "a"):
        store.append_turn(turn(conversation, f"{conversation} again"))
    since = now() - timedelta(days=1)
    found = list(store.iter_conversations_since(since))
    assert found == store.conversations_since(since)
    assert [(turns[0].conversation_id, len(turns)) for turns in found] == [
        ("z", 2), ("a", 3), ("b", 2),
    ]  # fmt: skip
    assert list(store.iter_conversations_since(now() + timedelta(days=1))) == []
