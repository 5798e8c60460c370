"""``servicebot check``'s findings about the store and what a bot keeps of its customers.

A store this installation cannot open (a redis:// url without redis-py) is a problem; the
rest are warnings, since the bot still loads and answers: a store url whose variables are
not set (or are empty) here, a store other bots can share with no ``store.namespace``
(store/namespaces.py), a bot that records every prompt into a cassette that ``purge``
never reaches, a persistent store whose placeholder digests are keyed by nothing secret, one
that keeps conversations with no time limit (``retention_days: null``), a SQLite file that
other users of the machine can read, as an earlier version made them, and a SQLite file a
newer version migrated, which this one refuses.
"""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path

from .checks import settings_problems
from .config import BotSpec
from .errors import Problem, StorageError
from .filters.placeholders import KEY_ENV
from .replay import bot_cassette
from .store import sqlite_file, unset_variables
from .store.namespaces import namespace_warning
from .store.sqlitemigrations import newer_file
from .storeurl import EMPTIED, REDIS_SCHEMES, empty_variables, store_scheme


def store_problem(spec: BotSpec) -> Problem | None:
    """The store ``servicebot.yaml`` names, if this installation cannot open it: a redis://
    store without redis-py. (``Bot`` is not refused for it: its application may pass its
    own store.)"""
    if store_scheme(spec.settings.store.url) not in REDIS_SCHEMES:
        return None
    try:
        import redis  # noqa: F401
    except ImportError:
        message = (
            "a redis store needs redis-py, not installed here: pip install 'servicebot[redis]'"
        )
        return settings_problems(spec, {("store", "url"): message})[0]
    return None


def store_warnings(spec: BotSpec) -> list[Problem]:
    """``store.url`` naming an environment variable that is not set where ``check`` runs:
    the bot would load, and answer each turn unstored (the log says why). Then those a Redis
    url names that are empty here, in its password or user, or leaving its host, port or
    database empty (see empty_variables). Then
    a store other bots can name, with no ``store.namespace`` to keep this bot's apart."""
    unset = unset_variables(spec.settings.store.url)
    problems = []
    if unset:
        names = ", ".join(f"${{{name}}}" for name in unset)
        message = (
            f"store.url names {names}, not set here (or empty): unless it is set where the "
            "bot runs, every turn is answered but not stored"
        )
        problems += settings_problems(spec, {("store", "url"): message})
    for name, part in empty_variables(spec.settings.store.url):
        message = f"store.url names ${{{name}}}, empty here: {EMPTIED[part]}"
        problems += settings_problems(spec, {("store", "url"): message})
    if shared := namespace_warning(spec.settings):
        problems += settings_problems(spec, {("store", "url"): shared})
    return problems


def recording_warnings(spec: BotSpec) -> list[Problem]:
    """``replay.mode: record``: every turn's prompt goes into the bot's cassette, customers'
    messages and the customer details the templates are given (both masked by the pre-filter),
    in a file ``purge`` never touches and a team usually commits."""
    if spec.settings.model.name is None or spec.settings.replay.mode != "record":
        return []  # with no model, nothing is recorded
    message = (
        f"replay.mode is record: every turn's prompt, with the customer's messages and the "
        f"customer details given to the templates (masked), is written to "
        f"{bot_cassette(spec)}, which `servicebot purge` does not touch and which is usually "
        "committed to git; record with test conversations, not customers"
    )
    return settings_problems(spec, {("replay", "mode"): message})


def pii_key_warnings(spec: BotSpec) -> list[Problem]:
    """A store that keeps conversations (not ``memory://``) while ``SERVICEBOT_PII_KEY`` is not
    set here: each placeholder's digest is then keyed by the conversation's salt, stored
    beside it, so a copy of the store is enough to try every phone number against it (see
    filters/placeholders.py). As the bot logs when it opens such a store."""
    if store_scheme(spec.settings.store.url) == "memory" or os.environ.get(KEY_ENV):
        return []
    message = (
        f"{KEY_ENV} is not set here: the placeholders' digests in this bot's store are then "
        "keyed by a salt stored beside them, so anyone with a copy of the store can recover a "
        f"masked phone number by trying every number; set {KEY_ENV} to a secret where the bot "
        "runs"
    )
    return settings_problems(spec, {("store", "url"): message})


def retention_warnings(spec: BotSpec) -> list[Problem]:
    """A store that keeps conversations (not ``memory://``) with ``store.retention_days:
    null``: each is kept until an operator purges it, with what its customer typed (names and
    addresses included, which no placeholder replaces). GDPR and PIPL keep personal data only
    as long as its purpose needs: a limit is the operator's to set, not to forget."""
    store = spec.settings.store
    if store.retention_days is not None or store_scheme(store.url) == "memory":
        return []
    message = (
        "store.retention_days is null: every conversation is kept until `servicebot purge` "
        "removes it, with the personal data its customers typed; set the days to keep one "
        "after its last turn (90 by default)"
    )
    return settings_problems(spec, {("store", "retention_days"): message})


def sqlite_mode_warnings(spec: BotSpec) -> list[Problem]:
    """A SQLite store file (or its ``-wal`` or ``-shm``) that other users of the machine can
    read: servicebot makes them its owner's alone, but keeps the mode of what exists, such as a
    file an earlier version made 0644. It says the chmod to run. (Read by the group alone is
    left be: an operator may share it with a backup job on purpose; a folder others can list
    shows them no conversation, so a store kept in the bot folder is not warned of.) And a
    file a newer version migrated, which this one refuses: every turn would be answered but
    not stored (see sqlitemigrations.py)."""
    url = spec.settings.store.url
    if store_scheme(url) != "sqlite" or unset_variables(url):
        return []  # a variable not set is store_warnings'
    try:
        path = sqlite_file(url, spec.root)
    except StorageError:
        return []
    found = [message for message in (newer_file(path), _readable(path)) if message]
    return [
        each for message in found for each in settings_problems(spec, {("store", "url"): message})
    ]


def _readable(path: Path) -> str | None:
    """The chmod to run if other users can read the store's files; None if they cannot."""
    files = [each for each in _store_files(path) if _others_read(each)]
    if not files:
        return None
    command = f"chmod 600 {' '.join(shlex.quote(str(each)) for each in files)}"
    return (
        f"the conversation store {path} can be read by other users of this machine: run {command}"
    )


def _store_files(path: Path) -> list[Path]:
    """The database file and the ``-wal`` and ``-shm`` beside it, those that exist."""
    return [each for each in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if each.exists()]


def _others_read(path: Path) -> bool:
    """Whether users other than the owner and its group can read ``path``."""
    try:
        return path.exists() and bool(path.stat().st_mode & stat.S_IROTH)
    except OSError:
        return False
