"""How ratings (``Bot.rate``) are kept on a Redis server (``store/redis.py``): a hash per
conversation, ``{ns}:conversation:{id}:ratings``, the turn's number to its rating as JSON.

A rating is kept only for a turn the conversation's list holds, and expires with the turns
(each append gives the hash their expiry, as each rating does): a conversation's ratings
never outlive it. A purge deletes the hash with the other keys. (A version before ratings
neither refreshes nor purges it: while pods of both serve one namespace, a rating may
expire before its turn, or stay until its own expiry after a purge there.)
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import StorageError
from . import Rating

# KEYS: turns, ratings. ARGV: the turn's number, its rating (JSON).
RATE = """
local number = tonumber(ARGV[1])
if number < 1 or number > redis.call('LLEN', KEYS[1]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) else redis.call('PERSIST', KEYS[2]) end
return 1
"""


def ratings_key(namespace: str, conversation_id: str) -> str:
    """The conversation's ratings hash: apart from the keys the scripts of older versions
    take, which stay as they were."""
    return f"{namespace}:conversation:{conversation_id}:ratings"


def stored_rating(rating: Rating) -> str:
    return json.dumps(rating.as_data(), ensure_ascii=False)


def read_rating(text: bytes, where: str) -> Rating:
    """A stored rating; StorageError, naming ``where`` (the server), if it cannot be read."""
    try:
        return Rating.from_data(json.loads(text))
    except (ValueError, TypeError, KeyError) as exc:
        raise StorageError(f"a stored rating in {where} cannot be read: {exc}") from exc


def read_hashes(client: Any, keys: list[str]) -> list[dict[bytes, bytes]]:
    """Every field of each hash of ``keys``, in one round trip."""
    with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.hgetall(key)
        found: list[dict[bytes, bytes]] = pipe.execute()
    return found
