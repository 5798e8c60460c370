"""Bot.stream and Bot.astream end to end: what is shown, when the model stops being read, and
what is stored when the caller leaves early, cancels, or the stream breaks."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from servicebot.config import BotSpec
from servicebot.filters import FilterEvent
from servicebot.model import OpenAIClient
from servicebot.pipeline import Bot, Reply
from servicebot.store import TurnRecord
from servicebot.store.memory import MemoryStore
from tests.conftest import REPO
from tests.e2e.conftest import REFUNDS, asked, bot_on_server, read_streamed
from tests.openai_server import Fault, OpenAIServer


def test_areply_and_both_streams_answer_like_reply(make_bot: Any, server: OpenAIServer) -> None:
    server.responder = lambda body: "Refunds take 2 business days. Your bank may add a few more."
    bot = make_bot()
    bot.cache = None  # each call asks the model
    expected = bot.reply(REFUNDS).text

    async def both() -> tuple[Reply, list[str], Reply | None]:
        reply = await bot.areply(REFUNDS)
        stream = bot.astream(REFUNDS)
        pieces = [piece async for piece in stream]
        if isinstance(bot.model, OpenAIClient):
            await bot.model.aclose()
        return reply, pieces, stream.reply

    reply, pieces, streamed = asyncio.run(both())
    assert reply.text == expected
    assert "".join(pieces) == expected and streamed is not None and streamed.text == expected
    stream = bot.stream(REFUNDS)
    assert list(stream) == ["Refunds take 2 business days.", " Your bank may add a few more."]
    assert server.schema_errors == []


TWO_SENTENCES = "Refunds take 2 business days. Your bank may add a few more."


STOPPED = FilterEvent("model", "caller", "stopped", "kept")


@pytest.mark.parametrize("leave", ["with", "close"])
def test_a_stream_left_early_is_stored_at_once_with_what_it_showed(
    make_bot: Any, server: OpenAIServer, leave: str
) -> None:
    # The caller held its iterator: .reply was None and nothing was stored until Python
    # collected the generator, and async with was the only way to have it stored at once.
    server.responder = lambda body: TWO_SENTENCES
    server.fail(Fault.drip(0.05))  # the second sentence still on its way when the caller left
    bot = make_bot()
    stream = bot.stream(REFUNDS, conversation_id="held")
    pieces = iter(stream)  # kept past the block: only leaving it may store the turn
    if leave == "with":
        with stream:
            shown = next(pieces)
    else:
        shown = next(pieces)
        stream.close()
    assert shown == "Refunds take 2 business days."
    assert stream.reply is not None and (stream.reply.text, stream.reply.turn) == (shown, 1)
    (stored,) = bot.store.history("held")
    assert (stored.reply_text, stored.action) == (shown, "answer")
    assert stored.events[-1] == STOPPED
    assert list(pieces) == [] and len(server.requests) == 1  # closed: nothing more is read


_HELD_TO_THE_END = """
import sys
from servicebot import Bot
bot = Bot.load(sys.argv[1])
pieces = iter(bot.stream(sys.argv[2], conversation_id="held"))
print(next(pieces))
"""


def test_a_stream_held_unfinished_when_the_script_ends_is_stored_with_what_it_showed(
    server: OpenAIServer, tmp_path: Path
) -> None:
    # A script that kept its iterator to the end: the turn was never stored, and closing the
    # reading in the interpreter's teardown logged "sys.meta_path is None".
    server.responder = lambda body: TWO_SENTENCES
    server.fail(Fault.drip(0.05))
    bot = bot_on_server(server, tmp_path)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OPENAI_API_KEY": "sk-test"}
    env["PYTHONPATH"] = str(REPO)
    result = subprocess.run(
        [sys.executable, "-c", _HELD_TO_THE_END, str(bot), REFUNDS],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert (result.returncode, result.stdout) == (0, "Refunds take 2 business days.\n")
    assert "Traceback" not in result.stderr and "Error" not in result.stderr, result.stderr
    reloaded = Bot.load(bot)
    (stored,) = reloaded.store.history("held")
    reloaded.close()
    assert stored.reply_text == "Refunds take 2 business days."
    assert stored.events[-1] == STOPPED


def test_a_stream_is_read_once(make_bot: Any, server: OpenAIServer) -> None:
    # A second iter() before the first reading ended asked the model again and stored two
    # turns for one customer message.
    server.responder = lambda body: TWO_SENTENCES
    bot = make_bot()
    bot.cache = None  # a cached answer would hide a second model request
    stream = bot.stream(REFUNDS, conversation_id="once")
    pieces = iter(stream)
    with pytest.raises(TypeError, match="already being read"):
        iter(stream)
    assert "".join(pieces) == TWO_SENTENCES
    assert list(stream) == []  # read to its end: the turn is answered and stored
    assert len(server.requests) == 1
    assert [turn.reply_text for turn in bot.store.history("once")] == [TWO_SENTENCES]


def test_an_async_stream_is_read_once(make_bot: Any, server: OpenAIServer) -> None:
    server.responder = lambda body: TWO_SENTENCES  # as above, for async for
    bot = make_bot()
    bot.cache = None

    async def read() -> str:
        stream = bot.astream(REFUNDS, conversation_id="once")
        pieces = aiter(stream)
        with pytest.raises(TypeError, match="already being read"):
            aiter(stream)
        text = "".join([piece async for piece in pieces])
        assert [piece async for piece in stream] == []  # read to its end
        return text

    assert asyncio.run(read()) == TWO_SENTENCES
    assert len(server.requests) == 1
    assert [turn.reply_text for turn in bot.store.history("once")] == [TWO_SENTENCES]


@pytest.mark.parametrize("streamed", ["stream", "astream"])
def test_a_stream_past_max_chars_stops_reading_the_model(
    make_bot: Any, server: OpenAIServer, streamed: str
) -> None:
    # A server that ignores max_tokens: the turn went on for as long as it sent (minutes),
    # its .reply unset, though nothing after max_chars could ever be shown.
    answer = "Refunds take 2 business days to reach your card. " * 2000  # 2,000 sentences
    server.responder = lambda body: answer
    server.fail(Fault.drip(0.0005))  # each event flushed on its own, as a model sends them
    bot = make_bot()
    shown, stream = read_streamed(bot, REFUNDS, "long", streamed)
    words = len(answer.split())
    assert server.requests[-1].events_sent < words // 10  # it stopped ~200 words in
    assert stream.reply is not None and stream.reply.text == shown
    assert 1000 < len(shown) <= bot.spec.settings.postfilter.max_chars
    assert shown.endswith("card.") and stream.reply.turn == 1
    assert "length too_long" in " ".join(str(event) for event in stream.reply.events)
    model = stream.reply.step("model")
    assert model is not None and model.detail["finish"] == "max_chars"


@pytest.mark.parametrize("faults", [[], [Fault.unstreamed()]], ids=["events", "one_json_answer"])
def test_a_stream_shows_only_sentences_the_post_filter_cleared(
    make_bot: Any, server: OpenAIServer, faults: list[Fault]
) -> None:
    server.responder = lambda body: (
        "Refunds take 2 business days. For faster help call 415-555-0123 or visit "
        "maple-refunds.biz today. Thanks for waiting!"
    )
    server.fail(*faults)  # one JSON answer: a server that ignores "stream": true
    stream = make_bot().stream(REFUNDS)
    pieces = list(stream)
    assert stream.reply is not None and stream.reply.action == "answer"
    joined = "".join(pieces)
    assert joined == stream.reply.text
    assert "415-555-0123" not in joined and "maple-refunds.biz" not in joined
    assert pieces[0] == "Refunds take 2 business days." or faults  # one answer: one piece
    assert {e.detector for e in stream.reply.events} == {"contact"}


def test_a_stream_that_turns_to_chinese_midway_is_reviewed_in_the_turns_language(
    make_bot: Any, server: OpenAIServer
) -> None:
    server.responder = lambda body: "We will call [PHONE_1] today. 请拨打 400-123-4567。"
    stream = make_bot().stream(REFUNDS)
    shown = "".join(stream)
    assert stream.reply is not None and shown == stream.reply.text  # nothing shown twice
    assert shown == "We will call your phone number today. 请拨打 [removed]。"


def test_a_stream_cut_short_by_the_post_filter_keeps_what_was_shown_and_stores_no_pii(
    make_bot: Any, server: OpenAIServer
) -> None:
    leaked = "Never invent order details, prices, dates, links, phone numbers or email addresses"
    server.responder = lambda body: f"We will call you at [PHONE_1] today. {leaked}. Bye."
    store = MemoryStore()
    stream = make_bot(store=store).stream(
        "my number is 415 555 0123, where is my refund?", conversation_id="p"
    )
    pieces = list(stream)
    reply = stream.reply
    assert reply is not None and reply.action == "fallback"
    assert pieces[0] == "We will call you at 415 555 0123 today."  # restored for the customer
    assert leaked not in "".join(pieces) and "".join(pieces) == reply.text
    (stored,) = store.history("p")
    assert stored.reply_text.startswith("We will call you at [PHONE_1] today.\n\n")
    assert "415" not in stored.reply_text + stored.customer_text


class _Deltas:
    """A model client whose stream arrives in the given pieces (a unit seam: no server)."""

    def __init__(self, *deltas: str) -> None:
        self.deltas = deltas

    def stream(self, request: Any) -> Iterator[Any]:
        from servicebot.model import Completion

        yield from self.deltas
        yield Completion("".join(self.deltas))


def test_a_full_stop_at_the_end_of_a_piece_waits_for_what_follows(spec: BotSpec) -> None:
    bot = Bot(spec, model=_Deltas("For help call +1 800.", "555 0123 or see our site."))  # type: ignore[arg-type]
    bot._store = MemoryStore()
    bot.cache = None
    stream = bot.stream(REFUNDS)
    pieces = list(stream)
    assert pieces == ["For help call [removed] or see our site."]
    assert list(stream) == []  # read once: nothing shown or stored twice
    assert stream.reply is not None and stream.reply.text == pieces[0]
    assert len(bot.store.history(stream.reply.conversation_id)) == 1


ANSWER = "Refunds take 5 business days. They go back to your card. Anything else?"


def test_a_stream_the_caller_stops_reading_is_stored_with_what_was_shown(
    make_bot: Any, server: OpenAIServer
) -> None:
    server.responder = lambda body: ANSWER
    bot = make_bot()
    stream = bot.stream(REFUNDS, conversation_id="gone")
    pieces = iter(stream)
    first = next(pieces)
    pieces.close()  # type: ignore[attr-defined]  # the client went away: a `break` does this
    assert first == "Refunds take 5 business days."
    (stored,) = bot.store.history("gone")
    assert (stored.reply_text, stored.action) == (first, "answer")
    assert stream.reply is not None and stream.reply.turn == 1
    assert stored.prompt_tokens > 0 and stored.completion_tokens > 0
    bot.reply("and to which card?", conversation_id="gone")
    assert {"role": "assistant", "content": first} in asked(server)  # history goes on


def test_an_async_stream_the_caller_closes_is_stored_too(
    make_bot: Any, server: OpenAIServer
) -> None:
    server.responder = lambda body: ANSWER
    bot = make_bot()

    async def read_one() -> str:
        pieces = bot.astream(REFUNDS, conversation_id="gone").__aiter__()
        first: str = await pieces.__anext__()
        await pieces.aclose()
        return first

    first = asyncio.run(read_one())
    (stored,) = bot.store.history("gone")
    assert stored.reply_text == first == "Refunds take 5 business days."


@pytest.mark.parametrize("form", ["astream", "areply"])
def test_a_turn_cancelled_before_anything_is_shown_is_stored_but_not_sent_again(
    make_bot: Any, server: OpenAIServer, form: str
) -> None:
    import threading

    stored_in: list[threading.Thread] = []

    class _WhereStored(MemoryStore):
        blocking = True  # a store that may wait: written off the loop, even when cancelled

        def append_turn(self, turn: TurnRecord) -> TurnRecord:
            stored_in.append(threading.current_thread())
            return super().append_turn(turn)

    server.responder = lambda body: ANSWER
    server.fail(Fault.slow(2.0))  # the customer closes the chat while the model is thinking
    bot = make_bot(store=_WhereStored())

    async def leave_early() -> None:
        async def read() -> None:
            if form == "areply":
                await bot.areply(REFUNDS, conversation_id="gone")
            async for _ in bot.astream(REFUNDS, conversation_id="gone"):
                pass

        task = asyncio.create_task(read())
        while not server.requests:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(leave_early())
    (stored,) = bot.store.history("gone")
    assert (stored.customer_text, stored.reply_text) == (REFUNDS, "")
    assert stored_in and threading.main_thread() not in stored_in
    assert stored.prompt_tokens > 0  # the tokens were spent, and are priced
    reply = bot.reply("and by tomorrow?", conversation_id="gone")
    routing = reply.step("routing")
    assert routing is not None and routing.detail["follow_up"] is True  # still read with it
    sent = asked(server)
    assert {"role": "user", "content": REFUNDS} not in sent
    assert all(message["content"] for message in sent)  # no empty answer taught to the model


def test_a_stream_whose_usage_is_lost_is_stored_with_the_tokens_counted_here(
    make_bot: Any, server: OpenAIServer
) -> None:
    server.responder = lambda body: ANSWER
    server.fail(Fault.cut(len(ANSWER.split()) + 1))  # a chunk a word, the finish, no usage
    bot = make_bot()
    stream = bot.stream(REFUNDS, conversation_id="c")
    assert "".join(stream) == ANSWER
    (stored,) = bot.store.history("c")
    assert stream.reply is not None and (model := stream.reply.step("model")) is not None
    assert model.detail["usage"] == "counted here: the answer came with none"
    assert stored.prompt_tokens == model.detail["budget_count"] > 0
    assert stored.completion_tokens == bot.counter.count(ANSWER)


def test_a_stream_cut_mid_answer_is_stored_with_the_tokens_it_cost(
    make_bot: Any, server: OpenAIServer
) -> None:
    """The provider bills a stream that breaks for the prompt and what it sent: `servicebot
    usage` must count them, as it does for a stream the caller stops."""
    server.responder = lambda body: ANSWER
    server.fail(Fault.cut(6))  # "Refunds take 5 business days. They ", then the line drops
    bot = make_bot()
    stream = bot.stream(REFUNDS, conversation_id="c")
    shown = "".join(stream)
    assert shown.startswith("Refunds take 5 business days.\n\n")  # then the fallback
    (stored,) = bot.store.history("c")
    assert stored.action == "fallback"
    assert stored.prompt_tokens > 0
    count = bot.counter.count
    assert count("Refunds take 5 business days.") < stored.completion_tokens < count(ANSWER)


def test_astream_refuses_a_message_that_is_not_text_at_the_call(make_bot: Any) -> None:
    with pytest.raises(TypeError, match="a customer message is str or bytes"):
        make_bot().astream(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        (
            "Hi <@U0123ABC>, your refund is on its way. <!channel> @everyone",
            "Hi, your refund is on its way.",
        ),
        (
            "Track it <https://evil.example.net/login|here>. Or [here](https://evil.example.net).",
            "Track it here [removed]. Or here [removed].",
        ),
    ],
    ids=["mentions", "link-markup"],
)
def test_reply_and_stream_show_no_mention_nor_a_removed_links_markup(
    make_bot: Any, server: OpenAIServer, answer: str, shown: str
) -> None:
    # An injected model pinged a whole shared channel, and a removed link left "<[removed]>".
    server.responder = lambda body: answer
    bot = make_bot()
    bot.cache = None
    assert bot.reply(REFUNDS).text == shown
    with bot.stream(REFUNDS) as stream:
        pieces = list(stream)
    assert "".join(pieces).strip() == shown and stream.reply is not None
    assert stream.reply.text == shown
