"""A turn's conversation in the store: :class:`TurnStorage` loads its history and
placeholders, keeps the placeholders it gave new values against other turns of the
conversation at once, and stores the finished turn; :func:`off_loop` keeps those store calls
off the event loop. A store failure costs only what it could not do: it is reported in the
trace and the log, never raised. A store the operator set up wrongly (a password the Redis
server refuses) costs the same, and its ConfigError is raised once the turn is answered.
What a turn reads back of the loaded turns is ``turnhistory.py``'s.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar

from .errors import ConfigError, StorageError, StorePausedError
from .filters.pieces import CARRIED
from .filters.placeholders import Placeholders
from .handover import Spoken, kept_mark, mark, marks, with_person
from .model import Completion, ModelRequest
from .redelivery import stopped_unanswered
from .reply import Reply, Step, elapsed_ms
from .store import Store, TurnRecord
from .turnclaim import keep_leases, let_leases_go
from .turnhistory import Loaded, count_misses, read_history, said_before
from .turnmetrics import observed

if TYPE_CHECKING:
    from .pipeline import Bot
    from .store.leases import Lease
    from .turn import Prepared
    from .turnorder import Place

P = ParamSpec("P")
T = TypeVar("T")
log = logging.getLogger("servicebot")
# Tries at keeping a turn's placeholders while other turns of its conversation keep coming
# first. Each lost try is another turn kept, so a burst of turns sent at once always gets
# through (the last of 50 retries 49 times, each a millisecond or two); the bound only stops
# one turn from waiting forever behind an endless stream.
_MOST_RACES = 64


class TurnStorage:
    """The store's side of a :class:`~servicebot.turn.Turn`, which sets what it reads."""

    bot: Bot
    conversation_id: str
    started: float
    trace: list[Step]
    request: ModelRequest | None
    stored_state: dict[str, Any] | None
    loaded_placeholders: dict[str, Any] | None
    lost_races: int
    unkept: str | None
    completion: Completion | None
    model_started: float | None
    _owner: Literal["thread", "caller", "left"]
    _handing: threading.Lock
    _writing: int  # writes handed to a worker thread and not ended: see written_off_loop
    setup_error: ConfigError | None  # raised once the turn is stored (see Turn.raise_for_setup)
    prep: Prepared
    stored_text: str
    place: Place | None  # in its conversation's line (turnorder.py), until stored
    message_id: str | None  # the platform's id of the message, given with it
    repeat: TurnRecord | None  # the turn stored already for that message, if any
    leases: list[Lease]  # the conversation, the message's delivery: see turnclaim.py
    person: Spoken | None  # what a person wrote, for a person's turn (see handover.py)
    with_person: bool  # a person has the conversation: this message is left to them
    _repeated: Callable[[TurnRecord], Reply]  # the reply of a repeat (Turn's)
    log_fields: dict[str, str | int | None]  # on the turn's log records: see turnlog.py

    def find_repeat(self) -> None:
        """Look for the turn stored already for this turn's ``message_id`` (a platform that
        delivers a message again when its webhook answered slowly): if there is one, this
        turn is its repeat, answered as it was and not stored. A store failure costs only
        the check. Never logged with the id: it comes with the customer's text."""
        if self.message_id is None:
            return
        start = time.perf_counter()
        try:
            store, run = self._opened(), self.bot.store_pause.run
            self.repeat = run(store.turn_for_message, self.conversation_id, self.message_id)
        except (StorageError, ConfigError) as exc:
            self._store_failed(
                exc,
                logging.WARNING,
                "could not look for an earlier delivery of the message",
                "repeat not looked for",
                start,
            )
            return
        if self.repeat is not None and stopped_unanswered(self.repeat):
            again = f"turn {self.repeat.number} was stopped unanswered: answered again"
            self.trace.append(Step("store", again, elapsed_ms(start)))
            self.repeat = None
        elif self.repeat is not None:
            self.log_fields["turn"] = self.repeat.number  # answered as it, and not stored
            repeated = f"repeat of turn {self.repeat.number}: not stored"
            self.trace.append(Step("store", repeated, elapsed_ms(start)))

    def let_go(self) -> None:
        """Let the next turn of the conversation go ahead: this one is stored, or will never
        be (an error ended it). Once, however often it is called. Not while a write of the
        turn runs in a worker thread: its own end lets go (see :meth:`written_off_loop`)."""
        with self._handing:
            if self._writing:
                return
        let_leases_go(self)
        if self.place is not None:
            self.place.let_go()

    async def written_off_loop(self, work: Callable[[], T]) -> T:
        """``work``, a write of this turn (``save``, ``stopped``, a stream's stop), off the
        event loop: once it is handed to a worker thread, only its own end lets the next turn
        go. A caller cancelled meanwhile (a webhook's deadline) let it go at once: the next
        turn loaded the conversation without this one, a new message was numbered before
        it, and a retry of its message found no turn and was answered and stored again."""
        ran = False

        def written() -> T:
            nonlocal ran
            ran = True
            try:
                return work()
            finally:
                with self._handing:
                    self._writing -= 1
                self.let_go()

        with self._handing:
            self._writing += 1
        try:
            return await off_loop(self.bot, written)
        except Exception:
            if not ran:  # never handed over (an executor shut down): the caller lets go
                with self._handing:
                    self._writing -= 1
            raise

    def load(self) -> Loaded:
        """What the store knows of the conversation; a store failure costs only that."""
        start, settings = time.perf_counter(), self.bot.spec.settings
        kept = settings.budget.history_turns
        try:
            store, run = self._opened(), self.bot.store_pause.run
            # At least CARRIED: the last messages may end with the label of this one's value,
            # then pieces of it (filters/pieces.py).
            limit = max(kept, settings.routing.handoff_after, CARRIED)
            turns = run(store.history, self.conversation_id, limit=limit)
            stored = run(store.load_state, self.conversation_id)
        except (StorageError, ConfigError) as exc:
            self._store_failed(
                exc, logging.WARNING, "could not load its history", "history not loaded", start
            )
            return Loaded([], Placeholders(), 0)
        placeholders = self._start_from(stored)
        self.log_fields["turn"] = (turns[-1].number if turns else 0) + 1  # the store's next
        minutes = settings.routing.with_person_minutes
        self.with_person = self.person is None and with_person(stored, minutes)
        history = read_history(turns, kept, self.message_id)
        loaded = f"{len(history)} turn{'' if len(history) == 1 else 's'} loaded"
        self.trace.append(Step("store", loaded, elapsed_ms(start)))
        return Loaded(history, placeholders, count_misses(turns), said_before(turns))

    def keep_placeholders(self, placeholders: Placeholders) -> Placeholders | None:
        """Store the placeholders the pre-filter gave this turn's values, before any stored
        text holds them; None once done. Two turns of one conversation at once (a customer who
        sends twice quickly, two tabs, two workers) start from the same placeholders and
        would give two values one placeholder: if another turn stored its own since this one
        loaded them, they are returned, for the message to be filtered again with them. If
        they cannot be kept (the store fails, or other turns keep coming first), the turn is
        not stored either: a later turn could give its placeholders to other values."""
        state, loaded = placeholders.to_state(), self.loaded_placeholders
        if loaded is None and placeholders.by_digest:  # the load failed: its numbers are unknown
            self.unkept = "the conversation's placeholders could not be loaded"
            return None  # so this turn's [PHONE_1] may be another value's: it is not stored
        if loaded is None or state == loaded:
            return None  # nothing new; or the load failed, and the store's must not be lost
        start = time.perf_counter()
        try:
            store, run = self._opened(), self.bot.store_pause.run
            after = kept_mark(state, self.stored_state)  # a person keeps the conversation
            if run(store.swap_state, self.conversation_id, self.stored_state, after):
                if self.lost_races:
                    kept = f"placeholders kept after {self.lost_races} other turn(s) came first"
                    self.trace.append(Step("store", kept, elapsed_ms(start)))
                return None
            self.lost_races += 1
            if self.lost_races == _MOST_RACES:
                raise StorageError("other turns of the conversation kept coming first")
            stored = run(store.load_state, self.conversation_id)
        except (StorageError, ConfigError) as exc:
            self.unkept = str(exc)
            self._store_failed(
                exc, logging.WARNING, "placeholders not kept", "placeholders not kept", start
            )
            return None
        return self._start_from(stored)

    def hand_back(self) -> bool:
        """The worker thread is done preparing the turn: False if its caller has left (see
        :meth:`leave`), and the turn is the thread's to store."""
        with self._handing:
            if self._owner == "left":
                return False
            self._owner = "caller"
            return True

    def leave(self) -> bool:
        """The async caller was cancelled before the model call: True if the worker thread
        still preparing the turn will store it, False if it was handed back already."""
        with self._handing:
            if self._owner == "caller":
                return False
            self._owner = "left"
            return True

    def _opened(self) -> Store:
        """The bot's store, opened (by the first turn) through the store's pause."""
        return opened_through_pause(self.bot)

    def _store_failed(
        self, exc: StorageError | ConfigError, level: int, logged: str, traced: str, start: float
    ) -> None:
        """A store call that failed: kept if it is a setup error (:meth:`_keep_setup_error`),
        logged as "conversation <id>: <logged>: <exc>" and traced as "<traced> (<exc>)"."""
        self._keep_setup_error(exc)
        log.log(_level(exc, level), "conversation %s: %s: %s", self.conversation_id, logged, exc)
        self.trace.append(Step("store", f"{traced} ({exc})", elapsed_ms(start)))

    def _keep_setup_error(self, exc: StorageError | ConfigError) -> None:
        """Keep the first ConfigError the store raised (a refused password, user or database:
        every turn would fail alike until the operator fixes it) for the application, which
        otherwise would see only answered turns, unstored, for ever."""
        if isinstance(exc, ConfigError) and self.setup_error is None:
            self.setup_error = exc

    def _start_from(self, stored: dict[str, Any] | None) -> Placeholders:
        """The placeholders of the state ``stored``, which the turn now starts from."""
        placeholders = Placeholders.from_state(stored)
        self.stored_state, self.loaded_placeholders = stored, placeholders.to_state()
        return placeholders

    def save(self, reply: Reply) -> Reply:
        """Store the turn, and let the conversation's next turn go ahead (it loads this one);
        the reply with its number and the whole trace, which the bot's observer is given."""
        try:
            if self.repeat is None:  # its message may have been taken over: see turnclaim.py
                keep_leases(self, 2 * self.bot.spec.settings.store.timeout)
                reply = reply if self.repeat is None else self._repeated(self.repeat)
            number = reply.turn if self.repeat is not None else self._store(reply)
        finally:
            self.let_go()
        reply = dataclasses.replace(reply, turn=number, trace=tuple(self.trace))
        took, name = elapsed_ms(self.started), self.bot.spec.settings.name
        observed(self.bot.on_turn, reply, name, took, self._model_name())  # see turnmetrics.py
        return reply

    def _model_name(self) -> str | None:
        """The model that answered, or was asked: a stream the caller stopped reading has
        used tokens without a completion, and they must be priced too."""
        if self.completion is not None:
            return self.completion.model
        if self.request is None or self.model_started is None:  # never asked: nothing to price
            return None
        return self.request.model

    def _store(self, reply: Reply) -> int | None:
        start, usage = time.perf_counter(), reply.usage
        record = TurnRecord(
            self.conversation_id,
            self.prep.filtered.text,
            self.stored_text,
            reply.action,
            reply.intent,
            reply.score,
            reply.events,
            self._model_name(),
            usage.prompt_tokens if usage else 0,
            usage.completion_tokens if usage else 0,
            round((time.perf_counter() - self.started) * 1000, 3),
            fallback=reply.fallback,
            message_id=self.message_id,
        )
        try:
            if self.unkept is not None:  # its text has placeholders the conversation lacks
                raise StorageError(f"its placeholders could not be kept: {self.unkept}")
            number = self.bot.store_pause.run(self._opened().append_turn, record).number
        except (StorageError, ConfigError) as exc:
            self._store_failed(exc, logging.ERROR, "turn not stored", "not stored", start)
            return None
        self.trace.append(Step("store", f"turn {number}", elapsed_ms(start)))
        self.log_fields["turn"] = number  # as counted at the load, but the store's says
        self._mark(reply)
        return number

    def _mark(self, reply: Reply) -> None:
        """Mark the conversation as with a person after a handoff or a person's message, or
        with the bot after a person's final one (see handover.py). A store failure costs only
        the mark: the next message is answered by the bot, as before a handoff."""
        minutes = self.bot.spec.settings.routing.with_person_minutes
        changes, since = marks(reply, self.person, minutes)
        if not changes:
            return
        start = time.perf_counter()
        try:
            self.bot.store_pause.run(mark, self._opened(), self.conversation_id, since)
        except (StorageError, ConfigError) as exc:
            self._store_failed(
                exc,
                logging.ERROR,
                f"not marked as with {'the bot' if since is None else 'a person'}",
                "not marked",
                start,
            )
            return
        marked = "with the bot again" if since is None else "with a person"
        self.trace.append(Step("store", marked, elapsed_ms(start)))


def _level(exc: Exception, level: int) -> int:
    """How loudly to log a store failure: ``level``, or DEBUG for a command the store's
    pause skipped (the pause was logged once as it started: 845 warnings and 842 errors in a
    5 s freeze hid everything else)."""
    return logging.DEBUG if isinstance(exc, StorePausedError) else level


def opened_through_pause(bot: Bot) -> Store:
    """The bot's store, opened (by the first call) through the store's pause: a store that
    cannot be opened (a file a newer version migrated, a file locked past store.timeout)
    is paused as one whose commands fail is, not opened again by every turn or rating."""
    if (store := bot.opened_store) is not None:
        return store
    return bot.store_pause.run(lambda: bot.store)


async def off_loop(bot: Bot, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``work`` (the bot's store calls) in a worker thread, or inline for a store that never
    waits: handing over to a thread costs more than a dict lookup. A store not opened yet is
    opened by ``work``, in the thread: opening SQLite may wait for another process's lock. One
    that cannot be opened is ``work``'s to meet, as in a blocking turn: it costs only the
    turn's record."""
    import asyncio  # here, not at the top: see pipeline.py

    opened = bot.opened_store
    if opened is not None and not opened.blocking:
        return work(*args, **kwargs)
    # Shielded: work queued behind other turns' is not dropped when the caller is cancelled
    # (to_thread's would be), just as work already running cannot be stopped: a turn stored by
    # its thread once its caller has left (see turnstart.abegin_turn) is stored even under load. The
    # caller stops waiting at once; asyncio.run's end waits for the thread.
    call = functools.partial(contextvars.copy_context().run, work, *args, **kwargs)
    return await asyncio.shield(asyncio.get_running_loop().run_in_executor(None, call))
