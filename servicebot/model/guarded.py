"""A model call guarded, for a model outage: by the model's breaker (breaker.py), and by the
turn's deadline, ``model.turn_timeout``, for the whole call, the SDK's retries included.

A blocking call cannot be stopped from outside, so its requests carry the deadline to the
HTTP hooks (deadline.py), which give each attempt only the time left and end the call once
it is spent. An async call is bounded exactly besides, by ``asyncio.timeout``; an async
stream until its first piece, after which each event has ``model.timeout`` (a long answer
coming in is never cut). The hooks bound a blocking stream until its first event alike.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterator

from .breaker import Breaker
from .client import Completion, ModelError, ModelRequest

# The header a request carries the turn's due time in (time.monotonic()), for the hooks,
# which take it off before the request is sent.
DUE_HEADER = "x-servicebot-turn-due"


def due_header(turn_timeout: float | None) -> dict[str, str]:
    """The headers that give a call's requests ``turn_timeout`` seconds from now, all told."""
    if turn_timeout is None:
        return {}
    return {DUE_HEADER: repr(time.monotonic() + turn_timeout)}


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
            return self._complete(request, due_header(self.turn_timeout))

    async def acomplete(self, request: ModelRequest) -> Completion:
        import asyncio  # here, not at the top: see pipeline.py

        with self.breaker.call():
            due = due_header(self.turn_timeout)
            try:
                async with asyncio.timeout(self.turn_timeout):
                    return await self._acomplete(request, due)
            except TimeoutError as exc:  # asyncio's: an SDK error is a ModelError by now
                raise late_error() from exc

    def stream(self, request: ModelRequest) -> Iterator[str | Completion]:
        with self.breaker.call() as call:
            for piece in self._stream(request, due_header(self.turn_timeout)):
                call.answered()  # the model is up, whatever comes after
                yield piece

    async def astream(self, request: ModelRequest) -> AsyncIterator[str | Completion]:
        import asyncio  # here, not at the top: see pipeline.py

        loop = asyncio.get_running_loop()
        with self.breaker.call() as call:
            limit = self.turn_timeout
            pieces = self._astream(request, due_header(limit))
            due = None if limit is None else loop.time() + limit
            try:
                while True:
                    try:  # in a task of its own while timed: see asyncio.wait_for
                        left = None if due is None else due - loop.time()
                        piece = await asyncio.wait_for(anext(pieces), left)
                    except StopAsyncIteration:
                        return
                    except TimeoutError as exc:
                        raise late_error() from exc
                    call.answered()
                    due = None  # the answer has begun: each event has model.timeout
                    yield piece
            finally:
                await pieces.aclose()

    def _complete(self, request: ModelRequest, due: dict[str, str]) -> Completion:
        raise NotImplementedError

    async def _acomplete(self, request: ModelRequest, due: dict[str, str]) -> Completion:
        raise NotImplementedError

    def _stream(self, request: ModelRequest, due: dict[str, str]) -> Iterator[str | Completion]:
        raise NotImplementedError

    def _astream(
        self, request: ModelRequest, due: dict[str, str]
    ) -> AsyncGenerator[str | Completion, None]:
        raise NotImplementedError
