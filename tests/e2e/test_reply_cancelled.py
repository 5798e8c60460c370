"""A turn whose caller is cancelled while its store write runs in a worker thread (a webhook's
deadline, a client gone): the conversation's next turn waits for the write, on SQLite and
Redis, against the local server. The write is made slow by a store that waits first, as a
stalled disk, another process's lock or a slow network would."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from servicebot.pipeline import Bot
from servicebot.store import TurnRecord, open_store
from tests.e2e.conftest import REFUNDS
from tests.openai_server import OpenAIServer

WRITE = 0.6  # seconds each turn's write takes


class _SlowWrites:
    """A real store whose first turn write waits ``WRITE`` s first (later ones do not: a
    turn let go too early is then stored first); ``writing`` is set as it begins, for the
    test to cancel its caller then."""

    blocking = True

    def __init__(self, store: Any) -> None:
        self._store, self.writing = store, threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def append_turn(self, turn: TurnRecord) -> TurnRecord:
        if not self.writing.is_set():
            self.writing.set()
            time.sleep(WRITE)
        stored: TurnRecord = self._store.append_turn(turn)
        return stored


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def slow_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[_SlowWrites]:
    if request.param == "sqlite":
        store = open_store("sqlite:///conversations.db", root=tmp_path)
    else:
        url = request.getfixturevalue("redis_url")
        store = open_store(url, root=tmp_path, namespace=uuid.uuid4().hex)
    yield _SlowWrites(store)
    store.close()


def _users_asked(server: OpenAIServer, index: int = -1) -> list[str]:
    return [m["content"] for m in server.requests[index].body["messages"] if m["role"] == "user"]


async def _cancelled_when_writing(task: asyncio.Task[Any], store: _SlowWrites) -> None:
    """Cancel ``task`` once its turn's write has begun, and see it end cancelled."""
    await asyncio.to_thread(store.writing.wait, 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_a_turn_cancelled_while_stored_holds_its_conversation_until_written(
    make_bot: Any, server: OpenAIServer, slow_store: _SlowWrites
) -> None:
    """Slack gives up on a webhook at its deadline and delivers the message again: the retry
    and the customer's next message went ahead as the cancel came, while the first turn was
    still being written. The retry found no turn (a second model call, a second turn for
    one message), and the next message was numbered first and asked without it."""
    bot: Bot = make_bot(store=slow_store)
    first = f"{REFUNDS} This is my first message."

    async def deliver() -> list[Any]:
        task = asyncio.create_task(bot.areply(first, "c", message_id="m1"))
        await _cancelled_when_writing(task, slow_store)
        retry = asyncio.create_task(bot.areply(first, "c", message_id="m1"))
        await asyncio.sleep(0)  # the retry is in line first
        later = bot.areply("And the second one?", "c", message_id="m2")
        return list(await asyncio.wait_for(asyncio.gather(retry, later), 30))

    retry, later = asyncio.run(deliver())
    assert (retry.turn, retry.repeated, retry.action) == (1, True, "answer")
    assert retry.text  # the answer the first delivery stored
    assert (later.turn, later.repeated) == (2, False)
    assert len(server.requests) == 2  # the first message's, and the second's
    assert any("my first message" in user for user in _users_asked(server))
    assert [t.message_id for t in slow_store.history("c")] == ["m1", "m2"]


def test_a_stream_cancelled_while_stored_holds_its_conversation_until_written(
    make_bot: Any, server: OpenAIServer, slow_store: _SlowWrites
) -> None:
    """The same for ``astream``, whose end let the next turn go as the cancel came."""
    bot: Bot = make_bot(store=slow_store)

    async def read() -> None:
        async for _ in bot.astream(f"{REFUNDS} This is my first message.", "c"):
            pass

    async def deliver() -> Any:
        await _cancelled_when_writing(asyncio.create_task(read()), slow_store)
        return await asyncio.wait_for(bot.areply("And the second one?", "c"), 30)

    later = asyncio.run(deliver())
    assert later.turn == 2
    assert any("my first message" in user for user in _users_asked(server))
    assert [t.number for t in slow_store.history("c")] == [1, 2]


def test_a_second_cancel_while_a_stopped_turn_is_stored_does_not_let_the_next_go(
    make_bot: Any, server: OpenAIServer, slow_store: _SlowWrites
) -> None:
    """Cancelled at the model, the turn is stored as stopped (shielded); a second cancel
    then ended the caller's wait, and let the next turn go before the write ended."""
    bot: Bot = make_bot(store=slow_store)
    server.latency = 5.0

    async def deliver() -> Any:
        task = asyncio.create_task(bot.areply(f"{REFUNDS} My first message.", "c"))
        await asyncio.sleep(0.3)  # at the model
        task.cancel()
        await _cancelled_when_writing(task, slow_store)  # the stopped turn's write, again
        server.latency = 0.0
        return await asyncio.wait_for(bot.areply("And the second one?", "c"), 30)

    later = asyncio.run(deliver())
    assert later.turn == 2
    stored = slow_store.history("c")
    assert [(t.number, t.customer_text[:12]) for t in stored] == [
        (1, f"{REFUNDS} My first message."[:12]),
        (2, "And the seco"),
    ]
