"""The pipeline: one customer turn through every stage, in order. It only sequences them.

    text ─► prefilter ─► routing ─► prompt ─► budget ─► cache ─► model ─► postfilter ─► store
              │ block      │ direct: the intent's answer, as written
              ▼            │ handoff: handoff.j2
          blocked.j2       │ out_of_scope: no FAQ facts; the system template says so
                           ▼ model: the top-k intents as facts, their few-shot pairs

:meth:`Bot.reply` (and :meth:`Bot.areply`, :meth:`Bot.stream`, :meth:`Bot.astream`) run a
whole turn and return a :class:`Reply` whose trace has each stage's decision and time. They
never raise for a model outage or a store failure: an outage is answered with a fallback,
and a turn that could not be stored is reported in the trace and the log. A key or model the
server refuses raises ``ConfigError``, once the turn is stored as an outage's would be.
:meth:`Bot.prepare` runs everything before the model call, for ``servicebot render``; its
work, with its canned replies, prompt fitting and stage clock, is in ``preparation.py``. How a
turn begins (the caller's arguments checked, the conversation loaded, the turn prepared) is
in ``turnstart.py``; what happens after it is in ``turn.py`` (the turn in progress),
``turnmodel.py`` (its model call), ``turnstorage.py`` (its store writes), ``reply.py`` (the
reply it becomes) and ``stream.py``.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import personturn, ratings
from .cache import AnswerCache
from .closing import Closing
from .config import BotSpec, load_bot
from .configuredmodel import configured_model
from .filters.pieces import CARRIED
from .filters.placeholders import KEY_ENV, Placeholders
from .health import Health, acheck_health, check_health
from .model import BreakerState, ModelClient, OpenAIClient
from .model.apikey import ApiKey
from .preparation import prepared_turn
from .prompt import Exchange
from .reply import Reply, Step
from .shown import Shown
from .stages import Stages
from .store import Pause, Store, open_bot_store
from .store.sharing import claim
from .storeurl import store_scheme
from .stream import AsyncReplyStream, ReplyStream
from .turn import Prepared
from .turnlog import logged_as
from .turnmetrics import Observer
from .turnorder import letting_go
from .turnstart import (
    abegin_turn,
    begin_turn,
    checked_conversation_id,
    checked_message_id,
    checked_text,
    plain_text,
)

__all__ = ["Bot", "Prepared", "Reply", "Step"]

# asyncio is imported in the coroutines that use it (here, and in turn, turnstart, turnstorage,
# stream, replay, model/openai_client and model/sdkclients), where a running loop has imported
# it already: at import it took 13 ms of every start (ssl and subprocess come with it), and
# `servicebot check` and a blocking Bot.reply never run a loop.

log = logging.getLogger("servicebot")


class Bot:
    """A loaded bot: every stage built once from its spec, ready for many turns.

    ``model`` answers the turns that need one: by default the OpenAI-compatible server named
    in ``servicebot.yaml``. With no model named, or ``offline``, the bot answers from the FAQ
    alone: an intent's answer when routing is sure of it, a handoff or out-of-scope reply
    otherwise. ``store`` keeps the conversations: by default the one in ``servicebot.yaml``,
    opened on first use. ``stages``: those built from the spec alone, shared with other bots.
    ``api_key``: the configured model's key, or a function returning it (called each time a
    client is built), in place of the environment variable ``model.api_key_env`` names.
    ``on_turn``: called with each finished turn's :class:`TurnMetrics` (turnmetrics.py).
    """

    def __init__(
        self,
        spec: BotSpec,
        *,
        model: ModelClient | None = None,
        store: Store | None = None,
        offline: bool = False,
        stages: Stages | None = None,
        api_key: ApiKey | None = None,
        on_turn: Observer | None = None,
    ) -> None:
        settings = spec.settings
        if stages is None:
            stages = Stages.build(spec)
        elif stages.spec is not spec:
            raise ValueError("stages are shared only by bots of the spec they were built from")
        self.spec = spec
        self.renderer, self.router, self.counter = stages.renderer, stages.router, stages.counter
        self.prefilter, self.postfilter = stages.prefilter, stages.postfilter
        if model is not None and api_key is not None:
            raise ValueError("api_key is the configured model's: pass it to your model instead")
        if model is None and settings.model.name is not None and not offline:
            model = configured_model(spec, api_key)
        self.model = model
        self._store = store
        if store is None:  # another shop's bot on its store and namespace is warned of
            claim(spec, self)
        self._opening = threading.Lock()
        self._closing = Closing()  # the turns in progress, which a close waits for
        # The turns' store commands fail fast while the store cannot answer.
        self.store_pause = Pause(slow=settings.store.timeout)
        self.cache = AnswerCache(settings.cache) if settings.cache.enabled else None
        self.on_turn = on_turn  # the application's metrics (see turnmetrics.py)

    @classmethod
    def load(cls, folder: str | Path = ".", **kwargs: Any) -> Bot:
        """The bot in ``folder`` (``servicebot.yaml``, ``faq/``, ``templates/``)."""
        return cls(load_bot(folder), **kwargs)

    def close(self) -> None:
        """Close the store and the blocking model client's connections: at once, or, while
        turns are in progress (a reload), when the last of them ends (see closing.py)."""
        self._closing.close(self._release)

    async def aclose(self, within: float | None = None) -> None:
        """:meth:`close`, and the running event loop's model connections too, once the turns
        in progress have ended: awaited, while the loop serves on, for at most ``within``
        seconds (by default as long as a model call may take: ``model.timeout`` for every
        attempt), after which those connections close with the loop instead. The streams
        still open then (responses a web server cut as it stopped) are stored as stopped,
        with what they showed. A stream whose caller is not reading (suspended between
        pieces, as a response cut at shutdown is left) is not waited for: it is stopped
        first, so that a message of its conversation waiting behind it runs and is waited for.

        Under a web server, give ``within`` below its graceful-shutdown time (uvicorn's
        ``--timeout-graceful-shutdown``): a server that stops waiting for the hook stops
        the streams too late, or never."""
        self.close()
        client = self.model if isinstance(self.model, OpenAIClient) else None
        if within is None:
            settings = client.settings if client else self.spec.settings.model
            within = settings.timeout * (settings.max_retries + 1)  # a call: every attempt
        await self._closing.stop_suspended()  # first: a turn may wait behind one
        if await self._closing.ended(within) and client:
            await client.aclose()  # no await before it: no turn of this loop began since
        await self._closing.stop_streams()

    def _release(self) -> None:
        """Close the store and the blocking model client's connections, now."""
        if isinstance(self.model, OpenAIClient):
            self.model.close()
        if self._store is not None:
            self._store.close()

    @property
    def store(self) -> Store:
        with self._opening:  # threads replying at once open one store
            if self._store is None:
                self._store = open_bot_store(self.spec)
                kept = store_scheme(self.spec.settings.store.url) != "memory"
                if kept and not os.environ.get(KEY_ENV):  # the URL may hold a password: not logged
                    log.warning(
                        "%s is not set: the placeholder digests this bot stores are keyed by "
                        "a salt stored beside them, so a copy of the store could be searched "
                        "for phone numbers; set it to a secret",
                        KEY_ENV,
                        extra={"checked": True},  # check warns of it: chat leaves it out
                    )
        return self._store

    @property
    def opened_store(self) -> Store | None:
        """The store, if it is open (the first turn opens it), without opening it."""
        return self._store

    @property
    def model_breaker(self) -> BreakerState:
        """The model's breaker, this Bot's in this process, read only: closed for a client given."""
        if isinstance(self.model, OpenAIClient):
            return self.model.breaker.state()
        return BreakerState(open=False, seconds_left=0.0, failures=0)

    @property
    def store_breaker(self) -> BreakerState:
        """The store's pause, read only: ``open`` from a pause's start (a store down, hung or
        locked) until a command or a probe (:meth:`health`) succeeds."""
        return BreakerState(*self.store_pause.state())

    def health(self) -> Health:
        """For a probe, never raising: the store probed now, the model's breaker read."""
        return check_health(self)

    async def ahealth(self) -> Health:
        """:meth:`health` for asyncio: a store that may wait is probed in a worker thread."""
        return await acheck_health(self)

    def reply(
        self,
        text: str | bytes,
        conversation_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        message_id: str | None = None,
    ) -> Reply:
        """Answer one customer message. ``metadata`` reaches templates as ``customer``.

        ``message_id``: the chat platform's id of the message. A message the conversation
        has a turn for already (a webhook delivery retried) gets that turn's reply again,
        marked ``repeated``, with no model call and nothing stored; sent again while its
        first delivery runs, it waits for it (turns of a conversation run one at a time)."""
        with self._closing.turn():
            turn = begin_turn(self, text, conversation_id, metadata, message_id)
            with logged_as(turn.log_fields), letting_go(turn):
                if pending := turn.pending():
                    model, request = pending
                    with turn.model_call():
                        turn.model_answered(model.complete(request))
                reply = turn.finish()
        turn.raise_for_setup(reply)
        return reply

    async def areply(
        self,
        text: str | bytes,
        conversation_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        message_id: str | None = None,
    ) -> Reply:
        """:meth:`reply` for asyncio. Reading and writing the store may wait on a lock or the
        network, so those calls run in a worker thread (unless the store never waits)."""
        import asyncio  # here, not at the top: see the note above `log`

        with self._closing.turn():
            turn = await abegin_turn(self, text, conversation_id, metadata, message_id)
            with logged_as(turn.log_fields), letting_go(turn):
                if pending := turn.pending():
                    model, request = pending
                    with turn.model_call():
                        try:
                            completion = await model.acomplete(request)
                        except asyncio.CancelledError:  # a web client went away: keep it
                            await turn.astopped(Shown(turn))
                            raise
                        turn.model_answered(completion)
                reply = await turn.afinish()
        turn.raise_for_setup(reply)
        return reply

    def stream(
        self,
        text: str | bytes,
        conversation_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        message_id: str | None = None,
    ) -> ReplyStream:
        """:meth:`reply`, yielding the answer as it arrives, a cleared sentence at a time.

        Iterate over the result, once, for text; its ``reply`` is the whole :class:`Reply`
        once the iteration is over. Inside ``with bot.stream(...) as stream:``, leaving the
        block early stores the turn with what was shown at once, as ``stream.close()`` does.
        """
        end = self._closing.begin()
        try:
            turn = begin_turn(self, text, conversation_id, metadata, message_id)
            stream = ReplyStream(turn, end)
        except BaseException:
            end()
            raise
        self._closing.opened(stream)
        return stream

    def astream(
        self,
        text: str | bytes,
        conversation_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        message_id: str | None = None,
    ) -> AsyncReplyStream:
        """:meth:`stream` for asyncio: ``async for piece in bot.astream(...)``, or inside
        ``async with bot.astream(...) as stream:`` to store a stream left early at once."""
        # Refused at the call, as by stream(), not at the first piece; bytes decoded once.
        text = checked_text(text, metadata)
        conversation_id = checked_conversation_id(conversation_id)
        message_id = checked_message_id(message_id)
        stream = AsyncReplyStream(
            functools.partial(abegin_turn, self, text, conversation_id, metadata, message_id),
            self._closing.begin,
        )
        self._closing.opened(stream)
        return stream

    def add_person_turn(
        self,
        conversation_id: str,
        text: str,
        *,
        customer: str | None = None,
        final: bool = False,
        message_id: str | None = None,
    ) -> Reply:
        """Add what a person (a member of the team the customer was handed to) wrote to the
        conversation, as a turn with action ``person``, in its order: later prompts have it
        as the assistant's. ``customer``: the customer's message it answers, if the
        application did not pass it to :meth:`reply` (masked as any is). ``final``: the
        person is done, and the bot answers the next message (see ``handover.py``).
        ``message_id``: the chat platform's id of the person's message, as for :meth:`reply`:
        a delivery of it again stores nothing and returns the first's reply, ``repeated``.
        Blank ``text`` raises ValueError, and nothing is stored."""
        with self._closing.turn():
            return personturn.add_person_turn(
                self, conversation_id, text, customer, final, message_id
            )

    async def aadd_person_turn(
        self,
        conversation_id: str,
        text: str,
        *,
        customer: str | None = None,
        final: bool = False,
        message_id: str | None = None,
    ) -> Reply:
        """:meth:`add_person_turn` for asyncio."""
        with self._closing.turn():
            return await personturn.aadd_person_turn(
                self, conversation_id, text, customer, final, message_id
            )

    def release(self, conversation_id: str) -> None:
        """Give a conversation a person has back to the bot, which answers its next message
        (with ``routing.with_person_minutes`` set; see ``handover.py``)."""
        personturn.release(self, conversation_id)

    async def arelease(self, conversation_id: str) -> None:
        """:meth:`release` for asyncio."""
        await personturn.arelease(self, conversation_id)

    def rate(
        self, conversation_id: str, turn: int | None, helpful: bool, *, comment: str | None = None
    ) -> None:
        """Keep the customer's rating of the reply of ``turn`` (``reply.turn``), replacing one
        given before; ``comment``: what they said, masked as their messages are. ValueError for
        a turn the conversation has not stored (see ratings.py); StorageError if the store fails."""
        with self._closing.turn():
            ratings.rate(self, conversation_id, turn, helpful, comment)

    async def arate(
        self, conversation_id: str, turn: int | None, helpful: bool, *, comment: str | None = None
    ) -> None:
        """:meth:`rate` for asyncio."""
        with self._closing.turn():
            await ratings.arate(self, conversation_id, turn, helpful, comment)

    def prepare(
        self,
        text: str | bytes,
        history: Sequence[Exchange] = (),
        customer: Mapping[str, Any] | None = None,
        placeholders: Placeholders | None = None,
        *,
        misses: int = 0,
        explain: bool = False,
        said_before: str | Sequence[str] | None = None,
    ) -> Prepared:
        """Run a turn up to the model call: pre-filter, routing, prompt and budget.

        ``misses``: the conversation's out-of-scope turns right before this one (see
        :meth:`Router.route`). ``explain``, for ``servicebot render``: each FAQ entry is
        costed on its own in ``fitted.parts`` (see :func:`~servicebot.budget.fit_prompt`), and
        a turn a model would answer (routed to the model, or out of scope) has its prompt
        fitted even when the bot has no model to send it to (besides the offline ``reply``),
        so an operator sees it before naming one. ``said_before``: the customer's last
        messages as stored, the newest last (or the last alone), when ``history`` may not hold
        them (``budget.history_turns: 0``); else ``history``'s last ``CARRIED`` are read.
        """
        text = plain_text(text)  # as reply() takes it: bytes decoded, None refused, halves joined
        return prepared_turn(
            self, text, history, customer, placeholders, misses, explain, said_before
        )

    def as_stored(self, history: Sequence[Exchange], placeholders: Placeholders) -> list[Exchange]:
        """A history written by hand as the store would hold it: each customer line through
        the pre-filter, its personal data as the conversation's ``placeholders``. The bot's
        lines are taken as written: the store keeps them with placeholders, so write them so."""
        stored: list[Exchange] = []
        for exchange in history:
            previous = [earlier.user for earlier in stored[-CARRIED:]]
            user = self.prefilter.run(exchange.user, placeholders, previous).text
            stored.append(Exchange(user, exchange.assistant))
        return stored
