"""Ratings (``Bot.rate``) in every store backend: kept per turn, replaced, refused for a turn
that does not exist, removed with their conversation, read for a period; SQLite's migration
0006 on a file an older version made, Redis's expiry with the turns."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from servicebot.store import Rating, Store, now, open_store, sqlitemigrations
from servicebot.store import sqlite as sqlite_store
from tests.unit.storedturns import turn


def test_a_rating_is_kept_per_turn_and_read_back(store: Store) -> None:
    store.append_turn(turn("c", "where is my order?"))
    store.append_turn(turn("c", "and the refund?"))
    assert store.rate_turn(Rating("c", 2, False, "did not help, call [PHONE_1]"))
    (rating,) = store.ratings("c").values()
    assert (rating.turn, rating.helpful, rating.comment) == (
        2,
        False,
        "did not help, call [PHONE_1]",
    )
    assert store.ratings("other") == {}


def test_rating_a_turn_again_replaces_its_rating(store: Store) -> None:
    store.append_turn(turn("c"))
    store.rate_turn(Rating("c", 1, False, "no"))
    store.rate_turn(Rating("c", 1, True))
    assert [(r.helpful, r.comment) for r in store.ratings("c").values()] == [(True, None)]


def test_a_turn_that_does_not_exist_is_not_rated(store: Store) -> None:
    store.append_turn(turn("c"))
    assert not store.rate_turn(Rating("c", 2, True))
    assert not store.rate_turn(Rating("c", 0, True))
    assert not store.rate_turn(Rating("nobody", 1, True))
    assert store.ratings("c") == {} and store.ratings("nobody") == {}


def test_ratings_are_purged_with_their_conversation(store: Store) -> None:
    for cid in ("gone", "kept"):
        store.append_turn(turn(cid))
        store.rate_turn(Rating(cid, 1, False, "bad"))
    store.purge_conversation("gone")
    assert store.ratings("gone") == {}
    assert list(store.ratings("kept")) == [1]
    store.purge_older_than(now() + timedelta(days=1))  # as the retention does
    assert store.ratings("kept") == {}
    store.append_turn(turn("kept"))  # a conversation begun again under the id has none
    assert store.ratings("kept") == {}


def test_ratings_since_are_those_of_the_conversations_read_for_the_period(store: Store) -> None:
    store.append_turn(turn("old", at=now() - timedelta(days=30)))
    store.append_turn(turn("new"))
    store.rate_turn(Rating("old", 1, True))
    store.rate_turn(Rating("new", 1, False))
    found = store.ratings_since(now() - timedelta(days=7))
    assert [(r.conversation_id, r.turn, r.helpful) for r in found] == [("new", 1, False)]


def test_an_older_schema_file_is_migrated_to_ratings_its_turns_kept(tmp_path: Path) -> None:
    """0006_ratings on a file 0005 left, with a turn in it: the turn is rated, and the file
    is still one an older version uses (the migration is additive)."""
    path = tmp_path / "conversations.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    for name, step in sqlitemigrations.MIGRATIONS[:5]:
        step(db)
        db.execute("INSERT INTO _migrations VALUES (?, '')", (name,))
    db.execute("PRAGMA user_version = 3")
    db.execute("INSERT INTO conversations VALUES ('', 'c', 'x', 'x', NULL)")
    row = sqlite_store._row(turn("c", "where is my order?", number=1))
    db.execute(f"INSERT INTO turns VALUES ('', {', '.join('?' * len(row))})", row)
    db.close()
    store = open_store(f"sqlite:///{path}")
    assert [t.customer_text for t in store.history("c")] == ["where is my order?"]
    assert store.rate_turn(Rating("c", 1, True, "thanks"))
    assert store.ratings("c")[1].comment == "thanks"
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (3,)
        assert ("0006_ratings",) in db.execute("SELECT name FROM _migrations").fetchall()


def test_ratings_are_kept_per_namespace_in_one_sqlite_file(tmp_path: Path) -> None:
    one = open_store("sqlite:///bot.db", root=tmp_path, namespace="one")
    two = open_store("sqlite:///bot.db", root=tmp_path, namespace="two")
    one.append_turn(turn("c"))
    assert not two.rate_turn(Rating("c", 1, True))
    assert one.rate_turn(Rating("c", 1, True))
    assert two.ratings("c") == {} and list(one.ratings("c")) == [1]
    one.close()
    two.close()


@pytest.mark.redis
def test_redis_ratings_expire_with_their_conversation(redis_url: str) -> None:
    import redis

    namespace = f"test-{uuid.uuid4().hex}"
    store = open_store(redis_url, namespace=namespace, retention_days=2)
    store.append_turn(turn("c"))
    store.rate_turn(Rating("c", 1, False))
    client = redis.Redis.from_url(redis_url)
    base = f"{namespace}:conversation:c"
    assert 0 < client.ttl(f"{base}:ratings") <= client.ttl(f"{base}:turns") <= 2 * 86_400
    client.persist(f"{base}:ratings")
    store.append_turn(turn("c"))  # each turn gives the ratings the conversation's expiry again
    assert client.ttl(f"{base}:ratings") > 0
    store.purge_conversation("c")
    assert not client.exists(f"{base}:ratings")
    client.close()
    store.close()
