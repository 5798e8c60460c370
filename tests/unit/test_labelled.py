"""Personal data found by what the customer calls it, right before it
(``servicebot/filters/labelled.py`` and ``labels.py``): "my card number is ...", "CVV code:
123", "密码是abc123", a passport only where its number is named; a label without its
value finds nothing, and a number named as a reference is no personal data (these last
three in test_labelled_nothing.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicebot.filters.normalise import normalise
from tests.unit.piifindings import found, spans

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
        # a Taiwan residence permit's, old and new, and a health insurance card's: IDs
        ("居留證號 A800000014", "CN_ID", "A800000014"),
        ("統一證號：A800000015", "CN_ID", "A800000015"),  # check digit wrong: named, still one
        ("居留證 AB12345678", "CN_ID", "AB12345678"),
        ("健保卡號 000012345678", "CN_ID", "000012345678"),
        ("健保卡號碼 0000 1234 5678", "CN_ID", "0000 1234 5678"),
        # a Taiwan bank account: a bank's code set apart, then 10 to 14 digits
        ("退款請匯到 822-123456789012", "IBAN", "822-123456789012"),
        ("帳號：822 1234567890", "IBAN", "822 1234567890"),
        ("my bank account is 012-12345678901234", "IBAN", "012-12345678901234"),
        ("香港身份證 A123456(7)", "HK_ID", "A123456(7)"),
        ("HKID: AB9876543", "HK_ID", "AB9876543"),
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
        # Hong Kong's "call me", in Cantonese and mixed with English
        ("打俾我 6123 4567 唔該", "PHONE", "6123 4567"),
        ("whatsapp 我 9123 4567", "PHONE", "9123 4567"),
        ("call我 51234567", "PHONE", "51234567"),
        ("聯絡我 9876 5432", "PHONE", "9876 5432"),
        # grouped as thousands, but with no currency after them: a phone, not an amount
        ("phone 612 345 678", "PHONE", "612 345 678"),
        ("phone 612 345 678 won't connect", "PHONE", "612 345 678"),  # won: no currency here
        ("电话 612 345 678", "PHONE", "612 345 678"),
        ("call me on 612.345.678", "PHONE", "612.345.678"),
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
    ("text", "expected"),
    [
        # a named value that runs on is masked whole: "-1" was left after the placeholder (an
        # SSN that runs on: test_pii.py)
        ("身份证 110101199003077751-1", [("CN_ID", "110101199003077751-1")]),
        ("身份证号 110101199003077751/2 谢谢", [("CN_ID", "110101199003077751/2")]),
        ("HKID: A123456(7)-1", [("HK_ID", "A123456(7)-1")]),
        ("my passport number is E12345678-1", [("PASSPORT", "E12345678-1")]),
        ("护照 E12345678-A 过期了", [("PASSPORT", "E12345678-A")]),
        ("passport no. E12345678/01, expires 2030", [("PASSPORT", "E12345678/01")]),
        ("my card is 4111111111111112/2", [("CARD", "4111111111111112/2")]),
        ("電話 9123 4567/8", [("PHONE", "9123 4567/8")]),
        ("IBAN DE89370400440532013000-1", [("IBAN", "DE89370400440532013000-1")]),
        ("OTP 482913/2", [("SECRET", "482913/2")]),
        # what follows a value as a new word, a sentence's end or a file's extension stays
        ("身份证 110101199003077751. 订单 1234", [("CN_ID", "110101199003077751")]),
        ("身份证 110101199003077751, 2024-03-15 办的", [("CN_ID", "110101199003077751")]),
        ("身份证 110101199003077751.Thanks", [("CN_ID", "110101199003077751")]),
        ("passport E12345678 costs $12.50 to renew", [("PASSPORT", "E12345678")]),
        ("passport E12345678, see scan.pdf e.g. page 2", [("PASSPORT", "E12345678")]),
        ("passport E12345678.pdf is attached", [("PASSPORT", "E12345678")]),
        ("my card is 4111111111111112 - version 1.2.3", [("CARD", "4111111111111112")]),
        # after digits alone, a word glued on by a slash or hyphen is the customer's words
        ("电话 9123 4567/WhatsApp", [("PHONE", "9123 4567")]),
        ("phone 9123 4567-ext please", [("PHONE", "9123 4567")]),
        # and so is a time glued on by one ("9am-5pm"), or a piece glued to a Chinese word
        ("phone 91234567/9am-5pm", [("PHONE", "91234567")]),
        ("电话 13812345678/9点以后打", [("PHONE", "13812345678")]),
        ("电话 13812345678/5月3日前", [("PHONE", "13812345678")]),
        ("电话 13812345678/8-10点", [("PHONE", "13812345678")]),
        ("护照 E12345678/3月到期", [("PASSPORT", "E12345678")]),
        # after a value with letters, only a suffix goes with it: a glued word or date stays
        ("passport E12345678/visa", [("PASSPORT", "E12345678")]),
        ("passport E12345678-ext 2", [("PASSPORT", "E12345678")]),
        ("passport E12345678-A/visa", [("PASSPORT", "E12345678-A")]),
        ("passport no E12345678-2024-03-15", [("PASSPORT", "E12345678")]),
        ("passport E12345678-1/15.03.2024", [("PASSPORT", "E12345678-1")]),
        ("身份证 110101199003077751-2024-03-15", [("CN_ID", "110101199003077751")]),
    ],
)
def test_a_named_value_that_runs_on_is_masked_whole(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert spans(normalise(text).text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # read as a run-on, "/0412" went with the first phone and " 345 679" was shown
        ("call 0412 345 678/0412 345 679", [("PHONE", "0412 345 678"), ("PHONE", "0412 345 679")]),
        (
            "电话 9123 4567/9876 5432/6123 4567-1",
            [("PHONE", "9123 4567"), ("PHONE", "9876 5432"), ("PHONE", "6123 4567-1")],
        ),
        ("passport E12345678/E87654321", [("PASSPORT", "E12345678"), ("PASSPORT", "E87654321")]),
        ("phone 0412 345 678/9", [("PHONE", "0412 345 678/9")]),  # a suffix, not a phone
    ],
)
def test_named_values_a_slash_joins_are_each_masked_whole(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert spans(normalise(text).text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [  # without a bank's code set apart, 帳號 is as often a login's number, or a phone
        ("帳號 0912345678 無法登入", [("PHONE", "0912345678")]),
        ("account 1234567890 was charged", []),
        ("帳戶 822-123456789012345678", []),  # too long for an account
    ],
)
def test_an_account_label_takes_only_a_bank_accounts_shape(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert spans(normalise(text).text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("請撥打 02-2345-6789 或 412-8888", [("PHONE", "02-2345-6789"), ("PHONE", "412-8888")]),
        ("call 2345 6789 or 2345 6790 after 6", [("PHONE", "2345 6789"), ("PHONE", "2345 6790")]),
        ("电话 91234567 或者 98765432", [("PHONE", "91234567"), ("PHONE", "98765432")]),
        # what has no phone's shape after "or" stays: a date, an amount, a few digits
        ("電話 0912345678 或 2024-05-12 再打", [("PHONE", "0912345678")]),
        ("phone 23456789 or 2 weeks", [("PHONE", "23456789")]),
        ("电话 0800123456 或 1,299 元", [("PHONE", "0800123456")]),
    ],
)
def test_a_number_or_joins_to_a_named_phone_is_one_too(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert spans(normalise(text).text) == expected


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
        ("password Passw0rd!", "Passw0rd!"),  # nothing between: one word with a digit
        ("my pw hunter2 does not work", "hunter2"),
        ("please change my password to Hunter22", "Hunter22"),  # the new one, told
        ("I set my password as Summer2024!", "Summer2024!"),
        ("my password was Hunter2024", "Hunter2024"),
        ("password: 'abc123", "abc123"),
        ("我的QQ密码是abc12345，登不上", "abc12345"),  # a Chinese label may follow a letter
        ("WiFi密码是12345678", "12345678"),
        # what the password opens, between the label and "is" or a colon
        ("the password to the wifi is Room1203", "Room1203"),
        ("pw for the guest network was Guest2024!", "Guest2024!"),
        ("password for wifi: abc12345", "abc12345"),
        ("please change my password to Hunter22 is that ok", "Hunter22"),
        ("password is 12:30pm", "12:30pm"),  # "is" says it is the password, whatever it looks like
    ],
)
def test_a_password_is_found_however_it_is_written(text: str, value: str) -> None:
    assert found(text, "SECRET") == [value]


@given(st.text("0123456789 ,.-/\n"), st.sampled_from(["", " VND", " yuan", "$", " won't"]))
def test_a_phone_is_read_for_an_amount_only_when_it_has_a_space_comma_or_dot(
    number: str, after: str
) -> None:
    """A phone's value is read for an amount only when it has a space, comma or dot in it
    (faster); every amount ``_amount`` finds has one, so no finding changes."""
    from servicebot.filters.labelled import _amount

    if not any(sign in number for sign in " ,."):
        assert not _amount(number + after, 0, number)


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("我的手机号是一三八零零一三八零零零", "PHONE", "一三八零零一三八零零零"),
        ("手机 幺三八 零零一三 八零零零", "PHONE", "幺三八 零零一三 八零零零"),
        ("电话壹叁捌零零壹叁捌零零零", "PHONE", "壹叁捌零零壹叁捌零零零"),
        (
            "身份证号 一一零一零一一九九零零三零七七七七X",
            "CN_ID",
            "一一零一零一一九九零零三零七七七七X",
        ),
        (
            "my phone number is four one five, five five five, two six seven one",
            "PHONE",
            "four one five, five five five, two six seven one",
        ),
        (
            "card number four one one one one one one one one one one one one one one one",
            "CARD",
            "four one one one one one one one one one one one one one one one",
        ),
        (
            "the code you sent is four eight two nine one three",
            "SECRET",
            "four eight two nine one three",
        ),
    ],
)
def test_a_named_value_spelled_digit_by_digit_is_found(text: str, kind: str, value: str) -> None:
    assert found(normalise(text).text, kind) == [value]


@pytest.mark.parametrize(
    "text",
    [
        "one or two items",
        "我要买一两个，三五天到",
        "十一月发货吗",
        "phone me in one or two days",
        "电话三五天内打给你",
        "my phone is one of those old ones",
        "card one two three",  # too few digits for a card
    ],
)
def test_number_words_that_spell_no_named_value_are_ordinary_text(text: str) -> None:
    assert spans(normalise(text).text) == []


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("pass = Hunter2!x", "SECRET", "Hunter2!x"),
        ("the code you sent is 482913", "SECRET", "482913"),
        ("收到的码是482913", "SECRET", "482913"),
        ("my ID number is 110101199003077775", "CN_ID", "110101199003077775"),  # check digit wrong
        ("身份证 110101199003077775", "CN_ID", "110101199003077775"),
    ],
)
def test_a_password_a_sent_code_or_an_id_number_is_found_under_its_everyday_name(
    text: str, kind: str, value: str
) -> None:
    assert found(normalise(text).text, kind) == [value]


@pytest.mark.parametrize(
    "text",
    [
        "I will pass on that, thanks",
        "boarding pass = gate 12",
        "pass == 3",
        "the code you sent expired after 10 minutes",
        "my id number is 123456789012345678",  # no ID's province and birth date
        "order id 110101199003077775",
    ],
)
def test_pass_a_code_and_an_id_number_name_nothing_without_their_values_shape(text: str) -> None:
    assert spans(normalise(text).text) == []


@pytest.mark.parametrize(
    "text",
    [
        # A long paste: hundreds of labels, each with a number near that is no value of its
        # kind, or (电话 with no digit for a while) a window with no digit; then a value.
        "phone ext 1, " * 500 + "phone 9123 4567",
        "电话1，" * 500 + "电话 9123 4567",
        "电话" * 2_000 + "，电话 9123 4567",
        "订单1，" * 500 + "电话 9123 4567",
    ],
)
def test_a_value_named_after_hundreds_of_labels_is_still_found(text: str) -> None:
    assert found(normalise(text).text, "PHONE") == ["9123 4567"]
