"""Turns of one conversation taken one at a time, in the order they arrive (turnorder.py),
against the local server, in threads and asyncio tasks, on a real SQLite file: a webhook
delivers each message in its own request, while the turn before it still waits on the model."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from servicebot.errors import ConversationIdError
from servicebot.pipeline import Bot, Reply
from servicebot.store import open_store
from tests.e2e.conftest import REFUNDS, with_settings
from tests.openai_server import OpenAIServer
from tests.openai_wire import Fault

WORDS = ("first", "second", "third", "fourth", "fifth")
PHONE = "+14155552671"


def _messages() -> list[str]:
    return [f"{REFUNDS} This is my {word} message." for word in WORDS]


def _sqlite_bot(make_bot: Any, tmp_path: Path, **model: Any) -> Bot:
    bot: Bot = make_bot(store=open_store("sqlite:///conversations.db", root=tmp_path), **model)
    return bot


def _users_asked(server: OpenAIServer) -> list[list[str]]:
    """Each request's customer messages, in the order the requests arrived."""
    return [
        [m["content"] for m in r.body["messages"] if m["role"] == "user"] for r in server.requests
    ]


def _in_order(server: OpenAIServer, replies: list[Reply], sent: list[str]) -> None:
    """Each turn was numbered in send order, and the model saw every earlier message."""
    assert [reply.turn for reply in replies] == list(range(1, len(sent) + 1))
    asked = _users_asked(server)
    assert len(asked) == len(sent)
    for k, users in enumerate(asked):
        assert [word for word in WORDS if any(word in user for user in users)] == list(
            WORDS[: k + 1]
        )


def test_areplies_of_one_conversation_run_in_send_order_behind_a_slow_first(
    make_bot: Any, server: OpenAIServer, tmp_path: Path
) -> None:
    """Five webhook deliveries 0.1 s apart, the first 1 s at the model: all five ran at once,
    numbered as they finished, and no request to the model held the first message."""
    bot, sent = _sqlite_bot(make_bot, tmp_path), _messages()
    server.fail(Fault.slow(1.0))

    async def deliver() -> list[Reply]:
        tasks = []
        for text in sent:
            tasks.append(asyncio.create_task(bot.areply(text, PHONE)))
            await asyncio.sleep(0.1)
        return list(await asyncio.gather(*tasks))

    _in_order(server, asyncio.run(deliver()), sent)


def test_replies_of_one_conversation_from_threads_run_in_arrival_order(
    make_bot: Any, server: OpenAIServer, tmp_path: Path
) -> None:
    """The same from a threaded server: each thread's turn waits for the one before it."""
    bot, sent = _sqlite_bot(make_bot, tmp_path), _messages()
    server.fail(Fault.slow(1.0))
    with ThreadPoolExecutor(len(sent)) as pool:
        running = []
        for text in sent:
            running.append(pool.submit(bot.reply, text, PHONE))
            time.sleep(0.1)
        replies = [turn.result(timeout=60) for turn in running]
    _in_order(server, replies, sent)


class _Overlap:
    """A responder that holds each answer a while, counting the most held at one time."""

    def __init__(self) -> None:
        self.lock, self.now, self.most = threading.Lock(), 0, 0

    def __call__(self, body: dict[str, Any]) -> str:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(0.5)
        with self.lock:
            self.now -= 1
        return "A refund shows up within 5 business days."


def test_turns_of_different_conversations_still_run_at_once(
    make_bot: Any, server: OpenAIServer, tmp_path: Path
) -> None:
    bot = _sqlite_bot(make_bot, tmp_path)
    server.responder = overlap = _Overlap()

    async def both() -> list[Reply]:
        return list(await asyncio.gather(bot.areply(REFUNDS, "a"), bot.areply(REFUNDS, "b")))

    assert [reply.turn for reply in asyncio.run(both())] == [1, 1]
    assert overlap.most == 2


def test_a_task_cancelled_while_it_waits_leaves_the_line(
    make_bot: Any, server: OpenAIServer, tmp_path: Path
) -> None:
    """A webhook request dropped while its turn waits for the one before: the next turn
    goes ahead once the first is stored, not held by the one that left."""
    bot, sent = _sqlite_bot(make_bot, tmp_path), _messages()
    server.fail(Fault.slow(1.0))

    async def deliver() -> list[Reply]:
        first = asyncio.create_task(bot.areply(sent[0], PHONE))
        await asyncio.sleep(0.1)
        left = asyncio.create_task(bot.areply(sent[1], PHONE))
        await asyncio.sleep(0.1)
        third = asyncio.create_task(bot.areply(sent[2], PHONE))
        await asyncio.sleep(0.1)
        left.cancel()
        with pytest.raises(asyncio.CancelledError):
            await left
        return [await asyncio.wait_for(first, 30), await asyncio.wait_for(third, 30)]

    replies = asyncio.run(deliver())
    assert [reply.turn for reply in replies] == [1, 2]
    said = [
        [w for w in WORDS if any(w in user for user in users)] for users in _users_asked(server)
    ]
    assert said == [["first"], ["first", "third"]]  # the one that left: never taken in
    store = open_store("sqlite:///conversations.db", root=tmp_path)
    assert [t.number for t in store.history(PHONE)] == [1, 2]
    store.close()


def test_a_stream_left_suspended_holds_its_conversation_only_for_its_bound(
    make_bot: Any,
    server: OpenAIServer,
    tmp_path: Path,
    spec: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A stream read to its first sentence, then neither read nor closed: the next turn of
    its conversation waits for it as long as a turn may take (model.turn_timeout and three
    store commands), then goes ahead, saying so, instead of waiting for ever."""
    quick = with_settings(spec, store={"timeout": 0.1})
    store = open_store("sqlite:///conversations.db", root=tmp_path)
    bot: Bot = make_bot(store=store, spec=quick, turn_timeout=1.0)
    server.responder = lambda body: "Refunds take 5 days. They show on your card. Thanks."
    stream = bot.stream(REFUNDS, PHONE)
    pieces = iter(stream)
    assert next(pieces)
    with ThreadPoolExecutor(1) as pool, caplog.at_level(logging.WARNING, "servicebot"):
        later = pool.submit(bot.reply, "Thanks, and when will it arrive?", PHONE)
        reply = later.result(timeout=30)
    assert reply.turn == 1  # the stream's turn was not stored yet: it gave way
    assert "the next turn goes ahead without it" in caplog.text
    stream.close()
    assert stream.reply is not None and stream.reply.turn == 2


def test_a_message_delivered_again_is_answered_once(
    make_bot: Any, server: OpenAIServer, tmp_path: Path
) -> None:
    """A platform's retries (Slack's after 3 s, WeChat's after 5 s): one message three times
    at once, then once more. Each was a turn of its own, four model calls and four stored
    turns, and the last prompt carried the duplicates as history."""
    bot = _sqlite_bot(make_bot, tmp_path)
    server.fail(Fault.slow(1.0))
    text = f"{REFUNDS} My number is +1 415 555 2671."

    async def deliver() -> list[Reply]:
        at_once = [bot.areply(text, "c", message_id="Ev042") for _ in range(3)]
        replies = list(await asyncio.gather(*at_once))
        return [*replies, await bot.areply(text, "c", message_id="Ev042")]

    first, *again = asyncio.run(deliver())
    assert len(server.requests) == 1
    assert (first.turn, first.repeated, first.action) == (1, False, "answer")
    assert "2671" in first.text  # the customer's own number, restored
    for reply in again:
        assert (reply.text, reply.action, reply.turn, reply.repeated) == (
            first.text,
            "answer",
            1,
            True,
        )
    later = bot.reply("And to my bank account?", "c", message_id="Ev043")
    assert (later.turn, later.repeated) == (2, False)
    assert sum("My number is" in user for user in _users_asked(server)[-1]) == 1  # once
    store = open_store("sqlite:///conversations.db", root=tmp_path)
    assert [t.message_id for t in store.history("c")] == ["Ev042", "Ev043"]
    store.close()


def test_a_stream_of_a_message_answered_already_shows_its_reply_again(
    make_bot: Any, server: OpenAIServer, tmp_path: Path
) -> None:
    bot = _sqlite_bot(make_bot, tmp_path)
    first = bot.reply(REFUNDS, "c", message_id="m1")
    with bot.stream(REFUNDS, "c", message_id="m1") as stream:
        assert "".join(stream) == first.text
    assert stream.reply is not None and stream.reply.repeated and stream.reply.turn == 1
    assert len(server.requests) == 1


@pytest.mark.parametrize("bad", ["", "  ", "a\nb", "x" * 201])
def test_a_message_id_no_message_may_have_is_refused_at_the_call(make_bot: Any, bad: str) -> None:
    bot = make_bot()
    with pytest.raises(ConversationIdError, match="message_id"):
        bot.reply(REFUNDS, "c", message_id=bad)
    with pytest.raises(ConversationIdError, match="message_id"):
        bot.astream(REFUNDS, "c", message_id=bad)
