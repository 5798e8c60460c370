"""The :class:`ModelClient` protocol: the request it takes (:class:`ModelRequest`, built by
:func:`request_for` from the bot's model settings), the :class:`Completion` it gives, and the
:class:`ModelError` it raises when the model cannot answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ..errors import ServicebotError
from ..prompt import Message
from ..settings import ModelSettings

# "closed": the bot closed its own model client under the call (bot.close()); not the server.
# "content_filter": the provider's content filter refused the prompt (Azure's HTTP 400).
ErrorKind = Literal[
    "timeout",
    "rate_limit",
    "server_error",
    "connection",
    "rejected",
    "content_filter",
    "broken_response",
    "closed",
    "paused",
]  # paused: not asked at all, the model being paused after an outage (see breaker.py)
_SAMPLING = ("temperature", "max_tokens", "top_p", "seed")


class ModelError(ServicebotError):
    """The model could not answer, after the SDK's retries: the pipeline falls back.
    ``attempts``: the requests sent for it, when they are known (not for a recording);
    ``paused_by``: of a call not made (``paused``), the outage that paused the model, as
    :func:`outage_of` says it (``server_error (HTTP 503)``), for the turn's trace."""

    def __init__(
        self,
        kind: ErrorKind,
        detail: str,
        *,
        attempts: int | None = None,
        paused_by: str | None = None,
    ) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind, self.attempts, self.paused_by = kind, attempts, paused_by

    def tried(self) -> str:
        """How many requests it took, for a log line: ``" (3 attempts)"``; "" if not known."""
        if self.attempts is None:
            return ""
        return f" ({self.attempts} attempt{'s' if self.attempts != 1 else ''})"


def outage_of(kind: str, exc: BaseException | None) -> str:
    """A failed request in a few words: its ``kind`` and the HTTP status of ``exc`` (the SDK's
    error), if it had one: ``server_error (HTTP 503)``, ``timeout``."""
    status = getattr(exc, "status_code", None)
    return kind + (f" (HTTP {status})" if isinstance(status, int) else "")


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class Completion:
    """The model's answer."""

    text: str
    finish_reason: str | None = "stop"
    usage: Usage | None = None
    model: str = ""
    refusal: str | None = None  # why the model declined to answer (OpenAI's message.refusal)
    attempts: int = field(default=1, compare=False)  # requests sent: retries and re-asks too
    # Characters of reasoning the answer came with, never shown: removed from its content
    # (see reasoning.py), or in a field of their own (``reasoning_content``).
    reasoning: int = 0
    # From a recording (replay.Replayer), not a server: its usage is the count of the prompt
    # as recorded, which says nothing of how today's server counts this one.
    replayed: bool = field(default=False, compare=False)

    def declined(self) -> str | None:
        """Why the answer is not one to show: the provider's content filter stopped it
        ("content_filter"), the model refused ("refusal", OpenAI's ``message.refusal``), only
        reasoned ("reasoning_only": its answer never came), or asked to call a tool the bot
        never offered ("tool_calls")."""
        if self.finish_reason == "content_filter":
            return "content_filter"
        if self.refusal is not None:
            return "refusal"
        if self.text.strip():
            return None
        if self.reasoning:
            return "reasoning_only"
        return "tool_calls" if self.finish_reason == "tool_calls" else None

    def missing(self, max_tokens: Any = None) -> str | None:
        """Why a reasoning or tool-calling model gave no answer, and what to do, for the log
        and the trace; ``max_tokens``: the request's limit."""
        declined = self.declined()
        if declined == "tool_calls":
            return (
                "the model asked to call a tool instead of answering, and servicebot offers "
                "none: use a model (or a server setting) that answers in text"
            )
        if declined != "reasoning_only":
            return None
        if self.finish_reason == "length":
            spent = f"model.max_tokens ({max_tokens})" if max_tokens else "its token limit"
            return (
                f"the model spent {spent} on reasoning and gave no answer: raise model.max_tokens"
            )
        return "the model reasoned but gave no answer (its reasoning never ended with </think>)"


class Showing:
    """Whether a stream's reader has shown the customer any of it yet: set by the reader
    (shown.py's ``Shown``), read by the model's guard (guarded.py). Until then the turn's
    deadline holds, and a failure is an outage, however many words the model has sent: the
    reader shows a whole sentence at a time, once the post-filter has passed it."""

    def __init__(self) -> None:
        self.shown = False


@dataclass(frozen=True)
class ModelRequest:
    """One chat-completion request: the model, the messages, the sampling parameters; for a
    stream, the reader's :class:`Showing`, if it tells what it has shown (else the model's
    first piece counts as shown)."""

    model: str
    messages: tuple[Message, ...]
    params: Mapping[str, Any] = field(default_factory=dict)  # only those that are set
    showing: Showing | None = field(default=None, compare=False, repr=False)

    def body(self, *, stream: bool = False) -> dict[str, Any]:
        """The JSON body of ``POST /chat/completions``."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [message.as_dict() for message in self.messages],
            **self.params,
        }
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body


def request_for(settings: ModelSettings, messages: Sequence[Message]) -> ModelRequest:
    """The request for ``messages`` with the bot's model settings. With no model named (a
    client an application passes to ``Bot`` needs none), the request's model is empty."""
    params = {name: getattr(settings, name) for name in _SAMPLING}
    params = {name: value for name, value in params.items() if value is not None}
    if settings.stop:
        params["stop"] = list(settings.stop)
    return ModelRequest(settings.name or "", tuple(messages), params)


class ModelClient(Protocol):
    """What the pipeline needs from a model: the SDK client below, or recorded replies.

    ``stream`` yields the answer's text as it arrives, then one :class:`Completion` with
    the whole text, finish reason and usage.
    """

    def complete(self, request: ModelRequest) -> Completion: ...

    async def acomplete(self, request: ModelRequest) -> Completion: ...

    def stream(self, request: ModelRequest) -> Iterator[str | Completion]: ...

    def astream(self, request: ModelRequest) -> AsyncIterator[str | Completion]: ...


class AnswersAtOnce:
    """A :class:`ModelClient` made of ``complete`` alone: the async and streamed forms give
    the whole answer at once (replies written by hand, test doubles)."""

    def complete(self, request: ModelRequest) -> Completion:
        raise NotImplementedError

    async def acomplete(self, request: ModelRequest) -> Completion:
        return self.complete(request)

    def stream(self, request: ModelRequest) -> Iterator[str | Completion]:
        yield self.complete(request)

    async def astream(self, request: ModelRequest) -> AsyncIterator[str | Completion]:
        yield self.complete(request)
