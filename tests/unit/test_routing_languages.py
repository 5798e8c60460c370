"""The language a turn is answered in (``servicebot/routing/languages.py``), read from the
message's letters and the bot's languages, and a message in letters none of them is written
in, which routing sends to the model."""

from __future__ import annotations

import pytest

from servicebot.routing import Router, detect_language, why_not_direct
from servicebot.settings import RoutingSettings
from tests.unit.routers import LANGUAGES, SMALL, intent


@pytest.mark.parametrize(
    ("text", "previous", "expected"),
    [
        ("我的快递到哪了", None, "zh"),
        ("怎么create一个account", None, "zh"),
        ("我的order到哪里了", None, "zh"),
        ("please help me with my order 谢谢", None, "en"),
        ("where is my order", None, "en"),
        ("where is my order", "我的快递到哪了", "en"),
        ("100482", "我的快递到哪了", "zh"),
        ("100482", "where is my order", "en"),
        ("100482?", None, "en"),
        ("", "我的快递到哪了", "zh"),
        ("배송은 얼마나 걸리나요?", None, "en"),  # Korean and Japanese are not Chinese
        ("注文はどこですか", None, "en"),
        ("どうもありがとう", "我的快递到哪了", "en"),
        # More Chinese characters than kana, and still Japanese: 状況 is no traditional Chinese.
        ("配送状況を確認したい", None, "en"),
        ("送料無料ですか", None, "en"),
        ("担当者と話したい", None, "en"),
        ("大丈夫です", None, "en"),
        ("100482", "配送状況を確認したい", "en"),
    ],
)
def test_detect_language(text: str, previous: str | None, expected: str) -> None:
    assert detect_language(text, LANGUAGES, previous) == expected


def test_detect_language_answers_only_in_the_bots_languages() -> None:
    assert detect_language("我的快递到哪了", ("en",)) == "en"
    assert detect_language("12345", ("zh", "en")) == "zh"  # unclear: the first language


@pytest.mark.parametrize(
    ("text", "expected"),
    [("How long do refunds take?", "en"), ("注文はどこですか", "en"), ("退款要多久", "zh")],
)
def test_a_bot_that_lists_chinese_first_answers_other_text_in_its_other_language(
    text: str, expected: str
) -> None:
    # With languages [zh, en], every English message was answered in Chinese.
    assert detect_language(text, ("zh", "en")) == expected


def test_a_bot_that_speaks_a_writing_systems_language_answers_in_it() -> None:
    assert detect_language("配送状況を確認したい", ("en", "zh", "ja")) == "ja"
    assert detect_language("Где мой заказ?", ("en", "ru")) == "ru"
    assert detect_language("Где мой заказ?", ("en", "zh")) == "en"  # none: the first
    assert detect_language("配送状況を確認したい", ("zh",)) == "zh"  # nothing else to say


def test_routing_reports_the_language_of_a_digits_only_reply(router: Router) -> None:
    assert router.route("100482", previous="我的快递到哪了").language == "zh"


def test_a_message_in_letters_the_bot_does_not_speak_goes_to_the_model() -> None:
    # An operator's Russian phrasing matched, and the English answer was sent as written.
    hours = intent("hours", "when are you open", "Когда вы открыты?", direct=True)
    settings = RoutingSettings(direct_threshold=0.5)
    routing = Router([hours, *SMALL], settings, LANGUAGES).route("Когда вы открыты?")
    assert (routing.route, routing.unspoken) == ("model", "Cyrillic")
    assert why_not_direct(routing, settings) == (
        "not direct: written in Cyrillic, which none of the bot's languages is"
    )
    spoken = Router([hours, *SMALL], settings, ("en", "ru")).route("Когда вы открыты?")
    assert (spoken.route, spoken.language, spoken.unspoken) == ("direct", "ru", None)
    assert Router([hours, *SMALL], settings, LANGUAGES).route("when are you open").route == "direct"


def test_routing_a_message_reads_its_writing_system_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Detecting the language and telling an unspoken one apart both need it: a long Cyrillic
    # message counted its letters twice.
    import servicebot.routing as routing
    from servicebot.routing import scripts

    calls: list[str] = []
    counted = scripts.writing_of
    for module in (routing, scripts):
        monkeypatch.setattr(module, "writing_of", lambda text: calls.append(text) or counted(text))
    hours = intent("hours", "when are you open", "Когда вы открыты?", direct=True)
    found = Router([hours, *SMALL], RoutingSettings(), ("en", "ru")).route("Когда вы открыты?")
    assert (found.language, found.unspoken, len(calls)) == ("ru", None, 1)


def test_a_kaomoji_leaves_a_chinese_message_chinese(router: Router) -> None:
    # っ in (っ´ω`c) is hiragana: the message was answered in English.
    assert router.route("我的订单到哪了？(っ´ω`c)").language == "zh"
    assert router.route("我の订单到哪了").language == "zh"
