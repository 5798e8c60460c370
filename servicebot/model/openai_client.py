"""Chat completions through the ``openai`` SDK: :class:`OpenAIClient`'s calls, whole or
streamed, blocking or async, each a request posted through the SDK (its clients are
sdkclients.py's), retried as retries.py says, and its answer read (responses.py).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncGenerator, Generator, Iterator
from pathlib import Path
from typing import Any

from ..forking import forget_in_child
from ..settings import ModelSettings
from .apikey import ApiKey, key_source
from .breaker import Breaker
from .client import Completion, ModelRequest
from .failures import Failures
from .guarded import Guarded
from .reasoning import split_reasoning
from .responses import Joined, ReportedError, answer_of
from .retries import apost_retried, pause_logged, post_retried
from .sdk import openai_sdk
from .sdkclients import SDKClients
from .unlabelled import aevents_or_answer, events_or_answer

# The SDK's create() walks every typed parameter of every message before sending (about 7 ms
# for a 32-message prompt). Our body is plain JSON types already, so it goes to the same
# endpoint through the SDK's own post(): the same auth, errors and response types, and the
# SDK's retries, made by retries.py so that their pauses keep to the turn's deadline.
_PATH = "/chat/completions"
_OPTIONS: Any = {"security": {"bearer_auth": True}}


class OpenAIClient(SDKClients, Guarded):
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
