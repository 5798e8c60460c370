"""Conversations on a Redis server: for several processes or hosts serving one bot.

Keys, under a namespace per bot::

    {ns}:conversation:{id}:turns   list of turns (JSON), oldest first
    {ns}:conversation:{id}:ids     hash: turn id -> its number (a retried append is a no-op)
    {ns}:conversation:{id}:state   the placeholder state (JSON)
    {ns}:conversation:{id}:ratings hash: turn number -> its rating (redisratings.py)
    {ns}:conversations             sorted set: conversation id, scored by its newest turn's time

Lua scripts do the work on the server in one step: an append reads the list's length, pushes
the turn numbered one more, records its id and scores the conversation, so numbers stay
unique and gapless whatever the number of writers, and a retry after a timeout (redis-py's own
retries, or the caller's) cannot store a turn twice. A purge re-checks a conversation's age as
it deletes it. A conversation's keys expire ``retention_days`` after its last write (as set
then: a shorter one applies from the next write, and none removes the expiry). Conversation
ids (an application may use an email) must not outlive them in the index: each append drops
the ids whose newest turn is past retention, the index itself expires ``retention_days``
after the bot's last write, and ``purge`` drops every id whose keys are all gone. Whether
turns survive a restart of the server is the server's persistence setting (``appendonly
yes`` keeps them); what fails while it is down becomes a StorageError. How a turn is written
in its list, so that older versions read it too, is ``redisturns.py``'s.
"""

from __future__ import annotations

import json
import urllib.parse
import weakref
from collections.abc import Collection, Generator, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import StorageError
from . import PurgeReport, Rating, TurnRecord, as_utc, by_first_turn, issued_any, now, read_state

try:
    import redis
except ImportError as exc:  # an optional backend: say how to get it
    raise StorageError("the Redis store needs redis-py: pip install 'servicebot[redis]'") from exc

from .leases import RedisLease, redis_lease_key
from .redispools import give_back, take_pool
from .redisratings import RATE, ratings_key, read_hashes, read_rating, stored_rating
from .redisturns import from_stored, to_stored
from .refusals import outage, refusal, refused

# KEYS: turns, ids, state, index, ratings. ARGV: turn id, turn JSON without its "{", time,
# conversation id, time-to-live in seconds ("" for none), the time before which a
# conversation's last turn is past retention ("" for none).
_APPEND = """
local done = redis.call('HGET', KEYS[2], ARGV[1])
if done then return tonumber(done) end
local number = redis.call('LLEN', KEYS[1]) + 1
redis.call('RPUSH', KEYS[1], '{"number":' .. number .. ',' .. ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], number)
if ARGV[6] ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. ARGV[6])
end
local newest = redis.call('ZSCORE', KEYS[4], ARGV[4])
if not newest or tonumber(newest) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[4], ARGV[3], ARGV[4])
end
for i = 1, #KEYS do
  if ARGV[5] == '' then
    redis.call('PERSIST', KEYS[i])
  else
    redis.call('EXPIRE', KEYS[i], ARGV[5])
  end
end
return number
"""

# KEYS: turns, ids, state, index, ratings. ARGV: conversation id, cutoff time ("" to purge
# anyway).
_PURGE = """
if ARGV[2] ~= '' then
  local newest = redis.call('ZSCORE', KEYS[4], ARGV[1])
  if newest and tonumber(newest) >= tonumber(ARGV[2]) then return {0, 0} end
end
local turns = redis.call('LLEN', KEYS[1])
local existed = redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[5])
redis.call('ZREM', KEYS[4], ARGV[1])
return {existed, turns}
"""

# KEYS: the index, then each conversation's turns, ids and state. ARGV: the conversation ids.
# An id whose keys are all gone (expired) leaves the index; how many left.
_FORGET = """
local forgotten = 0
for i, id in ipairs(ARGV) do
  local base = 2 + (i - 1) * 3
  if redis.call('EXISTS', KEYS[base], KEYS[base + 1], KEYS[base + 2]) == 0 then
    forgotten = forgotten + redis.call('ZREM', KEYS[1], id)
  end
end
return forgotten
"""


class RedisStore:
    """A :class:`~servicebot.store.Store` on a Redis server."""

    blocking = True

    def __init__(
        self,
        url: str,
        *,
        namespace: str,
        retention_days: int | None = None,
        timeout: float = 1.0,
        settings_file: Path | None = None,
    ) -> None:
        """``timeout``: seconds a command may wait for a connection or a reply. A command is
        tried once more after a dropped connection or a timeout (a server that restarted), so
        a server that stopped answering costs a command about 2 x ``timeout``, on a pooled
        connection or a new one alike. The pool is the process's for this URL and timeout,
        shared with the other bots' stores there (redispools.py).

        No health checks: redis-py pings a connection it has not checked before its first
        command, and tries that ping once more, inside the connect it also tries twice, so a
        new connection to a hung server waited 4 x ``timeout`` (async turns at once each take
        a new one). A dropped connection is met by the command's own second try instead.

        ``settings_file``: the servicebot.yaml whose ``store.url`` this is. A server that
        refuses the URL's password, user or database (see refusals.py) is then a ConfigError
        there; without one (a URL from code), a StorageError that says so."""
        try:
            self.url = _without_password(url)
        except ValueError as exc:
            raise StorageError(f"cannot use the store url: {exc}") from exc
        self._ns, self._settings_file = namespace, settings_file
        self._ttl = "" if retention_days is None else str(retention_days * 86_400)
        try:
            pool, key = take_pool(url, timeout)  # shared with the process's other stores
        except ValueError as exc:
            raise StorageError(f"cannot use the store url {self.url}: {exc}") from exc
        # Given back once: by close(), or as the store is collected unclosed.
        self._give_back = weakref.finalize(self, give_back, key, pool)
        self._redis = redis.Redis(connection_pool=pool)
        self._append = self._redis.register_script(_APPEND)
        self._purge_one = self._redis.register_script(_PURGE)
        self._forget = self._redis.register_script(_FORGET)
        self._rate = self._redis.register_script(RATE)

    def append_turn(self, turn: TurnRecord) -> TurnRecord:
        body = to_stored(turn.as_data())
        try:
            text = json.dumps(body, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise StorageError(f"this turn cannot be stored as JSON: {exc}") from exc
        args: list[str | float] = [
            turn.id,
            text[1:],
            turn.at.timestamp(),
            turn.conversation_id,
            self._ttl,
            "" if not self._ttl else now().timestamp() - int(self._ttl),
        ]
        keys = [*self._keys(turn.conversation_id), self._ratings_key(turn.conversation_id)]
        number = self._call(lambda: self._append(keys=keys, args=args))
        return replace(turn, number=int(number))

    def history(self, conversation_id: str, limit: int | None = None) -> list[TurnRecord]:
        if limit is not None and limit <= 0:
            return []
        start = 0 if limit is None else -limit
        key = self._keys(conversation_id)[0]
        rows = self._call(lambda: self._redis.lrange(key, start, -1))
        return [self._read(row) for row in rows]

    def turn_for_message(self, conversation_id: str, message_id: str) -> TurnRecord | None:
        """Read from the conversation's turns: a conversation holds few, and a turn given a
        ``message_id`` is the only one that asks."""
        turns = self.history(conversation_id)
        return next((t for t in reversed(turns) if t.message_id == message_id), None)

    def load_state(self, conversation_id: str) -> dict[str, Any] | None:
        key = self._keys(conversation_id)[2]
        return read_state(self._call(lambda: self._redis.get(key)), self.url)

    def swap_state(
        self, conversation_id: str, before: dict[str, Any] | None, after: dict[str, Any]
    ) -> bool:
        """Redis's check-and-set: WATCH the state, compare, then write in MULTI, which fails
        if anyone wrote the state in between (a dropped connection fails it too; the turn
        then reads the state again and tries once more). The state lives as long as the
        conversation's turns (or the full retention, before the first turn), and a new
        conversation joins the index, so that purge finds it even if no turn follows."""
        turns, _, key, index = self._keys(conversation_id)
        try:
            text = json.dumps(after)
        except (TypeError, ValueError) as exc:
            raise StorageError(f"this state cannot be stored as JSON: {exc}") from exc

        def swap() -> bool:
            with self._redis.pipeline() as pipe:
                try:
                    pipe.watch(key)  # type: ignore[no-untyped-call]
                    if read_state(pipe.get(key), self.url) != before:
                        return False
                    turns_ttl = pipe.ttl(turns)
                    ttl = turns_ttl if turns_ttl > 0 else int(self._ttl) if self._ttl else None
                    pipe.multi()
                    pipe.set(key, text, ex=ttl)
                    pipe.zadd(index, {conversation_id: now().timestamp()}, nx=True)
                    if self._ttl:
                        pipe.expire(index, int(self._ttl))
                    pipe.execute()
                except redis.WatchError:
                    return False
            return True

        swapped: bool = self._call(swap)
        return swapped

    def rate_turn(self, rating: Rating) -> bool:
        keys = [self._keys(rating.conversation_id)[0], self._ratings_key(rating.conversation_id)]
        args: list[str | int] = [rating.turn, stored_rating(rating)]
        return bool(self._call(lambda: self._rate(keys=keys, args=args)))

    def ratings(self, conversation_id: str) -> dict[int, Rating]:
        stored = self._call(lambda: self._redis.hgetall(self._ratings_key(conversation_id)))
        return {int(turn): read_rating(text, self.url) for turn, text in stored.items()}

    def ratings_since(self, since: datetime, batch: int = 500) -> list[Rating]:
        """The ratings of the index's ids scored at or after ``since``, one pipeline of
        HGETALLs per ``batch`` of them."""
        moment = as_utc(since).timestamp()
        ids = self._call(lambda: self._redis.zrangebyscore(self._index, moment, "+inf"))
        found: list[Rating] = []
        for start in range(0, len(ids), batch):
            keys = [self._ratings_key(raw.decode()) for raw in ids[start : start + batch]]
            kept = self._call(lambda k=keys: read_hashes(self._redis, k))
            found += [read_rating(text, self.url) for each in kept for text in each.values()]
        return found

    def turns_since(self, since: datetime) -> Iterator[TurnRecord]:
        since = as_utc(since)
        conversations = self.conversations_since(since)
        turns = [turn for turns in conversations for turn in turns if turn.at >= since]
        return iter(sorted(turns, key=lambda turn: turn.at))

    def conversations_since(self, since: datetime, batch: int = 500) -> list[list[TurnRecord]]:
        """The index's ids scored (by their newest turn) at or after ``since``, their turns
        read with one pipeline of LRANGEs per ``batch`` of them."""
        moment = as_utc(since).timestamp()
        ids = self._call(lambda: self._redis.zrangebyscore(self._index, moment, "+inf"))
        turns: list[TurnRecord] = []
        for start in range(0, len(ids), batch):
            keys = [self._keys(raw.decode())[0] for raw in ids[start : start + batch]]
            turns += [self._read(row) for rows in self._lists(keys) for row in rows]
        return by_first_turn(turns)

    def iter_conversations_since(self, since: datetime) -> Generator[list[TurnRecord]]:
        """Read at once: the index orders conversations by their newest turn, and their
        first turns are only known once every one is read."""
        yield from self.conversations_since(since)

    def _lists(self, keys: list[str]) -> list[list[bytes]]:
        """Every item of each list of ``keys``, in one round trip."""

        def read() -> list[list[bytes]]:
            with self._redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.lrange(key, 0, -1)
                return pipe.execute()

        found: list[list[bytes]] = self._call(read)
        return found

    def conversations_with_placeholders(
        self, kinds: Collection[str], batch: int = 500
    ) -> list[str]:
        """The index's ids, their states read with one MGET per ``batch``; the turns only of
        those that match, for the time of their first (the index's score, the time the
        state was saved, for one with no turn yet: see :meth:`swap_state`)."""
        index = self._call(lambda: self._redis.zrange(self._index, 0, -1, withscores=True))
        found: list[tuple[str, float]] = []
        for start in range(0, len(index), batch):
            chosen = [(raw.decode(), score) for raw, score in index[start : start + batch]]
            keys = [self._keys(cid)[2] for cid, _ in chosen]
            states = self._call(lambda k=keys: self._redis.mget(k))
            found += [
                (cid, score)
                for (cid, score), state in zip(chosen, states, strict=True)
                if issued_any(read_state(state, self.url), kinds)
            ]
        firsts = {cid: self._first_turn_time(cid, score) for cid, score in found}
        return sorted(firsts, key=firsts.__getitem__)

    def conversation_ids(self) -> list[str]:
        """The index's ids, one ZRANGE."""
        index = self._call(lambda: self._redis.zrange(self._index, 0, -1))
        return [raw.decode() for raw in index]

    def _first_turn_time(self, conversation_id: str, saved: float) -> float:
        """When the conversation's earliest turn was; ``saved`` if it has none."""
        return min((turn.at.timestamp() for turn in self.history(conversation_id)), default=saved)

    def purge_conversation(self, conversation_id: str) -> PurgeReport:
        return self._purge([conversation_id], cutoff="")

    def purge_older_than(self, cutoff: datetime) -> PurgeReport:
        moment = as_utc(cutoff).timestamp()
        ids = self._call(lambda: self._redis.zrangebyscore(self._index, "-inf", f"({moment}"))
        report = self._purge([raw.decode() for raw in ids], cutoff=str(moment))
        self._forget_expired()
        return report

    def ping(self) -> None:
        """A health probe (health.py): one PING, failing as any command does (about
        2 x ``timeout`` at most, with its one retry), as StorageError or ConfigError."""
        self._call(self._redis.ping)

    def close(self) -> None:
        """Give the shared pool back: the last store of the process using it closes its
        connections, not this one while another bot's store still uses them (redispools.py)."""
        self._give_back()

    def _purge(self, conversation_ids: list[str], cutoff: str) -> PurgeReport:
        conversations = turns = 0
        for conversation_id in conversation_ids:
            keys = [*self._keys(conversation_id), self._ratings_key(conversation_id)]
            existed, count = self._call(
                lambda k=keys, c=conversation_id: self._purge_one(keys=k, args=[c, cutoff])
            )
            turns += count
            conversations += 1 if existed else 0
        return PurgeReport(conversations, turns)

    def _forget_expired(self, batch: int = 200) -> None:
        """Drop from the index every id whose conversation's keys have all expired, however
        recent its score (a retention shortened since, a turn stored with an old time), so
        that no id outlives its conversation; checked and dropped in one step per batch, so
        that a conversation written meanwhile keeps its place."""
        ids = [raw.decode() for raw in self._call(lambda: self._redis.zrange(self._index, 0, -1))]
        for start in range(0, len(ids), batch):
            chosen = ids[start : start + batch]
            keys = [self._index] + [k for cid in chosen for k in self._keys(cid)[:3]]
            self._call(lambda k=keys, a=chosen: self._forget(keys=k, args=a))

    def lease(self, conversation_id: str, what: str, seconds: float) -> RedisLease:
        """The lease ``what`` of the conversation (see leases.py), a key of its own
        (``redis_lease_key``): not thread-local (an async turn lets it go in another worker
        thread), non-blocking."""
        name = redis_lease_key(self._ns, conversation_id, what)
        lock = self._redis.lock(
            name, timeout=seconds, blocking=False, thread_local=False, raise_on_release_error=True
        )
        return RedisLease(lock, self._call, what)

    @property
    def _index(self) -> str:
        return f"{self._ns}:conversations"

    def _keys(self, conversation_id: str) -> list[str]:
        """The conversation's turns, ids and state keys, and the index."""
        base = f"{self._ns}:conversation:{conversation_id}"
        return [f"{base}:turns", f"{base}:ids", f"{base}:state", self._index]

    def _ratings_key(self, conversation_id: str) -> str:
        return ratings_key(self._ns, conversation_id)

    def _read(self, row: bytes) -> TurnRecord:
        try:
            return TurnRecord.from_data(from_stored(json.loads(row)))
        except (ValueError, TypeError, KeyError) as exc:
            raise StorageError(f"a stored turn in {self.url} cannot be read: {exc}") from exc

    def _call(self, command: Any) -> Any:
        try:
            return command()
        except redis.RedisError as exc:
            if (mistake := refusal(exc, self.url, self._ns)) is None:
                raise StorageError(outage(exc, self.url)) from exc
            if self._settings_file is None:
                raise StorageError(mistake) from exc
            raise refused(self._settings_file, mistake) from exc
        except UnicodeError as exc:
            raise StorageError(f"the conversation store at {self.url} failed: {exc}") from exc


def _without_password(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
