"""``${NAME}`` in ``store.url``: each environment variable put in as its place in the url
needs, for :func:`~servicebot.store.open_store` to connect with, and for the setting's
validator to check the url that will be used, at load.

    redis://:${REDIS_PASSWORD}@cache:6379/0   a user's or password's value (or a query's) is
                                              URL-quoted: "p@ss:w/rd" stays one password
    redis://${REDIS_HOSTPORT}/${REDIS_DB}     a host, port or database is put in as it is
    sqlite:///${DATA_DIR}/bot.db              and so is a SQLite path
    ${STORE_URL}                              the whole url from one variable (12-factor)

A variable set but empty that leaves a Redis url's host, port or database empty is refused as
one not set is (redis-py would use localhost, 6379 or 0); :func:`empty_variables` finds those,
and the empty user or password ``check`` warns of.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Callable

from .errors import StorageError

REDIS_SCHEMES = ("redis", "rediss")
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_STAND_IN = "1"  # for a variable not set at load: a host, port, database, path or password


def whole_variable(url: str) -> str | None:
    """The variable's name if ``url`` is one variable alone (``${STORE_URL}``), else None."""
    found = VARIABLE.fullmatch(url.strip())
    return found[1] if found else None


def store_scheme(url: str) -> str:
    """``url``'s scheme (``redis``), a whole-url variable's read from its value: ``""``
    when that is not set here."""
    name = whole_variable(url)
    return (os.environ.get(name, "") if name else url).partition("://")[0]


def from_environment(url: str, *, lenient: bool = False) -> str:
    """``url`` with its variables' values in; a variable not set (or empty where that breaks
    the url: a whole url, a SQLite folder) is a StorageError naming it. ``lenient``: for the
    check at load, where a variable may be set only where the bot runs, such a variable
    reads as a stand-in that is valid wherever it is (a whole url is left as written)."""
    if (name := whole_variable(url)) is not None:
        value = os.environ.get(name, "").strip()
        if not value and not lenient:
            raise StorageError(f"the store url is ${{{name}}}, which is {_unset(name)}")
        return value or url
    scheme, sep, rest = url.partition("://")
    if scheme == "sqlite":
        return scheme + sep + _put(rest, lenient, quote=False, empty_ok=False)
    if scheme not in REDIS_SCHEMES:
        return url
    emptied = [] if lenient else [each for each in empty_variables(url) if each[1] in _WHERE_TO]
    if emptied:
        name, part = emptied[0]
        raise StorageError(f"the store url names ${{{name}}}, which is empty: {EMPTIED[part]}")
    netloc, tail = re.match(r"([^/?#]*)(.*)", rest, re.DOTALL).groups()  # type: ignore[union-attr]
    userinfo, at, host = netloc.rpartition("@")
    path, question, query = tail.partition("?")
    return (
        scheme
        + sep
        + "".join(
            (
                _put(userinfo, lenient, quote=True),  # a password: ':', '@' and '/' are its own
                at,
                _put(host, lenient),  # 127.0.0.1:16399 is a host and a port
                _put(path, lenient),
                question,
                _put(query, lenient, quote=True),  # ?password=...
            )
        )
    )


def sqlite_path(url: str) -> str:
    """The file a ``sqlite://`` url names, variables put in: ``sqlite:///data/bot.db`` is
    ``data/bot.db`` (in the bot folder), ``sqlite:////var/lib/bot.db`` and
    ``sqlite://${DB_FILE}`` (set to ``/var/lib/bot.db``) are absolute."""
    return _put(sqlite_written(url), False, empty_ok=False)


def sqlite_written(url: str) -> str:
    """The path a ``sqlite://`` url names, as written (``${NAME}`` and all): the url's
    rest less one ``/``, so that ``sqlite:////var/lib/bot.db`` is absolute."""
    return url.partition("://")[2].removeprefix("/")


def _put(text: str, lenient: bool, *, quote: bool = False, empty_ok: bool = True) -> str:
    """``text`` with each ``${NAME}`` replaced by that variable's value, URL-quoted if
    ``quote``."""

    def value(match: re.Match[str]) -> str:
        found = os.environ.get(match[1])
        if found is None or (not found and not empty_ok):
            if lenient:
                return _STAND_IN
            raise StorageError(f"the store url names ${{{match[1]}}}, which is {_unset(match[1])}")
        return urllib.parse.quote(found, safe="") if quote else found

    return VARIABLE.sub(value, text)


def _unset(name: str) -> str:
    return "empty" if os.environ.get(name) == "" else "not set"


def empty_variables(url: str) -> list[tuple[str, str]]:
    """The ``${NAME}`` variables a Redis ``url`` names that are set here but empty where that
    matters, each with the part of the url it is in. In the ``host``, ``port`` or
    ``database``, one that leaves that part empty or malformed: redis-py would connect to
    localhost, port 6379 or database 0, another server's or bot's perhaps, so a turn refuses
    it (see :func:`from_environment`) and ``check`` warns of it. In the ``user`` or
    ``password``, any: Redis allows an empty password, and redis-py then sends none; but one
    written as ``${REDIS_PASSWORD}`` was meant, and empty it is almost always a secret
    missing where the bot is deployed, for ``check`` to warn of. A SQLite path's, and a whole
    url's, are unset_variables' (store/__init__.py)."""
    if url.partition("://")[0] not in REDIS_SCHEMES:
        return []
    empty = {name for name in VARIABLE.findall(url) if os.environ.get(name) == ""}
    found: list[tuple[str, str]] = []
    for part, text in _redis_parts(url).items():
        names = [name for name in dict.fromkeys(VARIABLE.findall(text)) if name in empty]
        if names and (part not in _WHERE_TO or _WHERE_TO[part](_without(text, empty))):
            found += [(name, part) for name in names]
    return found


# What an empty variable does in each part of a Redis url, for check's warning and the error
# a turn's store command then meets.
EMPTIED = {
    "password": "an empty password is sent as none, which a Redis server that wants one "
    "refuses; set it where the bot runs",
    "user": "an empty user is sent as none (Redis's default user); set it where the bot runs",
    "host": "it leaves the Redis host empty or malformed (redis-py connects to localhost "
    "when given none); set it where the bot runs",
    "port": "it leaves the Redis port empty (redis-py connects to 6379 when given none); set "
    "it where the bot runs",
    "database": "it leaves the Redis database empty (redis-py uses database 0 when given "
    "none); set it where the bot runs",
}


def _redis_parts(url: str) -> dict[str, str]:
    """A Redis url's user, password, host, port and database as written, ``${NAME}`` and
    all: ``127.0.0.1:${REDIS_PORT}`` is a host and a port, ``${REDIS_HOSTPORT}`` a host."""
    parts = urllib.parse.urlsplit(url)
    userinfo, _, host_port = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    host, colon, port = host_port.rpartition(":")
    if not colon or host_port.endswith("]"):  # no port written ([::1] is an IPv6 host)
        host, port = host_port, ""
    return {"user": user, "password": password, "host": host, "port": port, "database": parts.path}


def _without(text: str, empty: set[str]) -> str:
    """``text`` with its ``empty`` variables taken out, and any other kept as a name."""
    return VARIABLE.sub(lambda match: "" if match[1] in empty else "name", text)


def _bad_host(host: str) -> bool:
    """Whether a host is empty or malformed: ``""``, ``.example.com``, ``cache..internal``."""
    return not host or host.startswith((".", "-")) or host.endswith("-") or ".." in host


# The parts where an empty variable matters only if it breaks the part (``cache${SUFFIX}``
# is a host still; ``63${DIGIT}`` a port), with how to tell, from the part without it.
_WHERE_TO: dict[str, Callable[[str], bool]] = {
    "host": _bad_host,
    "port": lambda port: not port,
    "database": lambda path: not path.strip("/"),
}
