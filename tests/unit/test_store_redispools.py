"""Many shops' bots in one process on one Redis server share one connection pool, each in
its own namespace; closing one bot leaves the others' connections open."""

from __future__ import annotations

import dataclasses
import gc
from pathlib import Path

import pytest

from servicebot import load_bot
from servicebot.pipeline import Bot
from servicebot.stages import Stages
from servicebot.store import open_store
from tests.redisserver import RedisServer
from tests.unit.botcopies import make_bot

EXAMPLE_URL = "  url: sqlite:///.servicebot/conversations.db"
SHOPS = 30


def _shops(tmp_path: Path, url: str) -> list[Bot]:
    """SHOPS bots on the store ``url``, each in a namespace of its own (the example bot,
    loaded once: its stages are shared, its settings copied with each shop's namespace)."""
    spec = load_bot(make_bot(tmp_path, settings=[(EXAMPLE_URL, f"  url: {url}")]))
    stages = Stages.build(spec)
    bots = []
    for shop in range(SHOPS):
        store = spec.settings.store.model_copy(update={"namespace": f"shop{shop}"})
        settings = spec.settings.model_copy(update={"store": store})
        own = dataclasses.replace(spec, settings=settings)
        bots.append(Bot(own, stages=dataclasses.replace(stages, spec=own), offline=True))
    return bots


def _connections(server: RedisServer) -> int:
    """The server's client connections, the one asking left out."""
    import redis

    with redis.Redis.from_url(server.url) as asking:
        return len(asking.client_list()) - 1


@pytest.mark.redis
def test_many_bots_on_one_redis_url_share_few_connections(
    own_redis: RedisServer, tmp_path: Path
) -> None:
    bots = _shops(tmp_path, own_redis.url)
    for shop, bot in enumerate(bots):
        bot.reply(f"Where is my order? I am shop {shop}'s customer", conversation_id="c-1")
    assert _connections(own_redis) == 1  # was 30: one pool, and its connection, per bot
    for shop, bot in enumerate(bots):  # one conversation id, a conversation in each shop
        [turn] = bot.store.history("c-1")
        assert turn.customer_text.endswith(f"shop {shop}'s customer")

    bots[0].close()  # a shop leaving: the others' connection stays open
    assert _connections(own_redis) == 1
    bots[1].reply("And my refund?", conversation_id="c-1")
    assert [t.number for t in bots[1].store.history("c-1")] == [1, 2]
    for bot in bots[1:]:
        bot.close()
    assert _connections(own_redis) == 0  # the last one closed the pool


@pytest.mark.redis
def test_a_store_collected_unclosed_gives_its_pool_back(own_redis: RedisServer) -> None:
    kept = open_store(own_redis.url, namespace="kept")
    dropped = open_store(own_redis.url, namespace="dropped")
    dropped.history("c-1")
    del dropped
    gc.collect()
    assert kept.history("c-1") == []
    kept.close()
    assert _connections(own_redis) == 0


@pytest.mark.redis
def test_a_store_closed_twice_gives_its_pool_back_once(own_redis: RedisServer) -> None:
    first = open_store(own_redis.url, namespace="a")
    second = open_store(own_redis.url, namespace="b")
    first.close()
    first.close()  # a second close must not close the pool under `second`
    second.history("c-1")
    assert _connections(own_redis) == 1
    second.close()


def test_stores_share_a_pool_only_on_one_server_database_user_and_timeout() -> None:
    from servicebot.store.redispools import pool_key

    base = pool_key("redis://127.0.0.1:6379/0", 1.0)
    assert pool_key("redis://127.0.0.1:6379", 1.0) == base  # database 0 by default
    others = [
        pool_key("redis://127.0.0.1:6380/0", 1.0),
        pool_key("redis://127.0.0.1:6379/1", 1.0),
        pool_key("redis://:secret@127.0.0.1:6379/0", 1.0),
        pool_key("redis://shop:secret@127.0.0.1:6379/0", 1.0),
        pool_key("rediss://127.0.0.1:6379/0", 1.0),
        pool_key("redis://127.0.0.1:6379/0?health_check_interval=5", 1.0),
        pool_key("redis://127.0.0.1:6379/0", 2.0),
    ]
    assert base not in others and len(set(others)) == len(others)
