"""Which part of a shared store is a bot's own: its namespace.

Several bots (tenants) in one process, or several deployments, may name one store: a Redis
server, or one SQLite file (``sqlite:////srv/shared/all.db``). Each keeps its conversations
apart by its namespace, so that one conversation id in two bots is two conversations, with
their own placeholders, and one bot's purge and ``retention_days`` never reach another's.

    store.namespace set      that, on either store
    Redis, not set           the bot's name as a slug (``Acme support`` -> ``acme-support``),
                             as before, so that a deployment's keys do not move; a name with
                             no Latin letter or digit (``阿里客服``) -> ``h_`` and a digest of
                             the name: such names all shared ``bot`` once
    SQLite, not set          ``''``: the namespace a file's conversations had before there
                             were namespaces (a bot's renaming must not lose its history)

A slug is lossy (``Acme Support`` and ``ACME support!`` are both ``acme-support``), and an
unset SQLite namespace is every bot's, so ``check`` warns of a store other bots can name
(Redis, or a SQLite file outside the bot folder) while ``store.namespace`` is not set.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from ..storeurl import REDIS_SCHEMES, sqlite_written, store_scheme, whole_variable

if TYPE_CHECKING:
    from ..settings import Settings

OLD_FALLBACK = "bot"  # the namespace every name without a slug shared before


def redis_namespace(settings: Settings) -> str:
    """The bot's key prefix on a Redis server: ``servicebot:`` and its namespace."""
    return "servicebot:" + (settings.store.namespace or name_namespace(settings.name))


def sqlite_namespace(settings: Settings) -> str:
    """The bot's namespace in a SQLite file: ``store.namespace``, or the one every file's
    conversations were in before there were namespaces."""
    return settings.store.namespace or ""


def name_namespace(name: str) -> str:
    """``name`` as a slug (as the keys have always been named), or, for a name with no Latin
    letter or digit, ``h_`` and a digest of it: an underscore no slug has, so that it cannot
    be a Latin name's namespace, and stable across processes and versions."""
    if slug := name_slug(name):
        return slug
    return "h_" + hashlib.sha256(name.encode()).hexdigest()[:16]


def name_slug(name: str) -> str:
    """``name`` lower-cased, each run of anything but a Latin letter or digit one ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def shared_capable(url: str) -> bool:
    """Whether other bots can name the store at ``url`` too: Redis, or a SQLite file outside
    the bot folder (an absolute path, one climbing out with ``..``, or one from a variable).
    The default file, inside the bot folder, is the bot's alone. A whole-url variable
    (``${STORE_URL}``) is read for its scheme: a SQLite file it names is one from a variable,
    which may differ where the bot runs; one not set here is unset_variables' to warn of."""
    scheme = store_scheme(url)
    if scheme in REDIS_SCHEMES:
        return True
    if scheme != "sqlite":
        return False
    if whole_variable(url) is not None:
        return True
    path = sqlite_written(url)
    return path.startswith("/") or "${" in path or ".." in PurePosixPath(path).parts


def namespace_warning(settings: Settings) -> str | None:
    """Why the bot's conversations may be another bot's, for ``check``: a store other bots
    can name, with ``store.namespace`` not set. None if it is set, or the store is the bot's."""
    url = settings.store.url
    if settings.store.namespace or not shared_capable(url):
        return None
    if store_scheme(url) not in REDIS_SCHEMES:
        return (
            "store.namespace is not set, and another bot can name this SQLite file: every bot "
            "on it without a store.namespace shares its conversations (one conversation id is "
            "one conversation, and one bot's purge or retention_days removes the others'); "
            "give each bot on a shared file its own store.namespace"
        )
    namespace = name_namespace(settings.name)
    if not name_slug(settings.name):
        return (
            f"store.namespace is not set: this bot's name has no Latin letter or digit, so its "
            f"keys are servicebot:{namespace}:*; before this version every such bot shared "
            f"servicebot:{OLD_FALLBACK}:*: set store.namespace: {OLD_FALLBACK} to keep reading "
            f"those conversations (only if no other bot wrote there), or store.namespace: "
            f"{namespace} to keep the new keys"
        )
    return (
        f"store.namespace is not set: this bot's keys are servicebot:{namespace}:*, named after "
        f"its name, which other names share (a bot named {namespace.upper()!r} or "
        f"{namespace + '!'!r} on this server would share its conversations); set "
        f"store.namespace: {namespace} to keep these keys and make them the bot's own"
    )
