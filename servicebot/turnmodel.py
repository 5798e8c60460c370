"""A turn's model call: :class:`TurnModelCall` answers an opening question from the answer
cache, says whether the model still has to be asked, times the call, and notes on the trace
what came back (the tokens it used, counted here when the server sent none) or why nothing
did: an outage, which the turn answers with a fallback, or a key or model the server refuses,
whose ConfigError is raised once the turn is stored. What the turn then makes of the answer
is in ``turn.py``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .budget.estimate import compare_counts
from .cache import AnswerCache, cache_key
from .errors import ConfigError
from .model import Completion, ModelClient, ModelError, ModelRequest, Usage
from .reply import Reply, Step, elapsed_ms

if TYPE_CHECKING:
    from .handover import Spoken
    from .pipeline import Bot
    from .store import TurnRecord
    from .turn import Prepared

log = logging.getLogger("servicebot")


class TurnModelCall:
    """The model's side of a :class:`~servicebot.turn.Turn`, which sets what it reads."""

    bot: Bot
    conversation_id: str
    trace: list[Step]
    prep: Prepared
    request: ModelRequest | None
    repeat: TurnRecord | None
    person: Spoken | None  # a person's turn (see handover.py)
    with_person: bool  # a person has the conversation
    completion: Completion | None
    model_started: float | None
    model_failure: str | None
    setup_error: ConfigError | None
    cache_key: str | None

    def look_up(self, cache: AnswerCache) -> None:
        """Answer from the cache if this opening question was answered before."""
        start, routing = time.perf_counter(), self.prep.routing
        if routing is None or routing.follow_up or self.request is None:
            return
        self.cache_key = cache_key(self.request)
        answer = cache.get(self.cache_key)
        self.trace.append(Step("cache", "miss" if answer is None else "hit", elapsed_ms(start)))
        if answer is not None:
            self.completion, self.cache_key = Completion(answer, model="cache"), None

    def pending(self) -> tuple[ModelClient, ModelRequest] | None:
        """The model and the request to send it, if this turn still needs an answer."""
        if self.bot.model is None or self.request is None or self.completion is not None:
            return None
        if self.repeat is not None:  # answered already: see decide
            return None
        if self.person is not None or self.with_person:  # a person answers: see handover.py
            return None
        return self.bot.model, self.request

    @contextlib.contextmanager
    def model_call(self) -> Iterator[None]:
        """Time the model call; an outage is noted for the trace and answered by a fallback."""
        self.model_started = time.perf_counter()
        try:
            yield
        except ModelError as exc:
            said = f"{exc}{exc.tried()}"
            # Not asked, the model being paused: the breaker logged that once, as it opened.
            level = logging.DEBUG if exc.kind == "paused" else logging.WARNING
            log.log(
                level, "conversation %s: the model did not answer: %s", self.conversation_id, said
            )
            self._failed(exc.kind, exc.attempts, exc.paused_by)
        except ConfigError as exc:
            # A key or model the server refuses is the operator's to fix, so it is raised (see
            # raise_for_setup); but not before the customer's message is stored, as an
            # outage's is: raised from here, it was lost.
            # Marked raised: a handler may leave it to whoever catches it (servicebot chat).
            said = "conversation %s: the model cannot be used: %s"
            log.error(said, self.conversation_id, exc, extra={"raised": True})
            self.setup_error = exc
            self._failed("config_error")

    def _failed(self, kind: str, attempts: int | None = None, paused_by: str | None = None) -> None:
        self.model_failure = kind
        detail: dict[str, Any] = {"error": kind}
        if attempts is not None:  # requests sent, retries included; unknown for a recording
            detail["attempts"] = attempts
        if paused_by:  # not asked: the outage that paused the model (an on-call's first question)
            detail["paused_by"] = paused_by
        self.trace.append(Step("model", f"failed ({kind})", self._model_ms(), detail))

    def raise_for_setup(self, reply: Reply) -> None:
        """Raise the ConfigError the model call or the store met, once the turn is stored as
        ``reply`` (or, the store refusing its setup, answered unstored), which the error
        carries for the application to show."""
        if self.setup_error is not None:
            self.setup_error.reply = reply
            raise self.setup_error

    def _model_ms(self) -> float:
        return 0.0 if self.model_started is None else elapsed_ms(self.model_started)

    def model_answered(self, completion: Completion) -> None:
        detail: dict[str, Any] = {"model": completion.model, "finish": completion.finish_reason}
        detail["attempts"] = completion.attempts  # requests sent, retries included
        usage = completion.usage
        if usage is None:  # not sent (by the server, or in a recording), or a stream cut late
            usage = self._counted_usage(completion.text)
            detail["usage"] = "counted here: the answer came with none"
        if self.prep.fitted is not None:
            detail["prompt_tokens"] = usage.prompt_tokens
            detail["completion_tokens"] = usage.completion_tokens
            detail["budget_count"] = self.prep.fitted.used
            # The server's own count: is ours far off? (A recording's is no server's today.)
            if completion.usage is not None and not completion.replayed:
                compare_counts(detail, self.bot.counter.name)
        if completion.reasoning:  # how much, never what: it may quote the system prompt
            detail["reasoning"] = f"removed ({completion.reasoning} characters)"
        self.completion = dataclasses.replace(completion, usage=usage)
        declined = completion.declined()  # then the post-filter does not run: say why here
        decision = f"answered, but {declined}: fallback" if declined else "answered"
        most = self.request.params.get("max_tokens") if self.request else None
        if why := completion.missing(most):
            log.warning("conversation %s: %s", self.conversation_id, why)
            detail["why"] = why
        self.trace.append(Step("model", decision, self._model_ms(), detail))

    def _counted_usage(self, answer: str) -> Usage:
        """The tokens a model call used as our own count has them: the prompt as fitted and
        the answer that arrived. Exact for OpenAI's models, close for others."""
        fitted = self.prep.fitted
        return Usage(fitted.used if fitted else 0, self.bot.counter.count(answer))
