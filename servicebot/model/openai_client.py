"""The SDK clients: :class:`OpenAIClient`, chat completions through the ``openai`` SDK.

Its clients are built once per bot and reused: one blocking client, and one async client per
event loop, closed with the loop; all of the process's open connections with one TLS context
(sdk.py), which each built anew (50 ms and 0.85 MB each) for every bot and every loop. A
client is built with the key of its time: ``close()`` drops them all, so that the next call
builds one with the key as it is then (rotated), and so does a 401 to a key from a function
(the call is made once more, with the function's key now: see guarded.py).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import ConfigError
from ..forking import forget_in_child
from ..settings import ModelSettings
from .apikey import ApiKey, api_key_for, key_source
from .breaker import Breaker
from .client import Completion, ModelRequest
from .failures import Failures, refusing_waits_over
from .guarded import Guarded
from .reasoning import split_reasoning
from .responses import Joined, ReportedError, answer_of
from .retries import apost_retried, pause_logged, post_retried
from .sdk import openai_sdk, shared_tls
from .unlabelled import aevents_or_answer, events_or_answer

if TYPE_CHECKING:  # imported where used: `check` or an offline chat needs neither the SDK
    import asyncio  # (0.3 s to import) nor asyncio (13 ms; see pipeline.py)

    import openai

log = logging.getLogger("servicebot")

# The SDK's create() walks every typed parameter of every message before sending (about 7 ms
# for a 32-message prompt). Our body is plain JSON types already, so it goes to the same
# endpoint through the SDK's own post(): the same auth, errors and response types, and the
# SDK's retries, made by retries.py so that their pauses keep to the turn's deadline.
_PATH = "/chat/completions"
_OPTIONS: Any = {"security": {"bearer_auth": True}}


class _LoopClient(NamedTuple):
    client: openai.AsyncOpenAI
    closer: AsyncGenerator[None, None]


class OpenAIClient(Guarded):
    """Chat completions through the ``openai`` SDK, for any OpenAI-compatible server: each
    call guarded by the model's breaker and the turn's deadline (see guarded.py)."""

    def __init__(
        self, settings: ModelSettings, settings_file: Path, *, api_key: ApiKey | None = None
    ) -> None:
        self.settings = settings
        self._settings_file = settings_file
        self._given_key = key_source(api_key)
        self._key_function = callable(api_key)  # asked again as a client is built
        self.breaker = Breaker(settings.breaker_failures, settings.breaker_pause)
        self.turn_timeout = settings.turn_timeout
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
        # Clients dropped while their loop runs on (see _drop_clients): closed with their
        # loop, or by aclose() in it; kept here till then, for nothing to close them sooner.
        self._dropped: dict[asyncio.AbstractEventLoop, list[_LoopClient]] = {}

    def api_key(self) -> str:
        """The key passed in code, else the one in the environment variable the settings name
        (never from YAML), or :data:`NO_KEY` for a server that takes none (see apikey.py)."""
        return api_key_for(self._given_key, self.settings, self._settings_file)

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
                sdk = openai_sdk()
                options = self._options()  # first: a missing key raises before any pool
                hooks = self._hooks()
                http = sdk.DefaultHttpxClient(event_hooks=hooks, verify=shared_tls())
                self._sync = sdk.OpenAI(**options, http_client=http)
                # The SDK closes a pool it made when its client is collected (a bot never
                # closed), but not one passed in: so this one is closed the same way.
                weakref.finalize(self._sync, http.close).atexit = False
        return self._sync

    async def async_client(self) -> openai.AsyncOpenAI:
        """The running event loop's client: made on first use, closed with the loop."""
        import asyncio  # here, not at the top: see pipeline.py

        loop = asyncio.get_running_loop()
        if loop not in self._async:
            # A loop closed without finalising its generators. list() copies the keys in
            # one step: threads running loops of their own add and remove theirs meanwhile.
            for closed in [old for old in [*self._async, *self._dropped] if old.is_closed()]:
                self._async.pop(closed, None)
                self._dropped.pop(closed, None)
            # One turn makes it; the loop's other turns, a burst of them at a worker's start,
            # wait for that one (each making its own took 300 clients for 300 turns). Shielded:
            # a turn cancelled meanwhile leaves the making to finish for the others.
            if (making := self._making.get(loop)) is None:
                making = self._making[loop] = loop.create_task(self._make_async_client(loop))
            await asyncio.shield(making)
        return self._async[loop].client

    async def _make_async_client(self, loop: asyncio.AbstractEventLoop) -> None:
        import asyncio  # here, not at the top: see pipeline.py

        try:
            # The first import of the SDK takes about 0.4 s, and the process's TLS context
            # 50 ms more: made in a worker thread, while the loop's other turns go on.
            client = await asyncio.to_thread(self._new_async_client)
            closer = self._closed_with(loop, client)
            await anext(closer)  # suspended until the loop finalises it
            self._async[loop] = _LoopClient(client, closer)
        finally:
            self._making.pop(loop, None)

    def _new_async_client(self) -> openai.AsyncOpenAI:
        sdk = openai_sdk()
        options = self._options()
        hooks = {
            stage: [_awaitable(hook) for hook in each] for stage, each in self._hooks().items()
        }
        http = sdk.DefaultAsyncHttpxClient(event_hooks=hooks, verify=shared_tls())
        client: openai.AsyncOpenAI = sdk.AsyncOpenAI(**options, http_client=http)
        return client

    def _hooks(self) -> dict[str, list[Callable[[Any], None]]]:
        """The httpx event hooks of every attempt: its deadline, a retry counted by the
        breaker (and none sent while it is open), and waits refused. The deadline's first: a
        retry past it ends the call as a timeout, which the breaker counts as the call ends,
        so counted by ``retrying`` too, its one failed attempt opened a breaker of 2."""
        from ..deadline import deadline, started  # imports httpx2, as the SDK does

        refuse = refusing_waits_over(self.settings.max_retry_after)
        return {
            "request": [started, self.breaker.retrying],
            "response": [refuse, deadline(self.settings.timeout)],
        }

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
            if (kept := self._async.get(loop)) is not None and kept.client is client:
                self._async.pop(loop, None)  # not a client made since aclose() took this one
            if left := [each for each in self._dropped.pop(loop, []) if each.client is not client]:
                self._dropped[loop] = left
            await client.close()

    def close(self) -> None:
        """Close the connections of the blocking client, and drop every event loop's client
        (one cannot be closed from another thread or loop: each closes with its loop, or by
        :meth:`aclose` in it). The next call builds new ones, with the key as it is then."""
        sync, self._sync = self._sync, None
        if sync is not None:
            sync.close()
        self._drop_clients()

    def _drop_clients(self) -> None:
        """Build every client anew at its next use; none is closed here, a call may be using
        it (the blocking one closes its connections once collected: see :attr:`client`)."""
        self._sync = None
        for loop in list(self._async):  # threads running loops of their own add theirs
            if (kept := self._async.pop(loop, None)) is not None:
                self._dropped.setdefault(loop, []).append(kept)

    def _key_renewed(self, exc: ConfigError) -> bool:
        """A 401 to a key from a function (rotated since the client was built, perhaps): the
        clients are dropped, to be built with the function's key now, for the call to be made
        once more (see guarded.py). Not for a key in a str or a variable, which is as it was."""
        if not (self._key_function and isinstance(exc.__cause__, openai_sdk().AuthenticationError)):
            return False
        log.info("the server refused the api_key function's key (401): asking it again")
        self._drop_clients()
        return True

    async def aclose(self) -> None:
        """Close the connections the running event loop's clients hold (one dropped by
        :meth:`close` too). Taken out first, before any await: a turn that begins meanwhile
        makes a new one, not one closing."""
        import asyncio  # here, not at the top: see pipeline.py

        loop = asyncio.get_running_loop()
        kept = [*self._dropped.pop(loop, []), self._async.pop(loop, None)]
        for each in kept:
            if each is not None:
                await each.closer.aclose()

    # A 200 whose body is an error the SDK would retry as a status (a proxy's "overloaded",
    # see ReportedError) is asked for again, after the SDK's backoff, while ``max_retries``
    # allows, as a stream's error event is: the SDK retries no 200. Its retries and these
    # share ``max_retries``, so a call sends at most ``max_retries`` + 1 requests.

    def _complete(self, request: ModelRequest, due: dict[str, str]) -> Completion:
        failures, why = self._failures(), ""
        while True:  # each pass sends a request at least; the last one's error is raised
            if retry := failures.attempts:
                failures.again()
                time.sleep(pause_logged(retry, self.settings.max_retries, why, due, "request"))
            with failures:
                posted = _posted(request, headers=due)
                sent = post_retried(self.client.post, posted, failures.requests_left() - 1)
                answer, why = self._answer(sent, failures)
                if answer is not None:
                    return answer

    async def _acomplete(self, request: ModelRequest, due: dict[str, str]) -> Completion:
        import asyncio  # here, not at the top: see pipeline.py

        failures, why = self._failures(), ""
        while True:  # each pass sends a request at least; the last one's error is raised
            if retry := failures.attempts:
                failures.again()
                retries = self.settings.max_retries
                await asyncio.sleep(pause_logged(retry, retries, why, due, "request"))
            with failures:
                client = await self.async_client()  # imports the SDK off the event loop
                posted = _posted(request, headers=due)
                sent = await apost_retried(client.post, posted, failures.requests_left() - 1)
                answer, why = self._answer(sent, failures)
                if answer is not None:
                    return answer

    # The SDK retries a stream only until its headers arrive. One whose connection drops
    # after them but before any text, times out there (only SSE keep-alive comments came),
    # or whose body ends there unfinished, or whose first event is an error the SDK would
    # retry as an HTTP status (a server_error, a rate limit), is asked for again, after the
    # SDK's backoff (retries.backoff), while ``max_retries`` allows: the SDK's retries and these
    # share it, so a turn sends at most ``max_retries`` + 1 requests. The customer has seen
    # nothing, and ``complete`` gets the same retry from the SDK, which reads the body before
    # it returns.
    # What the SDK does not retry for ``complete``, a 200 whose body is not a JSON answer (a
    # proxy's error page), is not retried here either: one fault, one behaviour, and one
    # reading of it (answer_of). A body not labelled as events is told by its start
    # (unlabelled.events_or_answer), so events labelled anything else still come as sent.

    def _stream(
        self, request: ModelRequest, due: dict[str, str]
    ) -> Generator[str | Completion, None, None]:
        from ..deadline import Cutoff  # imports httpx2, as the SDK does

        failures, why = self._failures(), ""
        for _ in range(self.settings.max_retries + 1):  # each asks at least once
            if retry := failures.attempts:
                failures.again()
                time.sleep(pause_logged(retry, self.settings.max_retries, why, due))
            with failures:
                client = self.client
                sdk = openai_sdk()
                chunk_type = sdk.types.chat.ChatCompletionChunk
                posted = _posted(request, sdk.Stream[chunk_type], due)
                chunks = post_retried(client.post, posted, failures.requests_left() - 1)
                failures.sent(chunks.response.request)
                joined = Joined(
                    failures.requests_left() > 0, self.settings.reasoning, request.model
                )
                with chunks, joined.cut_off(), Cutoff(due, request.showing, chunks.response):
                    events = events_or_answer(chunks, sdk, client)
                    if isinstance(events, Completion):
                        yield from _as_parts(self._read(events, failures))
                        return
                    for chunk in events:
                        if text := joined.add(chunk):
                            yield text
                    joined.ended()
                if not (why := joined.dropped):
                    yield from joined.finished(failures.attempts)
                    return

    async def _astream(
        self, request: ModelRequest, due: dict[str, str]
    ) -> AsyncGenerator[str | Completion, None]:
        import asyncio  # here, not at the top: see pipeline.py

        failures, why = self._failures(), ""
        for _ in range(self.settings.max_retries + 1):  # each asks at least once
            if retry := failures.attempts:
                failures.again()
                await asyncio.sleep(pause_logged(retry, self.settings.max_retries, why, due))
            with failures:
                client = await self.async_client()  # imports the SDK off the event loop
                sdk = openai_sdk()
                chunk_type = sdk.types.chat.ChatCompletionChunk
                posted = _posted(request, sdk.AsyncStream[chunk_type], due)
                chunks = await apost_retried(client.post, posted, failures.requests_left() - 1)
                failures.sent(chunks.response.request)
                joined = Joined(
                    failures.requests_left() > 0, self.settings.reasoning, request.model
                )
                async with chunks:
                    with joined.cut_off():
                        events = await aevents_or_answer(chunks, sdk, client)
                        if isinstance(events, Completion):
                            for part in _as_parts(self._read(events, failures)):
                                yield part
                            return
                        async for chunk in events:
                            if text := joined.add(chunk):
                                yield text
                        joined.ended()
                if not (why := joined.dropped):
                    for part in joined.finished(failures.attempts):
                        yield part
                    return

    def _failures(self) -> Failures:
        return Failures(self.settings, self._settings_file, key_given=self._given_key is not None)

    def _answer(self, response: Any, failures: Failures) -> tuple[Completion | None, str]:
        """The answer in the body of a response to ``complete``, read by :func:`answer_of`,
        with the requests it took (the SDK's retries) counted by ``failures``; or, for a body
        that is an error to ask again for (a :class:`ReportedError` the SDK retries, with
        requests left), None and why."""
        failures.sent(response.request)
        try:
            return self._read(answer_of(response.content, response), failures), ""
        except ReportedError as exc:
            if not exc.retried or failures.requests_left() <= 0:
                raise
            return None, str(exc)

    def _read(self, whole: Completion, failures: Failures) -> Completion:
        """A whole answer as the bot takes it: its reasoning removed (see reasoning.py), with
        the number of requests it took."""
        text, removed = split_reasoning(whole.text, self.settings.reasoning, whole.finish_reason)
        reasoning = whole.reasoning + removed
        return dataclasses.replace(
            whole, text=text, reasoning=reasoning, attempts=failures.attempts
        )


def _as_parts(whole: Completion) -> Iterator[str | Completion]:
    """A whole answer as a stream's parts: its text in one piece, if any, then itself."""
    if whole.text:
        yield whole.text
    yield whole


def _awaitable(hook: Callable[[Any], None]) -> Callable[[Any], Any]:
    """An httpx event hook as an async client calls it: a coroutine function."""

    async def call(message: Any) -> None:
        hook(message)

    return call


def _posted(
    request: ModelRequest,
    stream_cls: type[Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The SDK post() arguments of ``request``; streamed when ``stream_cls`` reads its chunks,
    with ``headers`` (the turn's deadline, for the hooks: see deadline.py). Retried by
    retries.py, not by the SDK."""
    import httpx2  # the SDK's HTTP client, imported with it

    streamed = stream_cls is not None
    # A whole answer comes back as the HTTP response, its body read (and retried) by the SDK,
    # and is read by answer_of as a stream's one whole answer is. Cast to a ChatCompletion,
    # a body that is not JSON (a proxy's error page) came back as bare text, without the
    # content type that says what it was.
    cast_to = openai_sdk().types.chat.ChatCompletion if streamed else httpx2.Response
    body = request.body(stream=streamed)
    options = {**_OPTIONS, "headers": headers or {}}
    posted = {"path": _PATH, "cast_to": cast_to, "body": body, "options": options}
    if streamed:
        posted.update(stream=True, stream_cls=stream_cls)
    return posted
