"""Tests for servicebot.filters.pii: positives and negatives per kind, overlaps, robustness."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from servicebot.filters import Finding
from servicebot.filters.normalise import normalise
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


_GROUPS = st.lists(st.text(alphabet="0123456789abcdefABCDEF", max_size=5), min_size=1, max_size=9)


@given(_GROUPS, st.integers(0, 9), st.booleans())
def test_ipv6_agrees_with_ipaddress(groups: list[str], gap: int, shortened: bool) -> None:
    """Addresses in hexadecimal groups are read without ipaddress (for speed): every one it
    accepts, and only those, is found whole."""
    if shortened:
        address = ":".join(groups[:gap]) + "::" + ":".join(groups[gap:])
    else:
        address = ":".join(groups)
    assume(address.strip(":"))  # a bare "::" is punctuation (see test_ip_negatives)
    try:
        ipaddress.IPv6Address(address)
        valid = True
    except ValueError:
        valid = False
    assert (found(f"ip {address} here", "IP") == [address]) == valid


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
        ("my password is hunter2!", ["hunter2!"]),  # a "!" right after it is part of it
        ("password: Summer2024!", ["Summer2024!"]),
        ("my password's hunter22", ["hunter22"]),
        ("my password is 123456", ["123456"]),  # digits alone are a password too
        ("my old password was 20240315", ["20240315"]),
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
    "chained": "a@b.co" * 16_667,
    "written dots before @": "a dot " * 16_667 + "a@b.co",
    "defanged dots": "a@b[.]" * 16_667,
    "brackets": "(" * 50_000 + ")" * 50_000,
    "bracket digits": "(1" * 50_000,
    "letters": "a" * 100_000,
    "plus": "+1 " * 33_334,
    "colons": "f:" * 50_000,
    "dotted": "1." * 50_000,
    "iban-ish": "GB29 " * 20_000,
    "keys": "sk-" * 33_334,
    "passwords": "password: " * 10_000,
    "passwords on lines": "password:\n\n" * 10_000,
    "chinese passwords on lines": "密码\n" * 30_000,
    "labels over lines": "phone\n1\n" * 10_000,
    "chinese passwords": "密码是" * 30_000,
    "chinese password runs": "密码" + "a" * 100_000,
    "labels": "card phone cvv 身份证 " * 5_000,
    "labelled digits": "phone " + "1 " * 50_000,
    "order labels": "order 4111 1111 1111 1111 " * 4_000,
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


def test_a_card_right_after_an_iban_is_found_with_it() -> None:
    text = "IBAN GB29 NWBK 6016 1331 9268 19 4111 1111 1111 1111, 6011 0009 9013 9424"
    assert [(text[f.start : f.end], f.kind) for f in find_pii(text)] == [
        ("GB29 NWBK 6016 1331 9268 19", "IBAN"),
        ("4111 1111 1111 1111", "CARD"),
        ("6011 0009 9013 9424", "CARD"),
    ]


# --- named by the customer ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        # a card number typed with a digit wrong: named as a card, or in a card's grouping
        ("my card is 4111111111111112, why was it declined?", "CARD", "4111111111111112"),
        ("my visa is 4532 0151 1283 0367", "CARD", "4532 0151 1283 0367"),
        ("卡号6222 0212 3456 7890 123", "CARD", "6222 0212 3456 7890 123"),
        ("the card 4111 1111 1111 1112 was charged twice", "CARD", "4111 1111 1111 1112"),
        ("card no 4111.1111.1111.1111", "CARD", "4111.1111.1111.1111"),
        ("cc# 4111111111111112", "CARD", "4111111111111112"),
        ("amex 3714 496353 98432", "CARD", "3714 496353 98432"),
        # card security codes, however the customer links name and digits
        ("CVV code: 123", "CARD", "123"),
        ("CVV number is 123", "CARD", "123"),
        ("cvv no. 123", "CARD", "123"),
        ("the cvv on the back is 123", "CARD", "123"),
        ("背面后三位是123", "CARD", "123"),
        ("安全代码是123", "CARD", "123"),
        # an ID with a wrong check character, and a first-generation 15-digit ID
        ("身份证 110101199003077757", "CN_ID", "110101199003077757"),
        ("身份证 110101 19900307 7750", "CN_ID", "110101 19900307 7750"),
        ("身份證號碼：350303900203307", "CN_ID", "350303900203307"),
        # the same, in any grouping: these reached the model unmasked, or half a phone
        ("身份证号 110101-19900307-001X", "CN_ID", "110101-19900307-001X"),
        ("身份证号 110101－19900307－001X", "CN_ID", "110101-19900307-001X"),
        ("身份证 1101 0119 9003 0700 1X", "CN_ID", "1101 0119 9003 0700 1X"),
        ("my id card is 110101-19900307-001X", "CN_ID", "110101-19900307-001X"),
        # Taiwan and Hong Kong IDs, named as ID cards
        ("台灣身分證 身份證號 A123456789", "CN_ID", "A123456789"),
        ("身份證字號 A123456789", "CN_ID", "A123456789"),  # Taiwan's usual wording
        ("身分證 A123456789", "CN_ID", "A123456789"),
        ("香港身份證 A123456(7)", "CN_ID", "A123456(7)"),
        ("HKID: AB9876543", "CN_ID", "AB9876543"),
        # an IBAN named as one: in lower case, or with a check digit typed wrong
        ("my iban is de89370400440532013000", "IBAN", "de89370400440532013000"),
        ("IBAN: gb82 west 1234 5698 7654 32, thanks", "IBAN", "gb82 west 1234 5698 7654 32"),
        ("IBAN DE88 3704 0044 0532 0130 00", "IBAN", "DE88 3704 0044 0532 0130 00"),
        # phones in any numbering plan, once named as phones
        ("香港電話 9123 4567", "PHONE", "9123 4567"),
        ("my number is 91234567", "PHONE", "91234567"),
        ("my HK number is 9123 4567", "PHONE", "9123 4567"),
        ("my uk mobile 07700900123", "PHONE", "07700900123"),
        ("whatsapp me on +44 7700 900123", "PHONE", "+44 7700 900123"),
        ("电话 0086-10-62345678", "PHONE", "0086-10-62345678"),
        ("tel: (02)2345-6789", "PHONE", "(02)2345-6789"),
        ("contact number: 9123 4567", "PHONE", "9123 4567"),
        ("call me back on 9123 4567", "PHONE", "9123 4567"),
        ("联系我 9123 4567", "PHONE", "9123 4567"),
        ("whatsapp me 9123 4567", "PHONE", "9123 4567"),
        ("Tel. 9123 4567", "PHONE", "9123 4567"),
        ("Hotline: 9123 4567", "PHONE", "9123 4567"),  # as a model invents one
        ("WhatsApp us: 44 7911 123456", "PHONE", "44 7911 123456"),
        ("call us at 9123 4567", "PHONE", "9123 4567"),
        ("客服热线 02112345678", "PHONE", "02112345678"),
        ("请拨打 9123 4567", "PHONE", "9123 4567"),
        ("my cell's 9123 4567", "PHONE", "9123 4567"),
        ("我嘅電話係 9876 5432", "PHONE", "9876 5432"),
        ("致电 9123 4567 找我", "PHONE", "9123 4567"),
        ("SMS code 482913", "SECRET", "482913"),
        ("認證碼 482913", "SECRET", "482913"),
        ("cvv (123)", "CARD", "123"),
        ("卡背后三位 123", "CARD", "123"),
        ("验证码 482 913", "SECRET", "482 913"),
        ("APP验证码 482913", "SECRET", "482913"),
        # one-time codes, PINs, keys without a known prefix, SSNs without separators
        ("验证码是 482913", "SECRET", "482913"),
        ("驗證碼：482913", "SECRET", "482913"),
        ("OTP 482913", "SECRET", "482913"),
        ("my PIN: 4321", "SECRET", "4321"),
        ("my PIN 4321 stopped working", "SECRET", "4321"),  # the customer's own: no link needed
        ("api key: 9f8e7d6c5b4a39281706", "SECRET", "9f8e7d6c5b4a39281706"),
        ("token=abcd1234efgh5678ijkl", "SECRET", "abcd1234efgh5678ijkl"),
        ("SSN 536221234", "SSN", "536221234"),
        # passports and travel permits, of any country's shape
        ("my passport number is E12345678", "PASSPORT", "E12345678"),
        ("Passport no. 123456789, expires 2030", "PASSPORT", "123456789"),
        ("passport: C01X00T47", "PASSPORT", "C01X00T47"),
        ("护照号E12345678", "PASSPORT", "E12345678"),
        ("護照號碼：EA1234567", "PASSPORT", "EA1234567"),
        ("港澳通行证 C12345678 过期了", "PASSPORT", "C12345678"),
    ],
)
def test_a_value_named_right_before_it_is_found(text: str, kind: str, value: str) -> None:
    assert found(normalise(text).text, kind) == [value]  # 身份證 reads as 身份证, as in a turn


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("账号 zhangwei 密码 abc12345", "abc12345"),
        ("密码hunter2", "hunter2"),
        ("密码是“abc123”", "abc123"),
        ("密码是「abc123」", "abc123"),
        ("我的密码是我爱你1234", "我爱你1234"),
        ("密码是：Abc 123", "Abc 123"),
        ("我的登录密码:Pass word1", "Pass word1"),
        ("my password is: Hunter 2024! can you reset it", "Hunter 2024!"),
        # a form's way: the value on the next line, or after a blank line
        ("password:\nhunter2\nthanks", "hunter2"),
        ("Password\n\nletmein1", "letmein1"),
        ("密码\n\nabc12345", "abc12345"),
        ("密码：\nabc12345", "abc12345"),
        ("pw: hunter2", "hunter2"),
        ("my password was Hunter2024", "Hunter2024"),
        ("password: 'abc123", "abc123"),
        ("我的QQ密码是abc12345，登不上", "abc12345"),  # a Chinese label may follow a letter
        ("WiFi密码是12345678", "12345678"),
    ],
)
def test_a_password_is_found_however_it_is_written(text: str, value: str) -> None:
    assert found(text, "SECRET") == [value]


@pytest.mark.parametrize(
    "text",
    [
        "密码是多少",  # asks what it is
        "密码是8位",  # says how long it is
        "密码要求8位以上",
        "我忘记密码了",
        "the pin is wrong",
        "I need a new pin",
        "my phone is broken, order 123456789",
        "call me at 3pm",
        "the otp never arrived",
        "which card 2 days ago",
        "boarding pass is missing",
        # complaints about a password, and answers about them, hold none
        "My password: I forgot it, can you reset?",
        "password:\n\nI forgot it, can you reset?",
        "忘记密码\nOrder12345 到哪了",  # the next line goes on, about something else
        "忘记密码\n12345678",  # the label does not begin its line: no form's field
        "Username: bob\nPassword:\nOrder: 12345678",  # an empty field, then the next
        "账号：zhang\n密码：\n订单号：12345678",
        "the password's reset link expired",
        "password: 3 attempts failed, account locked",
        "my password is 8 chars",
        "Password: at least 8 characters, including 1 number.",
        "pw: use at least 12 characters",
        "Boarding pass: ABC123",
        # codes that are no secret: a VAT invoice's check code, a coupon's 口令, a lock's pin
        "发票校验码 03285102716351952781，帮我开发票",
        "我用口令 MAPLE2024 领券失败",
        "The smart lock pin 2580 is stuck",
        "I got a PIN 1234 error at checkout",
        "the iban field is empty and the refund of 120 failed",
        "身份证 A12345 照片看不清",  # too short for any ID card
        # a phone's date or price, and a shop's own cards
        "I ordered a phone on 2024-03-15 12:30 and it hasn't arrived",
        "手机 2024-03-15 14:30 下单",
        "The phone is 1 299 000 VND",
        "会员卡号 1234567890123 积分没到账",
        "礼品卡 6035720012345678 余额不对",
        "My gift card 6035720012345678 doesn't work",
        "Member card 5210 3300 1234 5678 has no points",
        "会员卡卡号 5210330012345678 积分没到账",
        # what a customer says of a password's rules, or of an error after typing it
        "The password is case-sensitive, right?",
        "Password: 8-16 characters? Mine is 20",
        "The site says password is 8-12 chars but mine has 14",
        "My old password was 2FA protected",
        "输入密码后提示 error 1005",
        "修改密码时报错 0x80070005",
        "密码为 8-16 位字母和数字的组合吗？",
        "新密码为8到16位，我输入了12位还是不行",
        "密碼為8-16位英數混合嗎？",
        # a date, a price, a sender's number, a payment reference
        "I didn't get the OTP on 2024-03-15 when I tried to pay",
        "The phone was 10999.00 yuan",
        "收到的验证码是 1069 0123 4567 发来的，是你们吗",
        "The payment reference token PAY-20240315-000123 shows failed",
    ],
)
def test_a_name_without_its_value_finds_nothing(text: str) -> None:
    assert spans(normalise(text).text) == []


@pytest.mark.parametrize(
    "text",
    [
        "淘宝订单号 4895803924456462927 还没发货",  # passes Luhn, with a Visa prefix
        "运单号 0912345678",  # a Taiwan mobile's shape
        "invoice 4012888888881881",
        "订单编号 4895803924456462927 还没发货",
        "Order ID: 4532015112830366",
        "tracking: 0912345678",
        "Can you reissue invoice 03-2024-0001?",
        "SKU 450-220-1234 says out of stock",
        "part no. 414-52-1187 for the purifier",
        "零件号 03-456-7890 的滤芯",
        "coupon code 212-555-0123 doesn't work",  # a code the shop issues, a phone's shape
        "优惠码 212-555-0123 用不了",
        "My part number on the back is 212-555-0123",  # where it is printed, not a place
        "Tracking number 1-800-123-4567",  # an 800 service number's shape after the 1-
        "tracking: 1 800 123 4567",
    ],
)
def test_a_number_named_as_a_reference_is_not_personal_data(text: str) -> None:
    assert spans(text) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("my order: 4111 1111 1111 1111", "CARD"),  # grouped as a card
        ("快递 13800138000 一直打不通", "PHONE"),  # the courier's phone
        ("订单是13800138000下的", "PHONE"),
        ("tracking number 13800138000", "PHONE"),
        ("ref: someone@example.com", "EMAIL"),
        ("证件号码：110101199003077475", "CN_ID"),  # 件号 inside it is no part number
        ("My gift card 4012888888881881 doesn't work", "CARD"),  # a prepaid Visa's
        ("voucher 4012888888881881", "CARD"),
        ("优惠码 13800138000", "PHONE"),
        ("I placed my order at 212-555-0123", "PHONE"),  # where, not which order
    ],
)
def test_a_card_mobile_or_email_after_a_reference_label_is_still_personal_data(
    text: str, kind: str
) -> None:
    assert [k for k, _ in spans(text)] == [kind]


# --- shapes that need no name -----------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "(02)2345-6789",  # Taiwan landlines
        "02-2345-6789",
        "(02) 2345 6789",
        "07-123-4567",
        "(+852) 9123 4567",  # Hong Kong
        "852 9123 4567",
        "852-9123-4567",
        "07700 900123",  # UK mobiles
        "07700 900 123",
        "0044 7700 900123",
    ],
)
def test_more_phone_shapes(number: str) -> None:
    assert found(f"reach us: {number}, thanks", "PHONE") == [number]


def test_unicode_dashes_between_digit_groups_do_not_hide_a_number() -> None:
    text = normalise("card 4111–1111–1111–1111, phone 138‐0013‐8000").text
    assert spans(text) == [("CARD", "4111-1111-1111-1111"), ("PHONE", "138-0013-8000")]


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("my email is john@gmail。com", "john@gmail。com"),
        ("邮箱是 zhang。san。feng@qq。com", "zhang。san。feng@qq。com"),  # every dot a 。
        ("郵箱 chen。wei@gmail。com，衣服小了能退嗎", "chen。wei@gmail。com"),
        ("请发到我的邮箱。zhang@qq.com", "zhang@qq.com"),  # a sentence's 。 before it
        ("email josé.garcía@example.com", "josé.garcía@example.com"),
    ],
)
def test_emails_as_chinese_keyboards_and_accented_names_write_them(text: str, email: str) -> None:
    assert found(text, "EMAIL") == [email]


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("it's john dot smith at gmail dot com thanks", "john dot smith at gmail dot com"),
        ("mail john.smith at gmail.com. Thanks", "john.smith at gmail.com"),
        ("jane_doc at yahoo.com", "jane_doc at yahoo.com"),  # after "_", "doc" is no file type
        ("my_name at gmail dot com", "my_name at gmail dot com"),  # nor "name" a domain
        ("it's bob_info at yahoo.com", "bob_info at yahoo.com"),
        ("JOHN_SMITH AT GMAIL DOT COM", "JOHN_SMITH AT GMAIL DOT COM"),
        ("write to john[at]gmail[dot]com", "john[at]gmail[dot]com"),
        ("john [at] gmail [dot] co [dot] uk", "john [at] gmail [dot] co [dot] uk"),
        ("contact: john(at)gmail.com", "john(at)gmail.com"),
        ("john @ gmail . com please", "john @ gmail . com"),
        ("john . smith @ gmail . com", "john . smith @ gmail . com"),  # not "smith @ ..." alone
        ("mail john . smith [at] gmail . com", "john . smith [at] gmail . com"),
        ("john@gmail dot com", "john@gmail dot com"),
        ("mailto:john%40gmail.com", "john%40gmail.com"),
        ("我的邮箱john艾特gmail点com谢谢", "john艾特gmail点com"),
        ("邮箱 zhang.san 艾特 qq 点 com", "zhang.san 艾特 qq 点 com"),
        ("QQ邮箱12345678(at)qq.com", "12345678(at)qq.com"),
        # defanged, as security mail writes links so no one clicks them
        ("write to john.smith[at]gmail[.]com", "john.smith[at]gmail[.]com"),
        ("mail john@gmail[.]com ok", "john@gmail[.]com"),
        ("邮箱 zhang(at)qq(.)com", "zhang(at)qq(.)com"),
        # a name written out before a typed "@" belongs to the address
        ("it's john dot smith@gmail.com", "john dot smith@gmail.com"),
        ("it's john[.]smith@gmail.com", "john[.]smith@gmail.com"),
        # chained: a mail client sends it to the last domain, so all of it is the address
        ("cc support@maple.example.com@evil.com now", "support@maple.example.com@evil.com"),
    ],
)
def test_an_email_written_out_to_get_past_a_form_is_found_whole(text: str, email: str) -> None:
    assert found(text, "EMAIL") == [email]


@pytest.mark.parametrize(
    "text",
    [
        "john#gmail.com",
        "I'm at home dot",
        "look at the dot com boom",
        "meet me at 5 dot",
        "we met at google",
        "email me at the office",
        "I ordered at amazon.com",  # "at" as a word needs a local part of two parts
        "we met at google. It was great",  # a sentence's stop is no dot of a domain
        "ping @ home. It works",
        "cc @john.doe",
        "hi @amazon.com",
        "track ups.com at ups.com/track",  # a domain, not a local part
        "fixed in 2.1 at github.com",
        "x (at) y",
        "the file setup.py at github.com",  # a file or a version says where it is, not who
        "The file config.yaml at app.io",
        "file report_2024.pdf at docs.google.com",
        "Updated v2.0 at apple.com",
    ],
)
def test_at_and_dot_as_words_are_not_an_email(text: str) -> None:
    assert found(text, "EMAIL") == []


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("Connect the dot john@gmail.com", "john@gmail.com"),  # "the dot" is no name
        ("a@b.com@x.c0m", "a@b.com"),  # a chain ends at its last host that is a domain
    ],
)
def test_an_address_takes_no_prose_before_it_nor_hosts_after_its_domain(
    text: str, email: str
) -> None:
    assert found(text, "EMAIL") == [email]


def test_a_spaced_local_part_stops_at_a_plain_space() -> None:
    # The local part joins words by dots only (" . " too, after a spaced @), so the prose before
    # "me" stays: "hi . Mail" is joined by a spaced dot, but "Mail me" by a space. "me" itself
    # is masked: after "@ " a one-word name ("john @ gmail . com") is the usual address, and
    # hiding a pronoun costs the model less than showing an address costs the customer.
    assert found("I said hi . Mail me @ gmail . com", "EMAIL") == ["me @ gmail . com"]
    assert found("home. john @ gmail . com", "EMAIL") == ["john @ gmail . com"]  # not " . "


@pytest.mark.parametrize(
    "key",
    [
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "sk_live_abcdefghijklmnop1234",
        "xoxb-1234567890-abcdefghij",
        "AIzaSyA1234567890abcdefghijklmnopqrstuv",
    ],
)
def test_keys_with_documented_prefixes(key: str) -> None:
    assert found(f"here: {key} ok", "SECRET") == [key]


@pytest.mark.parametrize(
    "text",
    [
        "my router firmware is 2.0.1.12, update fails",
        "version 10.0.0.1",
        "版本号 4.2.0.1",
        "After updating to 4.2.0.1 the app crashes",
        "更新到 3.2.1.5 之后闪退",
    ],
)
def test_a_version_number_is_not_an_address(text: str) -> None:
    assert found(text, "IP") == []


@pytest.mark.parametrize(
    "text",
    [
        "my passport expires 2030-01-01",  # a date
        "passport photo size 35x45mm",
        "I lost my passport, order 12345678",  # a reference number after it
        "is my passport ok for 2 bags",
        "这是普通文本没有护照号",
        "G12345678",  # a passport's shape, but as much a product code's: unnamed, not found
    ],
)
def test_a_passport_is_found_only_where_its_number_is_named(text: str) -> None:
    assert found(normalise(text).text, "PASSPORT") == []


_LABEL_PIECES = st.sampled_from(
    [
        *("card", "credit card", "id card", "cvv2", "pin", "phone", "order", "cc", "sku", "ssn"),
        *("passport", "passport number"),
        *("订单id", "卡号", "身份证", "电话", "验证码", "订单编号", "背面的后三位", "护照"),
        *(" ", "-", ":", "a", "x", "QQ", "是", "2", "ping", "\n"),
    ]
)


@given(st.lists(_LABEL_PIECES))
def test_labels_are_found_where_one_regex_of_every_label_finds_them(pieces: list[str]) -> None:
    """Labels are sought in two scans, English after a non-letter and Chinese alone, because
    that is faster; what they find must be what the single regex of every label finds."""
    import re

    from servicebot.filters.labelled import ROLE, _joined, _label_spans

    lowered = "".join(pieces).lower()
    one_regex = re.compile(_joined(ROLE))
    assert _label_spans(lowered) == [match.span() for match in one_regex.finditer(lowered)]


@pytest.mark.parametrize(
    ("text", "kind", "typed"),
    [
        ("رقم بطاقتي ٤١١١ ١١١١ ١١١١ ١١١١", "CARD", "٤١١١ ١١١١ ١١١١ ١١١١"),  # Arabic-Indic
        ("card ۴۱۱۱۱۱۱۱۱۱۱۱۱۱۱۱ please", "CARD", "۴۱۱۱۱۱۱۱۱۱۱۱۱۱۱۱"),  # Persian
        ("मेरा कार्ड ४१११-११११-११११-११११", "CARD", "४१११-११११-११११-११११"),  # Devanagari
        ("我的手机号是 \u200b١٣٨٠٠١٣٨٠٠٠", "PHONE", "١٣٨٠٠١٣٨٠٠٠"),
    ],
)
def test_numbers_typed_in_a_phones_own_digits_are_found_where_they_were_typed(
    text: str, kind: str, typed: str
) -> None:
    normalised = normalise(text)
    [finding] = find_pii(normalised.text)
    start, end = normalised.original_span(finding.start, finding.end)
    assert (finding.kind, text[start:end]) == (kind, typed)
