"""The writing systems routing tells apart (``servicebot/routing/scripts.py``): which one a
message is mostly in, and whether the bot speaks a language written in it."""

from __future__ import annotations

import pytest

from servicebot.routing import detect_language
from servicebot.routing.scripts import unspoken_writing, writes_kana_or_hangul, writing_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("配送状況を確認したい", "Japanese kana"),  # six Chinese characters, four kana
        ("배송은 얼마나 걸리나요?", "Korean hangul"),
        ("أين طلبي؟", "Arabic script"),
        ("Где мой заказ?", "Cyrillic"),
        ("मेरा ऑर्डर कहाँ है", "Devanagari"),
        ("คำสั่งซื้อของฉันอยู่ที่ไหน", "Thai"),
        ("my order for Иван has not arrived", None),  # a name, in an English message
        ("我的订单到哪了", None),
        ("where is my order", None),
        ("٤١١١ ١١١١", None),  # Arabic-Indic digits are a number, not a language
        ("", None),
    ],
)
def test_writing_of(text: str, expected: str | None) -> None:
    writing = writing_of(text)
    assert (writing and writing.name) == expected


def test_a_writing_is_unspoken_when_no_language_of_the_bot_is_written_in_it() -> None:
    assert unspoken_writing("Где мой заказ?", ("en", "zh")) == "Cyrillic"
    assert unspoken_writing("Где мой заказ?", ("en", "uk")) is None
    assert unspoken_writing("配送状況を確認したい", ("en", "ja-JP")) is None
    assert unspoken_writing("¿Dónde está mi pedido?", ("en", "zh")) is None  # Latin: unknown


def test_kana_or_hangul_anywhere_is_not_chinese() -> None:
    assert writes_kana_or_hangul("大丈夫です") and writes_kana_or_hangul("ㅋㅋ 주문")
    assert not writes_kana_or_hangul("我的訂單・到哪了")  # the middle dot is Chinese's too
    assert writes_kana_or_hangul("パスワード再設定")  # katakana no fewer than Chinese characters


def test_a_brand_in_katakana_leaves_a_chinese_message_chinese() -> None:
    """Any kana made it Japanese: a Chinese customer naming ポケモン was answered in English."""
    message = "我买的ポケモン卡什么时候到"
    assert not writes_kana_or_hangul(message) and writing_of(message) is None
    assert detect_language(message, ["en", "zh"]) == "zh"
