"""The pipeline: one customer turn through every stage, in order. It only sequences them.

    text ─► prefilter ─► routing ─► prompt ─► budget ─► model ─► postfilter ─► store
              │ block      │ direct: the intent's answer, as written
              ▼            │ handoff: handoff.j2
          blocked.j2       │ out_of_scope: no FAQ facts; the system template says so
                           ▼ model: the top-k intents as facts, their few-shot pairs

:meth:`Bot.reply` (and :meth:`Bot.areply`, :meth:`Bot.stream`, :meth:`Bot.astream`) run a
whole turn and return a :class:`Reply` whose trace has each stage's decision and time. They
never raise for a model outage or a store failure: an outage is answered with a fallback,
and a turn that could not be stored is reported in the trace and the log. :meth:`Bot.prepare`
runs everything before the model call, for ``servicebot render``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import itertools
import logging
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple, ParamSpec, TypeVar

from .budget import (
    Fitted,
    TokenCounter,
    counter_for,
    fit_prompt,
)
from .cache import AnswerCache, cache_key
from .checks import validate_bot
from .config import SETTINGS_FILE, BotSpec, load_bot
from .errors import StorageError
from .filters import FilterEvent, FilterResult
from .filters.placeholders import Placeholders
from .model import (
    Completion,
    ModelClient,
    ModelError,
    ModelRequest,
    OpenAIClient,
    Usage,
    request_for,
)
from .postfilter import Postfilter
from .prefilter import Prefilter
from .prompt import Context, Exchange, few_shot
from .routing import Router, Routing, detect_language
from .store import Store, TurnRecord, open_bot_store

# A sentence has ended where its full stop is followed by a space or line break already
# received ("800." may go on "-555"); a Chinese full stop needs nothing after it.
_SENTENCE_END = re.compile(r"[.!?…](?=\s)|[。！？]")
P = ParamSpec("P")
T = TypeVar("T")
Action = Literal["answer", "direct", "handoff", "blocked", "fallback", "out_of_scope"]
log = logging.getLogger("servicebot")


@dataclass(frozen=True)
class Prepared:
    """A turn made ready for the model: a reply that needs none, or the messages to send."""

    filtered: FilterResult  # what the pre-filter made of the customer's text
    routing: Routing | None  # None when the pre-filter blocked the message
    reply: str | None = None  # the answer when no model is needed (blocked, direct, handoff)
    fitted: Fitted | None = None  # the prompt, when the model answers
    timings: Mapping[str, float] = field(default_factory=dict)  # ms per stage


@dataclass(frozen=True)
class Step:
    """One stage's part in a turn: what it decided, how long it took, and why."""

    stage: str  # prefilter | routing | prompt | model | postfilter | store
    decision: str  # "pass", "model", "answer", "fallback (timeout)", "turn 3", ...
    ms: float = 0.0
    detail: Mapping[str, Any] = field(default_factory=dict)  # never the customer's text


@dataclass(frozen=True)
class Reply:
    """The bot's answer to one customer message, and how it came about."""

    text: str  # what the customer reads, their own details restored
    action: Action
    conversation_id: str
    intent: str | None = None  # the best-matching intent, if any
    score: float | None = None
    usage: Usage | None = None  # what the model reported, when it was called
    trace: tuple[Step, ...] = ()
    turn: int | None = None  # the turn's number in the conversation; None if it was not stored
    events: tuple[FilterEvent, ...] = ()  # what the pre- and post-filter found and did

    def step(self, stage: str) -> Step | None:
        """The trace step of ``stage``, if it ran."""
        return next((step for step in self.trace if step.stage == stage), None)


class Bot:
    """A loaded bot: every stage built once from its spec, ready for many turns.

    ``model`` answers the turns that need one: by default the OpenAI-compatible server named
    in ``servicebot.yaml``. With no model named, or ``offline``, the bot answers from the FAQ
    alone: an intent's answer when routing is sure of it, a handoff or out-of-scope reply
    otherwise. ``store`` keeps the conversations: by default the one in ``servicebot.yaml``,
    opened on first use.
    """

    def __init__(
        self,
        spec: BotSpec,
        *,
        model: ModelClient | None = None,
        store: Store | None = None,
        offline: bool = False,
    ) -> None:
        settings = spec.settings
        self.spec = spec
        self.renderer = validate_bot(spec)
        self.prefilter = Prefilter(settings.prefilter)
        self.postfilter = Postfilter.for_bot(spec, self.prefilter.profanity)
        self.router = Router(spec.intents, settings.routing, settings.languages)
        self.counter: TokenCounter = counter_for(settings.model.name, settings.budget.encoding)
        if model is None and settings.model.name is not None and not offline:
            model = _configured_model(spec)
        self.model = model
        self._store = store
        self._opening = threading.Lock()
        self.cache = AnswerCache(settings.cache) if settings.cache.enabled else None

    @classmethod
    def load(cls, folder: str | Path = ".", **kwargs: Any) -> Bot:
        """The bot in ``folder`` (``servicebot.yaml``, ``faq/``, ``templates/``)."""
        return cls(load_bot(folder), **kwargs)

    def close(self) -> None:
        """Close the store and the blocking model client's connections."""
        if isinstance(self.model, OpenAIClient):
            self.model.close()
        if self._store is not None:
            self._store.close()

    async def aclose(self) -> None:
        """:meth:`close`, and the running event loop's model connections too."""
        if isinstance(self.model, OpenAIClient):
            await self.model.aclose()
        self.close()

    @property
    def store(self) -> Store:
        with self._opening:  # threads replying at once open one store
            if self._store is None:
                self._store = open_bot_store(self.spec)
        return self._store

    def reply(
        self,
        text: str,
        conversation_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Reply:
        """Answer one customer message. ``metadata`` reaches templates as ``customer``."""
        turn = self._begin(text, conversation_id, metadata)
        if pending := turn.pending():
            model, request = pending
            with turn.model_call():
                turn.model_answered(model.complete(request))
        return turn.finish()

    async def areply(
        self,
        text: str,
        conversation_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Reply:
        """:meth:`reply` for asyncio. Reading and writing the store may wait on a lock or the
        network, so those calls run in a worker thread (unless the store never waits)."""
        turn = await self._abegin(text, conversation_id, metadata)
        if pending := turn.pending():
            model, request = pending
            with turn.model_call():
                turn.model_answered(await model.acomplete(request))
        return await turn.afinish()

    def stream(
        self,
        text: str,
        conversation_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> ReplyStream:
        """:meth:`reply`, yielding the answer as it arrives, a cleared sentence at a time.

        Iterate over the result for text; its ``reply`` is the whole :class:`Reply` once
        the iteration is over.
        """
        return ReplyStream(self._begin(text, conversation_id, metadata))

    def astream(
        self,
        text: str,
        conversation_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> AsyncReplyStream:
        """:meth:`stream` for asyncio: ``async for piece in bot.astream(...)``."""
        return AsyncReplyStream(functools.partial(self._abegin, text, conversation_id, metadata))

    def prepare(
        self,
        text: str,
        history: Sequence[Exchange] = (),
        customer: Mapping[str, Any] | None = None,
        placeholders: Placeholders | None = None,
        *,
        misses: int = 0,
        itemise: bool = False,
    ) -> Prepared:
        """Run a turn up to the model call: pre-filter, routing, prompt and budget.

        ``misses``: the conversation's out-of-scope turns right before this one (see
        :meth:`Router.route`). ``itemise`` costs each FAQ entry on its own in
        ``fitted.parts`` (see :func:`~servicebot.budget.fit_prompt`), for ``servicebot render``.
        """
        clock = _Clock()
        filtered = clock.time("prefilter", self.prefilter.run, text, placeholders or Placeholders())
        previous = history[-1].user if history else None
        if filtered.verdict == "block":
            language = detect_language(text, self.spec.settings.languages, previous)
            context = Context(language, customer=customer)
            reply = self.renderer.render("blocked.j2", context)
            return Prepared(filtered, None, reply=reply, timings=clock.laps)
        routing = clock.time("routing", self.router.route, filtered.text, previous, misses)
        context = Context(
            routing.language,
            routing.matches if routing.route != "out_of_scope" else (),
            routing.route == "out_of_scope",
            filtered.flags,
            customer,
        )
        if routing.route in ("direct", "handoff") or self.model is None:
            reply = clock.time("prompt", self._canned_reply, routing, context)
            return Prepared(filtered, routing, reply=reply, timings=clock.laps)
        fitted = clock.time("prompt", self._fit, context, history, filtered.text, itemise)
        return Prepared(filtered, routing, fitted=fitted, timings=clock.laps)

    def _canned_reply(self, routing: Routing, context: Context) -> str:
        """The reply for a turn no model answers: direct, handoff, or offline."""
        if routing.route == "direct" and routing.best is not None:
            return routing.best.intent.answer_in(context.language)
        if routing.route == "out_of_scope":
            return self.renderer.render("out_of_scope.j2", context)
        if routing.route == "model":  # no model to ask: the FAQ's answer if routing is sure
            return self._fallback_reply(routing, context.language)
        return self.renderer.render("handoff.j2", context)

    def _fit(
        self, context: Context, history: Sequence[Exchange], text: str, itemise: bool = False
    ) -> Fitted:
        return fit_prompt(
            self.counter,
            self.spec.settings.budget,
            lambda n: self.renderer.system(context, n),
            [match.intent.name for match in context.matches],
            few_shot(context.matches, context.language, self.spec.settings.languages),
            history,
            text,
            itemise=itemise,
        )

    # --- one turn -------------------------------------------------------------------------

    def _begin(
        self, text: str, conversation_id: str | None, metadata: Mapping[str, Any] | None
    ) -> _Turn:
        """Everything before the model call: load the conversation, prepare the prompt."""
        turn = _Turn(self, conversation_id or uuid.uuid4().hex, metadata)
        return self._ready(turn, text, turn.load())

    async def _abegin(
        self, text: str, conversation_id: str | None, metadata: Mapping[str, Any] | None
    ) -> _Turn:
        """:meth:`_begin` with the store read off the event loop."""
        turn = _Turn(self, conversation_id or uuid.uuid4().hex, metadata)
        return self._ready(turn, text, await self._off_loop(turn.load))

    async def _off_loop(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``work`` (store calls) in a worker thread, or inline for a store that never waits:
        handing over to a thread costs more than a dict lookup."""
        if self.store.blocking:
            return await asyncio.to_thread(work, *args, **kwargs)
        return work(*args, **kwargs)

    def _ready(self, turn: _Turn, text: str, loaded: _Loaded) -> _Turn:
        """Prepare the prompt, and answer from the cache if it can."""
        history, placeholders = loaded.history, loaded.placeholders
        prepared = self.prepare(
            _plain(text), history, turn.metadata, placeholders, misses=loaded.misses
        )
        turn.prepared(prepared, placeholders)
        if self.cache is not None and not history:
            turn.look_up(self.cache)
        return turn

    def _fallback_reply(self, routing: Routing | None, language: str) -> str:
        """When the model cannot answer: the top intent's answer if routing was confident,
        otherwise a handoff to a person."""
        if routing is not None and routing.best is not None and self._confident(routing):
            return routing.best.intent.answer_in(language)
        return self.renderer.render("handoff.j2", Context(language))

    def _confident(self, routing: Routing | None) -> bool:
        """Whether routing is sure enough of its best intent to send that answer as written.

        Never for a follow-up: its intent came from the previous message, whose answer the
        customer has; sent again, it would ignore what this message asks.
        """
        if routing is None or routing.best is None or routing.follow_up:
            return False
        return routing.best.score >= self.spec.settings.routing.direct_threshold


def _configured_model(spec: BotSpec) -> ModelClient:
    """The model ``servicebot.yaml`` names, through its recordings when ``replay.mode`` says so
    (``<replay.cassettes>/bot.yaml``; ``servicebot test`` keeps one cassette per script)."""
    settings = spec.settings
    live = OpenAIClient(settings.model, spec.root / SETTINGS_FILE)
    if settings.replay.mode == "off":
        return live
    from .replay import Replayer

    cassette = spec.root / settings.replay.cassettes / "bot.yaml"
    return Replayer(
        cassette, settings.replay.mode, live if settings.replay.mode == "record" else None
    )


def _plain(text: Any) -> str:
    """Customer text as a str: bytes are decoded, with undecodable bytes replaced."""
    if isinstance(text, bytes | bytearray):
        return bytes(text).decode("utf-8", "replace")
    return str(text)


class _Turn:
    """One turn in progress: what each stage decided, for the reply and the store."""

    def __init__(self, bot: Bot, conversation_id: str, metadata: Mapping[str, Any] | None):
        self.bot, self.conversation_id, self.metadata = bot, conversation_id, metadata
        self.started = time.perf_counter()
        self.trace: list[Step] = []
        self.request: ModelRequest | None = None
        self.placeholders_before: dict[str, Any] | None = None
        self.completion: Completion | None = None
        self.cache_key: str | None = None  # where to keep the model's answer, if it passes
        self._reviewed: tuple[str, FilterResult] | None = None  # the last answer reviewed

    def load(self) -> _Loaded:
        """What the store knows of the conversation; a store failure costs only that."""
        start, settings = time.perf_counter(), self.bot.spec.settings
        kept = settings.budget.history_turns
        try:
            turns = self.bot.store.history(
                self.conversation_id, limit=max(kept, settings.routing.handoff_after)
            )
            placeholders = Placeholders.from_state(self.bot.store.load_state(self.conversation_id))
        except StorageError as exc:
            log.warning(
                "conversation %s: could not load its history: %s", self.conversation_id, exc
            )
            self.trace.append(Step("store", f"history not loaded ({exc})", _ms(start)))
            return _Loaded([], Placeholders(), 0)
        self.placeholders_before = placeholders.to_state()
        history = [Exchange(t.customer_text, t.reply_text) for t in turns[len(turns) - kept :]]
        self.trace.append(Step("store", f"{len(history)} turns loaded", _ms(start)))
        return _Loaded(history, placeholders, _misses(turns))

    def prepared(self, prepared: Prepared, placeholders: Placeholders) -> None:
        self.prep, self.placeholders = prepared, placeholders
        laps, filtered, routing = prepared.timings, prepared.filtered, prepared.routing
        self.trace.append(
            Step(
                "prefilter",
                filtered.verdict,
                laps.get("prefilter", 0.0),
                {"events": len(filtered.events), "flags": sorted(filtered.flags)},
            )
        )
        if routing is not None:
            intents = {m.intent.name: m.score for m in routing.matches}
            found = {
                "intents": intents,
                "language": routing.language,
                "follow_up": routing.follow_up,
                "misses": routing.misses,
            }
            self.trace.append(Step("routing", routing.route, laps.get("routing", 0.0), found))
        if prepared.reply is not None and routing is not None and routing.route == "model":
            sure = self.bot._confident(routing)
            decision = "no model: the FAQ's answer" if sure else "no model: a handoff"
            self.trace.append(Step("prompt", decision, laps.get("prompt", 0.0)))
        fitted = prepared.fitted
        if fitted is not None:
            dropped = [f"{p.kind} {p.label}" for p in fitted.dropped]
            sizes = {"tokens": fitted.used, "budget": fitted.budget, "dropped": dropped}
            decision = "fitted, message truncated" if fitted.truncated else "fitted"
            self.trace.append(Step("prompt", decision, laps.get("prompt", 0.0), sizes))
            self.request = request_for(self.bot.spec.settings.model, fitted.messages)

    def look_up(self, cache: AnswerCache) -> None:
        """Answer from the cache if this opening question was answered before."""
        start, routing = time.perf_counter(), self.prep.routing
        if routing is None or routing.follow_up or self.request is None:
            return
        self.cache_key = cache_key(self.request)
        answer = cache.get(self.cache_key)
        self.trace.append(Step("cache", "miss" if answer is None else "hit", _ms(start)))
        if answer is not None:
            self.completion, self.cache_key = Completion(answer, model="cache"), None

    def pending(self) -> tuple[ModelClient, ModelRequest] | None:
        """The model and the request to send it, if this turn still needs an answer."""
        if self.bot.model is None or self.request is None or self.completion is not None:
            return None
        return self.bot.model, self.request

    @contextlib.contextmanager
    def model_call(self) -> Iterator[None]:
        """Time the model call; an outage is noted for the trace and answered by a fallback."""
        self.model_started = time.perf_counter()
        try:
            yield
        except ModelError as exc:
            log.warning("conversation %s: model unavailable: %s", self.conversation_id, exc)
            detail = {"error": exc.kind}
            self.trace.append(Step("model", f"failed ({exc.kind})", self._model_ms(), detail))

    def _model_ms(self) -> float:
        return _ms(self.model_started)

    def model_answered(self, completion: Completion) -> None:
        self.completion = completion
        detail: dict[str, Any] = {"model": completion.model, "finish": completion.finish_reason}
        if completion.usage is not None and self.prep.fitted is not None:
            detail["prompt_tokens"] = completion.usage.prompt_tokens
            detail["completion_tokens"] = completion.usage.completion_tokens
            detail["budget_count"] = self.prep.fitted.used
        self.trace.append(Step("model", "answered", self._model_ms(), detail))

    @property
    def language(self) -> str:
        routing = self.prep.routing
        if routing is not None:
            return routing.language
        return detect_language(self.prep.filtered.text, self.bot.spec.settings.languages)

    def review(self, answer: str) -> FilterResult:
        """The post-filter's verdict on (the start of) the model's answer: once for a stream's
        whole answer, which its last sentence and the end of the turn both ask about."""
        if self._reviewed is None or self._reviewed[0] != answer:
            system = self.request.messages[0].content if self.request else ""
            result = self.bot.postfilter.run(answer, system, self.prep.filtered.values)
            self._reviewed = (answer, result)
        return self._reviewed[1]

    def finish(self, streamed: _Shown | None = None) -> Reply:
        """Decide the reply from what the stages did, store the turn, and return it."""
        return self.save(self.decide(streamed))

    async def afinish(self, streamed: _Shown | None = None) -> Reply:
        """:meth:`finish` with the store write off the event loop."""
        return await self.bot._off_loop(self.save, self.decide(streamed))

    def decide(self, streamed: _Shown | None = None) -> Reply:
        """The reply, before it is stored. ``streamed``: what a stream already showed."""
        prep, routing = self.prep, self.prep.routing
        events = list(prep.filtered.events)
        stored = shown = ""
        action: Action
        if prep.reply is not None:
            action = _canned_action(routing, self.bot._confident(routing))
            stored = shown = prep.reply
        elif self.completion is not None:
            start = time.perf_counter()
            reviewed = self.review(self.completion.text)
            events += reviewed.events
            self.trace.append(
                Step("postfilter", reviewed.verdict, _ms(start), {"events": len(reviewed.events)})
            )
            if reviewed.verdict == "pass":
                action = "out_of_scope" if routing and routing.route == "out_of_scope" else "answer"
                stored, shown = reviewed.text, reviewed.shown or reviewed.text
                if self.cache_key is not None and self.bot.cache is not None:
                    self.bot.cache.put(self.cache_key, self.completion.text)
            elif reviewed.verdict == "handoff":
                action = "handoff"
                stored = shown = self.bot.renderer.render("handoff.j2", Context(self.language))
            else:
                action = "fallback"
                stored = shown = self.bot._fallback_reply(routing, self.language)
        else:
            action = "fallback"
            stored = shown = self.bot._fallback_reply(routing, self.language)
        if streamed is not None and streamed.emitted and not shown.startswith(streamed.emitted):
            # What was shown cannot be taken back: keep it, then the fallback or handoff.
            shown = f"{streamed.emitted}\n\n{shown}"
            stored = f"{streamed.cleared}\n\n{stored}"
        best = routing.best if routing else None
        usage = self.completion.usage if self.completion else None
        self.stored_text = stored
        return Reply(
            shown,
            action,
            self.conversation_id,
            best.intent.name if best else None,
            best.score if best else None,
            usage,
            events=tuple(events),
        )

    def save(self, reply: Reply) -> Reply:
        """Store the turn; the reply with its number and the whole trace."""
        number = self._store(reply)
        return dataclasses.replace(reply, turn=number, trace=tuple(self.trace))

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
            self.completion.model if self.completion else None,
            usage.prompt_tokens if usage else 0,
            usage.completion_tokens if usage else 0,
            round((time.perf_counter() - self.started) * 1000, 3),
        )
        try:
            store = self.bot.store
            if (state := self.placeholders.to_state()) != self.placeholders_before:
                store.save_state(self.conversation_id, state)
            number = store.append_turn(record).number
        except StorageError as exc:
            log.error("conversation %s: turn not stored: %s", self.conversation_id, exc)
            self.trace.append(Step("store", f"not stored ({exc})", _ms(start)))
            return None
        self.trace.append(Step("store", f"turn {number}", _ms(start)))
        return number


class _Loaded(NamedTuple):
    """A conversation as a turn starts: its recent exchanges, placeholders and misses."""

    history: list[Exchange]
    placeholders: Placeholders
    misses: int  # out-of-scope turns at its end, in a row


def _misses(turns: Sequence[TurnRecord]) -> int:
    """How many of the last turns were out of scope, in a row."""
    missed = itertools.takewhile(lambda turn: turn.action == "out_of_scope", reversed(turns))
    return sum(1 for _ in missed)


def _canned_action(routing: Routing | None, confident: bool) -> Action:
    if routing is None:
        return "blocked"
    if routing.route == "direct" or (routing.route == "model" and confident):
        return "direct"
    if routing.route == "out_of_scope":
        return "out_of_scope"
    return "handoff"  # a handoff intent, or no model to ask


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


class ReplyStream:
    """A reply being streamed: iterate for cleared text; ``reply`` is set at the end."""

    def __init__(self, turn: _Turn) -> None:
        self._turn = turn
        self.reply: Reply | None = None

    def __iter__(self) -> Iterator[str]:
        if self.reply is not None:  # read once: the turn is already answered and stored
            return
        turn, shown = self._turn, _Shown(self._turn)
        if pending := turn.pending():
            model, request = pending
            with turn.model_call():
                for piece in model.stream(request):
                    yield from shown.take(piece)
        self.reply = turn.finish(shown)
        yield from shown.rest(self.reply.text)


class AsyncReplyStream:
    """:class:`ReplyStream` for asyncio; the stages around the model run in a worker thread."""

    def __init__(self, begin: Callable[[], Awaitable[_Turn]]) -> None:
        self._begin = begin
        self.reply: Reply | None = None

    async def __aiter__(self) -> AsyncIterator[str]:
        if self.reply is not None:  # read once: the turn is already answered and stored
            return
        turn = await self._begin()
        shown = _Shown(turn)
        if pending := turn.pending():
            model, request = pending
            with turn.model_call():
                async for piece in model.astream(request):
                    for text in shown.take(piece):
                        yield text
        self.reply = await turn.afinish(shown)
        for text in shown.rest(self.reply.text):
            yield text


class _Shown:
    """What a stream has shown: whole sentences only, each cleared by the post-filter first.

    The answer so far is reviewed up to its last sentence end; what the review lets through
    beyond what was already shown goes out. If a later sentence turns the verdict to a
    fallback or handoff, nothing more of the answer is shown.
    """

    def __init__(self, turn: _Turn) -> None:
        self.turn = turn
        self.answer = ""
        self.emitted = ""  # as the customer saw it, their details restored
        self.cleared = ""  # the same, as the post-filter passed it (placeholders kept)
        self.reviewed = 0  # how much of the answer the post-filter has seen
        self.stopped = False

    def take(self, piece: str | Completion) -> Iterator[str]:
        """A piece of the model's stream in; whatever may now be shown out."""
        if isinstance(piece, Completion):
            self.turn.model_answered(piece)
            return
        self.answer += piece
        end = max((m.end() for m in _SENTENCE_END.finditer(self.answer, self.reviewed)), default=0)
        if self.stopped or end <= self.reviewed:
            return
        self.reviewed = end
        reviewed = self.turn.review(self.answer[:end])
        shown = reviewed.shown or reviewed.text
        if reviewed.verdict != "pass" or not shown.startswith(self.emitted):
            self.stopped = True
            return
        if new := shown[len(self.emitted) :]:
            self.emitted, self.cleared = shown, reviewed.text
            yield new

    def rest(self, final: str) -> Iterator[str]:
        """The end of the final reply text, after what was already shown."""
        if final.startswith(self.emitted) and (tail := final[len(self.emitted) :]):
            yield tail


class _Clock:
    """Times each stage of one turn, in milliseconds."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}

    def time(self, stage: str, run: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        start = time.perf_counter()
        try:
            return run(*args, **kwargs)
        finally:
            self.laps[stage] = self.laps.get(stage, 0.0) + (time.perf_counter() - start) * 1000
