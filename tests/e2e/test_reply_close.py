"""Bot.close() and aclose() while turns are still running (a reload): the turns the bot had
begun are answered and stored, against the local server, in threads and in asyncio tasks."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from servicebot.model import ModelError, request_for
from servicebot.pipeline import Bot, Reply
from servicebot.store import open_store
from tests.e2e.conftest import REFUNDS
from tests.e2e.modelcalls import MESSAGES, MakeModel
from tests.openai_server import OpenAIServer

TURNS = 4


class _HeldAnswers:
    """The server's responder: every answer is held until ``release`` is set, so that the
    test closes the bot while its turns wait on the model."""

    def __init__(self) -> None:
        self.arrived = threading.Semaphore(0)
        self.release = threading.Event()

    def __call__(self, body: dict[str, Any]) -> str:
        self.arrived.release()
        assert self.release.wait(30)
        return "A refund shows up within 5 business days."

    def wait_for(self, requests: int) -> None:
        for _ in range(requests):
            assert self.arrived.acquire(timeout=30)


@pytest.fixture
def held(server: OpenAIServer) -> _HeldAnswers:
    server.responder = held = _HeldAnswers()
    return held


def _stored_everything(replies: list[Reply], tmp_path: Path) -> None:
    """Every turn answered by the model, not a fallback, and stored as the first turn of its
    conversation, in the store the closed bot used."""
    assert [(r.action, r.turn) for r in replies] == [("answer", 1)] * TURNS
    store = open_store("sqlite:///conversations.db", root=tmp_path)
    assert [len(store.history(f"c{k}")) for k in range(TURNS)] == [1] * TURNS
    store.close()


def _bot(make_bot: Any, tmp_path: Path) -> Bot:
    bot: Bot = make_bot(store=open_store("sqlite:///conversations.db", root=tmp_path))
    return bot


def test_close_while_turns_wait_on_the_model_in_threads_lets_them_finish(
    make_bot: Any, held: _HeldAnswers, tmp_path: Path
) -> None:
    """The README's reload recipe in a threaded server: close() closed the model client and
    the store under the turns, which became fallbacks, unstored (or crashed the process)."""
    bot = _bot(make_bot, tmp_path)
    with ThreadPoolExecutor(TURNS) as pool:
        running = [pool.submit(bot.reply, REFUNDS, f"c{k}") for k in range(TURNS)]
        held.wait_for(TURNS)
        bot.close()  # returns at once: the last turn to end closes
        held.release.set()
        replies = [turn.result(timeout=30) for turn in running]
    _stored_everything(replies, tmp_path)


def test_aclose_while_areplies_wait_on_the_model_waits_for_them(
    make_bot: Any, held: _HeldAnswers, tmp_path: Path
) -> None:
    """``await bot.aclose()`` closed the event loop's client under its turns, which fell back
    with ``broken_response: RuntimeError: ... the client has been closed``."""
    bot = _bot(make_bot, tmp_path)

    async def reload() -> list[Reply]:
        turns = [asyncio.create_task(bot.areply(REFUNDS, f"c{k}")) for k in range(TURNS)]
        await asyncio.to_thread(held.wait_for, TURNS)
        closing = asyncio.create_task(bot.aclose())
        await asyncio.wait({closing}, timeout=0.2)
        assert not closing.done()  # waiting for the turns, while the loop serves on
        held.release.set()
        await closing
        return await asyncio.gather(*turns)

    _stored_everything(asyncio.run(reload()), tmp_path)


def test_a_call_on_a_client_closed_here_is_not_blamed_on_the_server(
    make_model: MakeModel,
) -> None:
    """A client closed under a call (by this process) said ``broken_response``, which sends
    the on-call after the provider; it says ``closed``, and that it was closed here."""
    model = make_model()
    model.client.close()  # as Bot.close() did under a turn that had taken the client
    with pytest.raises(ModelError) as caught:
        model.complete(request_for(model.settings, MESSAGES))
    assert caught.value.kind == "closed"
    assert str(caught.value).startswith("closed: closed here, not by the server (bot.close()")
