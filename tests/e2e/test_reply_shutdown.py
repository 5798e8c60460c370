"""Streams a web server leaves suspended as it shuts down, against the local server: the
response's body generator holds ``async with bot.astream()`` and is never resumed, and the
turn must still be stored with what the customer was shown (the README's promise for a
cancelled astream), by ``await bot.aclose()`` or else as the event loop ends."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from servicebot.pipeline import Bot
from servicebot.store import open_store
from tests.e2e.conftest import REFUNDS
from tests.openai_server import OpenAIServer
from tests.openai_wire import Fault

FIRST = "A refund shows up within 5 business days."
ANSWER = f"{FIRST} It goes back to the card you paid with. Anything else I can help with?"


@pytest.fixture
def slow(server: OpenAIServer) -> OpenAIServer:
    """Each answer streamed a word every 30 ms: under a second for the whole of it."""
    server.responder = lambda body: ANSWER
    server.fail(*[Fault.drip(0.03)] * 4)
    return server


def _history(tmp_path: Path, conversation_id: str) -> list[tuple[str, str, list[str]]]:
    """The stored turns of ``conversation_id``: reply text, action, and events."""
    store = open_store("sqlite:///conversations.db", root=tmp_path)
    turns = [
        (t.reply_text, t.action, [str(e) for e in t.events]) for t in store.history(conversation_id)
    ]
    store.close()
    return turns


def _bot(make_bot: Any, tmp_path: Path, **model: Any) -> Bot:
    bot: Bot = make_bot(store=open_store("sqlite:///conversations.db", root=tmp_path), **model)
    return bot


def _body(bot: Bot, conversation_id: str) -> AsyncIterator[str]:
    """A StreamingResponse's body, as the README's FastAPI example writes it."""

    async def body() -> AsyncIterator[str]:
        async with bot.astream(REFUNDS, conversation_id=conversation_id) as stream:
            async for piece in stream:
                yield piece

    return body()


async def _send_first_then_stall(bot: Bot, conversation_id: str, sent: list[str]) -> None:
    """A response that sent the first piece and then never sends again (a client that
    stopped reading, as uvicorn's response task is left when its graceful time is up)."""
    async for piece in _body(bot, conversation_id):
        sent.append(piece)
        await asyncio.Event().wait()


def test_aclose_stores_streams_left_suspended_with_what_they_showed(
    make_bot: Any, slow: OpenAIServer, tmp_path: Path
) -> None:
    """``await bot.aclose()`` in a lifespan hook waited for the suspended streams' turns and
    returned; the streams stayed unstored until the loop ended, and then were lost."""
    bot = _bot(make_bot, tmp_path, timeout=3.0)

    async def shut_down() -> None:
        sent: list[str] = []
        cut = asyncio.create_task(_send_first_then_stall(bot, "cut", sent))
        whole = asyncio.create_task(_drain(_body(bot, "whole")))  # ends during the wait
        while not sent:
            await asyncio.sleep(0.01)
        await bot.aclose()
        assert sent == [FIRST] and cut.done() is False and whole.done()
        assert _history(tmp_path, "cut") == [(FIRST, "answer", ["caller stopped kept"])]
        cut.cancel()  # the server's cancel, after: nothing more is stored
        with contextlib.suppress(asyncio.CancelledError):
            await cut

    asyncio.run(shut_down())
    assert len(_history(tmp_path, "cut")) == 1
    assert _history(tmp_path, "whole") == [(ANSWER, "answer", [])]  # not cut by the close


def test_aclose_does_not_wait_for_a_stream_its_caller_left_suspended(
    make_bot: Any, slow: OpenAIServer, tmp_path: Path
) -> None:
    """The suspended stream's turn held aclose() for the model's timeout times its attempts
    (the example bot's 20 s), past any web server's graceful shutdown, before it was stored:
    nothing of it runs, and nothing would end it."""
    bot = _bot(make_bot, tmp_path)  # model.timeout: 20

    async def shut_down() -> float:
        sent: list[str] = []
        cut = asyncio.create_task(_send_first_then_stall(bot, "cut", sent))
        while not sent:
            await asyncio.sleep(0.01)
        began = time.monotonic()
        await bot.aclose()
        took = time.monotonic() - began
        cut.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await cut
        return took

    assert asyncio.run(shut_down()) < 5
    assert _history(tmp_path, "cut") == [(FIRST, "answer", ["caller stopped kept"])]


def test_aclose_within_bounds_its_wait_for_a_stream_on_the_model(
    make_bot: Any, server: OpenAIServer, tmp_path: Path
) -> None:
    """``within``, below a web server's graceful shutdown: a stream whose model stalled
    (read, not suspended) is waited for that long, then stored with what it showed."""
    server.responder = lambda body: ANSWER
    server.fail(Fault.cut(chunks=9, stall=5.0))  # the first sentence, then silence
    bot = _bot(make_bot, tmp_path)  # model.timeout: 20

    async def shut_down() -> float:
        sent: list[str] = []
        reading = asyncio.create_task(_collect(_body(bot, "stalled"), sent))
        while not sent:
            await asyncio.sleep(0.01)
        began = time.monotonic()
        await bot.aclose(within=0.5)
        took = time.monotonic() - began
        assert sent == [FIRST] and not reading.done()  # still waiting on the model
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading
        return took

    assert 0.4 < asyncio.run(shut_down()) < 3
    assert _history(tmp_path, "stalled") == [(FIRST, "answer", ["caller stopped kept"])]


async def _collect(body: AsyncIterator[str], sent: list[str]) -> None:
    async for piece in body:
        sent.append(piece)


async def _drain(body: AsyncIterator[str]) -> None:
    async for _ in body:
        pass


def test_a_stream_left_suspended_as_its_event_loop_ends_is_stored(
    make_bot: Any, slow: OpenAIServer, tmp_path: Path
) -> None:
    """No aclose(): the response task is cancelled while it waits to send, its body is
    closed as the loop ends, and asyncio.run cancelled the store write before it began."""
    bot = _bot(make_bot, tmp_path)
    sent: list[str] = []

    async def main() -> None:
        task = asyncio.create_task(_send_first_then_stall(bot, "ended", sent))
        while not sent:
            await asyncio.sleep(0.01)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert sent == [FIRST]
    assert _history(tmp_path, "ended") == [(FIRST, "answer", ["caller stopped kept"])]


def test_aclose_stops_a_suspended_stream_first_so_the_turn_behind_it_runs(
    make_bot: Any, slow: OpenAIServer, tmp_path: Path
) -> None:
    """A message queued behind a suspended stream of its conversation counted as a turn in
    progress, but could run only once aclose() stopped the stream, after its whole wait: the
    example bot's 20 s, where the other conversation's slow turn ended in 1.5 s."""
    slow.fail(Fault.drip(0.03), Fault.slow(1.5))  # the stream's answer, then the other's
    bot = _bot(make_bot, tmp_path)  # model.timeout: 20

    async def shut_down() -> tuple[float, list[Any]]:
        sent: list[str] = []
        cut = asyncio.create_task(_send_first_then_stall(bot, "cut", sent))
        while not sent:
            await asyncio.sleep(0.01)
        other = asyncio.create_task(bot.areply("where is order 4711?", conversation_id="other"))
        await asyncio.sleep(0.2)  # its model call is under way: the stream's was first
        behind = asyncio.create_task(bot.areply("and to my bank?", conversation_id="cut"))
        await asyncio.sleep(0.2)  # waiting for the stream's turn
        began = time.monotonic()
        await bot.aclose()
        took = time.monotonic() - began
        replies = [task.result() for task in (behind, other)]  # both ended within the wait
        cut.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await cut
        return took, replies

    took, replies = asyncio.run(shut_down())
    assert took < 10
    assert [(r.action, r.turn) for r in replies] == [("answer", 2), ("answer", 1)]
    assert _history(tmp_path, "cut") == [
        (FIRST, "answer", ["caller stopped kept"]),
        (ANSWER, "answer", []),
    ]


def test_the_loop_ends_cleanly_after_aclose_stopped_a_suspended_stream(
    make_bot: Any, slow: OpenAIServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The stream's reading, and the model's stream under it, were left for the loop's end
    to close, all at once: "aclose(): asynchronous generator is already running", logged
    with a traceback by asyncio as every process with a suspended stream stopped."""
    bot = _bot(make_bot, tmp_path)
    held: list[AsyncIterator[str]] = []

    async def main() -> None:
        pieces = aiter(bot.astream(REFUNDS, conversation_id="held"))
        held.append(pieces)  # never read again, never closed by the caller
        assert await anext(pieces) == FIRST
        await bot.aclose()

    asyncio.run(main())
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert _history(tmp_path, "held") == [(FIRST, "answer", ["caller stopped kept"])]
