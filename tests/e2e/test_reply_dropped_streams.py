"""A stream dropped unclosed, sync or async, read or not, against the local server: it lets
the next turn of its conversation go at once (its finalizer, stream._abandoned; asyncio's
async generator hooks), not after the turn's bound (turnorder.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from servicebot.pipeline import Bot
from tests.e2e.conftest import REFUNDS
from tests.openai_server import OpenAIServer

ANSWER = "Refunds take 5 days. They show on your card. Thanks."
QUICK = 2.0  # seconds: a held conversation would wait the whole bound, over turn_timeout's 10


def _bot(make_bot: Any, server: OpenAIServer) -> Bot:
    server.responder = lambda body: ANSWER
    bot: Bot = make_bot(turn_timeout=10.0)
    return bot


def _dropped(stream: Any, read: int) -> Iterator[str]:
    pieces = iter(stream)
    for _ in range(read):
        yield next(pieces)


@pytest.mark.parametrize("read", [0, 1])
def test_a_stream_dropped_unclosed_lets_its_conversation_go_at_once(
    make_bot: Any, server: OpenAIServer, read: int
) -> None:
    bot = _bot(make_bot, server)
    list(_dropped(bot.stream(REFUNDS, "c-1"), read))
    began = time.monotonic()
    later = bot.reply("And when will it arrive?", "c-1")
    assert time.monotonic() - began < QUICK
    assert later.turn == 1 + read  # a stream never read stores nothing


def test_an_astream_dropped_unclosed_lets_its_conversation_go_at_once(
    make_bot: Any, server: OpenAIServer
) -> None:
    bot = _bot(make_bot, server)

    async def run() -> tuple[float, int]:
        pieces = aiter(bot.astream(REFUNDS, "c-1"))
        assert await anext(pieces)
        del pieces  # asyncio closes it on the loop (its async generator hooks)
        began = time.monotonic()
        later = await bot.areply("And when will it arrive?", "c-1")
        return time.monotonic() - began, later.turn

    waited, later = asyncio.run(run())
    assert waited < QUICK and later == 2
