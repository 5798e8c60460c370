"""``model.turn_timeout`` against the local server, however the retries fall: a pause before a
retry (a server's ``Retry-After``, or the backoff after a timeout) that would end past the
turn's deadline is not waited out, in ``reply``, ``stream``, ``areply`` and ``astream``
alike. Each old time is the deadline plus a pause of 4 s or more; the bounds allow 1 s for a
loaded machine, and assert nothing tight."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from servicebot.reply import Reply
from tests.e2e.conftest import REFUNDS
from tests.openai_server import Fault, OpenAIServer

DEADLINE = 1.0
WARM_UP = REFUNDS + " I paid by card."  # another question: the answer cache keeps the first


def _turn(bot: Any, via: str, text: str = REFUNDS) -> Reply | None:
    """One turn through ``via``: its reply (a stream's once read to its end)."""
    if via == "reply":
        reply: Reply | None = bot.reply(text)
        return reply
    if via == "areply":
        return asyncio.run(bot.areply(text))  # type: ignore[no-any-return]
    if via == "stream":
        stream = bot.stream(text)
        "".join(stream)
        return stream.reply  # type: ignore[no-any-return]

    async def read() -> Reply | None:
        streamed = bot.astream(text)
        assert [piece async for piece in streamed]
        return streamed.reply  # type: ignore[no-any-return]

    return asyncio.run(read())


def _timed(bot: Any, via: str) -> tuple[float, Reply | None]:
    began = time.monotonic()
    reply = _turn(bot, via)
    return time.monotonic() - began, reply


VIAS = ("reply", "stream", "areply", "astream")


@pytest.mark.parametrize("via", VIAS)
def test_a_retry_after_past_the_deadline_is_not_waited_for(
    make_bot: Any, server: OpenAIServer, via: str
) -> None:
    # A 429 asking for 4 s (within max_retry_after): the SDK waited it out, and the turn,
    # due after 1 s, took 4 s.
    bot = make_bot(timeout=5, max_retries=2, turn_timeout=DEADLINE, breaker_failures=0)
    _turn(bot, via, WARM_UP)  # the SDK imported, its client built
    server.reset()
    server.fail(Fault.status(429, retry_after=4))
    elapsed, reply = _timed(bot, via)
    assert elapsed < DEADLINE + 1.0
    assert reply is not None and reply.action == "fallback"
    assert reply.events[0].kind == "timeout"
    assert len(server.requests) == 1  # the retry would have begun past the deadline


@pytest.mark.parametrize("via", VIAS)
def test_the_backoff_after_an_attempt_the_deadline_cut_is_not_waited_for(
    make_bot: Any, server: OpenAIServer, via: str
) -> None:
    # Four quick 503s, then a server that hangs: the deadline cuts that attempt, and the SDK
    # then paused 6 to 8 s (its fifth backoff) before it found the turn late: 7 s and more.
    bot = make_bot(timeout=5, max_retries=6, turn_timeout=DEADLINE, breaker_failures=0)
    _turn(bot, via, WARM_UP)
    server.reset()
    server.fail(*[Fault.status(503, retry_after=0.01)] * 4, *[Fault.slow(8)] * 3)
    elapsed, reply = _timed(bot, via)
    assert elapsed < DEADLINE + 1.0
    assert reply is not None and reply.action == "fallback"
    assert reply.events[0].kind == "timeout"


@pytest.mark.parametrize("via", VIAS)
def test_a_retry_that_fits_in_the_deadline_is_still_made(
    make_bot: Any, server: OpenAIServer, via: str
) -> None:
    bot = make_bot(timeout=5, max_retries=2, turn_timeout=5, breaker_failures=0)
    _turn(bot, via, WARM_UP)
    server.reset()
    server.fail(Fault.status(503, retry_after=0.2), Fault.status(429, retry_after=0.2))
    reply = _turn(bot, via)
    assert reply is not None and reply.action == "answer"
    assert len(server.requests) == 3
