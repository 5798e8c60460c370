"""Email addresses with letters beyond ASCII (``servicebot/filters/idnemails.py``): found in
customer text, Chinese text glued to them handled as documented, and removed from an answer
that invents one, as any address the bot's files do not give is."""

from __future__ import annotations

import pytest

from servicebot.filters.normalise import normalise
from servicebot.filters.placeholders import Placeholders
from servicebot.prefilter import Prefilter
from servicebot.settings import PrefilterSettings
from tests.unit.piifindings import spans
from tests.unit.postfilters import SYSTEM, postfilter


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("我的邮箱是 张三@例子.中国 谢谢", "张三@例子.中国"),
        ("email user@münchen.de please", "user@münchen.de"),
        ("иван@почта.рф", "иван@почта.рф"),
        ("пишите на иван@mail.ru, спасибо", "иван@mail.ru"),
        ("Schreiben Sie an müller@beispiel.de.", "müller@beispiel.de"),
        ("请发邮件到 zhang@例子.中国", "zhang@例子.中国"),
        ("連絡は user@例え.jp です", "user@例え.jp"),
        ("客服@例子.公司。", "客服@例子.公司"),
        # A domain runs into the text after it: it ends at its top-level domain. A Chinese
        # name before the "@" ends at the word that introduces it, and is at most 4 long.
        ("请发到张三@例子.中国谢谢", "张三@例子.中国"),
        ("请发邮件到张三@例子.中国谢谢", "张三@例子.中国"),
        ("我的邮箱是张为民@例子.中国", "张为民@例子.中国"),
        ("邮箱张三@例子.中国", "张三@例子.中国"),
        ("发到邮箱欧阳明@例子.中国", "欧阳明@例子.中国"),
        ("请写信給欧阳明月@例子.中国", "欧阳明月@例子.中国"),
        ("메일: 홍길동@예시.한국입니다", "홍길동@예시.한국"),
    ],
)
def test_an_address_with_letters_beyond_ascii_is_found(text: str, address: str) -> None:
    assert spans(normalise(text).text) == [("EMAIL", address)]


@pytest.mark.parametrize(
    "text",
    ["@张三 你好", "价格@100.00元", "用户名@abc 你好", "@иван привет", "в 10@почта нет"],
)
def test_a_mention_or_a_price_is_no_address(text: str) -> None:
    assert spans(normalise(text).text) == []


@pytest.mark.parametrize("address", ["客服@例子.中国", "help@münchen-shop.de", "помощь@магазин.рф"])
def test_an_invented_address_with_letters_beyond_ascii_is_removed(address: str) -> None:
    result = postfilter().run(f"Write to {address} for help.", SYSTEM, {})
    assert result.text == "Write to [removed] for help."
    assert [(e.detector, e.kind) for e in result.events] == [("contact", "EMAIL")]


def test_a_restored_address_keeps_the_request_out_of_it() -> None:
    """The model reads 请发邮件到[EMAIL_1], and the words put back are the address alone: the
    customer was shown 发邮件到 请发邮件到张三@例子.中国 in a reply."""
    result = Prefilter(PrefilterSettings()).run("请发邮件到张三@例子.中国谢谢", Placeholders())
    assert result.text == "请发邮件到[EMAIL_1]谢谢"


def test_a_latin_name_glued_to_chinese_is_the_address_alone() -> None:
    text = "邮箱test@qq.com和请发到zhang@例子.中国"
    assert spans(text) == [("EMAIL", "test@qq.com"), ("EMAIL", "zhang@例子.中国")]
