"""A model that fails mid-turn: outages, broken or refused answers and timeouts get a fallback;
a rejected key or unknown model is the operator's error, and the customer's message is kept."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from servicebot import ConfigError
from servicebot.config import BotSpec
from servicebot.filters import FilterEvent
from tests.e2e.conftest import KEY_ENV, REFUNDS
from tests.openai_server import Fault, OpenAIServer


@pytest.mark.parametrize(
    ("faults", "kind"),
    [
        ([Fault.status(500)] * 3, "server_error"),
        ([Fault.status(429, retry_after=0)] * 3, "rate_limit"),
        ([Fault.malformed()], "broken_response"),
        ([Fault.reset()] * 3, "connection"),
    ],
)
def test_a_model_outage_is_answered_by_a_fallback_never_an_exception(
    make_bot: Any, server: OpenAIServer, faults: list[Fault], kind: str, spec: BotSpec
) -> None:
    server.fail(*faults)
    bot = make_bot(max_retries=2)
    reply = bot.reply("how long do refunds take?", conversation_id="c")
    assert reply.action == "fallback"
    model = reply.step("model")
    assert model is not None and model.decision == f"failed ({kind})"
    refund = next(i for i in spec.intents if i.name == "refund_status")
    assert reply.text == refund.answer_in("en")  # routing was sure: the FAQ's own answer
    assert reply.turn == 1  # and the turn is stored, with why it fell back
    outage = FilterEvent("model", "model", kind, "fallback")
    assert reply.events == (outage,)
    assert bot.store.history("c")[0].events == (outage,)


def test_an_outage_fallback_that_hands_off_says_so_for_the_application_to_queue_a_person(
    make_bot: Any, server: OpenAIServer
) -> None:
    # The fallback could be handoff.j2 ("I'm passing you to a member of our support team")
    # with nothing but action "fallback" to show for it, as for a fallback that answered: an
    # application queueing a person on action "handoff" promised one and sent nobody.
    bot = make_bot()
    unsure = "I sent my return last week, when do I get my money back?"
    for message, conversation in ((unsure, "c"), ("how long do refunds take?", "d")):
        server.fail(Fault.status(500))
        assert bot.reply(message, conversation_id=conversation).action == "fallback"
    (handed,), (answered,) = bot.store.history("c"), bot.store.history("d")
    assert handed.reply_text.startswith("I'm passing you to a member of our support team.")
    assert (handed.fallback, answered.fallback) == ("handoff", "answer")
    server.fail(Fault.status(500))
    stream = bot.stream(unsure, conversation_id="c")
    assert "".join(stream).startswith("I'm passing you")
    assert stream.reply is not None and stream.reply.fallback == "handoff"
    assert stream.reply.handed_off and stream.reply.action == "fallback"
    model = stream.reply.step("model")
    assert model is not None and model.detail["fallback"] == "handoff"
    assert bot.store.history("c")[1].fallback == "handoff"


def test_a_proxy_page_instead_of_an_answer_says_so_and_is_not_retried(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    # A 200 with a proxy's HTML page was logged as "the response has no choices" by reply(),
    # and as "the stream ended before the answer finished" by stream(), after two retries.
    bot = make_bot(max_retries=2)
    server.fail(Fault.page(), Fault.page())
    with caplog.at_level(logging.WARNING, logger="servicebot"):
        reply = bot.reply(REFUNDS, conversation_id="c")
        assert len(server.requests) == 1
        stream = bot.stream(REFUNDS, conversation_id="c")
        "".join(stream)
        assert len(server.requests) == 2
    said = "the server answered 200 with text/html, not JSON: '<html>502 Bad Gateway</html>'"
    logged = [line for line in caplog.messages if "the model did not answer" in line]
    expected = f"conversation c: the model did not answer: broken_response: {said} (1 attempt)"
    assert logged == [expected] * 2
    for answered in (reply, stream.reply):
        assert answered is not None and answered.action == "fallback"
        assert answered.step("model").decision == "failed (broken_response)"  # type: ignore[union-attr]


def test_content_sent_as_a_list_of_parts_gets_a_fallback_and_the_turn_is_stored(
    make_bot: Any, server: OpenAIServer
) -> None:
    # Some OpenAI-compatible servers send content parts; a stream of them raised a TypeError
    # at the caller, and the turn was lost.
    bot = make_bot()
    server.fail(Fault.parts(), Fault.parts())
    reply = bot.reply(REFUNDS, conversation_id="c")
    stream = bot.stream(REFUNDS, conversation_id="c")
    shown = "".join(stream)
    assert stream.reply is not None and shown == stream.reply.text == reply.text
    for answered in (reply, stream.reply):
        assert answered.action == "fallback"
        assert answered.step("model").decision == "failed (broken_response)"  # type: ignore[union-attr]
    assert [turn.action for turn in bot.store.history("c")] == ["fallback", "fallback"]


@pytest.mark.parametrize(
    ("fault", "kind"),
    [(Fault.finish("content_filter"), "content_filter"), (Fault.refusal(), "refusal")],
)
def test_a_filtered_or_refused_answer_is_neither_sent_nor_cached_and_its_tokens_count(
    make_bot: Any, server: OpenAIServer, fault: Fault, kind: str
) -> None:
    # OpenAI sends a refusal as message.refusal with null content: reply() called that a
    # broken response and lost the tokens used; stream() called it an empty answer.
    server.responder = lambda body: "Sorry, here is how to"
    bot = make_bot()
    server.fail(fault, fault)
    replied = bot.reply(REFUNDS, conversation_id="r")
    stream = bot.stream(REFUNDS, conversation_id="s")
    shown = "".join(stream)
    assert stream.reply is not None and shown == stream.reply.text == replied.text
    for answered in (replied, stream.reply):
        assert answered.action == "fallback" and "here is how" not in answered.text
        assert ("model", kind) in {(e.detector, e.kind) for e in answered.events}
        assert answered.step("model").decision == f"answered, but {kind}: fallback"  # type: ignore[union-attr]
        assert answered.step("postfilter") is None  # it never ran
        assert answered.usage is not None  # as the server reported it
        assert answered.usage.completion_tokens == bot.counter.count("Sorry, here is how to")
    # The same opening question again reaches the model: the answer was not cached.
    assert bot.reply(REFUNDS, conversation_id="t").text == "Sorry, here is how to"
    assert len(server.requests) == 3


def test_a_timeout_with_unsure_routing_hands_over_to_a_person(
    make_bot: Any, server: OpenAIServer
) -> None:
    server.fail(Fault.slow(1.0))
    reply = make_bot(timeout=0.2).reply("something odd happened with my thing from you")
    assert reply.action == "fallback"
    assert reply.step("model").decision == "failed (timeout)"  # type: ignore[union-attr]
    assert "member of our support team" in reply.text


def test_a_missing_api_key_is_an_operator_error_not_a_fallback(
    make_bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = make_bot()
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(ConfigError, match=f"{KEY_ENV} is not set") as raised:
        bot.reply(REFUNDS)
    # An engineer embedding the bot was told only to edit servicebot.yaml.
    assert str(raised.value).endswith(
        "or remove model.name to answer from the FAQ alone "
        "(in code, Bot.load(..., offline=True) does so without changing the file)"
    )


def test_a_rejected_api_key_is_an_operator_error(make_bot: Any, server: OpenAIServer) -> None:
    server.fail(Fault.status(401))
    with pytest.raises(ConfigError, match="rejected the API key"):
        make_bot().reply(REFUNDS)


@pytest.mark.parametrize("form", ["reply", "areply", "stream", "astream"])
@pytest.mark.parametrize(
    ("status", "says"),
    [(401, "rejected the API key"), (402, "wants payment"), (404, "no model 'gpt-4o-mini'")],
)
def test_a_rejected_key_or_unknown_model_raises_but_keeps_the_customers_message(
    make_bot: Any, server: OpenAIServer, form: str, status: int, says: str
) -> None:
    # The ConfigError is the operator's to act on; the customer's message was lost with it.
    bot = make_bot()
    server.fail(Fault.status(status))

    shown: list[str] = []  # a stream shows the whole fallback, then raises

    async def areply() -> None:
        if form == "areply":
            await bot.areply(REFUNDS, conversation_id="c")
        async for piece in bot.astream(REFUNDS, conversation_id="c"):
            shown.append(piece)

    with pytest.raises(ConfigError, match=says) as raised:
        if form == "reply":
            bot.reply(REFUNDS, conversation_id="c")
        elif form == "stream":
            shown.extend(bot.stream(REFUNDS, conversation_id="c"))
        else:
            asyncio.run(areply())
    (stored,) = bot.store.history("c")
    assert (stored.customer_text, stored.action) == (REFUNDS, "fallback")
    setup = FilterEvent("model", "model", "config_error", "fallback")
    assert stored.events == (setup,)
    fallback = raised.value.reply  # the application can show what was stored
    assert fallback is not None and fallback.text == stored.reply_text
    assert "".join(shown) == ("" if form.endswith("reply") else fallback.text)
