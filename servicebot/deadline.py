"""The model stage's deadline for one attempt: the answer within ``model.timeout``.

The SDK's HTTP client (httpx2) applies its timeout to each read, so a server that keeps
sending a little (spaces before a JSON body, SSE keep-alive comments while a model queues)
could hold an attempt, and the customer, as long as it liked: httpx2 has no deadline for a
whole response. These event hooks time each attempt's body as it arrives: a JSON answer must
be complete within ``timeout`` of the attempt's start, and a stream must bring an event at
least that often (comments do not count), so a long answer that keeps coming is never cut.

The error is httpx2's own read timeout, which the SDK turns into ``APITimeoutError`` and
retries like any other.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable, Iterator

import httpx2

_STARTED = "servicebot.started"  # the request extension holding when the attempt began
_EVENT = re.compile(rb"[\r\n]data:")  # an SSE data line, its line start marked by a newline


def started(request: httpx2.Request) -> None:
    """A request hook: the attempt starts now (the SDK builds a request per attempt)."""
    request.extensions[_STARTED] = time.monotonic()


def deadline(timeout: float) -> Callable[[httpx2.Response], None]:
    """A response hook that times the body of each response as it is read."""

    def watch(response: httpx2.Response) -> None:
        began = response.request.extensions.get(_STARTED, time.monotonic())
        events = response.headers.get("content-type", "").startswith("text/event-stream")
        clock = _Clock(response.request, began + timeout, timeout if events else None)
        if isinstance(response.stream, httpx2.AsyncByteStream):
            response.stream = _AsyncTimed(response.stream, clock)
        elif isinstance(response.stream, httpx2.SyncByteStream):
            response.stream = _Timed(response.stream, clock)

    return watch


class _Clock:
    """An attempt's deadline; each SSE event pushes it ``renew`` seconds on, if set.

    Checked as each piece of the body arrives: a server that falls silent instead is
    stopped by httpx2's read timeout, so an attempt ends at most ``timeout`` after its deadline.
    """

    def __init__(self, request: httpx2.Request, due: float, renew: float | None) -> None:
        self.request, self.due, self.renew = request, due, renew
        self._line_start = True

    def check(self, piece: bytes) -> None:
        now = time.monotonic()
        # An event split between two pieces is missed: the next one renews the deadline.
        if self.renew is not None and _EVENT.search(b"\n" * self._line_start + piece):
            self.due = now + self.renew
        elif now > self.due:
            raise httpx2.ReadTimeout("no answer within model.timeout", request=self.request)
        self._line_start = piece.endswith((b"\n", b"\r"))


class _Timed(httpx2.SyncByteStream):
    def __init__(self, stream: httpx2.SyncByteStream, clock: _Clock) -> None:
        self._stream, self._clock = stream, clock

    def __iter__(self) -> Iterator[bytes]:
        for piece in self._stream:
            self._clock.check(piece)
            yield piece

    def close(self) -> None:
        self._stream.close()


class _AsyncTimed(httpx2.AsyncByteStream):
    def __init__(self, stream: httpx2.AsyncByteStream, clock: _Clock) -> None:
        self._stream, self._clock = stream, clock

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for piece in self._stream:
            self._clock.check(piece)
            yield piece

    async def aclose(self) -> None:
        await self._stream.aclose()
