"""A reasoning model behind a server with no reasoning parser (vLLM, Ollama, llama.cpp), end to
end: its ``<think>`` block, or R1-style reasoning ending in a lone ``</think>``, never reaches
the customer, the post-filter, the store or the next turn's history, in ``reply``, ``stream``
and ``astream``; reasoning that used up ``max_tokens``, and a tool call nobody offered, fall
back saying why, with the server's usage kept."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from servicebot.budget.tokens import counter_for
from servicebot.pipeline import Bot, Reply
from tests.e2e.conftest import REFUNDS, asked
from tests.openai_server import Fault, OpenAIServer

# Long (past postfilter.max_chars) and quoting the system prompt: shown or reviewed, it cut
# the answer away or made the turn a fallback.
THINK = (
    "The customer asks about refunds. The system prompt says: You are the support assistant "
    "for Maple Market. Use only the facts below. "
) * 12
ANSWER = "Refunds are issued within 2 business days. Your bank may take a few days more."


def answered(bot: Bot, how: str, conversation: str = "c") -> tuple[Reply, list[str]]:
    """The reply to REFUNDS through ``how`` (reply, stream, astream), and the pieces shown."""
    if how == "reply":
        reply = bot.reply(REFUNDS, conversation_id=conversation)
        return reply, [reply.text]
    if how == "stream":
        with bot.stream(REFUNDS, conversation_id=conversation) as stream:
            pieces = list(stream)
        assert stream.reply is not None
        return stream.reply, pieces

    async def read() -> tuple[Reply, list[str]]:
        async with bot.astream(REFUNDS, conversation_id=conversation) as stream:
            pieces = [piece async for piece in stream]
        assert stream.reply is not None
        return stream.reply, pieces

    return asyncio.run(read())


HOWS = ["reply", "stream", "astream"]


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize(
    ("content", "reasoning"),
    [
        (f"<think>\n{THINK}\n</think>\n\n{ANSWER}", "auto"),  # Qwen3, R1 with its opening tag
        (f"{THINK}\n</think>\n\n{ANSWER}", "tags"),  # R1 distills, QwQ: <think> was prompted
    ],
)
def test_reasoning_in_the_content_never_reaches_the_customer_the_store_or_the_history(
    make_bot: Any, server: OpenAIServer, how: str, content: str, reasoning: str
) -> None:
    server.responder = lambda body: content
    bot = make_bot(reasoning=reasoning)
    bot.cache = None
    reply, pieces = answered(bot, how)
    assert reply.action == "answer" and reply.text == ANSWER
    assert "".join(pieces) == ANSWER and not any("think" in piece for piece in pieces)
    model = reply.step("model")
    assert model is not None and model.detail["reasoning"] == (
        f"removed ({len(content) - len(ANSWER)} characters)"
    )
    assert "rules" not in str(reply.trace) and "Maple Market" not in str(model.detail)
    counter = counter_for(server.requests[-1].body["model"], None)  # as the server counts
    assert reply.usage is not None and reply.usage.completion_tokens == counter.count(content)
    (turn,) = bot.store.history("c", limit=5)
    assert turn.reply_text == ANSWER
    server.responder = lambda body: "Anything else?"
    sent = len(server.requests)
    bot.reply("and how long until my bank shows the refund?", conversation_id="c")
    assert len(server.requests) == sent + 1
    history = asked(server)
    assert history[-3:-1] == [
        {"role": "user", "content": REFUNDS},
        {"role": "assistant", "content": ANSWER},
    ]
    assert not any("think>" in m["content"] or THINK[:40] in m["content"] for m in history)


@pytest.mark.parametrize("how", ["stream", "astream"])
def test_reasoning_streamed_before_a_lone_close_in_auto_is_never_stored_or_sent_back(
    make_bot: Any, server: OpenAIServer, how: str
) -> None:
    # An R1 distill, QwQ: no <think>, so auto passes the reasoning on before its </think>.
    thought = "Okay, the customer asks about refunds. I should say how long they take."
    content = f"{thought}\n</think>\n\n{ANSWER}"
    server.responder = lambda body: content
    bot = make_bot()
    bot.cache = None
    reply, pieces = answered(bot, how)
    shown = "".join(pieces)
    assert shown.endswith(f"\n\n{ANSWER}") and shown.count("Refunds are issued") == 1
    assert reply.action == "answer" and reply.text == ANSWER
    model = reply.step("model")
    assert model is not None
    assert model.detail["reasoning"] == f"removed ({len(content) - len(ANSWER)} characters)"
    (turn,) = bot.store.history("c", limit=5)
    assert turn.reply_text == ANSWER
    server.responder = lambda body: "Anything else?"
    bot.reply("and how long until my bank shows the refund?", conversation_id="c")
    assert asked(server)[-2] == {"role": "assistant", "content": ANSWER}
    assert not any("think>" in m["content"] or "Okay" in m["content"] for m in asked(server))


def test_qwen3s_empty_block_is_not_shown(make_bot: Any, server: OpenAIServer) -> None:
    server.responder = lambda body: "<think>\n\n</think>\n\n您好！退款会在2个工作日内退回。"
    bot = make_bot()
    for how in HOWS:
        reply, pieces = answered(bot, how, how)
        assert reply.text == "".join(pieces) == "您好！退款会在2个工作日内退回。", how


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize(
    "fault",
    [
        Fault.thought(),  # content null, the reasoning in reasoning_content
        Fault.thought(""),  # content ""
        Fault.finish("length"),  # a <think> block the token limit broke off
    ],
)
def test_reasoning_that_used_up_max_tokens_falls_back_saying_why(
    make_bot: Any,
    server: OpenAIServer,
    caplog: pytest.LogCaptureFixture,
    how: str,
    fault: Fault,
) -> None:
    caplog.set_level(logging.WARNING, "servicebot")
    server.responder = lambda body: THINK if fault.kind == "thought" else f"<think>\n{THINK}"
    server.fail(fault)
    bot = make_bot(max_tokens=400)
    reply, _ = answered(bot, how)
    why = "the model spent model.max_tokens (400) on reasoning and gave no answer"
    assert reply.action in ("fallback", "handoff") and "refund" not in reply.text.lower()
    assert [str(e) for e in reply.events if e.action == "fallback"] == [
        "model reasoning_only fallback"
    ]
    assert why in caplog.text and "Maple Market" not in caplog.text
    model = reply.step("model")
    assert model is not None and model.detail["why"].startswith(why)
    assert reply.usage is not None and reply.usage.completion_tokens > 0  # the server's
    (turn,) = bot.store.history("c", limit=5)
    assert (turn.prompt_tokens, turn.completion_tokens) == (
        reply.usage.prompt_tokens,
        reply.usage.completion_tokens,
    )


@pytest.mark.parametrize("how", HOWS)
def test_a_tool_call_nobody_offered_falls_back_alike_in_reply_and_streams(
    make_bot: Any, server: OpenAIServer, how: str
) -> None:
    server.responder = lambda body: "lookup"
    server.fail(Fault.tool_call())
    reply, _ = answered(make_bot(), how)
    assert reply.action in ("fallback", "handoff")
    assert [str(e) for e in reply.events if e.action == "fallback"] == ["model tool_calls fallback"]
    assert reply.usage is not None and reply.usage.prompt_tokens > 0  # the server's, kept


@pytest.mark.parametrize("how", HOWS)
def test_an_answer_quoting_a_close_is_the_same_answer_in_reply_and_streams(
    make_bot: Any, server: OpenAIServer, how: str
) -> None:
    # reply() dropped all before the tag; a stream showed it, and stored only what followed.
    content = "Our bot hides text up to a </think> tag, which ends a model's reasoning."
    server.responder = lambda body: content
    bot = make_bot()
    bot.cache = None
    reply, pieces = answered(bot, how)
    assert reply.text == "".join(pieces) == content
    (turn,) = bot.store.history("c", limit=5)
    assert turn.reply_text == content


def test_the_hint_to_set_tags_is_logged_once_not_every_turn(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "servicebot")
    server.responder = lambda body: f"Okay, refunds.\n</think>\n\n{ANSWER}"
    bot = make_bot()
    bot.cache = None
    for conversation in ("a", "b", "c"):
        answered(bot, "stream", conversation)
    hints = [m for m in caplog.messages if "set model.reasoning: tags" in m]
    assert len(hints) == 1 and "gpt-4o-mini" in hints[0]
