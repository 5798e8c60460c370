"""Bot.reply and a conversation store that fails, hangs, blinks, cannot be opened or is slow:
the customer is answered all the same, and async turns keep the event loop free."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from servicebot.config import BotSpec
from servicebot.errors import StorageError
from servicebot.pipeline import Bot, Reply
from servicebot.store import Pause, TurnRecord, open_store
from servicebot.store.memory import MemoryStore
from tests.conftest import at_once
from tests.e2e.conftest import REFUNDS, with_settings
from tests.openai_server import OpenAIServer


class _BrokenStore(MemoryStore):
    def append_turn(self, turn: TurnRecord) -> TurnRecord:
        raise StorageError("redis: connection refused")


def test_a_reply_is_returned_when_the_store_fails(
    make_bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    reply = make_bot(store=_BrokenStore()).reply(REFUNDS)
    assert reply.action == "answer" and reply.turn is None
    assert reply.trace[-1].stage == "store" and "not stored" in reply.trace[-1].decision
    assert "turn not stored" in caplog.text


class _HangingStore(MemoryStore):
    """A store whose server stopped answering: each command waits out its timeout (on the
    clock below), then fails, until ``up``."""

    def __init__(self, clock: list[float]) -> None:
        super().__init__()
        self.clock, self.up, self.tried = clock, False, 0

    def history(self, conversation_id: str, limit: int | None = None) -> list[TurnRecord]:
        self.tried += 1
        if not self.up:
            self.clock[0] += 2.0  # store.timeout, tried twice
            raise StorageError("redis: timeout reading from socket")
        return super().history(conversation_id, limit)


def test_a_store_that_stops_answering_is_not_waited_for_by_every_turn(
    spec: BotSpec, caplog: pytest.LogCaptureFixture
) -> None:
    # 100 async turns at once queued for the worker threads behind each other's timeouts:
    # over a minute each. After a slow failure, turns skip the store for a while.
    clock = [1000.0]
    store = _HangingStore(clock)
    bot = Bot(spec, offline=True, store=store)
    bot.store_pause = Pause(clock=lambda: clock[0])
    first = bot.reply("how long do refunds take?", "c1")
    assert first.text and first.turn is None and store.tried == 1
    caplog.clear()
    for _ in range(10):  # answered at once, unstored, without trying the store
        skipped = bot.reply("退货政策是什么？", "c2")
        assert skipped.text and skipped.turn is None
        assert "not tried" in skipped.trace[0].decision
        clock[0] += 0.4
    assert store.tried == 1
    # The same words each time: a countdown in them ("4.9 s left") split the lines' groups.
    said = {record.getMessage() for record in caplog.records}
    assert said == {
        "conversation c2: could not load its history: not tried: a command failed slowly just "
        "now (the store is tried again 5 s after it)",
        "conversation c2: turn not stored: not tried: a command failed slowly just now (the "
        "store is tried again 5 s after it)",
    }
    clock[0] += Pause.LENGTH
    store.up = True
    assert bot.reply("how long do refunds take?", "c1").turn == 1  # tried again, and stored
    assert store.tried == 2


def test_areply_opens_the_store_off_the_event_loop(
    spec: BotSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening SQLite may wait up to its busy timeout for another process's lock: on the
    loop, every request of the worker would wait with it."""
    import threading

    import servicebot.pipeline

    opened_in: list[threading.Thread] = []

    def open_bot_store(*args: Any, **kwargs: Any) -> Any:
        opened_in.append(threading.current_thread())
        return open_store(f"sqlite:///{tmp_path / 'bot.db'}")

    monkeypatch.setattr(servicebot.pipeline, "open_bot_store", open_bot_store)
    bot = Bot(spec, offline=True)
    reply = asyncio.run(bot.areply("how long do refunds take?", "c1"))
    assert reply.turn == 1
    assert len(opened_in) == 1 and opened_in[0] is not threading.main_thread()
    bot.close()


class _BlinkingStore(MemoryStore):
    """A store whose reads fail while ``down``: a blip during one turn's load."""

    down = False

    def history(self, conversation_id: str, limit: int | None = None) -> list[TurnRecord]:
        if self.down:
            raise StorageError("redis: timeout reading from socket")
        return super().history(conversation_id, limit)


def test_a_turn_whose_placeholders_could_not_be_loaded_is_not_stored(
    make_bot: Any, server: OpenAIServer
) -> None:
    """Numbered afresh, the blip's number would be stored as [PHONE_1] beside the first
    one's, and the model would read both as one."""
    store = _BlinkingStore()
    bot = make_bot(store=store)
    server.responder = lambda body: "We will call you shortly."
    assert bot.reply("my parcel is late, call me on 13800138000", "c1").turn == 1
    store.down = True
    blip = bot.reply("actually call my wife on 13900139000 instead", "c1")
    store.down = False
    assert blip.text and blip.turn is None  # answered, not stored
    assert "could not be loaded" in blip.trace[-1].decision
    assert bot.reply("or on 13700137000", "c1").turn == 2
    assert [turn.customer_text for turn in store.history("c1")] == [
        "my parcel is late, call me on [PHONE_1]",
        "or on [PHONE_2]",
    ]


@pytest.mark.parametrize("form", ["reply", "areply", "stream", "astream"])
def test_a_store_that_cannot_be_opened_costs_only_the_record(
    spec: BotSpec, form: str, caplog: pytest.LogCaptureFixture
) -> None:
    """areply and astream raised StorageError where reply answered."""
    unopenable = with_settings(spec, store={"url": "sqlite:////proc/no-such-dir/bot.db"})
    bot = Bot(unopenable, offline=True)

    async def answer() -> Reply | None:
        if form == "areply":
            return await bot.areply("how long do refunds take?", "c1")
        stream = bot.astream("how long do refunds take?", "c1")
        assert "".join([piece async for piece in stream])
        return stream.reply

    if form == "reply":
        reply: Reply | None = bot.reply("how long do refunds take?", "c1")
    elif form == "stream":
        stream = bot.stream("how long do refunds take?", "c1")
        assert "".join(stream)
        reply = stream.reply
    else:
        reply = asyncio.run(answer())
    assert reply is not None and reply.action == "direct" and reply.turn is None
    assert "cannot open the conversation store" in caplog.text


def test_racing_replies_on_one_conversation_keep_turns_gapless(
    make_bot: Any, tmp_path: Path
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'turns.db'}")
    bot = make_bot(store=store)

    def talk() -> None:
        for _ in range(5):
            bot.reply("where is my order?", conversation_id="shared")

    errors = at_once(*[talk] * 6)
    assert errors == []
    assert [t.number for t in store.history("shared")] == list(range(1, 31))


class _SlowStore(MemoryStore):
    blocking = True

    def history(self, conversation_id: str, limit: int | None = None) -> list[TurnRecord]:
        time.sleep(0.2)  # a store waiting on a lock or a network
        return super().history(conversation_id, limit)


def test_areply_keeps_the_event_loop_free_while_the_store_waits(spec: BotSpec) -> None:
    bot = Bot(spec, offline=True, store=_SlowStore())

    async def main() -> tuple[int, list[Reply]]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        questions = [bot.areply("how long do refunds take?", f"c{n}") for n in range(4)]
        replies = await asyncio.gather(*questions)
        task.cancel()
        return ticks, replies

    ticks, replies = asyncio.run(main())
    assert [r.action for r in replies] == ["direct"] * 4
    assert ticks >= 10  # the loop ran on while four store reads waited 0.2 s each
