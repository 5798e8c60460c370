"""A streamed request's answer not labelled as server-sent events, told apart by its start.

A server may send events labelled ``text/plain``, ``application/json`` or nothing at all; a
server or proxy that ignores ``"stream": true`` sends one JSON answer, and a proxy its error
page, either labelled anything. Reading the whole body first told them apart but held every
such stream back until it ended: the customer saw nothing until the last word, and a stall
or a drop was an error the SDK's stream did not map (a ``ReadTimeout`` read as a broken
response, not a timeout to retry). So only the body's first bytes are read; events go on to
the SDK as a stream of their own, and anything else is read whole, as ``complete`` reads it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from itertools import chain
from typing import Any

from .client import Completion
from .responses import answer_of

# How a body of events starts (after any blank lines): a field or a comment. The longest,
# "event:", is as many bytes as must be read to tell.
_EVENT_STARTS = (b"data:", b":", b"event:")
_TELLING = max(map(len, _EVENT_STARTS))


def events_or_answer(chunks: Any, sdk: Any, client: Any) -> Completion | Any:
    """A streamed request's answer, ``chunks`` (the SDK's stream of it), as events to read or
    the one whole answer its body holds (read by :func:`answer_of`, as ``complete`` reads it).
    Events labelled as such are ``chunks`` as they are; any other body is told by its start,
    and its events read from a stream of their own. Errors are the SDK's, as its stream's."""
    response = chunks.response
    if _events_labelled(response):
        return chunks
    start, rest = _read_start(response, sdk)
    if not _starts_events(start):
        return answer_of(start + b"".join(rest), response)
    events = _replayed(response, start, rest)
    return sdk.Stream(cast_to=_chunk_type(sdk), response=events, client=client)


async def aevents_or_answer(chunks: Any, sdk: Any, client: Any) -> Completion | Any:
    """:func:`events_or_answer` for an async stream."""
    response = chunks.response
    if _events_labelled(response):
        return chunks
    start, rest = await _aread_start(response, sdk)
    if not _starts_events(start):
        return answer_of(start + b"".join([part async for part in rest]), response)
    events = _areplayed(response, start, rest)
    return sdk.AsyncStream(cast_to=_chunk_type(sdk), response=events, client=client)


def _events_labelled(response: Any) -> bool:
    """Whether a streamed request's answer says it is server-sent events (in any case, as
    media types are): any other is told by its start."""
    label = str(response.headers.get("content-type", ""))
    return label.lower().startswith("text/event-stream")


def _starts_events(start: bytes) -> bool:
    """Whether a body starting ``start`` is a stream of events, not one whole answer."""
    return start.lstrip().startswith(_EVENT_STARTS)


def _chunk_type(sdk: Any) -> Any:
    """The SDK's type for a stream's chunks, as ``OpenAIClient`` asks for them."""
    return sdk.types.chat.ChatCompletionChunk


def _read_start(response: Any, sdk: Any) -> tuple[bytes, Iterator[bytes]]:
    """The first bytes of ``response``'s body, enough to tell events from an answer (or all of
    it, if shorter), and an iterator over the rest. Errors are the SDK's, as its stream's."""
    rest = _mapped(response.iter_bytes(), response.request, sdk)
    start = b""
    for part in rest:
        start += part
        if _enough(start):
            break
    return start, rest


async def _aread_start(response: Any, sdk: Any) -> tuple[bytes, AsyncIterator[bytes]]:
    """:func:`_read_start` for an async response."""
    rest = _amapped(response.aiter_bytes(), response.request, sdk)
    start = b""
    async for part in rest:
        start += part
        if _enough(start):
            break
    return start, rest


def _enough(start: bytes) -> bool:
    """Whether ``start`` is as much of a body as :func:`_starts_events` needs to tell."""
    return len(start.lstrip()) >= _TELLING


def _replayed(response: Any, start: bytes, rest: Iterator[bytes]) -> Any:
    """``response`` again, its body ``start`` and then ``rest``, for the SDK's stream to read
    from its beginning. Its bytes are decoded already, so it carries no content encoding."""
    return _rebuilt(response, chain([start], rest))


def _areplayed(response: Any, start: bytes, rest: AsyncIterator[bytes]) -> Any:
    """:func:`_replayed` for an async response."""

    async def body() -> AsyncIterator[bytes]:
        yield start
        async for part in rest:
            yield part

    return _rebuilt(response, body())


def _rebuilt(response: Any, body: Any) -> Any:
    import httpx2  # the SDK's HTTP client, imported with it

    headers = {"content-type": response.headers.get("content-type", "")}
    return httpx2.Response(
        response.status_code, headers=headers, content=body, request=response.request
    )


def _mapped(parts: Iterator[bytes], request: Any, sdk: Any) -> Iterator[bytes]:
    """``parts``, an HTTP client's error reading them raised as the SDK's stream raises it."""
    with _as_sdk_errors(request, sdk):
        yield from parts


async def _amapped(parts: AsyncIterator[bytes], request: Any, sdk: Any) -> AsyncIterator[bytes]:
    """:func:`_mapped` for an async body."""
    with _as_sdk_errors(request, sdk):
        async for part in parts:
            yield part


@contextlib.contextmanager
def _as_sdk_errors(request: Any, sdk: Any) -> Iterator[None]:
    """An HTTP client's timeout or connection error, raised as the SDK's for ``request``."""
    import httpx2  # the SDK's HTTP client, imported with it

    try:
        yield
    except httpx2.TimeoutException as exc:
        raise sdk.APITimeoutError(request=request) from exc
    except httpx2.RequestError as exc:
        raise sdk.APIConnectionError(request=request) from exc
