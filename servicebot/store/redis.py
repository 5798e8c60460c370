"""Conversations on a Redis server: for several processes or hosts serving one bot.

Keys, under a namespace per bot::

    {ns}:conversation:{id}:turns   list of turns (JSON), oldest first
    {ns}:conversation:{id}:state   the placeholder state (JSON)
    {ns}:conversations             sorted set: conversation id, scored by its last turn's time

A Lua script appends a turn: reading the list's length, pushing the turn numbered one more and
scoring the conversation happen as one step on the server, so numbers stay unique and gapless
whatever the number of writers. Keys expire ``retention_days`` after a conversation's last
turn. redis-py's own retries and reconnection handle a restarted server; what still fails
becomes a StorageError.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..errors import StorageError
from . import PurgeReport, TurnRecord

try:
    import redis
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry
except ImportError as exc:  # an optional backend: say how to get it
    raise StorageError("the Redis store needs redis-py: pip install 'servicebot[redis]'") from exc

_APPEND = """
local number = redis.call('LLEN', KEYS[1]) + 1
redis.call('RPUSH', KEYS[1], '{"number":' .. number .. ',' .. ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
if ARGV[4] ~= '' then
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  redis.call('EXPIRE', KEYS[2], ARGV[4])
end
return number
"""


class RedisStore:
    """A :class:`~servicebot.store.Store` on a Redis server."""

    def __init__(self, url: str, *, namespace: str, retention_days: int | None = None) -> None:
        self.url = _without_password(url)
        self._ns = namespace
        self._ttl = "" if retention_days is None else str(retention_days * 86_400)
        retry = Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=3)
        self._redis = redis.Redis.from_url(
            url,
            socket_timeout=5,
            socket_connect_timeout=2,
            retry=retry,
            retry_on_error=[redis.ConnectionError, redis.TimeoutError],
            health_check_interval=30,
        )
        self._append = self._redis.register_script(_APPEND)

    def append_turn(self, turn: TurnRecord) -> TurnRecord:
        body = json.loads(turn.to_json())
        del body["number"]
        keys = [self._turns(turn.conversation_id), self._state(turn.conversation_id), self._index]
        args: list[str | float] = [
            json.dumps(body, ensure_ascii=False)[1:],
            turn.at.timestamp(),
            turn.conversation_id,
            self._ttl,
        ]
        number = self._call(lambda: self._append(keys=keys, args=args))
        return replace(turn, number=int(number))

    def history(self, conversation_id: str, limit: int | None = None) -> list[TurnRecord]:
        start = 0 if limit is None else -limit
        if limit == 0:
            return []
        rows = self._call(lambda: self._redis.lrange(self._turns(conversation_id), start, -1))
        return [TurnRecord.from_json(row) for row in rows]

    def load_state(self, conversation_id: str) -> dict[str, Any] | None:
        raw = self._call(lambda: self._redis.get(self._state(conversation_id)))
        state: dict[str, Any] | None = json.loads(raw) if raw else None
        return state

    def save_state(self, conversation_id: str, state: dict[str, Any]) -> None:
        ttl = int(self._ttl) if self._ttl else None
        self._call(lambda: self._redis.set(self._state(conversation_id), json.dumps(state), ex=ttl))

    def turns_since(self, since: datetime) -> Iterator[TurnRecord]:
        ids = self._call(lambda: self._redis.zrangebyscore(self._index, since.timestamp(), "+inf"))
        for conversation_id in ids:
            for turn in self.history(conversation_id.decode()):
                if turn.at >= since:
                    yield turn

    def purge_conversation(self, conversation_id: str) -> PurgeReport:
        return self._purge([conversation_id])

    def purge_older_than(self, cutoff: datetime) -> PurgeReport:
        ids = self._call(
            lambda: self._redis.zrangebyscore(self._index, "-inf", f"({cutoff.timestamp()}")
        )
        return self._purge([raw.decode() for raw in ids])

    def close(self) -> None:
        self._redis.close()

    def _purge(self, conversation_ids: list[str]) -> PurgeReport:
        conversations = turns = 0
        for conversation_id in conversation_ids:
            pipe = self._redis.pipeline()  # MULTI/EXEC: count and delete together
            pipe.llen(self._turns(conversation_id))
            pipe.delete(self._turns(conversation_id), self._state(conversation_id))
            pipe.zrem(self._index, conversation_id)
            count, deleted, _ = self._call(pipe.execute)
            turns += count
            conversations += 1 if deleted else 0
        return PurgeReport(conversations, turns)

    @property
    def _index(self) -> str:
        return f"{self._ns}:conversations"

    def _turns(self, conversation_id: str) -> str:
        return f"{self._ns}:conversation:{conversation_id}:turns"

    def _state(self, conversation_id: str) -> str:
        return f"{self._ns}:conversation:{conversation_id}:state"

    def _call(self, command: Any) -> Any:
        try:
            return command()
        except redis.RedisError as exc:
            raise StorageError(f"the conversation store at {self.url} failed: {exc}") from exc


def _without_password(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
