"""One turn in progress, from the stored conversation to the :class:`Reply` it becomes.

:class:`~servicebot.pipeline.Bot` starts a :class:`Turn` for each customer message (see
``turnstart.py``) and runs the stages; the turn keeps what each one decided (a :class:`Step` of
the trace), decides the reply from that, and stores it. It never raises for a model outage or a
store failure: the outage gets a fallback (the FAQ's answer when routing is sure, else a
handoff), and a turn that could not be stored is reported in the trace and the log. A key or
model the server refuses (a :class:`~servicebot.errors.ConfigError`) is stored as an outage is,
then raised. The reply and its steps are in ``reply.py``, the action a turn ends with and the
fallback's reply in ``actions.py``, what the stages before the model decided (:class:`Prepared`)
and the trace of them in ``turnprepared.py``, the model call (the answer cache, the outage, the
tokens used) in ``turnmodel.py``, the store's side of a turn in ``turnstorage.py``; streaming is
in ``stream.py``.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, cast

from .actions import answered_action, canned_action, fallback_reply
from .errors import ConfigError
from .filters import FilterEvent, FilterResult
from .filters.placeholders import restore
from .handover import Spoken, cut_events
from .model import Completion, ModelRequest, Usage
from .postfilter import last_sentence_end, whole_sentences
from .prompt import Context, reply_language
from .reply import Action, Fallback, Reply, Step, elapsed_ms
from .turnmodel import TurnModelCall
from .turnprepared import Prepared as Prepared
from .turnprepared import TurnPrepared
from .turnstorage import TurnStorage

if TYPE_CHECKING:
    from .pipeline import Bot
    from .shown import Shown
    from .store import TurnRecord
    from .store.leases import Lease

log = logging.getLogger("servicebot")


class Turn(TurnPrepared, TurnModelCall, TurnStorage):
    """One turn in progress: what each stage decided, for the reply and the store."""

    def __init__(
        self,
        bot: Bot,
        conversation_id: str,
        metadata: Mapping[str, Any] | None,
        message_id: str | None = None,
        person: Spoken | None = None,
    ) -> None:
        self.bot, self.conversation_id, self.metadata = bot, conversation_id, metadata
        self.message_id = message_id
        self.person = person  # a person's turn: what they wrote (see handover.py)
        self.person_written: FilterResult | None = None  # masked and cut: see _handed_over
        self.with_person = False  # set as the conversation loads: a person has it
        self.repeat: TurnRecord | None = None  # see find_repeat
        self.leases: list[Lease] = []  # held in the store until stored: see turnclaim.py
        # On each record the servicebot logger emits during the turn (see turnlog.py).
        self.log_fields: dict[str, str | int | None] = {
            "conversation_id": conversation_id,
            "bot": bot.spec.settings.name,
            "turn": None,  # its number, once its conversation is loaded: see TurnStorage.load
        }
        self.started = time.perf_counter()
        self.trace: list[Step] = []
        self.request: ModelRequest | None = None
        # The conversation's placeholder state: as stored (None: none yet), and as this turn
        # loaded it (None: the load failed, and nothing may be written over the store's).
        self.stored_state: dict[str, Any] | None = None
        self.loaded_placeholders: dict[str, Any] | None = None
        self.lost_races = 0  # turns of the conversation that kept their placeholders first
        self.unkept: str | None = None  # why this turn's placeholders could not be kept
        self.completion: Completion | None = None
        self.model_started: float | None = None  # None: the model was never asked
        # Who stores a turn whose async caller is cancelled before the model call: the worker
        # thread preparing it ("thread"), until it hands it back ("caller") or is left it.
        self._owner: Literal["thread", "caller", "left"] = "thread"
        self._handing = threading.Lock()
        self._writing = 0  # writes handed to a worker thread: see written_off_loop
        self.model_failure: str | None = None  # the kind of ModelError the call ended with
        self.setup_error: ConfigError | None = None  # raised once the turn is stored
        self.cache_key: str | None = None  # where to keep the model's answer, if it passes
        self._reviewed: tuple[str, FilterResult] | None = None  # the last answer reviewed
        self._sent_parts: tuple[ModelRequest | None, str, str] | None = None  # see _sent
        self.place = None  # taken in turnstart.py, before the conversation is loaded

    @property
    def language(self) -> str:
        return self.prep.language

    @property
    def context(self) -> Context:
        """What a reply rendered after the model (a handoff) may read."""
        flags, script, routing = self.prep.filtered.flags, self.prep.script, self.prep.routing
        matches = routing.matches if routing else ()
        other_script = routing.unspoken if routing else None
        customer = self.prep.customer  # screened by the pre-filter once, as the prompt got them
        return Context(self.language, matches, False, flags, customer, script, other_script)

    def review(self, answer: str) -> FilterResult:
        """The post-filter's verdict on (the start of) the model's answer: once for a stream's
        whole answer, which its last sentence and the end of the turn both ask about."""
        if self._reviewed is None or self._reviewed[0] != answer:
            system, said = self._sent()
            values = self.prep.filtered.values
            language = reply_language(self.language, self.prep.script)
            result = self.bot.postfilter.run(answer, system, values, language, said)
            self._reviewed = (answer, result)
        return self._reviewed[1]

    def _sent(self) -> tuple[str, str]:
        """The system prompt and the customer's messages the model was sent (the history's
        and this one: "I paid $45.99" may be said back), joined once per request: a stream
        reviews its answer at every sentence end. Not the bot's own earlier answers: an
        amount the model made up in one turn would be given by the history in the next."""
        if self._sent_parts is None or self._sent_parts[0] is not self.request:
            messages = self.request.messages if self.request else ()
            system = messages[0].content if messages else ""
            said = "\n".join(m.content for m in messages[1:] if m.role == "user")
            self._sent_parts = (self.request, system, said)
        return self._sent_parts[1], self._sent_parts[2]

    def finish(self, streamed: Shown | None = None) -> Reply:
        """Decide the reply from what the stages did, store the turn, and return it."""
        return self.save(self.decide(streamed))

    async def afinish(self, streamed: Shown | None = None) -> Reply:
        """:meth:`finish` with the store write off the event loop."""
        reply = self.decide(streamed)
        return await self.written_off_loop(lambda: self.save(reply))

    async def astopped(self, streamed: Shown) -> Reply | None:
        """:meth:`stopped` with the store write off the event loop, where a store that waits
        (a Redis server that stopped answering, another process's SQLite lock) would hold up
        every other request. Shielded: the caller is being cancelled, and a second cancel
        leaves the write to finish in its thread."""
        import asyncio  # here, not at the top: see pipeline.py

        return await asyncio.shield(self.written_off_loop(lambda: self.stopped(streamed)))

    def stopped(self, streamed: Shown) -> Reply | None:
        """The caller stopped reading a stream, or cancelled ``areply`` (a client went away):
        store what it was shown, so that the next turn has it as history, with the prompt's
        exact tokens and those of the answer that had arrived. Never raises: the caller is
        already leaving."""
        self.trace.append(Step("model", "stopped by the caller", self._model_ms()))
        self.stored_text = streamed.cleared
        # Stopped before the model call (while the store was read): no tokens were spent.
        asked = self.model_started is not None
        usage = self._counted_usage(streamed.answer) if asked else None
        reviewed = self._reviewed[1].events if self._reviewed else ()
        stopped = FilterEvent("model", "caller", "stopped", "kept")  # history shows the cut
        events = (*self.prep.filtered.events, *reviewed, stopped)
        reply = self._reply(streamed.emitted, self._finished_action(), usage, events)
        try:
            return self.save(reply)
        except Exception:  # a StorageError is handled in save: this is a bug, but logged
            log.exception("conversation %s: stopped stream not stored", self.conversation_id)
            return None

    def _finished_action(self) -> Action:
        """The action the turn would have had, answered: a stopped turn is stored with it."""
        if self.with_person:
            return "with_person"
        if self.prep.reply is None:
            return answered_action(self.prep.routing)
        # A direct answer, handoff or block, stopped unshown.
        return canned_action(self.prep.routing, self.bot.spec.settings.routing)

    def decide(self, streamed: Shown | None = None) -> Reply:
        """The reply, before it is stored. ``streamed``: what a stream already showed."""
        if self.repeat is not None:
            return self._repeated(self.repeat)
        if self.person is not None or self.with_person:
            return self._handed_over()
        prep, routing = self.prep, self.prep.routing
        events = list(prep.filtered.events)
        stored = shown = ""
        action: Action
        fallback: Fallback | None = None
        completion = self.completion
        if completion is not None and (declined := completion.declined()):
            # The provider's own filter stopped the answer (what came is unfinished, and may be
            # what it objected to), or the model refused. Answered as if none came: never sent,
            # never cached; the tokens it used are still counted.
            events.append(FilterEvent("postfilter", "model", declined, "fallback"))
            completion = None
        if prep.reply is not None:
            action = canned_action(routing, self.bot.spec.settings.routing)
            stored, shown = prep.reply, self._shown(prep.reply)
        elif completion is not None:
            start = time.perf_counter()
            answer, cut_off = _finished(completion)
            reviewed = self.review(answer)
            events += reviewed.events
            if cut_off:
                events.append(FilterEvent("postfilter", "length", "cut_off", "repair"))
            repaired = cut_off or any(event.action == "repair" for event in reviewed.events)
            decision = reviewed.verdict + (" (repaired)" if repaired else "")
            details = {"events": [str(event) for event in events if event.stage == "postfilter"]}
            self.trace.append(Step("postfilter", decision, elapsed_ms(start), details))
            if reviewed.verdict == "pass":
                action = answered_action(routing)
                stored, shown = reviewed.text, reviewed.shown or reviewed.text
                # A repaired answer is not kept: asked again, the model may get it right.
                if self.cache_key is not None and self.bot.cache is not None and not repaired:
                    self.bot.cache.put(self.cache_key, completion.text)
            elif reviewed.verdict == "handoff":
                action = "handoff"
                stored = self.bot.renderer.reply("handoff.j2", self.context)
                shown = self._shown(stored)
            else:
                action, (stored, fallback) = "fallback", self.fall_back()
                shown = self._shown(stored)
        else:
            if self.model_failure is not None:  # kept with the turn: why it fell back
                events.append(FilterEvent("model", "model", self.model_failure, "fallback"))
            action, (stored, fallback) = "fallback", self.fall_back()
            shown = self._shown(stored)
        if streamed is not None and streamed.emitted and not shown.startswith(streamed.emitted):
            # What was shown cannot be taken back: keep it, then the fallback or handoff; or,
            # when a repair changed some of it, the answer again from the sentence it changed.
            again = action == answered_action(routing) and completion is not None
            shown = f"{streamed.emitted}\n\n{_after(streamed.emitted, shown) if again else shown}"
            stored = (
                f"{streamed.cleared}\n\n{_after(streamed.cleared, stored) if again else stored}"
            )
        usage = self.completion.usage if self.completion else None
        if usage is None and streamed is not None and streamed.answer:  # a stream cut mid-answer
            usage = self._counted_usage(streamed.answer)  # was billed for what it sent
        self.stored_text = stored
        return self._reply(shown, action, usage, tuple(events), fallback)

    def _handed_over(self) -> Reply:
        """A turn of a conversation a person has: the person's message, returned as they
        wrote it and stored with the customer's values as the conversation's placeholders
        (the shop's own text otherwise, as handoff.j2's is: the post-filter reviews a
        model's answers, and would strip an amount or link an agent gives on purpose); or
        the customer's, left for the person to answer, with no reply to send. No model is
        asked.

        The model reads the person's message later as it is stored, masked: it reads the
        customer's so, and an agent's "I'll call you on 415 555 2671" after the customer's
        "call me on [PHONE_1]" is then "on [PHONE_1]", the same value by the same name. Shown
        raw, it would be the one value the model is sent in full, for its answer to repeat;
        and the store would hold it where no erasure request (``history --holding``,
        ``purge --holding``) finds it. Past ``prefilter.max_chars`` it is stored cut, as a
        customer's message is (see :func:`~servicebot.handover.cut_events`), returned whole."""
        action: Action = "person" if self.person is not None else "with_person"
        self.stored_text = self.person_written.text if self.person_written else ""
        decision = "a person's message" if self.person is not None else "left to the person"
        cut = cut_events(self.person_written)
        self.trace.append(Step("person", decision, 0.0, {"events": [str(e) for e in cut]}))
        events = self.prep.filtered.events + cut
        text = self.person.text if self.person is not None else ""
        return Reply(text, action, self.conversation_id, events=events)

    def _repeated(self, record: TurnRecord) -> Reply:
        """The reply of the turn stored for this message already, as the customer read it:
        its placeholders shown as the message's own values again (the same message has
        them), or a person's message as they wrote it again, marked ``repeated``. No model
        was asked, and nothing is stored."""
        self.stored_text = record.reply_text
        said = self.prep.filtered.values
        return Reply(
            self.person.text if self.person else self._shown(record.reply_text, said),
            cast(Action, record.action),
            self.conversation_id,
            record.intent,
            record.score,
            turn=record.number,
            events=record.events,
            fallback=cast(Fallback | None, record.fallback),
            repeated=True,
        )

    def _shown(self, canned: str, said: Mapping[str, str] | None = None) -> str:
        """A canned reply as the customer reads it: a customer detail it shows (``{{
        customer.email }}``) is stored as its placeholder, and shown as their own value; so is
        one of the values the customer ``said``, for a repeat."""
        values = {
            **(said or {}),
            **(self.prep.customer.masked_values if self.prep.customer else {}),
        }
        kinds = self.bot.spec.settings.postfilter.restore_pii
        language = reply_language(self.language, self.prep.script)  # 您的電子郵件 if traditional
        return restore(canned, values, language, kinds) if values and kinds else canned

    def fall_back(self) -> tuple[str, Fallback]:
        """The fallback's text and what it is, noted on the trace step that caused it (the
        model's, or the post-filter's): a handoff there promises the customer a person."""
        text, fallback = fallback_reply(self.bot, self.prep.routing, self.context)
        for i, step in reversed(list(enumerate(self.trace))):
            if step.stage in ("model", "postfilter"):
                detail = {**step.detail, "fallback": fallback}
                self.trace[i] = dataclasses.replace(step, detail=detail)
                break
        return text, fallback

    def _reply(
        self,
        text: str,
        action: Action,
        usage: Usage | None,
        events: tuple[FilterEvent, ...],
        fallback: Fallback | None = None,
    ) -> Reply:
        """The reply showing ``text``, with the intent the turn is about (Routing.chosen): a
        handoff names the handoff intent that caused it, not a better match that answers."""
        best = self.prep.routing.chosen if self.prep.routing else None
        return Reply(
            text,
            action,
            self.conversation_id,
            best.intent.name if best else None,
            best.score if best else None,
            usage,
            events=events,
            fallback=fallback,
        )


def _after(shown: str, answer: str) -> str:
    """``answer`` from the last sentence it shares with what a stream ``shown`` already, for
    a repair that reached shown text ("help@maple-pay。" before "com" made it an address): the
    customer reads the repaired sentence again, not the whole answer twice."""
    pairs = enumerate(zip(shown, answer, strict=False))
    same = next((i for i, (a, b) in pairs if a != b), min(len(shown), len(answer)))
    return answer[last_sentence_end(answer[:same]) :].lstrip()


def _finished(completion: Completion) -> tuple[str, bool]:
    """The model's answer as it may be shown, and whether its token limit broke it off: then
    only its whole sentences are kept (and it is never cached)."""
    if completion.finish_reason != "length":
        return completion.text, False
    return whole_sentences(completion.text), True
