"""What a chat channel needs: ``postfilter.max_bytes`` cuts a reply and stops a stream where
the platform's limit in bytes of UTF-8 falls (WeChat: 2,048), as ``max_chars`` does in
characters; a first message with no words (a sticker) follows the application's ``locale``."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from servicebot.config import BotSpec
from tests.e2e.conftest import REFUNDS, read_streamed
from tests.openai_server import Fault, OpenAIServer

# 1,000 sentences of 13 Chinese characters (its 。 too): 39 bytes each, 39 KB in all.
CHINESE = "退款会在两个工作日内到账。" * 1000


def _bounded(spec: BotSpec, max_bytes: int) -> BotSpec:
    postfilter = spec.settings.postfilter.model_copy(update={"max_bytes": max_bytes})
    settings = spec.settings.model_copy(update={"postfilter": postfilter})
    return dataclasses.replace(spec, settings=settings)


def test_a_reply_is_cut_at_a_sentence_within_max_bytes(
    make_bot: Any, server: OpenAIServer, spec: BotSpec
) -> None:
    # max_chars (1,200) let through 1,200 Chinese characters: 3,600 bytes, which WeChat's
    # customer-service API refuses (its limit is 2,048 bytes).
    server.responder = lambda body: CHINESE
    reply = make_bot(spec=_bounded(spec, 2048)).reply(REFUNDS, conversation_id="wechat")
    shown = reply.text.encode()
    assert 2048 - 39 < len(shown) <= 2048 and reply.text.endswith("到账。")
    assert "length too_long repair" in " ".join(str(event) for event in reply.events)


@pytest.mark.parametrize("streamed", ["stream", "astream"])
def test_a_stream_stops_showing_at_max_bytes(
    make_bot: Any, server: OpenAIServer, spec: BotSpec, streamed: str
) -> None:
    server.responder = lambda body: CHINESE
    server.fail(Fault.drip(0.0005))  # each event flushed on its own, as a model sends them
    bot = make_bot(spec=_bounded(spec, 2048))
    shown, stream = read_streamed(bot, REFUNDS, "wechat", streamed)
    assert 2048 - 39 < len(shown.encode()) <= 2048 and shown.endswith("到账。")
    assert stream.reply is not None and stream.reply.text == shown
    model = stream.reply.step("model")
    assert model is not None and model.detail["finish"] == "max_chars"  # stopped reading


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("zh_CN", "请用简体中文回答"),
        ("zh-TW", "请用"),
        ("en-US", "Reply in English"),
        (None, "Reply in English"),
    ],
)
def test_a_first_message_with_no_words_follows_the_applications_locale(
    make_bot: Any, server: OpenAIServer, locale: str | None, expected: str
) -> None:
    # A sticker or an emoji alone says nothing of its language: a Chinese customer's first
    # 👍 was answered in English, the bot's first language, whatever the platform said.
    server.responder = lambda body: "好的。"
    bot = make_bot()
    bot.reply("👍", conversation_id=f"sticker-{locale}", metadata={"locale": locale})
    system = server.requests[-1].body["messages"][0]["content"]
    assert expected in system


def test_a_message_with_words_or_a_conversation_with_a_language_keeps_it(
    make_bot: Any, server: OpenAIServer
) -> None:
    server.responder = lambda body: "Sure."
    bot = make_bot()
    bot.reply("Can I get a discount?", conversation_id="said", metadata={"locale": "zh_CN"})
    assert "Reply in English" in server.requests[-1].body["messages"][0]["content"]
    bot.reply("👍", conversation_id="said", metadata={"locale": "zh_CN"})
    assert "Reply in English" in server.requests[-1].body["messages"][0]["content"]
