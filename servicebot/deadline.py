"""The model stage's deadline for one attempt: the answer within ``model.timeout``.

The SDK's HTTP client (httpx2) applies its timeout to each read, so a server that keeps
sending a little (spaces before a JSON body, SSE keep-alive comments while a model queues)
could hold an attempt, and the customer, as long as it liked: httpx2 has no deadline for a
whole response. These event hooks time each attempt's body as it arrives: a JSON answer must
be complete within ``timeout`` of the attempt's start, and a stream must bring an event at
least that often (comments do not count), so a long answer that keeps coming is never cut.

The error is httpx2's own read timeout, which the SDK turns into ``APITimeoutError`` and
retries like any other.

A turn's deadline (``model.turn_timeout``) bounds the whole call, its retries included (made
by model/retries.py, which pauses for none that would begin past it). Each request carries
the turn's due time in a header (:data:`DUE_HEADER`, taken off before it is sent), and each
attempt gets only the time left: its connect and read timeouts are cut to it (a stream's
read timeout is given back once its headers come: its events have ``timeout`` each), and its
body must come by then. An attempt cut short by the deadline ends the call (a ModelError
``timeout``, never retried), as does one that would start with no time left. A server that
hangs before its headers is cut by httpx2's timeout at the deadline, and retries.py makes no
retry then. Async calls are bounded besides, with ``asyncio.timeout`` (model/guarded.py).

A blocking stream is bounded until its reader shows the customer a piece, as an async one
is, by :class:`Cutoff`: a read cannot be stopped from another thread, but its socket can be
shut down, which ends the read at once; the error that follows is the turn's timeout.
"""

from __future__ import annotations

import contextlib
import math
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import Any

import httpx2

from .model.client import Showing
from .model.guarded import DUE_HEADER, late_error

_STARTED = "servicebot.started"  # the request extension holding when the attempt began
_DUE = "servicebot.due"  # the request extension holding the turn's due time, if any
_TIMEOUTS = "servicebot.timeouts"  # the attempt's own timeouts, before the deadline cut them
_EVENT = re.compile(rb"[\r\n]data:")  # an SSE data line, its line start marked by a newline


def started(request: httpx2.Request) -> None:
    """A request hook: the attempt starts now (the SDK builds a request per attempt), with
    the time the turn has left, if it has a deadline; ModelError if it has none left."""
    now = request.extensions[_STARTED] = time.monotonic()
    if (due := request.headers.get(DUE_HEADER)) is None:
        return
    del request.headers[DUE_HEADER]
    left = float(due) - now
    if left <= 0:
        raise late_error()
    timeouts = request.extensions.get("timeout", {})
    request.extensions[_DUE], request.extensions[_TIMEOUTS] = float(due), timeouts
    request.extensions["timeout"] = {
        name: left if value is None else min(value, left) for name, value in timeouts.items()
    }


def deadline(timeout: float) -> Callable[[httpx2.Response], None]:
    """A response hook that times the body of each response as it is read."""

    def watch(response: httpx2.Response) -> None:
        request = response.request
        began = request.extensions.get(_STARTED, time.monotonic())
        events = response.headers.get("content-type", "").startswith("text/event-stream")
        due = min(began + timeout, request.extensions.get(_DUE, math.inf))
        if events and _TIMEOUTS in request.extensions:  # read when the body is (httpcore2)
            request.extensions["timeout"] = request.extensions[_TIMEOUTS]
        clock = _Clock(request, due, timeout if events else None)
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
        self.turn_due: float = request.extensions.get(_DUE, math.inf)  # until the answer begins
        self._line_start = True

    def check(self, piece: bytes) -> None:
        now = time.monotonic()
        # An event split between two pieces is missed: the next one renews the deadline.
        if self.renew is not None and _EVENT.search(b"\n" * self._line_start + piece):
            self.due, self.turn_due = now + self.renew, math.inf  # the answer has begun
        elif now > self.turn_due:
            raise late_error()
        elif now > self.due:
            raise httpx2.ReadTimeout("no answer within model.timeout", request=self.request)
        self._line_start = piece.endswith((b"\n", b"\r"))

    def late(self) -> bool:
        """Whether the turn's deadline has passed, the answer not begun: a timeout then (a
        silent body, cut by the read timeout the deadline set) ends the call."""
        return time.monotonic() >= self.turn_due - 0.05  # a socket timeout may end just before


class _Timed(httpx2.SyncByteStream):
    def __init__(self, stream: httpx2.SyncByteStream, clock: _Clock) -> None:
        self._stream, self._clock = stream, clock

    def __iter__(self) -> Iterator[bytes]:
        try:
            for piece in self._stream:
                self._clock.check(piece)
                yield piece
        except httpx2.TimeoutException as exc:
            if self._clock.late():
                raise late_error() from exc
            raise

    def close(self) -> None:
        self._stream.close()


class _AsyncTimed(httpx2.AsyncByteStream):
    def __init__(self, stream: httpx2.AsyncByteStream, clock: _Clock) -> None:
        self._stream, self._clock = stream, clock

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for piece in self._stream:
                self._clock.check(piece)
                yield piece
        except httpx2.TimeoutException as exc:
            if self._clock.late():
                raise late_error() from exc
            raise

    async def aclose(self) -> None:
        await self._stream.aclose()


class Cutoff:
    """A blocking stream's deadline until its reader shows the customer a piece (``showing``):
    at the turn's due time (``due``, the headers of :func:`~servicebot.model.guarded.due_header`)
    the response's socket is shut down, and what that ends the stream with is raised as the
    turn's timeout. A server that sent its headers, or a few words, and fell silent held the
    customer until ``model.timeout``; an async stream is cut by ``asyncio`` (guarded.py)."""

    def __init__(self, due: dict[str, str], showing: Showing | None, response: Any) -> None:
        self._showing, self._lock, self._cut = showing, threading.Lock(), False
        stream = response.extensions.get("network_stream")  # none through a test transport
        self._socket = None if stream is None else stream.get_extra_info("socket")
        left = None if DUE_HEADER not in due else float(due[DUE_HEADER]) - time.monotonic()
        self._timer: threading.Timer | None = None
        if left is not None and self._socket is not None and showing is not None:
            self._timer = threading.Timer(left, self._shut)
            self._timer.daemon = True  # never holds a process that is exiting

    def __enter__(self) -> Cutoff:
        if self._timer is not None:
            self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, _: TracebackType | None
    ) -> None:
        with self._lock:  # no shut down once the stream is done: its connection may be reused
            if self._timer is not None:
                self._timer.cancel()
            self._showing = None
        if self._cut and isinstance(exc, Exception):
            raise late_error() from exc

    def _shut(self) -> None:
        """At the due time: the socket shut down if nothing has been shown yet. Shut down
        through the plain socket's method, as a TLS socket's would drop its TLS state while
        the reading thread uses it."""
        with self._lock:
            if self._showing is None or self._showing.shown or self._socket is None:
                return
            self._cut = True
            with contextlib.suppress(OSError):  # closed meanwhile: the stream has ended
                socket.socket.shutdown(self._socket, socket.SHUT_RDWR)
