"""The model stage: one chat completion through the official ``openai`` SDK.

It owns the request (messages and the sampling settings from ``servicebot.yaml``), the SDK
clients (built once per bot and reused: building one costs tens of milliseconds), and what a
failure means. Retries are the SDK's own (``max_retries``; it honours ``retry-after`` and
backs off), except that a server asking for a longer wait than ``max_retry_after`` gets
none: the customer is waiting. What is still failing after them becomes a
:class:`ModelError` with a kind, which the pipeline answers with a fallback; a missing,
rejected or misnamed key, model or server is the operator's to fix and raises
:class:`~servicebot.errors.ConfigError` instead.

Every OpenAI-compatible server (OpenAI, Azure, vLLM, Ollama, DeepSeek, Qwen) speaks the
chat-completions wire format, which is all this module uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import os
import random
import threading
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol

from .errors import ConfigError, ServicebotError
from .forking import forget_in_child
from .prompt import Message
from .settings import ModelSettings

if TYPE_CHECKING:  # imported on first use: the SDK takes 0.3 s to import, and `check` or an
    import openai  # offline chat never needs it

_IMPORTING = threading.Lock()
_SDK: list[ModuleType] = []  # the openai package, once imported


def _sdk() -> ModuleType:
    """The ``openai`` package, its chat types loaded, imported by one thread at a time.
    Threads importing it at once (the first turns of a threaded web server) saw it half
    initialised: "cannot import name ... from partially initialized module
    'openai.types.chat'", or no ``openai.Stream`` yet, and their turns fell back. Once it
    is imported, no lock is taken: this runs for every streamed chunk."""
    if not _SDK:
        with _IMPORTING:
            import openai
            import openai.types.chat

            _SDK[:] = [openai]
    return _SDK[0]


ErrorKind = Literal[
    "timeout", "rate_limit", "server_error", "connection", "rejected", "broken_response"
]
_SAMPLING = ("temperature", "max_tokens", "top_p", "seed")
# The SDK's create() walks every typed parameter of every message before sending (about 7 ms
# for a 32-message prompt). Our body is plain JSON types already, so it goes to the same
# endpoint through the SDK's own post(): the same auth, retries, errors and response types.
_PATH = "/chat/completions"
_OPTIONS: Any = {"security": {"bearer_auth": True}}


class ModelError(ServicebotError):
    """The model could not answer, after the SDK's retries: the pipeline falls back."""

    def __init__(self, kind: ErrorKind, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


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


@dataclass(frozen=True)
class ModelRequest:
    """One chat-completion request: the model, the messages, the sampling parameters."""

    model: str
    messages: tuple[Message, ...]
    params: Mapping[str, Any] = field(default_factory=dict)  # only those that are set

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


class _LoopClient(NamedTuple):
    client: openai.AsyncOpenAI
    closer: AsyncGenerator[None, None]


class OpenAIClient:
    """Chat completions through the ``openai`` SDK, for any OpenAI-compatible server."""

    def __init__(self, settings: ModelSettings, settings_file: Path) -> None:
        self.settings = settings
        self._settings_file = settings_file
        self._forget_connections()
        forget_in_child(self)

    def _forget_connections(self) -> None:
        """Start with no SDK client: at creation, and in a forked child (see forking.py)."""
        self._sync: openai.OpenAI | None = None
        self._building = threading.Lock()
        # An async client's connections belong to the event loop that opened them; each is
        # kept with the generator that closes it when asyncio.run finishes its loop.
        self._async: dict[asyncio.AbstractEventLoop, _LoopClient] = {}
        self._making: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}

    def api_key(self) -> str:
        """The key from the environment variable the settings name (never from YAML)."""
        name = self.settings.api_key_env
        key = os.environ.get(name, "").strip()
        if not key:
            raise ConfigError.at(
                self._settings_file,
                f"model.api_key_env: the environment variable {name} is not set; set it to "
                f"the API key for {self.settings.base_url or 'the OpenAI API'}, or remove "
                "model.name to answer from the FAQ alone",
            )
        return key

    def _options(self) -> dict[str, Any]:
        return {
            "api_key": self.api_key(),
            "base_url": self.settings.base_url,
            "timeout": self.settings.timeout,
            "max_retries": self.settings.max_retries,
        }

    @property
    def client(self) -> openai.OpenAI:
        with self._building:  # threads calling at once share one client and its pool
            if self._sync is None:
                sdk = _sdk()
                options = self._options()  # first: a missing key raises before any pool
                http = sdk.DefaultHttpxClient(event_hooks=self._hooks())
                self._sync = sdk.OpenAI(**options, http_client=http)
                # The SDK closes a pool it made when its client is collected (a bot never
                # closed), but not one passed in: so this one is closed the same way.
                weakref.finalize(self._sync, http.close).atexit = False
        return self._sync

    async def async_client(self) -> openai.AsyncOpenAI:
        """The running event loop's client: made on first use, closed with the loop."""
        loop = asyncio.get_running_loop()
        if loop not in self._async:
            # A loop closed without finalising its generators. list() copies the keys in
            # one step: threads running loops of their own add and remove theirs meanwhile.
            for closed in [old for old in list(self._async) if old.is_closed()]:
                self._async.pop(closed, None)
            # One turn makes it; the loop's other turns, a burst of them at a worker's start,
            # wait for that one (each making its own took 300 clients for 300 turns). Shielded:
            # a turn cancelled meanwhile leaves the making to finish for the others.
            if (making := self._making.get(loop)) is None:
                making = self._making[loop] = loop.create_task(self._make_async_client(loop))
            await asyncio.shield(making)
        return self._async[loop].client

    async def _make_async_client(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            # The first import of the SDK takes about 0.4 s, and a client's TLS context some
            # 20 ms more: made in a worker thread, while the loop's other turns go on.
            client = await asyncio.to_thread(self._new_async_client)
            closer = self._closed_with(loop, client)
            await anext(closer)  # suspended until the loop finalises it
            self._async[loop] = _LoopClient(client, closer)
        finally:
            self._making.pop(loop, None)

    def _new_async_client(self) -> openai.AsyncOpenAI:
        sdk = _sdk()
        options = self._options()
        hooks = {
            stage: [_awaitable(hook) for hook in each] for stage, each in self._hooks().items()
        }
        http = sdk.DefaultAsyncHttpxClient(event_hooks=hooks)
        client: openai.AsyncOpenAI = sdk.AsyncOpenAI(**options, http_client=http)
        return client

    def _hooks(self) -> dict[str, list[Callable[[Any], None]]]:
        """The httpx event hooks of every attempt: its deadline, and waits refused."""
        from .deadline import deadline, started  # imports httpx2, as the SDK does

        refuse = _refusing_waits_over(self.settings.max_retry_after)
        return {"request": [started], "response": [refuse, deadline(self.settings.timeout)]}

    async def _closed_with(
        self, loop: asyncio.AbstractEventLoop, client: openai.AsyncOpenAI
    ) -> AsyncGenerator[None, None]:
        """Closes ``client`` when its loop ends. ``asyncio.run`` finalises every suspended
        async generator while the loop still runs, just before closing it: so an application
        that runs each request in its own loop (a sync view, a task queue) leaves no client
        or socket behind, and none it could never close (a closed loop's sockets cannot be)."""
        try:
            yield
        finally:
            self._async.pop(loop, None)
            await client.close()

    def close(self) -> None:
        """Close the connections of the blocking client."""
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    async def aclose(self) -> None:
        """Close the connections the running event loop's client holds."""
        kept = self._async.get(asyncio.get_running_loop())
        if kept is not None:
            await kept.closer.aclose()

    def complete(self, request: ModelRequest) -> Completion:
        with self._failures():
            client = self.client
            chat = _sdk().types.chat
            response = client.post(
                _PATH, cast_to=chat.ChatCompletion, body=request.body(), options=_OPTIONS
            )
            return _completion(response)

    async def acomplete(self, request: ModelRequest) -> Completion:
        with self._failures():
            client = await self.async_client()  # imports the SDK off the event loop
            chat = _sdk().types.chat
            response = await client.post(
                _PATH, cast_to=chat.ChatCompletion, body=request.body(), options=_OPTIONS
            )
            return _completion(response)

    # The SDK retries a stream only until its headers arrive. One whose connection drops
    # after them but before any text (or whose body ends there, unfinished) is asked for
    # again, as often as ``max_retries`` allows, after the SDK's pause (see _pause):
    # the customer has seen nothing, and ``complete`` gets the same retry from the SDK.

    def stream(self, request: ModelRequest) -> Iterator[str | Completion]:
        retries = self.settings.max_retries
        for attempt in range(retries + 1):
            if attempt:
                time.sleep(_pause(attempt))
            with self._failures():
                client = self.client
                sdk = _sdk()
                chunk_type = sdk.types.chat.ChatCompletionChunk
                chunks = client.post(**_streamed(request, sdk.Stream[chunk_type]))
                joined = _Joined(may_retry=attempt < retries)
                with chunks, joined.cut_off(sdk.APIConnectionError, sdk.APITimeoutError):
                    for chunk in chunks:
                        if text := joined.add(chunk):
                            yield text
                    joined.ended()
                if not joined.dropped:
                    yield joined.completion()
                    return

    async def astream(self, request: ModelRequest) -> AsyncIterator[str | Completion]:
        retries = self.settings.max_retries
        for attempt in range(retries + 1):
            if attempt:
                await asyncio.sleep(_pause(attempt))
            with self._failures():
                client = await self.async_client()  # imports the SDK off the event loop
                sdk = _sdk()
                chunk_type = sdk.types.chat.ChatCompletionChunk
                chunks = await client.post(**_streamed(request, sdk.AsyncStream[chunk_type]))
                joined = _Joined(may_retry=attempt < retries)
                async with chunks:
                    with joined.cut_off(sdk.APIConnectionError, sdk.APITimeoutError):
                        async for chunk in chunks:
                            if text := joined.add(chunk):
                                yield text
                        joined.ended()
                if not joined.dropped:
                    yield joined.completion()
                    return

    def _failures(self) -> _Failures:
        return _Failures(self.settings, self._settings_file)


def _refusing_waits_over(limit: float) -> Callable[[Any], None]:
    """An httpx response hook: a response whose server asks for a longer wait than ``limit``
    seconds is marked ``x-should-retry: false``, which the SDK obeys.

    The SDK waits as long as ``Retry-After`` says, up to 2 minutes, and has no setting for
    less. A customer would rather have the fallback (a person to contact) at once.
    """

    def refuse(response: Any) -> None:
        wait = _retry_after(response.headers)
        if wait is not None and wait > limit:
            response.headers["x-should-retry"] = "false"

    return refuse


def _awaitable(hook: Callable[[Any], None]) -> Callable[[Any], Any]:
    """An httpx event hook as an async client calls it: a coroutine function."""

    async def call(message: Any) -> None:
        hook(message)

    return call


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """The wait a response asks for, in seconds, read as the SDK reads it: ``retry-after-ms``,
    else ``retry-after`` in seconds or as an HTTP date; None if it asks for none."""
    for name, unit in (("retry-after-ms", 1000), ("retry-after", 1)):
        try:
            return float(headers[name]) / unit
        except (KeyError, ValueError):
            continue
    try:
        date = email.utils.parsedate_tz(headers.get("retry-after", ""))
        return None if date is None else email.utils.mktime_tz(date) - time.time()
    except (OverflowError, ValueError):  # a date no clock can reach: no wait to compare
        return None


def _streamed(request: ModelRequest, stream_cls: type[Any]) -> dict[str, Any]:
    """The SDK post() arguments of a streamed request."""
    body, cast_to = request.body(stream=True), _sdk().types.chat.ChatCompletion
    return {"path": _PATH, "cast_to": cast_to, "body": body, "options": _OPTIONS,
            "stream": True, "stream_cls": stream_cls}  # fmt: skip


class _Failures:
    """Turns the SDK's exceptions into a ModelError (an outage) or a ConfigError (setup)."""

    def __init__(self, settings: ModelSettings, settings_file: Path) -> None:
        self.settings, self.settings_file = settings, settings_file

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _: Any) -> None:
        if not isinstance(exc, Exception) or isinstance(exc, ServicebotError):
            return  # none, ours, or the turn's end: GeneratorExit, CancelledError
        sdk = _sdk()
        if isinstance(exc, (sdk.AuthenticationError, sdk.PermissionDeniedError)):
            raise ConfigError.at(
                self.settings_file,
                f"model: the server rejected the API key in {self.settings.api_key_env} "
                f"({exc.status_code}); check the key and model.base_url",
            ) from exc
        if isinstance(exc, sdk.NotFoundError):
            raise ConfigError.at(
                self.settings_file,
                f"model: the server has no model {self.settings.name!r} at "
                f"{self.settings.base_url or 'the OpenAI API'} (404); check model.name "
                "and model.base_url",
            ) from exc
        raise ModelError(_kind(exc), _describe(exc)) from exc


def _kind(exc: Exception) -> ErrorKind:
    sdk = _sdk()
    if isinstance(exc, sdk.APITimeoutError):
        return "timeout"
    if isinstance(exc, sdk.RateLimitError):
        return "rate_limit"
    if isinstance(exc, sdk.InternalServerError):
        return "server_error"
    if isinstance(exc, sdk.APIConnectionError):
        return "connection"
    if isinstance(exc, sdk.APIStatusError) and 400 <= exc.status_code < 500:
        return "rejected"  # 400, 413, 422: a setting the model does not take, a prompt too long
    return "broken_response"  # bad JSON, a cut stream, an answer with no choices


def _describe(exc: Exception) -> str:
    """The SDK's error, and what caused it: its connection error says only "Connection
    error.", and the cause tells a refused port from a TLS mismatch or a DNS failure."""
    status = getattr(exc, "status_code", None)
    text = f"{type(exc).__name__}" + (f" (HTTP {status})" if status else "") + f": {exc}"
    if exc.__cause__ is not None and str(exc.__cause__) not in text:
        text += f" ({type(exc.__cause__).__name__}: {exc.__cause__})"
    return text[:300]


def _completion(response: Any) -> Completion:
    """The answer in a ChatCompletion; the SDK does not validate it, so this does."""
    if not isinstance(response, _sdk().types.chat.ChatCompletion) or not response.choices:
        raise ModelError("broken_response", "the response has no choices")
    choice = response.choices[0]
    text = choice.message.content if choice.message else None
    refusal = _refusal(getattr(choice.message, "refusal", None))
    if text is None and refusal is not None:  # declined: an answer, though not one to show
        text = ""
    if not isinstance(text, str):
        raise ModelError("broken_response", "the response has no message content")
    usage, model = _usage(response.usage), response.model or ""
    return Completion(text, choice.finish_reason, usage, model, refusal)


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


def _pause(retry: int) -> float:
    """The wait before a stream's ``retry``-th new attempt: the SDK's backoff for a retry whose
    server names no wait (0.5 s, doubling to 8 s at most, up to a quarter less at random),
    written out because the SDK's is private. Without it, a server that drops every stream
    before its first word got all its attempts within milliseconds."""
    return min(0.5 * 2.0 ** (retry - 1), 8.0) * (1 - 0.25 * random.random())


class _Joined:
    """A streamed answer put back together from its chunks."""

    def __init__(self, may_retry: bool = False) -> None:
        self.parts: list[str] = []
        self.refusal: list[str] = []
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.model = ""
        self.may_retry = may_retry
        self.dropped = False  # lost before any text, and may be asked for again

    def add(self, chunk: Any) -> str:
        if not isinstance(chunk, _sdk().types.chat.ChatCompletionChunk):
            raise ModelError("broken_response", f"an unreadable stream chunk: {chunk!r}"[:200])
        self.model = chunk.model or self.model
        self.usage = _usage(chunk.usage) or self.usage
        if not chunk.choices:
            return ""
        choice = chunk.choices[0]
        self.finish_reason = choice.finish_reason or self.finish_reason
        text = choice.delta.content if choice.delta else None
        if text is not None and not isinstance(text, str):  # a list of parts, from some servers
            raise ModelError("broken_response", "a stream chunk's content is not text")
        if text:
            self.parts.append(text)
        if refusal := _refusal(getattr(choice.delta, "refusal", None)):
            self.refusal.append(refusal)
        return text or ""

    @contextlib.contextmanager
    def cut_off(self, dropped: type[Exception], stalled: type[Exception]) -> Iterator[None]:
        """A connection lost after part of the answer came is a broken answer, not an outage
        (one silent for longer than the timeout, a timeout); lost after the answer finished
        (only the usage chunk or [DONE] missing), no loss; lost before any text, ``dropped``
        if it ``may_retry`` (not after a timeout: the customer has waited long enough)."""
        try:
            yield
        except dropped as exc:
            if self.finish_reason is not None:
                return
            if not self.parts:
                if self.may_retry and not isinstance(exc, stalled):
                    self.dropped = True
                    return
                raise
            if isinstance(exc, stalled):
                raise ModelError("timeout", "the stream stalled mid-answer") from exc
            raise ModelError("broken_response", "the stream was cut off mid-answer") from exc

    def ended(self) -> None:
        """The stream's body ended. Before any text and any finish reason, that is a drop too:
        a response framed by closing its connection (no chunked encoding) ends this way when
        the connection is lost, with no error to tell it from a proper end."""
        self.dropped = self.may_retry and not self.parts and self.finish_reason is None

    def completion(self) -> Completion:
        if self.finish_reason is None:
            raise ModelError("broken_response", "the stream ended before the answer finished")
        refusal = "".join(self.refusal) if self.refusal else None
        return Completion("".join(self.parts), self.finish_reason, self.usage, self.model, refusal)
