"""Tests for servicebot.filters.pii: the kinds it finds by their shape alone (IBANs, US SSNs,
secrets), choosing kinds and overlaps. IPs are test_ip_addresses.py's, emails
test_emails.py's, phones test_phones.py's, cards and CN IDs test_numbers.py's, data the
customer names test_labelled.py's, and robustness (adversarial and random text)
test_pii_robustness.py's."""

from __future__ import annotations

import pytest

from servicebot.filters.hkid import check_digit_ok
from servicebot.filters.normalise import normalise
from servicebot.filters.pii import find_pii
from servicebot.filters.placeholders import restore
from tests.unit.piifindings import found, spans

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


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("SSN 078-05-1120", "078-05-1120"),  # the Woolworth's wallet card, voided
        ("my SSN is 123-45-6789", "123-45-6789"),  # the published sample
        ("my social security number is 000-12-3456", "000-12-3456"),  # area 000
        ("social security no. 666-12-3456", "666-12-3456"),  # area 666
        ("SSN: 900 12 3456", "900 12 3456"),  # area 9xx
        ("ssn#536.00.1234", "536.00.1234"),  # group 00
        ("my SSN is 536-22-0000", "536-22-0000"),  # serial 0000
        ("SSN 111-11-1111", "111-11-1111"),  # one digit repeated
        ("SSN 078-05 1120", "078-05 1120"),  # separators typed two ways
        ("社会安全号 078-05-1120", "078-05-1120"),
        ("社會安全號碼：123-45-6789", "123-45-6789"),
        ("我的社会安全码是 000-12-3456", "000-12-3456"),
        ("社安号 536-00-1234", "536-00-1234"),
    ],
)
def test_a_number_the_customer_names_as_an_ssn_is_one_whatever_its_range(
    text: str, value: str
) -> None:
    assert found(normalise(text).text, "SSN") == [value]  # 社會 reads as 社会, as in a turn


@pytest.mark.parametrize(
    "text",
    [
        "call social security at 800-772-1213",  # the SSA's own line, a phone
        "my social security check of 1,234.56 is late",
        "SSN 078-05-11205",  # too many digits for one
    ],
)
def test_a_social_security_label_takes_only_an_ssns_shape(text: str) -> None:
    assert found(normalise(text).text, "SSN") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an SSN that runs on is masked whole: "123-45-6789" was masked and "-1" left
        ("SSN 123-45-6789-1", [("SSN", "123-45-6789-1")]),
        ("my ssn is 536-22-1234.12, thanks", [("SSN", "536-22-1234.12")]),
        ("social security number 536221234/2", [("SSN", "536221234/2")]),
        ("社会安全号 078-05-1120-3", [("SSN", "078-05-1120-3")]),
        # more two-digit groups are more of what the customer typed, not a date: "-01-02-03"
        # was shown after the placeholder, and "-03-04-05" after "536221234-01-02"
        ("SSN 536221234-01-02-03", [("SSN", "536221234-01-02-03")]),
        ("SSN 536221234-01-02-03-04-05, thanks", [("SSN", "536221234-01-02-03-04-05")]),
        ("SSN 536-22-1234-01-02-03", [("SSN", "536-22-1234-01-02-03")]),
        # a date with its year in four digits is when, and stays
        ("SSN 536221234-2024-03-15", [("SSN", "536221234")]),
        ("SSN 536221234/15.03.2024", [("SSN", "536221234")]),
        # what follows an SSN as a new word or a sentence's end stays
        ("my SSN is 536-22-1234. Order 1234 costs $12.50", [("SSN", "536-22-1234")]),
        ("SSN 536-22-1234 - version 1.2.3 of the form", [("SSN", "536-22-1234")]),
        ("SSN: 536-22-1234, sent 2024-03-15", [("SSN", "536-22-1234")]),
        ("SSN 536-22-1234.Thanks, see report.pdf e.g. page 2", [("SSN", "536-22-1234")]),
    ],
)
def test_a_named_ssn_that_runs_on_is_masked_whole(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert spans(normalise(text).text) == expected


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
        find_pii(text, ["PHONE", "NAME"])  # names are no kind: see the README


def test_longest_overlap_wins() -> None:
    # The SSN-shaped tail sits inside the IBAN; the phone-shaped digits inside the email.
    assert spans("GB29 NWBK 6016 1331 9268 19") == [("IBAN", "GB29 NWBK 6016 1331 9268 19")]
    assert spans("13812345678@qq.com") == [("EMAIL", "13812345678@qq.com")]


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


def test_unicode_dashes_between_digit_groups_do_not_hide_a_number() -> None:
    text = normalise("card 4111–1111–1111–1111, phone 138‐0013‐8000").text
    assert spans(text) == [("CARD", "4111-1111-1111-1111"), ("PHONE", "138-0013-8000")]


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


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("壹叁捌零零壹叁捌零零零", "PHONE", "壹叁捌零零壹叁捌零零零"),  # eleven in a row: unnamed
        ("是一三八零零一三八零零零吗", "PHONE", "一三八零零一三八零零零"),
        ("1 3 8 0 0 1 3 8 0 0 0", "PHONE", "1 3 8 0 0 1 3 8 0 0 0"),
        ("j o h n @ g m a i l . c o m", "EMAIL", "j o h n @ g m a i l . c o m"),
        (
            "write to j o h n . s m i t h @ g m a i l . c o m .",
            "EMAIL",
            "j o h n . s m i t h @ g m a i l . c o m",
        ),
    ],
)
def test_a_value_typed_a_character_at_a_time_or_in_chinese_numerals_is_found(
    text: str, kind: str, value: str
) -> None:
    assert found(normalise(text).text, kind) == [value]


@pytest.mark.parametrize(
    "text",
    [
        "一一一一一一一一一一一",  # eleven Chinese digits of no number's shape
        "rate us 1 2 3 4 5 6 7 8 9 1 0",
        "a b c @ d e",  # no dot: no address
        "三五天，一两个，十一月",
    ],
)
def test_spelled_runs_of_no_value_shape_are_ordinary_text(text: str) -> None:
    assert spans(normalise(text).text) == []


# --- Taiwan IDs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("我叫王小明 A123456789 訂單沒到", "A123456789"),  # check digit right: no label needed
        ("我叫王小明A123456789", "A123456789"),
        ("id a123456789 please", "a123456789"),
        ("B176944193", "B176944193"),
        ("居留證 A800000014 到期了", "A800000014"),  # a residence permit's, since 2021
    ],
)
def test_a_taiwan_id_with_its_check_digit_right_needs_no_label(text: str, value: str) -> None:
    assert spans(normalise(text).text) == [("CN_ID", value)]


@pytest.mark.parametrize(
    "text",
    [
        "產品 A123456780 缺貨",  # the check digit wrong: a product code
        "型號 X231071922",
        "A323456789",  # no ID has 3 in second place
        "發票 AB12345678",  # an invoice number: an old residence permit's shape, no label
        "AB12345678",
        "order A123456789",  # named an order number
        "SKU-A123456789",  # glued to a word
    ],
)
def test_what_is_no_taiwan_id(text: str) -> None:
    assert spans(normalise(text).text) == []


@pytest.mark.parametrize(
    "text, value",
    [
        # named: its check digit right or not (A123456(7)'s is 3), bracketed or not
        ("HKID A123456(7)", "A123456(7)"),
        ("我的香港身份證號碼係 A123456(7)", "A123456(7)"),
        ("身份證號碼：A123456(7)", "A123456(7)"),
        ("my id card is AB9876543", "AB9876543"),
        # unnamed: bracketed as on the card, its check digit right
        ("A123456(3) 係我嘅身份證", "A123456(3)"),
        ("C668668(9)", "C668668(9)"),
        # in square brackets, as forms and validator.js take it (it was left as typed): with
        # two letters, A (10) as the check digit, in lower case; and named, its digit wrong
        ("OV290326[A]", "OV290326[A]"),
        ("my hkid is a494866[4] thanks", "a494866[4]"),
        ("HKID X731324[8]", "X731324[8]"),
    ],
)
def test_a_hong_kong_id_is_its_own_kind(text: str, value: str) -> None:
    # It was a CN_ID, the mainland resident ID's kind, read back as 您的身份证号.
    assert spans(normalise(text).text) == [("HK_ID", value)]


@pytest.mark.parametrize(
    "text",
    [
        "型號 A123456(7) 有貨嗎",  # bracketed, its check digit wrong
        "產品編號 A1234563",  # check digit right, no brackets: a part number's shape
        "part number A123456(3)",  # named as a reference
        "XA123456(3)",  # letters whose check digit this is not
        "X731324[8]",  # square brackets, its check digit wrong (validator.js's negative)
        "O962472(9)",  # likewise (its check digit is 5)
    ],
)
def test_an_unnamed_hkid_shape_is_none_unless_bracketed_with_its_check_digit(text: str) -> None:
    assert found(normalise(text).text, "HK_ID") == []


@pytest.mark.parametrize(
    "text",
    [
        # Before, each was masked as [HK_ID_1]: one product code in eleven passes the check.
        "这款型号 A123456(3) 的配件有吗",
        "型號：A123456(3)",
        "貨號A123456(3)",
        "款号 A123456(3) 还有货吗",
        "商品編號 A123456(3)",
        "model A123456(3) in stock?",
        "model number A123456(3)",
    ],
)
def test_an_hkid_shape_named_as_a_product_code_is_none(text: str) -> None:
    assert spans(normalise(text).text) == []


def test_a_named_hkid_beside_a_product_code_is_still_one() -> None:
    text = normalise("型号 C668668(9)，HKID A123456(3)").text
    assert spans(text) == [("HK_ID", "A123456(3)")]
    assert spans(normalise("证件编号 A123456(3)").text) == [("HK_ID", "A123456(3)")]


def test_a_mainland_or_taiwan_id_after_an_id_card_label_stays_a_cn_id() -> None:
    assert spans("身份证号码 110101199003077777") == [("CN_ID", "110101199003077777")]
    assert spans(normalise("身份證 A123456789").text) == [("CN_ID", "A123456789")]


def test_an_hkid_check_digit_is_read_as_the_card_has_it() -> None:
    assert check_digit_ok("A123456(3)") and check_digit_ok("AB9876543")
    assert check_digit_ok("a123456(3)") and not check_digit_ok("A123456(7)")
    # square brackets, two letters, A as 10 (validator.js's cases): each was read wrong
    assert check_digit_ok("A494866[4]") and check_digit_ok("OV290326[A]")
    assert not check_digit_ok("X731324[8]") and not check_digit_ok("RH265886(3)")


def test_an_hkid_from_an_earlier_turn_reads_as_the_customers_hkid() -> None:
    assert restore("[HK_ID_1]", {}, "en") == "your HKID number"
    assert restore("[HK_ID_1]", {}, "zh-Hant") == "您的香港身份證號碼"
