"""Tests for servicebot.filters.pii: positives and negatives per kind, overlaps, robustness."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicebot.filters import Finding
from servicebot.filters.pii import PII_KINDS, find_pii


def spans(text: str, kinds: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    """(kind, matched text) for every finding, in order."""
    return [(f.kind, text[f.start : f.end]) for f in find_pii(text, kinds)]


def found(text: str, kind: str) -> list[str]:
    return [value for k, value in spans(text) if k == kind]


# --- EMAIL ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("write to john.doe+shop@example.co.uk today", ["john.doe+shop@example.co.uk"]),
        ("邮箱test@qq.com和test@163.com", ["test@qq.com", "test@163.com"]),
        ("punycode a@xn--d1acufc.xn--p1ai.", ["a@xn--d1acufc.xn--p1ai"]),
        ("(mailto:info@presidio.site)", ["info@presidio.site"]),
        ("...bob@example.com", ["bob@example.com"]),
    ],
)
def test_email_positives(text: str, expected: list[str]) -> None:
    assert found(text, "EMAIL") == expected


@pytest.mark.parametrize(
    "text",
    [
        "my email is info@presidio.",
        "test@example..com",
        "@example.com",
        "test@",
        "a@b.c",
        "x@-a.com",
    ],
)
def test_email_negatives(text: str) -> None:
    assert found(text, "EMAIL") == []


# --- PHONE ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "+44 20 7946 0958",
        "+44 (20) 7123 4567",
        "+33 1 42 68 53 00",
        "+1 212 555 0199",
        "(212) 555-0199",
        "(212)555-0199",
        "212-555-0199",
        "212.555.0199",
        "1-800-555-0199",
        "13812345678",
        "138-1234-5678",
        "138 1234 5678",
        "+86 138-1234-5678",
        "+8613812345678",
        "0086 138 1234 5678",
        "010-12345678",
        "0755-86013388",
        "(0755) 8601-3388",
        "021 6123 4567",
        "400-123-4567",
        "400 123 4567",
        "800-820-8820",
        "0912-345-678",  # Taiwan mobiles
        "0912 345 678",
        "0912345678",
        "0912-345678",
        "+886 912 345 678",
    ],
)
def test_phone_positives(number: str) -> None:
    assert found(f"call me on {number}, thanks", "PHONE") == [number]


@pytest.mark.parametrize(
    "text",
    [
        "数字12345678901不是手机号",  # 12x is not a mobile prefix
        "order 1234567890",  # ten bare digits: an order number as often as a phone
        "+1 123 555 0199",  # NANP area codes start 2-9
        "+86 150 1111 11112",  # one digit too many for a +86 mobile
        "id415-555-0132",  # glued to a word
        "12812345678",
        "1381234567",
        "订单号 07551234567",  # a landline's digits with no area code set apart: an order number
        "价格 0755",
        "4001234567890",  # too long for a 400 number
        "单号 4001234567",  # ten bare digits: an order number as often as a 400 number
        "400-500 6000",  # mixed separators: a range, not a number
        "单号 09123456789",  # eleven digits: not a Taiwan mobile
    ],
)
def test_phone_negatives(text: str) -> None:
    assert found(text, "PHONE") == []


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
        "4111 1111 1111 1112",  # bad Luhn
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
    # The ID's check character should be 4, not 7: only the phone is PII.
    text = "我的手机号是13812345678，身份证110101199003077777"
    assert spans(text) == [("PHONE", "13812345678")]
    text = "张三的手机号是13812345678,身份证号是110101199001011237"
    assert spans(text) == [("PHONE", "13812345678"), ("CN_ID", "110101199001011237")]


# --- IBAN -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("GB29NWBK60161331926819", ["GB29NWBK60161331926819"]),
        ("iban GB29 NWBK 6016 1331 9268 19, thanks", ["GB29 NWBK 6016 1331 9268 19"]),
        ("AL47-2121-1009-0000-0002-3569-8741", ["AL47-2121-1009-0000-0002-3569-8741"]),
        (
            "an iban VG96 VPVG 0000 0123 4567 8901 X in a sentence",
            ["VG96 VPVG 0000 0123 4567 8901"],
        ),
        ("NO9386011117947 DE89370400440532013000", ["NO9386011117947", "DE89370400440532013000"]),
    ],
)
def test_iban_positives(text: str, expected: list[str]) -> None:
    assert found(text, "IBAN") == expected


@pytest.mark.parametrize(
    "text",
    [
        "GB29 NWBK 6016 1331 9268 10",  # bad mod-97
        "GB29 NWBK 6016 1331 9268 1",  # one character short for GB
        "AM47212110090000000235698740",  # no IBANs in Armenia
        "AL47/2121/1009/0000/0002/3569/8741",
        "GI75 aWBK 0000 0000 7099 453",
    ],
)
def test_iban_negatives(text: str) -> None:
    assert found(text, "IBAN") == []


# --- IP -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("from 192.168.0.1.", ["192.168.0.1"]),
        ("(10.0.0.1), 172.16.0.1", ["10.0.0.1", "172.16.0.1"]),
        ("subnet 192.168.1.0/24 and 10.0.0.0/123", ["192.168.1.0/24", "10.0.0.0"]),
        ("ipv6 2001:db8::1.", ["2001:db8::1"]),
        ("[2001:db8::1]:8080", ["2001:db8::1"]),
        ("fe80::1%eth0/64 ::ffff:192.0.2.1", ["fe80::1%eth0/64", "::ffff:192.0.2.1"]),
        ("684D:1111:222:3333:4444:5555:6:77", ["684D:1111:222:3333:4444:5555:6:77"]),
        ("2001:db8::/9999", ["2001:db8::"]),
    ],
)
def test_ip_positives(text: str, expected: list[str]) -> None:
    assert found(text, "IP") == expected


@pytest.mark.parametrize(
    "text",
    [
        "256.1.1.1",
        "192.168.1.256",
        "192.168.1",
        "01.02.03.04",  # leading zeros are not accepted by ipaddress either
        "IP192.168.1.1text",
        "2001::db8::1",
        "12345:db8::1",
        "fe80::1text",
        "aa:bb:cc:dd:ee:ff",
        "Time 12:34:56",
        "std::cout and ::",
        "Version 1.2.3",
    ],
)
def test_ip_negatives(text: str) -> None:
    assert found(text, "IP") == []


@given(st.tuples(*[st.integers(0, 300)] * 4))
def test_ipv4_agrees_with_ipaddress(octets: tuple[int, int, int, int]) -> None:
    address = ".".join(map(str, octets))
    try:
        ipaddress.IPv4Address(address)
        valid = True
    except ValueError:
        valid = False
    assert found(f"ip {address} here", "IP") == ([address] if valid else [])


# --- SSN ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ssn", ["078-05-1123", "078.05.1123", "078 05 1123", "536-22-1234"])
def test_ssn_positives(ssn: str) -> None:
    assert found(f"ssn {ssn}.", "SSN") == [ssn]


@pytest.mark.parametrize(
    "ssn",
    [
        "000-12-3456",  # area 000
        "666-12-3456",  # area 666
        "900-12-3456",  # 9xx is an ITIN
        "999-12-3456",
        "536-00-1234",  # group 00
        "536-22-0000",  # serial 0000
        "111-11-1111",  # one digit repeated
        "123-45-6789",  # published sample
        "078-05-1120",  # the Woolworth's wallet card
        "693-09.4444",  # mixed separators
        "078051123",  # no separators: an order number as often as an SSN
    ],
)
def test_ssn_negatives(ssn: str) -> None:
    assert found(ssn, "SSN") == []


# --- SECRET ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("key sk-abcdefghij1234567890ABCDEFGHIJ", ["sk-abcdefghij1234567890ABCDEFGHIJ"]),
        ("OPENAI_API_KEY=sk-proj-Ab3_dEf-9hIjKlMnOpQrStUv", ["sk-proj-Ab3_dEf-9hIjKlMnOpQrStUv"]),
        (
            "aws AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A",
            ["AKIAIOSFODNN7EXAMPLE", "ASIAY34FZKBOKMUTVV7A"],
        ),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.x", ["eyJhbGciOiJIUzI1NiJ9.e30.x"]),
        ("my password is hunter2!", ["hunter2"]),
        ("Password: letmein.", ["letmein"]),
        ("password is: 'open sesame'", ["open sesame"]),
        ('pwd = "p4ss w0rd"', ["p4ss w0rd"]),
        ("我的密码是abc123,谢谢", ["abc123"]),
        ("密码:Xy9#q", ["Xy9#q"]),
        ("密码：Xy9#q", ["Xy9#q"]),
    ],
)
def test_secret_positives(text: str, expected: list[str]) -> None:
    assert found(text, "SECRET") == expected


@pytest.mark.parametrize(
    "text",
    [
        "my password is not working",
        "the password isn't right",
        "forgot my password",
        "passwords: reset them monthly",
        "sk-short",
        "task-management-is-a-long-hyphenated-word",
        "AKIAIOSFODNN7EXAMPLEX",
        "Bearer tokens are explained here",
        "密码是不是忘了",
    ],
)
def test_secret_negatives(text: str) -> None:
    assert found(text, "SECRET") == []


# --- API ------------------------------------------------------------------------------------------


def test_kinds_filter_and_unknown_kind() -> None:
    text = "mail a@example.com or call 13812345678"
    assert spans(text, ("PHONE",)) == [("PHONE", "13812345678")]
    assert spans(text, ()) == []
    with pytest.raises(ValueError, match="unknown PII kind"):
        find_pii(text, ["PHONE", "ADDRESS"])


def test_longest_overlap_wins() -> None:
    # The SSN-shaped tail sits inside the IBAN; the phone-shaped digits inside the email.
    assert spans("GB29 NWBK 6016 1331 9268 19") == [("IBAN", "GB29 NWBK 6016 1331 9268 19")]
    assert spans("13812345678@qq.com") == [("EMAIL", "13812345678@qq.com")]


# --- robustness -----------------------------------------------------------------------------------

ADVERSARIAL = {
    "digits": "1" * 100_000,
    "digit groups": "4111 " * 20_000,
    "dashes": "1-" * 50_000,
    "at signs": "@" * 100_000,
    "dots": "." * 100_000,
    "a@": "a@" * 50_000,
    "a@b.": "a@b." * 25_000,
    "brackets": "(" * 50_000 + ")" * 50_000,
    "bracket digits": "(1" * 50_000,
    "letters": "a" * 100_000,
    "plus": "+1 " * 33_334,
    "colons": "f:" * 50_000,
    "dotted": "1." * 50_000,
    "iban-ish": "GB29 " * 20_000,
    "keys": "sk-" * 33_334,
    "passwords": "password: " * 10_000,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_inputs_finish(name: str) -> None:
    text = ADVERSARIAL[name]
    assert_well_formed(text, find_pii(text))


def assert_well_formed(text: str, findings: list[Finding]) -> None:
    end = 0
    for finding in findings:
        assert end <= finding.start < finding.end <= len(text)
        assert finding.kind in PII_KINDS
        end = finding.end


@given(st.text())
def test_any_text_gives_sorted_disjoint_spans(text: str) -> None:
    assert_well_formed(text, find_pii(text))


_PIECES = st.sampled_from(
    [
        *("13812345678", "4111 1111 1111 1111", "a@b.co", "192.168.0.1", "::1", "078-05-1123"),
        *("110101199003077475", "GB29 NWBK 6016 1331 9268 19", "password: x1", "+44 20 7946 0958"),
        *(" ", "-", "\n"),
    ]
)


@given(st.lists(st.one_of(_PIECES, st.text(alphabet="0123456789 -.:@+()xX密码是", max_size=8))))
def test_pii_shaped_text_gives_sorted_disjoint_spans(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert_well_formed(text, find_pii(text))


def test_a_card_after_other_digit_groups_is_found_and_does_not_swallow_an_ip() -> None:
    text = "+86 138 0013 8000 4111 1111 1111 1111 192.168.10.1"
    assert [(text[f.start : f.end], f.kind) for f in find_pii(text)] == [
        ("+86 138 0013 8000", "PHONE"),
        ("4111 1111 1111 1111", "CARD"),
        ("192.168.10.1", "IP"),
    ]
