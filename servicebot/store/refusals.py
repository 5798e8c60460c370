"""A Redis server that refuses the store's setup, told apart from one that is down.

A wrong password, an ACL that forbids the store's commands or keys (``NOPERM``) or a database
number the server lacks is the operator's mistake in ``store.url``: it fails every command
until the setting is changed, so it is a :class:`~servicebot.errors.ConfigError` at the
setting's line (as a model key the server rejects is), not an outage. A server that refuses
connections or stops answering may come back: that stays a StorageError.

So does one that answers but takes no writes for a while, said in plain words (see
:func:`outage`): a read-only replica (``READONLY``: a failover in progress, or a URL naming
a replica), one out of memory (``OOM``) or one that cannot save to disk (``MISCONF``). Each
clears on the server's side, with no change to ``store.url``; reads still work meanwhile.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import redis
import yaml

from ..errors import ConfigError
from ..yamlfile import read_yaml

_NO_DATABASE = ("DB index is out of range", "invalid DB index")
# A password written into the URL (not a ${NAME} read from the environment), hidden when the
# setting's line is quoted.
_PASSWORD = re.compile(r"(://[^:@/\s]*:)(?!\$\{)[^@\s]+@")


def refusal(exc: redis.RedisError, url: str, namespace: str) -> str | None:
    """What in ``store.url`` the server refused, as a message for the operator; None for an
    outage. ``url``: the store's URL without its password."""
    if isinstance(exc, redis.AuthenticationError):
        return (
            f"store.url: the Redis server at {url} refused the user or password ({exc}); "
            "check the password in store.url (or the environment variable it names) against "
            "the server's requirepass or ACL user"
        )
    if isinstance(exc, redis.exceptions.NoPermissionError):
        return (
            f"store.url: the Redis user is not allowed what the store does ({exc}); grant it "
            f"`+@read +@write +@scripting +@transaction ~{namespace}:*`, or name another user"
        )
    if isinstance(exc, redis.ResponseError) and any(text in str(exc) for text in _NO_DATABASE):
        return (
            f"store.url: the Redis server at {url} has no such database ({exc}); end the URL "
            "with one it has (0 to 15 unless its `databases` setting says more)"
        )
    return None


def refused(settings_file: Path, message: str) -> ConfigError:
    """The ConfigError for ``message``, at ``store.url``'s line in the settings file if it
    can be found there (the file is read again: this happens once a turn, on a mistake), its
    password hidden."""
    document = read_yaml(settings_file, [])
    # A scalar: the URL itself, not the mapping node_at falls back to when the key is gone.
    node = None if document is None else document.node_at(("store", "url"))
    if document is None or not isinstance(node, yaml.ScalarNode):
        return ConfigError.at(settings_file, message)
    problem = document.problem_at(node, message)
    shown = _PASSWORD.sub(r"\1***@", problem.source_line or "")
    return ConfigError([replace(problem, source_line=shown)])


# Redis's replies that refuse writes for a while, by their first word (redis-py maps the first
# two to exceptions and drops the word from the message): what the server is, and what ends it.
_NO_WRITES = {
    "READONLY": (
        "is read-only (a replica, or failing over): turns are answered but not stored until "
        "it takes writes again; if it stays so, point store.url at the primary"
    ),
    "OOM": (
        "is out of memory (its maxmemory reached, and its maxmemory-policy evicts nothing): "
        "turns are answered but not stored until memory is freed or maxmemory raised"
    ),
    "MISCONF": (
        "cannot save to disk (its last snapshot failed, and stop-writes-on-bgsave-error "
        "refuses writes until one succeeds): turns are answered but not stored; the Redis "
        "log says why (a full disk, its dir's permissions)"
    ),
}


def outage(exc: redis.RedisError, url: str) -> str:
    """What failed, for the log: a server that takes no writes for a while says why in plain
    words (redis-py's text for a read-only replica was "You can't write against a read only
    replica. script: 7511…, on @user_script:5."); any other error as redis-py words it."""
    code = _refusing_code(exc)
    if code is None:
        return f"the conversation store at {url} failed: {exc}"
    return f"the Redis server at {url} {_NO_WRITES[code]} ({code})"


def _refusing_code(exc: redis.RedisError) -> str | None:
    """The first word of a reply that refuses writes for a while (``_NO_WRITES``), or None."""
    if isinstance(exc, redis.exceptions.ReadOnlyError):
        return "READONLY"
    if isinstance(exc, redis.exceptions.OutOfMemoryError):
        return "OOM"
    # MISCONF has no exception of its own; in a pipeline, its text follows "Command # 1 (SET
    # key value) of pipeline caused error: ", whose value may be anything. An older Redis
    # wraps each in a script's error, where redis-py sees no first word to map.
    reply = _unwrapped(str(exc).rpartition("caused error: ")[2])
    if isinstance(exc, redis.ResponseError) and reply.partition(" ")[0] in _NO_WRITES:
        return reply.partition(" ")[0]
    return None


# How a Redis before 7 wraps the error a script's command met (the store appends by a
# script): "Error running script (call to f_…): @user_script:1: MISCONF Redis is…", the
# place sometimes twice and the word after a "-" (redis-py drops the leading "ERR ").
_SCRIPT_ERROR = re.compile(
    r"(?:ERR )?Error running script \(call to [^)]*\): (?:@user_script: ?\d+: )*-?"
)


def _unwrapped(reply: str) -> str:
    """A reply's error as the command met it, out of a script error that wraps it."""
    wrapped = _SCRIPT_ERROR.match(reply)
    return reply[wrapped.end() :] if wrapped else reply
