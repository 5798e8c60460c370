"""Payment cards and their security codes, and mainland China resident ID numbers, for the PII
detector (``servicebot/filters/numbers.py``): Luhn and issuer checks, digit groups split by
spaces, dashes or slashes, and dates, fractions and ranges that are no card."""

from __future__ import annotations

import pytest

from tests.unit.piifindings import found, spans

# --- CARD -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "4111111111111111",  # Visa
        "4012-8888-8888-1881",
        "4111 1111 1111 1111",
        "4111  1111  1111  1111",
        "5555555555554444",  # Mastercard
        "2223003122003222",  # Mastercard 2-series
        "378282246310005",  # Amex
        "3714 496353 98431",
        "6011000400000000",  # Discover
        "3528000700000000",  # JCB
        "6212345678901265",  # UnionPay
        "30569309025904",  # Diners
    ],
)
def test_card_positives(number: str) -> None:
    assert found(f"卡号 {number} 谢谢", "CARD") == [number]


@pytest.mark.parametrize(
    "text",
    [
        "timestamp 1700000000000",  # 13-digit milliseconds
        "ts 1748503543012",  # passes Luhn, but no issuer starts with 1 at 13 digits
        "order 123456789012",  # 6-12 digits are order numbers
        "order 4111111111",
        "4111 1111 1111 1112",  # bad Luhn, and not named as a card
        "1234567890123456",
        "编号A4111111111111111",  # glued to a letter
        "ABC4111111111111111XYZ",
        "41111111111111112024",  # twenty digits
        "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
    ],
)
def test_card_negatives(text: str) -> None:
    assert found(text, "CARD") == []


@pytest.mark.parametrize(
    "number",
    [
        "4111 - 1111 - 1111 - 1111",
        "4111/1111/1111/1111",
        "3714/496353/98431",
        "4111 / 1111 / 1111 / 1111",
        "3714 / 496353 / 98431",
    ],
)
def test_a_card_split_by_spaced_dashes_or_slashes_is_found(number: str) -> None:
    assert found(f"pay with {number} please", "CARD") == [number]


@pytest.mark.parametrize("separator", [" - ", " / "])
def test_a_19_digit_card_split_by_spaced_separators_is_found_whole(separator: str) -> None:
    number = separator.join(["4111", "1111", "1111", "1111", "110"])  # 19 digits, Luhn ok
    text = f"card {number} 2024{separator}12{separator}05"  # the run goes on after it
    assert found(text, "CARD") == [number]


@pytest.mark.parametrize(
    "text",
    [
        "4111/1111/1111/1112",  # bad Luhn
        "shipped 2024/12/05, due 2025/01/15",
        "on 2024/12/05 4111/1111",
        "1/2 3/4 5/6 7/8 9/10 11/12 13/14",
        "pages 1234 - 1240 - 1250 - 1260",
        "4111 / 1111 / 1111 / 1112",  # bad Luhn
        "shipped 2024 / 12 / 05, due 2025 / 01 / 15",
        "1 / 2 3 / 4 5 / 6 7 / 8 9 / 10 11 / 12 13 / 14",
        "pages 1234 / 1240 / 1250 / 1260",
    ],
)
def test_dates_fractions_and_ranges_split_by_slashes_or_dashes_are_no_card(text: str) -> None:
    assert found(text, "CARD") == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("card 4111 1111 1111 1111 exp 12/27 cvv 123", "123"),
        ("CVV: 0456", "0456"),
        ("my cvc2 is 999", "999"),
        ("the security code is 789.", "789"),
        ("安全码是123", "123"),
        ("卡背面三位数 321", "321"),
        ("我的CVV是987", "987"),
        ("CVV码 456", "456"),
        ("cvv2码: 456", "456"),
        ("信用卡cvv123付款失败", "123"),
    ],
)
def test_a_card_security_code_is_found_by_its_name(text: str, code: str) -> None:
    assert found(text, "CARD")[-1] == code


@pytest.mark.parametrize(
    "text",
    [
        "where do I find the cvv?",
        "cvv 12345",
        "security code sent: 123456",
        "order 123 cvv",
        "xcvv 123",
        "CVVs 123",
        "CVV wrong, $120 charged",
        "请确认安全码无误，订单金额 299 元",
        "my gift card code is GC-1234-5678",
        "csc 2023 annual report",
        "我们保证支付安全 100%",
    ],
)
def test_card_security_code_negatives(text: str) -> None:
    assert found(text, "CARD") == []


def test_cards_in_one_run_and_after_another_number() -> None:
    text = "4012888888881881 4012-8888-8888-1881 4012 8888 8888 1881"
    assert found(text, "CARD") == ["4012888888881881", "4012-8888-8888-1881", "4012 8888 8888 1881"]
    assert found("2024 4111 1111 1111 1111", "CARD") == ["4111 1111 1111 1111"]
    assert found("4111 1111 1111 1111 2024", "CARD") == ["4111 1111 1111 1111"]


# --- CN_ID ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("身份证号110101199001011237", ["110101199001011237"]),
        ("证件号码:11010119900307747X。", []),  # the real check character is 5
        ("身份证 1101 0119 9001 0112 37", ["1101 0119 9001 0112 37"]),
        ("身份证 1101  0119  9001  0112  37", ["1101  0119  9001  0112  37"]),
        ("33050219880702447x 和 44040119580101000X", ["33050219880702447x", "44040119580101000X"]),
    ],
)
def test_cn_id(text: str, expected: list[str]) -> None:
    assert found(text, "CN_ID") == expected


@pytest.mark.parametrize(
    "value",
    [
        "110101199001011234",  # bad check digit
        "110101199013011234",  # month 13 (its check digit happens to be right)
        "440308199902301512",  # 30 February
        "000101199001011234",  # no province 00
        "520323297806058856",  # born in 2978
        "110101491001001",  # 15-digit first-generation number
    ],
)
def test_cn_id_negatives(value: str) -> None:
    assert found(value, "CN_ID") == []


def test_chinese_sentence_with_phone_and_bad_id() -> None:
    # The ID's check character should be 4, not 7: typed wrong, but named as an ID.
    text = "我的手机号是13812345678，身份证110101199003077777"
    assert spans(text) == [("PHONE", "13812345678"), ("CN_ID", "110101199003077777")]
    text = "我的手机号是13812345678，编号110101199003077777"
    assert spans(text) == [("PHONE", "13812345678")]
    text = "张三的手机号是13812345678,身份证号是110101199001011237"
    assert spans(text) == [("PHONE", "13812345678"), ("CN_ID", "110101199001011237")]
