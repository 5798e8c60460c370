"""Streams stopped early, and what is stored for them: an async stream cancelled as a web
server cancels it, a turn cancelled before the model call or as its thread hands it back, a
stream left with break or closed unread, and the route and model a stopped stream keeps."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import servicebot.turnstart
from servicebot.cassette import ReplayMissError
from servicebot.config import BotSpec
from servicebot.filters import FilterEvent
from servicebot.model import AnswersAtOnce, Completion, ModelRequest
from servicebot.pipeline import Bot
from servicebot.store import open_store
from servicebot.store.memory import MemoryStore
from tests.unit.streammodels import FIRST, REFUNDS, Says


class Stalls(AnswersAtOnce):
    """A model that streams one sentence, then waits for more that never comes."""

    def stream(self, request: ModelRequest) -> Iterator[str | Completion]:
        yield f"{FIRST} "
        yield "They go back to your card."

    async def astream(self, request: ModelRequest) -> AsyncIterator[str | Completion]:
        yield f"{FIRST} "
        await asyncio.Event().wait()


def test_a_cancelled_async_stream_is_stored_with_what_it_showed(spec: BotSpec) -> None:
    bot = Bot(spec, model=Stalls(), store=MemoryStore())
    shown: list[str] = []

    async def read() -> None:
        async for piece in bot.astream(REFUNDS, conversation_id="cut"):
            shown.append(piece)

    async def main() -> None:
        task = asyncio.create_task(read())
        while not shown:
            await asyncio.sleep(0.001)
        task.cancel()  # what a web server does when the client goes away
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(main())
    (stored,) = bot.store.history("cut")
    assert (stored.reply_text, stored.action) == (FIRST, "answer") and shown == [FIRST]


class _Held:
    """A store call that waits, once, until the test lets it go: a SQLite lock held by
    another process, or a Redis server slow to answer."""

    def __init__(self, call: Callable[..., object]) -> None:
        self.call, self.entered, self.go = call, threading.Event(), threading.Event()

    def __call__(self, *args: object, **kwargs: object) -> object:
        if not self.entered.is_set():
            self.entered.set()
            assert self.go.wait(10), "the test never let the store go"
        return self.call(*args, **kwargs)


@pytest.mark.parametrize("form", ["areply", "astream"])
@pytest.mark.parametrize(
    ("message", "action"),
    [
        ("my parcel is late, call me on 13800138000", "answer"),
        ("how do I reset my password? call 13800138000", "direct"),  # no model call at all
    ],
)
@pytest.mark.parametrize("seam", ["history", "swap_state"])  # the read; the placeholders' write
def test_a_turn_cancelled_before_the_model_call_keeps_the_customers_message(
    spec: BotSpec, tmp_path: Path, form: str, message: str, action: str, seam: str
) -> None:
    """A web client that went away while the store was read, or the placeholders written:
    the message was lost, and the [PHONE_1] it took was used up with no turn holding it."""
    store = open_store("sqlite:///conversations.db", root=tmp_path)
    held = _Held(getattr(store, seam))
    setattr(store, seam, held)
    bot = Bot(spec, model=Says("We will call you shortly."), store=store)

    async def read() -> None:
        if form == "areply":
            await bot.areply(message, conversation_id="gone")
            return
        async for _ in bot.astream(message, conversation_id="gone"):
            pass

    async def main() -> None:
        task = asyncio.create_task(read())
        while not held.entered.is_set():
            await asyncio.sleep(0.001)
        task.cancel()
        task.cancel()  # cancelled twice: still neither hangs nor stores the turn twice
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 2)  # at once, not after the store lets go
        held.go.set()

    asyncio.run(main())  # which waits for the worker thread, as a server's shutdown does
    reply = bot.reply("or call my wife on 13900139000", conversation_id="gone")
    assert reply.step("store") == reply.trace[0] and reply.trace[0].decision == "1 turn loaded"
    first, _ = store.history("gone")
    assert (first.customer_text, first.reply_text, first.action) == (
        message.replace("13800138000", "[PHONE_1]"),
        "",
        action,
    )
    assert first.events[-1] == FilterEvent("model", "caller", "stopped", "kept")
    assert first.prompt_tokens == first.completion_tokens == 0  # the model was never asked
    assert "[PHONE_2]" in store.history("gone")[-1].customer_text
    store.close()


def test_a_turn_cancelled_as_its_thread_hands_it_back_is_stored_once_by_its_task(
    spec: BotSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker thread is done, but the loop has not yet resumed the task when the cancel
    comes: the thread stored nothing, so the task stores the turn."""
    store = open_store("sqlite:///conversations.db", root=tmp_path)
    bot = Bot(spec, model=Says("We will call you shortly."), store=store)
    prepared, begin = threading.Event(), servicebot.turnstart._begin_for_caller

    def begin_and_tell(*args: Any) -> Any:
        turn = begin(*args)
        prepared.set()
        return turn

    monkeypatch.setattr(servicebot.turnstart, "_begin_for_caller", begin_and_tell)

    async def main() -> None:
        task = asyncio.create_task(bot.areply("call me on 13800138000", conversation_id="c"))
        await asyncio.sleep(0)  # the task hands the turn to a thread
        assert prepared.wait(5)  # blocking the loop: the thread's result waits to be taken
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    (stored,) = store.history("c")
    assert (stored.customer_text, stored.reply_text) == ("call me on [PHONE_1]", "")
    store.close()


def test_an_async_stream_left_with_break_is_stored_at_once_in_async_with_and_soon_without(
    spec: BotSpec,
) -> None:
    # asyncio closes an async generator left with break on a later pass of the event loop:
    # .reply was None and nothing was stored when the caller looked, right after its loop.
    bot = Bot(spec, model=Stalls(), store=MemoryStore())

    async def main() -> None:
        async with bot.astream(REFUNDS, conversation_id="with") as stream:
            async for _ in stream:
                break
        assert stream.reply is not None and stream.reply.text == FIRST
        assert [turn.reply_text for turn in bot.store.history("with")] == [FIRST]
        kept = bot.astream(REFUNDS, conversation_id="without")  # the caller keeps the stream
        async for _ in kept:
            break
        for _ in range(200):  # asyncio's own close, on a later pass
            if kept.reply is not None:
                break
            await asyncio.sleep(0.01)
        assert kept.reply is not None
        assert [turn.reply_text for turn in bot.store.history("without")] == [FIRST]

    asyncio.run(main())


def test_a_stream_closed_unread_is_stored_with_nothing_shown_and_no_model_call(
    spec: BotSpec,
) -> None:
    # bot.stream() has already taken the message in (its placeholders kept): left unread,
    # it was never stored, as an astream cancelled before the model call now is.
    model = Says(FIRST)
    bot = Bot(spec, model=model, store=MemoryStore())
    with bot.stream("call me on 555-0100 about my refund", conversation_id="unread") as stream:
        pass
    (stored,) = bot.store.history("unread")
    assert (stored.customer_text, stored.reply_text, stored.prompt_tokens) == (
        "call me on [PHONE_1] about my refund",
        "",
        0,
    )
    assert stream.reply is not None and stream.reply.text == "" and model.calls == 0
    stream.close()  # closing again, or reading after, stores nothing more
    assert list(stream) == [] and len(bot.store.history("unread")) == 1


class Misses(AnswersAtOnce):
    """A replay with no recording for the request: the error ends the stream."""

    async def astream(self, request: ModelRequest) -> AsyncIterator[str | Completion]:
        raise ReplayMissError("no recorded reply")
        yield ""  # pragma: no cover


def test_an_async_stream_an_error_ended_is_not_stored_when_collected(
    spec: BotSpec, caplog: pytest.LogCaptureFixture
) -> None:
    bot = Bot(spec, model=Misses(), store=MemoryStore())

    async def read() -> None:
        with pytest.raises(ReplayMissError):
            async for _ in bot.astream(REFUNDS, conversation_id="miss"):
                pass

    asyncio.run(read())
    gc.collect()
    assert bot.store.history("miss") == [] and "never closed" not in caplog.text


def test_a_stream_left_with_break_is_stored_at_once_without_with(spec: BotSpec) -> None:
    # The stream holds its reading only weakly: a strong reference back would leave both to
    # the garbage collector (disabled here), and a for left with break would store nothing.
    bot = Bot(spec, model=Stalls(), store=MemoryStore())
    gc.disable()
    try:
        stream = bot.stream(REFUNDS, conversation_id="break")
        for _ in stream:
            break
    finally:
        gc.enable()
    assert stream.reply is not None and stream.reply.text == FIRST
    assert [turn.reply_text for turn in bot.store.history("break")] == [FIRST]


def test_a_stopped_stream_keeps_the_route_it_had(spec: BotSpec) -> None:
    bot = Bot(spec, model=Stalls(), store=MemoryStore())
    pieces = iter(bot.stream("write me a poem about spring", conversation_id="poem"))
    assert next(pieces) == FIRST
    pieces.close()  # type: ignore[attr-defined]
    (stored,) = bot.store.history("poem")
    assert stored.action == "out_of_scope"  # so it still counts toward routing.handoff_after
    # history says the reply was cut
    assert stored.events[-1] == FilterEvent("model", "caller", "stopped", "kept")


def test_a_stopped_stream_names_the_model_its_tokens_are_priced_by(spec: BotSpec) -> None:
    bot = Bot(spec, model=Stalls(), store=MemoryStore())
    pieces = iter(bot.stream(REFUNDS, conversation_id="priced"))
    next(pieces)
    pieces.close()  # type: ignore[attr-defined]
    (stored,) = bot.store.history("priced")
    assert stored.prompt_tokens > 0 and stored.model == spec.settings.model.name
