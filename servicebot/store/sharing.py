"""Bots of one process that name one store and one namespace: two shops, one set of turns.

A host serving many shops from one process loads each shop's folder. A folder made by
copying another keeps its ``store.namespace``, and then both bots read and write one set of
conversations: a conversation id in both is one conversation (one shop's customer's messages
go into the other shop's prompts as history), and one bot's purge or ``retention_days``
removes the other's. ``check`` reads one folder and cannot tell, so a bot says so as it is
made (:func:`claim`), once for each bot of this process it shares with, as a WARNING of the
``servicebot`` logger. Bots of one folder (a reload) or of one name (a release folder swapped
in for the last) are one shop, and share on purpose.

The store is told by its file (SQLite, the path resolved) or its URL with its variables in
(Redis); a URL is never logged, it may hold a password.
"""

from __future__ import annotations

import logging
import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..errors import StorageError
from ..storeurl import REDIS_SCHEMES, from_environment, store_scheme

if TYPE_CHECKING:
    from ..config import BotSpec

log = logging.getLogger("servicebot")


class _Claim(NamedTuple):
    """A bot of this process, and the store and namespace it uses."""

    where: tuple[str, str, str]  # scheme, file or URL, namespace
    root: Path
    name: str
    owner: weakref.ref[object]


_CLAIMS: list[_Claim] = []
_LOCK = threading.Lock()  # bots loaded in threads at once


def claim(spec: BotSpec, owner: object) -> None:
    """Record that ``owner`` (a bot) uses its spec's store and namespace, and warn of each
    other live bot of this process, from another folder and of another name, using them too."""
    if (where := store_identity(spec)) is None:
        return
    mine = _Claim(where, spec.root.resolve(), spec.settings.name, weakref.ref(owner))
    with _LOCK:
        _CLAIMS[:] = [each for each in _CLAIMS if each.owner() is not None]
        others = [each for each in _CLAIMS if _shared(each, mine)]
        _CLAIMS.append(mine)
    for other in others:
        log.warning(_warning(mine, other), extra={"bot": mine.name})


def _shared(other: _Claim, mine: _Claim) -> bool:
    """Whether ``other`` is another shop's bot on ``mine``'s store and namespace."""
    return other.where == mine.where and other.root != mine.root and other.name != mine.name


def _warning(mine: _Claim, other: _Claim) -> str:
    namespace = f"namespace {mine.where[2]!r}" if mine.where[2] else "no store.namespace"
    return (
        f"bot {mine.name!r} ({mine.root}) and bot {other.name!r} ({other.root}) use one store "
        f"in {namespace}: each reads and writes the other's conversations (one conversation "
        "id is one conversation, its history sent to either bot's model) and one's purge or "
        "retention_days removes the other's; give each bot its own store.namespace"
    )


def store_identity(spec: BotSpec) -> tuple[str, str, str] | None:
    """The store a bot's settings name and its namespace there, for comparing bots: None for
    ``memory://`` (each bot's own), or a URL whose variables are not set here."""
    from . import sqlite_file
    from .namespaces import redis_namespace, sqlite_namespace

    settings = spec.settings
    scheme = store_scheme(settings.store.url)
    try:
        if scheme == "sqlite":
            path = sqlite_file(settings.store.url, spec.root).resolve()
            return scheme, str(path), sqlite_namespace(settings)
        if scheme in REDIS_SCHEMES:
            namespace = redis_namespace(settings).removeprefix("servicebot:")
            return "redis", from_environment(settings.store.url), namespace
    except StorageError:
        return None  # a turn says so, naming the variable
    return None
