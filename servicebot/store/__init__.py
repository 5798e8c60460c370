"""Where conversations live: the :class:`Store` protocol, the turn record, :func:`open_store`.

    sqlite:///path            one file in WAL mode; the default (store/sqlite.py)
    redis://host:port/db      for several processes or hosts serving one bot (store/redis.py,
                              needs the `redis` extra)
    memory://                 in this process only, for tests (store/memory.py)

A turn is appended atomically: its number is its conversation's next one, unique and gapless
however many processes write at once. A conversation's placeholder state (see
``filters/placeholders.py``) is kept apart from its turns and deleted with them; it is
compared and swapped in one step, so that two turns of a conversation at once cannot give
two values one placeholder. Stores hold
text as the pre-filter redacted it; they never see a raw value the filters masked. How
turns fail fast while a store cannot answer is ``store/pause.py``'s :class:`Pause`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import uuid
from collections.abc import Collection, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import StorageError
from ..filters import FilterEvent
from ..filters.normalise import without_surrogates
from ..source import SETTINGS_FILE
from ..storeurl import (
    REDIS_SCHEMES,
    VARIABLE,
    from_environment,
    sqlite_path,
    store_scheme,
    whole_variable,
)
from .pause import Pause as Pause  # re-exported: the pipeline and tests use it

if TYPE_CHECKING:
    from ..config import BotSpec


@dataclass(frozen=True)
class TurnRecord:
    """One customer message and the bot's reply, as stored."""

    conversation_id: str
    customer_text: str  # as the pre-filter redacted it
    reply_text: str
    action: (
        str  # answer | direct | handoff | blocked | fallback | out_of_scope | person | with_person
    )
    intent: str | None = None
    score: float | None = None
    events: tuple[FilterEvent, ...] = ()  # the filters' trace events, as in Reply.events: no values
    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    at: datetime = field(default_factory=lambda: now())
    number: int = 0  # assigned by the store: 1, 2, 3, ... per conversation
    id: str = field(default_factory=lambda: uuid.uuid4().hex)  # makes a retried append a no-op
    # A fallback's kind, as Reply.fallback: "answer" or "handoff" (a person was promised).
    # None for other actions, and for a fallback stored before it was kept.
    fallback: str | None = None
    # The platform's id of the customer's message (``message_id=``): a retried delivery of it
    # is answered with this turn again. None for a turn given none.
    message_id: str | None = None

    def __post_init__(self) -> None:
        # A lone surrogate (which no encoder accepts) becomes U+FFFD; a time without a zone
        # is UTC.
        for name in ("customer_text", "reply_text"):
            object.__setattr__(self, name, without_surrogates(getattr(self, name)))
        object.__setattr__(self, "at", as_utc(self.at))

    def as_data(self) -> dict[str, Any]:
        """The record as plain JSON-ready values, ``at`` as its UTC stamp."""
        data = dataclasses.asdict(self)
        data["at"] = stamp(self.at)
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> TurnRecord:
        """A record from :meth:`as_data`'s values, as a store read them back: its events
        stored as dicts become FilterEvents again. A field it lacks (a turn stored before
        the field was added) takes its default; one the record no longer has is left out."""
        data["at"] = parse_stamp(data["at"])
        data["events"] = tuple(map(_event, data["events"]))
        return cls(**{name: data[name] for name in _RECORD_FIELDS if name in data})

    @classmethod
    def from_json(cls, text: str | bytes) -> TurnRecord:
        return cls.from_data(json.loads(text))


def _event(stored: dict[str, Any]) -> FilterEvent:
    """An event as a store keeps it, a dict, as a turn holds it.

    Keys FilterEvent no longer has (``ms``, before ``count``) are left out, and a text field
    a hand-made record lacks reads as empty, so that an old turn never makes its whole
    conversation unreadable.
    """
    known = {name: stored[name] for name in _EVENT_FIELDS if name in stored}
    return FilterEvent(**{**_EVENT_TEXTS, **known})


@dataclass(frozen=True)
class Rating:
    """A customer's rating of one stored turn's reply (``Bot.rate``): whether it helped, and
    what they said of it, masked as a customer's message is (placeholders, never values)."""

    conversation_id: str
    turn: int  # the rated turn's number
    helpful: bool
    comment: str | None = None
    at: datetime = field(default_factory=lambda: now())

    def as_data(self) -> dict[str, Any]:
        """The rating as plain JSON-ready values, ``at`` as its UTC stamp."""
        return {**dataclasses.asdict(self), "at": stamp(self.at)}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Rating:
        """A rating from :meth:`as_data`'s values, as a store read them back."""
        return cls(
            str(data["conversation_id"]), int(data["turn"]), bool(data["helpful"]),
            data.get("comment"), parse_stamp(data["at"]),
        )  # fmt: skip


_RECORD_FIELDS = tuple(field.name for field in dataclasses.fields(TurnRecord))
_EVENT_FIELDS = tuple(field.name for field in dataclasses.fields(FilterEvent))
_EVENT_TEXTS = dict.fromkeys(("stage", "detector", "kind", "action"), "")

_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a time without a zone is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def stamp(moment: datetime) -> str:
    """A UTC time in one fixed format, so that stamps sort as text in time order."""
    return as_utc(moment).strftime(_STAMP)


def parse_stamp(text: str) -> datetime:
    return datetime.strptime(text, _STAMP).replace(tzinfo=UTC)


def now() -> datetime:
    return datetime.now(UTC)


def read_state(stored: str | bytes | None, where: object) -> dict[str, Any] | None:
    """A placeholder state as a store keeps it (JSON, or nothing); ``where``: the store."""
    try:
        state: dict[str, Any] | None = json.loads(stored) if stored else None
    except ValueError as exc:
        raise StorageError(f"a stored placeholder state in {where} cannot be read: {exc}") from exc
    return state


def issued_any(state: dict[str, Any] | None, kinds: Collection[str]) -> bool:
    """Whether a placeholder state (filters/placeholders.py) issued a placeholder of any of
    ``kinds``: its ``counts`` are per kind, and hold no value."""
    counts = (state or {}).get("counts") or {}
    return any(counts.get(kind, 0) > 0 for kind in kinds)


def by_first_turn(turns: Iterable[TurnRecord]) -> list[list[TurnRecord]]:
    """``turns`` (each conversation's in order) gathered per conversation, the conversations
    in the order of their first turns (by id, between two at one time)."""
    gathered: dict[str, list[TurnRecord]] = {}
    for turn in turns:
        gathered.setdefault(turn.conversation_id, []).append(turn)
    return sorted(gathered.values(), key=lambda kept: (kept[0].at, kept[0].conversation_id))


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removed."""

    conversations: int
    turns: int

    def __str__(self) -> str:
        turns = f"{self.turns} turn{'' if self.turns == 1 else 's'}"
        conversations = f"{self.conversations} conversation{'' if self.conversations == 1 else 's'}"
        return f"removed {turns} in {conversations}"


class Store(Protocol):
    """Conversations and their turns; every method may raise StorageError."""

    blocking: bool  # whether a call may wait (on a lock, a disk, a network): async callers
    # then make it from a worker thread

    def append_turn(self, turn: TurnRecord) -> TurnRecord:
        """Store ``turn`` as its conversation's next; returns it with its ``number``."""

    def history(self, conversation_id: str, limit: int | None = None) -> list[TurnRecord]:
        """The conversation's turns, oldest first; only the last ``limit`` if given."""

    def turn_for_message(self, conversation_id: str, message_id: str) -> TurnRecord | None:
        """The conversation's last turn stored for the message ``message_id``, if there is
        one: a delivery stopped before any answer is answered again, as a turn of its own."""

    def load_state(self, conversation_id: str) -> dict[str, Any] | None:
        """The conversation's placeholder state, or None for a new conversation."""

    def swap_state(
        self, conversation_id: str, before: dict[str, Any] | None, after: dict[str, Any]
    ) -> bool:
        """Keep ``after`` as the conversation's placeholder state (digests, never values) if
        the stored state is still ``before`` (None: there is none); False, changing nothing,
        if another turn changed it first."""

    def turns_since(self, since: datetime) -> Iterator[TurnRecord]:
        """Every turn stored at or after ``since``, for usage reports."""

    def conversations_since(self, since: datetime) -> list[list[TurnRecord]]:
        """Every conversation with a turn at or after ``since``, each as all its turns, oldest
        first (those before ``since`` too: the first turn of a period has its previous
        message), in the order of their first turns; read at once (one query, or a pipeline),
        for ``servicebot report`` and ``export`` over a week of conversations."""

    def iter_conversations_since(self, since: datetime) -> Generator[list[TurnRecord]]:
        """The conversations of :meth:`conversations_since`, in its order, one at a time as
        they are read, for ``servicebot export``: a caller writing each out holds one
        conversation, not the period (SQLite reads them from one cursor; other stores read
        them at once). Make no other call on the store until it is done, and close it
        before the store if it is not read to its end (SQLite's cursor holds a connection)."""

    def rate_turn(self, rating: Rating) -> bool:
        """Keep ``rating`` as its turn's, in place of one given before; False, storing
        nothing, if the conversation has no such turn. It goes with its turn: a purge, the
        retention or a Redis expiry removes them together."""

    def ratings(self, conversation_id: str) -> dict[int, Rating]:
        """The conversation's ratings, by turn number."""

    def ratings_since(self, since: datetime) -> list[Rating]:
        """The ratings of the conversations :meth:`conversations_since` reads (those with a
        turn at or after ``since``), for ``servicebot report`` and ``export``."""

    def conversations_with_placeholders(self, kinds: Collection[str]) -> list[str]:
        """The conversations whose placeholder state issued one of ``kinds`` (``EMAIL``),
        oldest first turn first (a state with no turn yet: by when it was saved): those that
        may hold a customer's value of those kinds (store/holding.py), found without reading
        any turn of the others."""

    def conversation_ids(self) -> list[str]:
        """Every conversation's id, in no set order, read without a turn: an id may be a
        customer's value (a WhatsApp number), which an erasure must find (store/holding.py)."""

    def purge_conversation(self, conversation_id: str) -> PurgeReport:
        """Delete a conversation, its turns, their ratings and its state (a customer's
        erasure request)."""

    def purge_older_than(self, cutoff: datetime) -> PurgeReport:
        """Delete every conversation whose last turn is older than ``cutoff``."""

    def close(self) -> None:
        """Release connections."""


def open_store(
    url: str,
    *,
    root: Path = Path("."),
    namespace: str | None = None,
    retention_days: int | None = None,
    create: bool = True,
    timeout: float = 1.0,
    settings_file: Path | None = None,
) -> Store:
    """The store at ``url``; a relative SQLite path is relative to the bot folder ``root``.

    ``namespace`` keeps several bots apart on one store: a Redis key prefix (``servicebot``
    if None), or a SQLite file's namespace (``''``, the one its conversations were in before
    files had namespaces, if None). ``retention_days`` sets the
    Redis keys' time to live, or how long a SQLite store keeps a conversation after its last
    turn (it removes the older ones as it opens and writes). With ``create``
    False, a SQLite file that does not exist yet is an error rather than made. ``timeout``:
    seconds a Redis command may wait for a connection or a reply, or a SQLite write for
    another process's lock. ``settings_file``: the servicebot.yaml naming ``url``, where a
    Redis server's refusal of its password, user or database is a ConfigError.
    """
    if whole_variable(url) is not None:  # ${STORE_URL}: the url is that variable's value
        url = from_environment(url)
    scheme = url.partition("://")[0]
    if scheme == "sqlite":
        from .sqlite import SQLiteStore

        path = sqlite_file(url, root)
        if not create and not path.exists():
            raise StorageError(f"no conversations stored yet ({path} does not exist)")
        return SQLiteStore(
            path, timeout=timeout, retention_days=retention_days, namespace=namespace or ""
        )
    if scheme in REDIS_SCHEMES:
        from .redis import RedisStore

        return RedisStore(
            from_environment(url), namespace=namespace or "servicebot",
            retention_days=retention_days, timeout=timeout, settings_file=settings_file,
        )  # fmt: skip
    if scheme == "memory":
        from .memory import MemoryStore

        return MemoryStore()
    raise StorageError(
        f"unknown store url {url!r}: use sqlite:///path, redis://host:port/db, rediss:// or memory://"
    )


def sqlite_file(url: str, root: Path) -> Path:
    """The file a ``sqlite://`` ``url`` names (or a whole-url variable's value does), its
    variables filled in (StorageError for one not set); a relative path is relative to the
    bot folder ``root``."""
    path = Path(sqlite_path(from_environment(url) if whole_variable(url) else url))
    return path if path.is_absolute() else root / path


def open_bot_store(
    spec: BotSpec, *, create: bool = True, patient: bool = False, purging: bool = False
) -> Store:
    """The store a bot's settings name, in the bot's namespace there (see namespaces.py).

    ``patient``: for an operator's command (``history``, ``purge``), whose SQLite writes wait
    up to ``OPERATOR_LOCK_WAIT`` seconds for a lock (a purge run beside a busy bot should not
    fail), where a turn waits only ``store.timeout``. A SQLite file drops what is past
    ``retention_days`` as it opens, for ``history`` or ``export`` too (with no bot running,
    they showed it), unless ``purging``: ``purge`` removes it itself and says how many."""
    from .namespaces import redis_namespace, sqlite_namespace

    settings = spec.settings
    timeout, retention = settings.store.timeout, settings.store.retention_days
    sqlite = store_scheme(settings.store.url) == "sqlite"
    if patient and sqlite:
        timeout = max(timeout, OPERATOR_LOCK_WAIT)
    if purging and sqlite:
        retention = None
    namespace = sqlite_namespace(settings) if sqlite else redis_namespace(settings)
    return open_store(
        settings.store.url, root=spec.root, namespace=namespace,
        retention_days=retention, create=create, timeout=timeout,
        settings_file=spec.root / SETTINGS_FILE,
    )  # fmt: skip


OPERATOR_LOCK_WAIT = 30.0


def unset_variables(url: str) -> list[str]:
    """The ``${NAME}`` variables ``url`` names that are not set here (or are empty, in a
    SQLite path or as the whole url: see storeurl.py), for ``check`` to warn of: each turn
    would be answered but not stored."""
    whole = url.startswith("sqlite:") or whole_variable(url) is not None
    values = {name: os.environ.get(name) for name in VARIABLE.findall(url)}
    return [name for name, value in values.items() if value is None or (whole and not value)]
