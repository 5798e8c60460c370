"""Customer messages that got no answer (sent while a person had the conversation, or
stopped before any text was shown) reach the bot's next prompt, joined to the next message;
on a SQLite file and a Redis server, through the real pipeline and the local server."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from servicebot.config import BotSpec
from servicebot.store import open_store
from tests.e2e.conftest import REFUNDS, STORES, asked, open_test_store, with_settings
from tests.openai_server import OpenAIServer


def _sent(server: OpenAIServer) -> list[tuple[str, str]]:
    """The last request's history and message, as (role, content), the system's left out."""
    return [(m["role"], m["content"]) for m in asked(server) if m["role"] != "system"]


@pytest.mark.parametrize("name", STORES)
def test_messages_sent_while_a_person_had_the_conversation_reach_the_bot_after_release(
    name: str,
    make_bot: Any,
    spec: BotSpec,
    server: OpenAIServer,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """No person answered; the conversation was released: the bot's prompt left out both
    messages the customer wrote meanwhile (their exchanges had an empty answer)."""
    held = with_settings(spec, routing={"with_person_minutes": 30})
    bot = make_bot(store=open_test_store(name, tmp_path, request), spec=held)
    assert bot.reply("can i speak to a real person", conversation_id="t").handed_off
    for text in ("my order 4711 arrived broken", "the mug handle snapped"):
        assert bot.reply(text, conversation_id="t").action == "with_person"
    bot.release("t")
    assert bot.reply("where is my order?", conversation_id="t").action == "answer"
    joined = "my order 4711 arrived broken\nthe mug handle snapped\nwhere is my order?"
    assert _sent(server)[-1] == ("user", joined)
    answer = bot.reply("and when will the refund arrive?", conversation_id="t")
    assert ("user", joined) in _sent(server)  # as history too, with its answer after it
    assert all(content for _, content in _sent(server))  # never an empty answer
    assert (answer.action, answer.turn) == ("answer", 5)


def test_a_message_stopped_before_any_text_reaches_the_next_prompt(
    make_bot: Any, server: OpenAIServer, tmp_path: Path
) -> None:
    """A client gone before the model answered: its turn is stored with no reply, and the
    next prompt left its message out."""
    bot = make_bot(store=open_store("sqlite:///turns.db", root=tmp_path))
    server.latency = 5.0

    async def deliver() -> Any:
        task = asyncio.create_task(bot.areply(f"{REFUNDS} Order 4711.", "c"))
        await asyncio.sleep(0.5)  # at the model
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        server.latency = 0.0
        return await asyncio.wait_for(bot.areply("Are you there?", "c"), 30)

    assert asyncio.run(deliver()).turn == 2
    assert _sent(server)[-1] == ("user", f"{REFUNDS} Order 4711.\nAre you there?")
    assert all(content for _, content in _sent(server))


@pytest.mark.parametrize("name", STORES)
def test_a_delivery_stopped_before_any_answer_is_answered_when_delivered_again(
    name: str,
    make_bot: Any,
    server: OpenAIServer,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """Slack's deadline (`asyncio.wait_for(..., 2.5)`) passes while the model thinks: the
    turn was stored with no reply, and every retry of the message got that empty reply,
    ``repeated``, for ever, while later prompts left the message out."""
    store = open_test_store(name, tmp_path, request)
    bot = make_bot(store=store)
    text = f"{REFUNDS} Order 4711."
    server.latency = 5.0

    async def deliver() -> list[Any]:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(bot.areply(text, "s", message_id="S1"), 0.5)
        server.latency = 0.0
        again = await bot.areply(text, "s", message_id="S1")
        return [again, await bot.areply(text, "s", message_id="S1")]

    again, third = asyncio.run(deliver())
    assert (again.turn, again.repeated, again.action) == (2, False, "answer")
    assert again.text
    assert (third.turn, third.repeated, third.text) == (2, True, again.text)
    later = bot.reply("And to my bank account?", "s", message_id="S2")
    assert later.turn == 3
    users = [content for role, content in _sent(server) if role == "user"]
    assert sum("Order 4711" in user for user in users) == 1  # read once, with its answer
    stored = [(t.number, t.message_id, t.reply_text != "") for t in store.history("s")]
    assert stored == [(1, "S1", False), (2, "S1", True), (3, "S2", True)]
