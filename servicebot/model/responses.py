"""The server's answers read into a :class:`Completion`: a ChatCompletion, or a stream's
chunks joined back together. The SDK validates neither, so this does.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

from .client import Completion, ModelError, Usage
from .echoes import without_echo
from .failures import RETRIED_KINDS, event_kind, reported_kind
from .reasoning import AnswerBegins, Reasoning, ReasoningSplit
from .sdk import openai_sdk


def completion_of(response: Any) -> Completion:
    """The answer in a ChatCompletion; the SDK does not validate it, so this does."""
    if not isinstance(response, openai_sdk().types.chat.ChatCompletion) or not response.choices:
        raise ModelError("broken_response", "the response has no choices")
    choice = response.choices[0]
    message = choice.message
    text = message.content if message else None
    refusal = _refusal(getattr(message, "refusal", None))
    thought = thought_of(message)
    # No content, but an answer of a kind: declined (a refusal), all reasoning (the token
    # limit came first), or a call of a tool the bot never offered. Each is a fallback that
    # says why, with the tokens it used, as a stream's is (see turn.py's _declined).
    if text is None and (refusal is not None or thought or getattr(message, "tool_calls", None)):
        text = ""
    if not isinstance(text, str):
        raise ModelError("broken_response", "the response has no message content")
    usage, model = _usage(response.usage), response.model or ""
    return Completion(text, choice.finish_reason, usage, model, refusal, reasoning=thought)


def thought_of(message: Any) -> int:
    """How long the reasoning is in a message's (or a delta's) field of its own, which vLLM
    with a reasoning parser, DeepSeek and Ollama send: counted, never read as the answer."""
    for name in ("reasoning_content", "reasoning"):
        if isinstance(text := getattr(message, name, None), str) and text:
            return len(text)
    return 0


def _refusal(text: Any) -> str | None:
    return text if isinstance(text, str) else None


def _usage(usage: Any) -> Usage | None:
    """The token counts the server reports; None when it reports none, or counts that are not
    whole numbers a store can keep (the SDK does not check them): an odd count must not cost
    a good answer."""
    try:
        prompt, completion = (
            _token_count(usage.prompt_tokens),
            _token_count(usage.completion_tokens),
        )
    except AttributeError:  # no usage, or not an object at all
        return None
    return Usage(prompt, completion) if prompt is not None and completion is not None else None


_MOST_TOKENS = 2**53  # more than any request, and less than a store's 64-bit integer


def _token_count(value: Any) -> int | None:
    """A reported count as an int (0 if absent); None if it is not a whole number in range."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if 0 <= value < _MOST_TOKENS and value == int(value) else None


def answer_of(body: bytes, response: Any) -> Completion:
    """A 200's body read as one ChatCompletion: the answer to ``complete``, or to a stream
    from a server or proxy that ignores ``"stream": true``. JSON is read whatever its label,
    as the SDK reads it; a body that is not JSON (a proxy's error page) is a broken response
    that says what came instead, where the SDK handed back its text and it read as "no
    choices". Neither is retried (the SDK retries no 200); read as a stream, a body with no
    events ended like a dropped connection, and was asked for again. A body that is an error,
    ``{"error": {...}}``, is a :class:`ReportedError`. ``response`` (the HTTP response) says
    what its content type was."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        content_type = str(response.headers.get("content-type", ""))
        raise ModelError("broken_response", _not_json(body, content_type, exc)) from exc
    if not isinstance(data, dict):
        kind = _JSON_KINDS.get(type(data), "a value")
        raise ModelError(
            "broken_response", f"the server answered 200 with {kind} in JSON, not an answer"
        )
    if isinstance(error := data.get("error"), dict) and not data.get("choices"):
        raise ReportedError.of(error)
    # construct() is the SDK's own reading of a JSON answer: unvalidated, nested models
    # built, as completion_of expects.
    return completion_of(openai_sdk().types.chat.ChatCompletion.construct(**data))


class ReportedError(ModelError):
    """A 200 whose whole body is an error, ``{"error": {...}}``, as some OpenAI-compatible
    proxies answer when their model is overloaded: the HTTP error it stands for, of its kind
    (read as a stream's error event is). It was a broken response with "no choices", never
    retried; one of a kind the SDK retries as a status is now asked for again (see
    ``OpenAIClient.complete``), sharing ``max_retries`` with the SDK's retries."""

    @classmethod
    def of(cls, error: dict[str, Any]) -> ReportedError:
        named = error.get("type") or error.get("code") or error.get("status") or "no type"
        message = error.get("message")
        said = without_echo(message) if isinstance(message, str) and message else "no message"
        detail = f"the server answered 200 with an error ({named}): {said}"
        return cls(reported_kind(error), detail[:300])

    @property
    def retried(self) -> bool:
        """Whether the SDK retries the HTTP error it stands for (a 500, a 429)."""
        return self.kind in RETRIED_KINDS


# What JSON calls the values that are not an object, for a message: "a JSON NoneType" read as
# Python's words.
_JSON_KINDS = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "true or false",
    type(None): "null",
}


def _not_json(body: bytes, content_type: str, exc: ValueError) -> str:
    """What came instead of JSON: where broken JSON breaks (not its text, which may hold the
    answer, and the customer's details in it), or the start of a page that is not JSON."""
    media = content_type.partition(";")[0].strip().lower()
    if media.endswith("json"):
        return f"the server answered 200 with broken JSON ({type(exc).__name__}: {exc})"
    label = media or "no content type"
    return f"the server answered 200 with {label}, not JSON: {_excerpt(body)}"


def _excerpt(body: bytes, most: int = 60) -> str:
    """The start of a body, on one line and printable, for a log: ``'<html>502 Bad…'``."""
    text = " ".join(body[: most * 4].decode("utf-8", "replace").split())
    return repr(text if len(text) <= most else text[:most] + "…")


def _unread(chunk: Any) -> str:
    """A stream chunk that is no ChatCompletionChunk, for a log: its type, its length and
    its start as echoes.py keeps a server's message (``dict of 412 characters: { … [411
    characters withheld]``). Not its repr: a chunk may carry the prompt's or the answer's
    text, the customer's details in it."""
    text = str(chunk)
    return f"{type(chunk).__name__} of {len(text)} characters: {without_echo(text, 40)}"


class Joined:
    """A streamed answer put back together from its chunks: its ``parts`` are the answer,
    the reasoning before it held back and dropped as it comes (see reasoning.py). Reasoning
    passed on before a lone ``</think>`` showed what it was (auto) is in ``parts`` before
    ``answer_from``: shown, but never the answer."""

    def __init__(
        self, may_retry: bool = False, reasoning: Reasoning = "off", model: str = ""
    ) -> None:
        self.split = ReasoningSplit(reasoning, model=model)
        self.thought = 0  # characters of reasoning in a field of its own
        self.parts: list[str] = []
        self.answer_from = 0  # the first of the parts that is answer
        self._begins = False  # the next text passed on is where the answer begins
        self.refusal: list[str] = []
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.model = ""
        self.may_retry = may_retry
        self.dropped = ""  # why it was lost before any text, and may be asked for again

    def add(self, chunk: Any) -> str:
        if not isinstance(chunk, openai_sdk().types.chat.ChatCompletionChunk):
            raise ModelError("broken_response", f"an unreadable stream chunk: {_unread(chunk)}")
        self.model = chunk.model or self.model
        self.usage = _usage(chunk.usage) or self.usage
        if not chunk.choices:
            return ""
        choice = chunk.choices[0]
        self.finish_reason = choice.finish_reason or self.finish_reason
        text = choice.delta.content if choice.delta else None
        if text is not None and not isinstance(text, str):  # a list of parts, from some servers
            raise ModelError("broken_response", "a stream chunk's content is not text")
        self.thought += thought_of(choice.delta)
        text = self._passed(self.split.feed(text)) if text else ""
        if refusal := _refusal(getattr(choice.delta, "refusal", None)):
            self.refusal.append(refusal)
        return text or ""

    def _passed(self, text: str) -> str:
        """What of ``text`` (what the split gave) is passed on: after a lone ``</think>``,
        only the answer, marked where it begins (the reasoning in the same piece was not
        passed on yet, and need not be)."""
        if (at := self.split.answer_at) is not None:
            self.split.answer_at, self.answer_from, self._begins = None, len(self.parts), True
            text = text[at:]
        if text and self._begins:
            text, self._begins = AnswerBegins(text), False
        if text:
            self.parts.append(text)
        return text

    @contextlib.contextmanager
    def cut_off(self) -> Iterator[None]:
        """A connection lost after part of the answer came is a broken answer, not an outage
        (one silent for longer than the timeout, a timeout); lost after the answer finished
        (only the usage chunk or [DONE] missing), no loss; lost or timed out before any text,
        ``dropped`` if it ``may_retry`` (the SDK's APIConnectionError, or its APITimeoutError
        for a stall). A timeout is retried as the SDK retries ``complete``'s (one that only
        kept the connection alive, too): the customer's wait is the operator's to bound, with
        ``timeout`` and ``max_retries``, the same for both. An error the server sent as an
        event (the SDK's bare APIError) is :meth:`_reported`'s; a whole body that is an error
        (:class:`ReportedError`, from a server that ignores ``"stream": true``), ``dropped``
        too if the SDK retries its kind.
        """
        sdk = openai_sdk()
        try:
            yield
        except ReportedError as exc:
            if not (self.may_retry and exc.retried):
                raise
            self.dropped = str(exc)
        except sdk.APIConnectionError as exc:
            stalled = isinstance(exc, sdk.APITimeoutError)
            if self.finish_reason is not None:
                return
            if not self.parts:
                if self.may_retry:
                    stall = "no event came within model.timeout"
                    self.dropped = stall if stalled else "the connection dropped"
                    return
                raise
            if stalled:
                raise ModelError("timeout", "the stream stalled mid-answer") from exc
            raise ModelError("broken_response", "the stream was cut off mid-answer") from exc
        except sdk.APIError as exc:
            self._reported(exc)

    def _reported(self, exc: Exception) -> None:
        """An error event, ``{"error": {"type": "server_error", ...}}``, is the HTTP error it
        stands for: before any text, ``dropped`` if it ``may_retry`` and the SDK retries that
        error (an overloaded server, a rate limit), as it would a 500 or a 429 (it was a
        broken response, never retried). Otherwise a ModelError of its kind; after text was
        shown it cannot be asked for again: the customer saw the start of an answer."""
        kind, first = event_kind(exc), not self.parts and self.finish_reason is None
        where = "before the first word" if first else "mid-answer"
        named = getattr(exc, "type", None) or getattr(exc, "code", None) or "no type"
        said = without_echo(str(getattr(exc, "message", None) or exc))  # see echoes.py
        detail = f"the stream sent an error {where} ({named}): {said}"[:300]
        if first and self.may_retry and kind in RETRIED_KINDS:
            self.dropped = detail
            return
        raise ModelError(kind, detail) from exc

    def ended(self) -> None:
        """The stream's body ended. Before any text and any finish reason, that is a drop too:
        a response framed by closing its connection (no chunked encoding) ends this way when
        the connection is lost, with no error to tell it from a proper end."""
        if self.may_retry and not self.parts and self.finish_reason is None:
            self.dropped = "the stream ended with no answer"

    def finished(self, attempts: int = 1) -> Iterator[str | Completion]:
        """The end of the stream's parts: what was held that turns out to be answer (content
        with no </think> after all), if any, then the answer, from the ``attempts`` requests
        it took."""
        if self.finish_reason is None:
            raise ModelError("broken_response", "the stream ended before the answer finished")
        if held := self._passed(self.split.end(self.finish_reason)):
            yield held
        refusal = "".join(self.refusal) if self.refusal else None
        text = "".join(self.parts[self.answer_from :])
        reasoning = self.split.removed + self.thought
        yield Completion(
            text, self.finish_reason, self.usage, self.model, refusal, attempts, reasoning
        )
