"""``${NAME}`` in ``store.url``: each environment variable put in as its place in the url
needs, for :func:`~servicebot.store.open_store` to connect with, and for the setting's
validator to check the url that will be used, at load.

    redis://:${REDIS_PASSWORD}@cache:6379/0   a user's or password's value (or a query's) is
                                              URL-quoted: "p@ss:w/rd" stays one password
    redis://${REDIS_HOSTPORT}/${REDIS_DB}     a host, port or database is put in as it is
    sqlite:///${DATA_DIR}/bot.db              and so is a SQLite path
    ${STORE_URL}                              the whole url from one variable (12-factor)
"""

from __future__ import annotations

import os
import re
import urllib.parse

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
    rest = url.partition("://")[2]
    return _put(rest[1:] if rest.startswith("/") else rest, False, empty_ok=False)


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
