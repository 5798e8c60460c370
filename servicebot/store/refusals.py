"""A Redis server that refuses the store's setup, told apart from one that is down.

A wrong password, an ACL that forbids the store's commands or keys (``NOPERM``) or a database
number the server lacks is the operator's mistake in ``store.url``: it fails every command
until the setting is changed, so it is a :class:`~servicebot.errors.ConfigError` at the
setting's line (as a model key the server rejects is), not an outage. A server that refuses
connections or stops answering may come back: that stays a StorageError.
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
