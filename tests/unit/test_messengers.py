"""Tests for servicebot.filters.messengers (the MESSENGER_ID kind, through find_pii): a WeChat,
QQ, LINE or Telegram id right after its label, in English, Chinese and traditional Chinese;
a word with no label is none, and a label with no id names none."""

from __future__ import annotations

import pytest

from servicebot.filters.normalise import normalise
from servicebot.filters.values import canonical
from tests.unit.piifindings import found, spans


def _found(typed: str) -> list[str]:
    """The MESSENGER_ID values in ``typed`` once normalised, as the pre-filter reads it."""
    return found(normalise(typed).text, "MESSENGER_ID")


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("加我微信 abc_123", "abc_123"),
        ("我的微信号是zhang-wei88，谢谢", "zhang-wei88"),
        ("微信號：Mary_Chan1990", "Mary_Chan1990"),
        ("V信 wxid_k2j3h4g5", "wxid_k2j3h4g5"),
        ("加vx: lily_2024", "lily_2024"),
        ("my wechat id is john_smith88.", "john_smith88"),
        ("add me on WeChat: johnsmith, I paid 20", "johnsmith"),
        ("QQ号 12345678 有问题吗", "12345678"),
        ("扣扣：987654321", "987654321"),
        ("my qq number is 10001", "10001"),
        ("賴ID：mary.chan2 訂單123", "mary.chan2"),
        ("LINE ID: @shop_tw8", "@shop_tw8"),
        ("telegram @john_doe_1 please", "@john_doe_1"),
    ],
)
def test_an_id_after_its_label_is_a_messenger_id(typed: str, expected: str) -> None:
    assert _found(typed) == [expected]


def test_a_labelled_qq_number_is_a_messenger_id_not_a_phone_or_an_order() -> None:
    text = normalise("订单100482，QQ 13800138000").text
    assert spans(text) == [("MESSENGER_ID", "13800138000")]


@pytest.mark.parametrize(
    "typed",
    [
        "可以用微信支付吗？订单123",
        "微信付款可以吗，金额100元",
        "QQ音乐会员 30 天",
        "Can I pay with LINE Pay? order 100482",
        "加我微信，订单号100482",
        "the avx2 build 3 of rvx100",
        "product code abc_12345, model wx2000",
        "can I use wechat payment for order 100482?",
        "my wechat is broken since 3 days",
        "微信 13800138000",  # a phone, as a phone
    ],
)
def test_no_label_or_no_id_is_no_messenger_id(typed: str) -> None:
    assert _found(typed) == []


def test_an_address_stops_before_a_messenger_id_and_its_label() -> None:
    text = "ship to 12 Baker St, wechat abc_123"
    assert spans(text) == [("ADDRESS", "12 Baker St"), ("MESSENGER_ID", "abc_123")]


def test_a_messenger_id_is_compared_without_its_at_sign_in_one_case() -> None:
    forms = {canonical("MESSENGER_ID", value) for value in ("@John_Doe_1", "john_doe_1")}
    assert forms == {"john_doe_1"}


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("我的微信是zhangsan_sh", "zhangsan_sh"),
        ("my WeChat is zhangsan_sh", "zhangsan_sh"),
        ("加我wx: zhang_san，谢谢", "zhang_san"),
        ("賴ID：mary.chan", "mary.chan"),
        ("telegram @john_doe", "@john_doe"),
    ],
)
def test_an_id_in_a_message_with_no_digit_is_found(typed: str, expected: str) -> None:
    """A message with no digit was read for no label, so an id of letters alone went on."""
    assert _found(typed) == [expected]


@pytest.mark.parametrize(
    "typed", ["my wechat is broken", "我们的微信公众号在哪", "can I pay with wechat?", "信息不对"]
)
def test_a_label_with_no_id_in_a_message_with_no_digit_names_none(typed: str) -> None:
    assert _found(typed) == []
