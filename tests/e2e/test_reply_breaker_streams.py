"""A stream against the local server that stalls, or drips words, before the customer is shown
any of them: ``model.turn_timeout`` holds until the first piece the post-filter lets out, not
the model's first word, and such a failure is an outage for the breaker. Counts of requests
and outcomes are asserted; times only within generous bounds."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from servicebot.filters import FilterEvent
from tests.e2e.conftest import REFUNDS
from tests.openai_server import Fault, OpenAIServer

PAUSED = FilterEvent("model", "model", "paused", "fallback")


async def _streamed(bot: Any) -> tuple[list[str], Any]:
    """An async stream read to its end: the pieces shown, and the reply."""
    streamed = bot.astream(REFUNDS)
    pieces = [piece async for piece in streamed]
    return pieces, streamed.reply


# The server sends the role and two words ("You asked: ", no sentence end: nothing shown),
# then nothing for 6 s. The model's timeout is 4 s: before, the deadline was dropped at those
# words, and each stream waited the 4 s out; now each ends at its 1 s deadline.


def test_a_stream_that_stalls_before_anything_is_shown_ends_at_its_deadline(
    make_bot: Any, server: OpenAIServer
) -> None:
    bot = make_bot(timeout=4, turn_timeout=1, breaker_failures=0)
    server.fail(*[Fault.cut(2, abrupt=False, stall=6)] * 2)

    async def both() -> list[tuple[list[str], Any]]:
        return await asyncio.gather(_streamed(bot), _streamed(bot))

    began = time.monotonic()
    streams = asyncio.run(both())
    assert time.monotonic() - began < 3
    for pieces, reply in streams:
        assert reply.action == "fallback" and reply.events[0].kind == "timeout"
        assert "".join(pieces) == reply.text  # the fallback, and none of the model's words
    assert len(server.requests) == 2


def test_streams_that_stall_before_anything_is_shown_pause_the_model(
    make_bot: Any, server: OpenAIServer
) -> None:
    bot = make_bot(timeout=4, turn_timeout=1, breaker_failures=2, breaker_pause=60)
    server.fail(*[Fault.cut(2, abrupt=False, stall=6)] * 3)
    stalled = [asyncio.run(_streamed(bot))[1] for _ in range(2)]
    assert [reply.events[0].kind for reply in stalled] == ["timeout", "timeout"]
    _, paused = asyncio.run(_streamed(bot))
    assert paused.events == (PAUSED,)
    assert len(server.requests) == 2  # the third stream was never sent


def test_a_blocking_stream_dripping_words_with_nothing_shown_ends_at_its_deadline(
    make_bot: Any, server: OpenAIServer
) -> None:
    # Word by word, 0.3 s apart: the question's one sentence ends with its last word, about
    # 4 s in, and only then could the customer be shown anything.
    bot = make_bot(timeout=4, turn_timeout=1, breaker_failures=1, breaker_pause=60)
    server.fail(Fault.drip(every=0.3))
    began = time.monotonic()
    stream = bot.stream(REFUNDS)
    "".join(stream)
    assert time.monotonic() - began < 3
    assert stream.reply is not None and stream.reply.events[0].kind == "timeout"
    assert bot.reply(REFUNDS).events == (PAUSED,)  # an outage: nothing was shown
    assert len(server.requests) == 1


def test_a_stream_shown_its_first_sentence_is_answered_past_the_deadline(
    make_bot: Any, server: OpenAIServer
) -> None:
    # The first sentence comes within 0.3 s; the rest drips on for 2 s, past the deadline.
    bot = make_bot(timeout=4, turn_timeout=1, breaker_failures=1)
    server.responder = lambda body: "Refunds take 5 days. " + "More words follow here. " * 10
    server.fail(Fault.drip(every=0.05))
    stream = bot.stream(REFUNDS)
    pieces = list(stream)
    assert pieces[0] == "Refunds take 5 days."
    assert stream.reply is not None and stream.reply.action == "answer"
    assert bot.reply(REFUNDS + " I paid by card.").action == "answer"  # not paused
    assert len(server.requests) == 2


# The server sends its headers and the role event (or two words, nothing shown), then nothing
# for 15 s; the model's timeout is 30 s. Before, a blocking stream dropped its deadline at the
# headers and waited out the stall, 15 s; now it ends at its 1 s deadline, as an async one does,
# with the same fallback and cause.


def test_a_blocking_stream_that_stalls_after_its_headers_ends_at_its_deadline(
    make_bot: Any, server: OpenAIServer
) -> None:
    bot = make_bot(timeout=30, turn_timeout=1, breaker_failures=0)
    server.fail(*[Fault.cut(chunks, abrupt=False, stall=15) for chunks in (0, 2, 0)])
    replies = []
    for _ in range(2):
        began = time.monotonic()
        stream = bot.stream(REFUNDS)
        pieces = list(stream)
        assert time.monotonic() - began < 10
        assert stream.reply is not None and "".join(pieces) == stream.reply.text
        replies.append(stream.reply)
    _, areply = asyncio.run(_streamed(bot))
    for reply in replies:
        assert reply.action == "fallback" and reply.events == areply.events
        assert reply.events[0].kind == "timeout"
    assert len(server.requests) == 3
