"""The labels customers name their personal data by, for ``labelled.py``: each kind's words
("card number", 身份证, "call me") and the shape its value must have, the words that name a
reference number instead, and the words that make a label name no payment card.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from . import iban, locales

# A Hong Kong ID's shape: a letter or two, six digits, the check digit bracketed (in round or
# square brackets) or not.
HKID_VALUE: Final = re.compile(
    r"[A-Za-z]{1,2}[0-9]{6}(?:\([0-9Aa]\)|\[[0-9Aa]\]|[0-9Aa](?![0-9A-Za-z]))", re.ASCII
)


class _Label(NamedTuple):
    kind: str
    words: tuple[str, ...]  # lower case
    value: re.Pattern[str]
    digits: range  # how many digits the value may hold


def _spellings(pattern: str) -> tuple[str, ...]:
    """Every spelling of ``pattern`` with each ``[part]`` there or not: 背面[的][后]三位[数]."""
    head, bracket, rest = pattern.partition("[")
    if not bracket:
        return (pattern,)
    optional, _, tail = rest.partition("]")
    return tuple(head + part + end for part in (optional, "") for end in _spellings(tail))


# Each value pattern reads one optional separator, then one digit, per step: a failed match
# backs off step by step, never trying one text two ways.
CARD_NUMBER: Final = 0  # the label below whose value is a card number
LABELS: Final = (
    # A card number, Luhn or not: a customer who says it is their card typed a card number.
    _Label(
        "CARD",
        (
            "card",
            "credit card",
            "debit card",
            "bank card",
            "payment card",
            "visa",
            "mastercard",
            "amex",
            "cc",
            *("卡号", "银行卡", "信用卡", "借记卡", "储蓄卡"),
            *locales.CARD,
        ),
        re.compile(r"[0-9](?:[ .-]?[0-9]){12,18}(?![0-9A-Za-z]|\.[0-9])", re.ASCII),
        range(13, 20),
    ),
    # The code on the back of a card, which a business must never store ("csc 2023 annual
    # report" is too often something else).
    _Label(
        "CARD",
        (
            "cvv",
            "cvv2",
            "cvc",
            "cvc2",
            "security code",
            "安全码",
            "安全代码",
            *_spellings("背面[的][后]三位[数]"),
            *_spellings("背后[的]三位[数]"),
            *locales.SECURITY_CODE,
        ),
        re.compile(r"[0-9]{3,4}(?![0-9])", re.ASCII),
        range(3, 5),
    ),
    # A mainland ID whose check digit is wrong is still someone's ID, typed wrong, in any
    # grouping (110101-19900307-001X, 1101 0119 9003 0700 1X); so are a Taiwan ID
    # (A123456789, 身分證字號) and a Taiwan residence permit's (居留證號, 統一證號: A800000014
    # since 2021, AB12345678 before) named as an ID card. A Hong Kong one (A123456(7)) after
    # these words is an HK_ID (SECOND_ROLE).
    _Label(
        "CN_ID",
        (
            "身份证",
            "身分证",
            "居留证",
            "统一证",
            "id card",
            "identity card",
            "identity number",
        ),  # not "id number": an order has one too
        re.compile(
            r"[0-9](?:[ -]?[0-9]){16}[ -]?[0-9Xx](?![0-9A-Za-z])"
            r"|[0-9](?:[ -]?[0-9]){14}(?![0-9A-Za-z])"
            r"|[A-Za-z][1289][0-9]{8}(?![0-9A-Za-z])"
            r"|[A-Za-z]{2}[0-9]{8}(?![0-9A-Za-z])",
            re.ASCII,
        ),
        range(8, 19),
    ),
    # A Hong Kong identity card's number the customer names, its check digit right or not,
    # bracketed or not (A123456(7), AB9876543): HKID, 香港身份證 and their spellings here;
    # 身份證 and "ID card" above name one too, where no mainland or Taiwan ID follows.
    _Label(
        "HK_ID",
        (
            *("hkid", "hkid no", "hkid number", "hk id", "hk id card", "hong kong id"),
            *("香港身份证", "香港身分证", "香港身份证号码", "香港身份证号"),
        ),
        HKID_VALUE,
        range(6, 8),
    ),
    # "ID number" names an order's or an account's number too, so under it only a number of a
    # mainland ID's own shape is one, its check digit typed wrong or not: a province, a real
    # month and day of a birth year 18xx-20xx, a sequence number and 0-9 or X.
    _Label(
        "CN_ID",
        ("id", "id number", "id no"),
        re.compile(
            r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
            r"[0-9]{3}[0-9Xx](?![0-9A-Za-z])",
            re.ASCII,
        ),
        range(17, 19),
    ),
    # A Taiwan health insurance card's number (健保卡號 0000 1234 5678, 12 digits) is the
    # card holder's ID, printed beside their national ID, and no payment card's.
    _Label(
        "CN_ID",
        ("健保卡",),
        re.compile(r"[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}(?![0-9A-Za-z])", re.ASCII),
        range(12, 13),
    ),
    # Any country's numbering plan (Hong Kong's 9123 4567, the UK's 07700 900123): the label
    # says it is a phone.
    _Label(
        "PHONE",
        (
            "phone",
            "telephone",
            "mobile",
            "cell",
            "cellphone",
            "cell phone",
            "tel",
            "whatsapp",
            "whatsapp me",
            "call me",
            "call me back",
            "call",
            "ring me",
            "text me",
            "reach me",
            "my number",
            "my new number",
            "hk number",
            "hong kong number",
            "contact number",
            "hotline",
            "helpline",
            *("电话", "手机", "座机", "联系方式", "联系我", "致电", "打给我", "热线", "拨打"),
            # Hong Kong's, in Cantonese and mixed with English: 打俾我 6123 4567 (call me)
            *("打俾我", "打畀我", "联络我", "call 我", "whatsapp 我", "whatsapp我", "call我"),
            *locales.PHONE,
        ),
        re.compile(
            r"(?:\(\+?|\+\(?)?[0-9](?:(?:[ .-]\(?|\(|\)[ .-]?)?[0-9]){6,18}(?![0-9A-Za-z])",
            re.ASCII,
        ),
        range(7, 16),
    ),
    # Another country's national ID the customer names (주민등록번호 900101-1234567, DNI
    # 12345678Z, CPF 123.456.789-09, マイナンバー 1234 5678 9012): digits in groups, a letter or
    # two before them or one after. Kind CN_ID, the kind of an ID card's number.
    _Label(
        "CN_ID",
        locales.NATIONAL_ID,
        re.compile(
            r"(?:[A-Za-z]{1,2})?[0-9](?:[ .-]?[0-9]){5,17}[A-Za-z]?(?![0-9A-Za-z])", re.ASCII
        ),
        range(6, 19),
    ),
    # An IBAN the customer names is one in any case ("my iban is de89370400440532013000"),
    # with its check digits typed wrong or not.
    _Label(
        "IBAN",
        ("iban",),
        re.compile(iban.SHAPE, re.ASCII | re.IGNORECASE),
        range(2, 35),
    ),
    # A Taiwan bank account the customer names, or where a refund is to be sent ("退款請匯到
    # 822-123456789012"): a bank's 3-digit code set apart, then 10 to 14 digits. Kind IBAN, the
    # kind of a bank account's number. Without the code, 帳號 is as often a login's number.
    _Label(
        "IBAN",
        (
            *("汇到", "汇至", "汇入", "帐号", "账号", "帐户", "账户", "银行帐号", "银行账号"),
            *("account", "bank account", "account number"),
        ),
        re.compile(r"(?:\([0-9]{3}\) ?|[0-9]{3}[ -])[0-9]{10,14}(?![0-9A-Za-z])", re.ASCII),
        range(13, 18),
    ),
    # A passport or travel permit (港澳通行证) number: a letter or two and digits in most
    # countries (E12345678, EA1234567), nine digits in the UK and US, letters among the digits
    # in Germany (C01X00T47), a series and a number in Russia (4510 123456). Only a customer's
    # label tells it from a product code.
    _Label(
        "PASSPORT",
        ("passport", "passport number", *("护照", "護照", "通行证", "通行證"), *locales.PASSPORT),
        re.compile(r"(?:[0-9]{4} [0-9]{6}|[0-9A-Za-z]{6,10})(?![0-9A-Za-z])", re.ASCII),
        range(5, 11),
    ),
    # A US Social Security number the customer names is one in any range, bare or grouped
    # 3-2-4: an area the SSA never issues (000, 666, 9xx), a zero group or serial, a voided
    # number (078-05-1120) is still the one they mean. 社会安全号/码 and 社安号 as US Chinese
    # and Taiwan write it ("social security no." and 社会安全号码 are these and a link).
    # Groups typed wrong ("078-05-11205") are no SSN's shape; a whole SSN that runs on
    # ("SSN 123-45-6789-1") is masked with what runs on, as any value is (labelled.py).
    _Label(
        "SSN",
        (
            "ssn",
            "social security",
            "social security number",
            *("社会安全号", "社会安全码", "社安号"),
        ),
        re.compile(r"[0-9]{3}[ .-]?[0-9]{2}[ .-]?[0-9]{4}(?![0-9A-Za-z])", re.ASCII),
        range(9, 10),
    ),
    # An API key or token of a kind with no known prefix: long (a payment reference such as
    # PAY-20240315-000123 is shorter), and with a digit in it.
    _Label(
        "SECRET",
        (
            "api key",
            "apikey",
            "api_key",
            "api-key",
            "access token",
            "access_token",
            "secret key",
            "secret_key",
            "token",
        ),
        re.compile(r"[A-Za-z0-9._~+/=-]{20,256}(?![A-Za-z0-9._~+/=-])", re.ASCII),
        range(1, 257),
    ),
    # One-time codes and PINs open an account as a password does.
    _Label(
        "SECRET",
        (
            *("验证码", "校验码", "认证码", "动态码", "短信码"),
            "verification code",
            "sms code",
            "2fa code",
            "one time code",
            "one-time code",
            "otp",
            "pin",
            "my pin",
            "passcode",
            # A code the shop sent, whatever it is called: it is the customer's to keep.
            *(
                f"code you {sent}{me}"
                for sent in ("sent", "texted", "emailed")
                for me in ("", " me")
            ),
            *("code i got", "code i received", "code i was sent"),
            *("发给我的码", "你们发的码", "收到的码"),
            *locales.ONE_TIME_CODE,
        ),
        re.compile(r"[0-9](?:[ -]?[0-9]){3,7}(?![0-9]|[ -][0-9])", re.ASCII),  # not a longer number
        range(4, 9),
    ),
)

ONE_TIME_CODE: Final = len(LABELS) - 1  # the last label above
# Labels that name a second kind, read where the value of the first's shape is not there:
# "セキュリティコード 123" is a card's code, "セキュリティコード 482913" a one-time code.
HK_ID: Final = next(n for n, label in enumerate(LABELS) if label.kind == "HK_ID")
SECOND_ROLE: Final = {
    "セキュリティコード": (ONE_TIME_CODE,),
    **dict.fromkeys(("身份证", "身分证", "id card", "identity card", "identity number"), (HK_ID,)),
}

# A number the customer calls an order, tracking, invoice, part, model or case number, or a
# code, is that, whatever its shape: 订单号 4895803924456462927 passes Luhn, 运单号 0912345678
# and 寄件代码 0912345678 look like a Taiwan mobile, SKU 450-220-1234 like a US phone, and
# 型号 A123456(3) passes an HKID's check (one code in eleven does).
_REFERENCE_WORDS: Final = (
    *("order", "orders", "order id", "waybill", "invoice", "tracking", "parcel", "sku"),
    *("part", "part number", "case", "case number", "ref", "reference"),
    *("model", "model number", "product code", "product number", "item number"),
    *("订单", "订单编号", "订单id", "运单", "单号", "快递单", "物流单", "配送编号", "包裹编号"),
    *("零件号", "发票"),  # not 件号 or 编号 alone: 证件号码 and 证件编号 are an ID's
    *("型号", "货号", "款号", "产品编号", "商品编号", "货品编号", "零件编号", "配件编号"),
    # A convenience store's shipping or pickup code (超商寄件代碼 0912345678), a store's code.
    *("代码", "寄件代码", "取件代码"),
    *locales.ORDER,
)
# A number named as a code the shop issues is no phone (优惠码 212-555-0123, "coupon
# 212_555_0123"), but may be a card: a prepaid Visa is sold as a gift card. Not "discount" or
# "promo" alone: "for a discount, 212-555-0123 is the line to call".
_CODE_WORDS: Final = (
    *("coupon", "promo code", "promotional code", "discount code", "voucher", "gift card"),
    *("优惠码", "优惠券", "券码", "兑换码", "礼品卡"),
)
# Words right before a card's label that make it a shop's own card, whose number the shop needs
# to read: a gift card, a member card (会员卡号).
NOT_PAYMENT: Final = (
    *("gift", "member", "membership", "loyalty", "store", "reward", "rewards", "points"),
    *("sim", "voucher", "library", "transit", "student"),
)
NOT_PAYMENT_ZH: Final = ("会员", "礼品", "购物", "充值", "积分", "储值", "加油", "提货", "兑换")
# Labels that need "is", 是 or a colon before their value: "pin 2580 is stuck" names a lock's
# pin ("my pin 2580" is the customer's own). Other languages' labels that are English words too
# ("a portable 1234567 unit") are locales.AMBIGUOUS.
NEEDS_LINK: Final = frozenset({"pin"})
# English words near an address or a date of birth, read by addresses.py and birthdates.py,
# and the labels of messenger ids (Chinese ones too), read by messengers.py: found in the one
# pass that finds every label, they cost a message without them nothing.
CUES: Final = {
    **dict.fromkeys(
        (
            *("address", "my address", "home address", "shipping address", "delivery address"),
            *("billing address", "postal address", "mailing address", "new address"),
            *(
                f"{verb}{what} to"
                for verb in ("ship", "deliver", "send", "mail", "post")
                for what in ("", " it", " them")
            ),
            *("live at", "i live at", "i'm living at", "i’m living at", "i am living at"),
            *("postcode", "post code", "postal code", "zip", "zip code", "zipcode"),
        ),
        "address",
    ),
    **dict.fromkeys(
        ("date of birth", "birth date", "birthdate", "birthday", "dob", "d.o.b", "born"),
        "birth",
    ),
    # Not "line" alone ("LINE Pay", "line 2"), nor "whatsapp", whose account is a phone.
    **dict.fromkeys(
        (
            *("wechat", "wechat id", "weixin", "wx", "vx", "qq", "qq number", "qq no"),
            *("line id", "telegram", "微信", "微信号", "威信", "薇信", "v信", "扣扣", "企鹅号"),
            "赖",  # Taiwan's word for LINE (賴, normalised)
        ),
        "messenger",
    ),
    # A street's suffix (addresses.py). "place" and "square", everyday words, only with a
    # postcode or ZIP after their line (10 Rillington Place, London W11 1BH). Not "close" nor
    # "rd", "dr", "ct" and "way", which are inside "closed", "order", "address", "product" and
    # "always": the pass finds every word inside others too, and each costs a step of
    # read_labels' loop.
    **dict.fromkeys(
        "street st road avenue ave lane drive boulevard blvd court crescent terrace parkway "
        "highway hwy place square".split(),
        "street",
    ),
}
ROLE: Final[dict[str, int | str]] = {
    **CUES,
    **{word: n for n, label in enumerate(LABELS) for word in label.words},
    **dict.fromkeys(_REFERENCE_WORDS, "reference"),
    **dict.fromkeys(_CODE_WORDS, "code"),
}
