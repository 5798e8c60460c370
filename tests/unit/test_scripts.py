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


def test_kana_or_hangul_in_words_is_not_chinese() -> None:
    assert writes_kana_or_hangul("大丈夫です") and writes_kana_or_hangul("ㅋㅋ 주문")
    assert not writes_kana_or_hangul("我的訂單・到哪了")  # the middle dot is Chinese's too
    assert writes_kana_or_hangul("パスワード再設定")  # katakana no fewer than Chinese characters


def test_a_brand_in_katakana_leaves_a_chinese_message_chinese() -> None:
    """Any kana made it Japanese: a Chinese customer naming ポケモン was answered in English."""
    message = "我买的ポケモン卡什么时候到"
    assert not writes_kana_or_hangul(message) and writing_of(message) is None
    assert detect_language(message, ["en", "zh"]) == "zh"


# Chinese messages with kana or hangul in them: a kaomoji, laughter or tears in jamo, の for 的,
# a brand's name. Each was answered in English (a bot of [en, zh]) for one such letter.
CHINESE = [
    "我的订单到哪了？(っ´ω`c)",  # っ: a kaomoji's mouth
    "我的订单到哪了(づ｡◕‿‿◕｡)づ",
    "谢谢你们ヽ(✿ﾟ▽ﾟ)ノ",
    "怎么还没发货啊(つд⊂)",
    "催一下发货(｡•́︿•̀｡)ノ",
    "我想退货ヾ(≧▽≦*)o",
    "我的订单到哪了ㅋㅋ",  # compatibility jamo: laughter, tears
    "退货 ㅠㅠ",
    "客服在吗ㅎㅎ",
    "退款什么时候到账 ㅜㅜ",
    "我の订单到哪了",  # の for 的
    "我の訂單到哪了",
    "你們の服務很好",  # の between characters Japanese writes too, and Chinese's own words
    "台灣の朋友",  # 灣: Japanese writes 湾
    "小店の包裹什么时候到",
    "这个の价格是多少",
    "无印良品の收纳盒还有吗",
    "请问ドラえもん周边还有货吗",  # brands: hiragana in a katakana name
    "我买的ポケモン卡什么时候到",
    "ユニクロ退货",  # no fewer katakana than Chinese characters, but 货 is Chinese's alone
    "想退货，マツモトキヨシ买的",
    "ソニー耳机坏了怎么办",
    "ニトリ的沙发能退吗",
    "我在しまむら买的衣服想退货",  # a brand in hiragana
    "我想问一下これ是什么",
    "我买的방탄소년단专辑什么时候到",  # hangul syllables: a band's name
    "我买的삼성手机什么时候发货",
]
JAPANESE = [
    "配送状況を確認したい",  # more Chinese characters than kana, and answered in traditional
    "送料無料ですか",
    "大丈夫です",
    "担当者と話したい",
    "注文はどこですか",
    "パスワード再設定",  # katakana no fewer than Chinese characters, none Chinese's alone
    "パスワードを忘れました",
    "領収書発行可能ですか",
    "ユニクロの返品",
    "返品したいです",
    "在庫確認お願いします",
    "本日中に発送可能でしょうか",
    "ログインできません",
    "商品が届きません",
    "注文をキャンセルしたい",
    "支払方法を変更したい",
    "里帰りの予定です",
    "どうもありがとう",
    # One kana among the kanji: a particle ending a word, or の between two.
    "商品到着後返品可能期間は",
    "住所を変更",
    "配送料金の確認",
    "発送済の商品",
]
KOREAN = [
    "배송은 얼마나 걸리나요?",
    "주문 취소하고 싶어요",
    "환불은 언제 되나요",
    "비밀번호를 잊어버렸어요",
    "ㅋㅋ 주문 어디까지 왔어요",
    "삼성 갤럭시 주문했는데 배송이 안 와요",
    "韓國 배송 가능한가요",
    "상담원 연결해 주세요",
    "영수증 발급 가능한가요?",
    "교환하고 싶어요 ㅠㅠ",
]


@pytest.mark.parametrize("message", CHINESE)
def test_a_chinese_message_with_kana_or_hangul_in_it_stays_chinese(message: str) -> None:
    assert not writes_kana_or_hangul(message) and writing_of(message) is None
    assert detect_language(message, ["en", "zh"]) == "zh"


@pytest.mark.parametrize(
    ("message", "writing"),
    [(message, "Japanese kana") for message in JAPANESE]
    + [(message, "Korean hangul") for message in KOREAN],
)
def test_japanese_and_korean_are_never_chinese(message: str, writing: str) -> None:
    assert writes_kana_or_hangul(message)
    assert (found := writing_of(message)) is not None and found.name == writing
    assert detect_language(message, ["en", "zh"]) == "en"
