"""A model call guarded, for a model outage: by the model's breaker (breaker.py), and by the
turn's deadline, ``model.turn_timeout``, for the whole call, the SDK's retries included.

A blocking call cannot be stopped from outside, so its requests carry the deadline to the
HTTP hooks (deadline.py), which give each attempt only the time left and end the call once
it is spent. An async call is bounded exactly besides, by ``asyncio.timeout``.

A stream is bounded until its reader shows the customer its first piece (the request's
:class:`~servicebot.model.client.Showing`), not the model's first word: the reader shows
whole sentences the post-filter has passed, so a model that sent two words and stalled held
a customer who saw nothing for ``model.timeout``, past the deadline. After that piece each
event has ``model.timeout`` (a long answer coming in is never cut), and the stream counts as
answered for the breaker; a failure before it is an outage. An async stream is bounded
exactly, and so is a blocking one: checked as each piece arrives, and cut by the client
(deadline.py's ``Cutoff``) if its server falls silent before one is shown.

A call the server refused for its key (a ConfigError) is made once more, with the same
deadline, if the client says the key may have changed since (:meth:`Guarded._key_renewed`:
a key function's, rotated): before any piece of a stream, and only once.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterator,
)
from contextlib import aclosing, closing
from typing import TypeVar

from ..errors import ConfigError
from .breaker import Breaker
from .client import Completion, ModelError, ModelRequest, Showing

# The header a request carries the turn's due time in (time.monotonic()), for the hooks,
# which take it off before the request is sent.
DUE_HEADER = "x-servicebot-turn-due"

T = TypeVar("T")


def due_header(turn_timeout: float | None) -> dict[str, str]:
    """The headers that give a call's requests ``turn_timeout`` seconds from now, all told."""
    return _header(_due(turn_timeout))


def _header(due: float | None) -> dict[str, str]:
    """The headers that give a call's requests until ``due`` (None: no deadline)."""
    return {} if due is None else {DUE_HEADER: repr(due)}


def _due(turn_timeout: float | None) -> float | None:
    """When a call begun now is due, on ``time.monotonic()``; None: no deadline."""
    return None if turn_timeout is None else time.monotonic() + turn_timeout


def _shown(request: ModelRequest, began: bool) -> bool:
    """Whether a stream's reader has shown the customer any of it: as its ``showing`` says,
    or, if it has none, once it has been given a piece (``began``)."""
    return began if request.showing is None else request.showing.shown


def late_error() -> ModelError:
    """The error of a call past its turn's deadline (the SDK retries no ModelError)."""
    return ModelError("timeout", "no answer within model.turn_timeout")


class Guarded:
    """The public calls of a model client, each through ``breaker`` and within
    ``turn_timeout``; the client's own calls (``_complete`` ...) send the requests with the
    headers :func:`due_header` gives them."""

    breaker: Breaker
    turn_timeout: float | None

    def complete(self, request: ModelRequest) -> Completion:
        with self.breaker.call():
            due = due_header(self.turn_timeout)
            try:
                return self._complete(request, due)
            except ConfigError as exc:
                if not self._key_renewed(exc):
                    raise
            return self._complete(request, due)

    async def acomplete(self, request: ModelRequest) -> Completion:
        import asyncio  # here, not at the top: see pipeline.py

        with self.breaker.call():
            due = due_header(self.turn_timeout)
            try:
                async with asyncio.timeout(self.turn_timeout):
                    return await self._renewing(lambda: self._acomplete(request, due))
            except TimeoutError as exc:  # asyncio's: an SDK error is a ModelError by now
                raise late_error() from exc

    def stream(self, request: ModelRequest) -> Iterator[str | Completion]:
        due, began, given = _due(self.turn_timeout), False, request.showing is None
        showing = request.showing or Showing()  # its own: shown once given a piece (_shown)
        request = dataclasses.replace(request, showing=showing)  # for the client's cutoff
        with self.breaker.call() as call:
            try:
                for piece in self._stream_renewing(request, _header(due)):
                    if _shown(request, began):
                        call.answered()  # the model is up, whatever comes after
                    elif due is not None and time.monotonic() > due:
                        raise late_error()
                    yield piece
                    began = True
                    if given:
                        showing.shown = True
            finally:
                if _shown(request, began):  # a failure after the first piece is no outage
                    call.answered()

    async def astream(self, request: ModelRequest) -> AsyncIterator[str | Completion]:
        import asyncio  # here, not at the top: see pipeline.py

        loop = asyncio.get_running_loop()
        with self.breaker.call() as call:
            limit, began = self.turn_timeout, False
            pieces = self._astream_renewing(request, due_header(limit))
            due = None if limit is None else loop.time() + limit
            try:
                while True:
                    if shown := _shown(request, began):
                        call.answered()  # the model is up: each event has model.timeout
                    try:  # in a task of its own while timed: see asyncio.wait_for
                        left = None if due is None or shown else due - loop.time()
                        piece = await asyncio.wait_for(anext(pieces), left)
                    except StopAsyncIteration:
                        return
                    except TimeoutError as exc:
                        raise late_error() from exc
                    yield piece
                    began = True
            finally:
                if _shown(request, began):  # a failure after the first piece is no outage
                    call.answered()
                await pieces.aclose()

    async def _renewing(self, call: Callable[[], Awaitable[T]]) -> T:
        """``await call()``, once more if its key was refused and may have changed since."""
        try:
            return await call()
        except ConfigError as exc:
            if not self._key_renewed(exc):
                raise
        return await call()

    def _stream_renewing(
        self, request: ModelRequest, due: dict[str, str]
    ) -> Iterator[str | Completion]:
        """:meth:`_stream`, asked once more if its key was refused before any piece came and
        may have changed since."""
        for last in (False, True):
            began = False
            try:
                with closing(self._stream(request, due)) as pieces:  # as this one is closed
                    for piece in pieces:
                        began = True
                        yield piece
                return
            except ConfigError as exc:
                if last or began or not self._key_renewed(exc):
                    raise

    async def _astream_renewing(
        self, request: ModelRequest, due: dict[str, str]
    ) -> AsyncGenerator[str | Completion, None]:
        """:meth:`_astream`, as :meth:`_stream_renewing`."""
        for last in (False, True):
            began = False
            try:
                async with aclosing(self._astream(request, due)) as pieces:  # as this one is
                    async for piece in pieces:
                        began = True
                        yield piece
                return
            except ConfigError as exc:
                if last or began or not self._key_renewed(exc):
                    raise

    def _key_renewed(self, exc: ConfigError) -> bool:
        """Whether a call that ``exc`` (a key the server refused, or another setup error)
        ended may be made once more, its client built anew with a key that may have
        changed since. No client here has such a key."""
        return False

    def _complete(self, request: ModelRequest, due: dict[str, str]) -> Completion:
        raise NotImplementedError

    async def _acomplete(self, request: ModelRequest, due: dict[str, str]) -> Completion:
        raise NotImplementedError

    def _stream(
        self, request: ModelRequest, due: dict[str, str]
    ) -> Generator[str | Completion, None, None]:
        raise NotImplementedError

    def _astream(
        self, request: ModelRequest, due: dict[str, str]
    ) -> AsyncGenerator[str | Completion, None]:
        raise NotImplementedError
