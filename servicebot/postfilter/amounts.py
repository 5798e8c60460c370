"""Amounts of money and percentages in an answer, and the one form each is compared in.

The system prompt tells the model never to invent a price, and a model still promises "a full
refund of $5,000", "您的退款5000元已批准" or "a 50% discount". An amount is a number with a
currency or a percent sign beside it: ``$5,000``, ``USD 30``, ``30 dollars``, ``€20``, ``£5``,
``¥30``, ``30元``, ``5000块``, ``人民币300``, ``三十元``, ``50%``, ``50 percent``,
``百分之五十``, and a discount in tenths (``八折``, ``8.5折``: 20% and 15% off); written
short or long too (``$5k``, ``5K USD``, ``$2 million``, ``5千块``, ``1.5万元``, ``1亿元``,
``5千5百元``, ``两万五``), with the sign after it (``5000$``), thousands grouped by spaces
(``$5 000``, ``5 000 €``, ``1 234,50 zł``) or by dots before a currency (``5.000,00 €``), in
financial numerals (``伍仟圆``), spelled out before a currency (``five thousand dollars``),
after a price's label (``退款金额：1,000.00``, ``Total: 45.99``: a number of no stated
currency, ``#1000``), and halves (``half off``, ``对折``, ``半价``: 50%). A number alone
("2 business days", "order 100482", "30 days") is none. :func:`amount_value` gives the
form two amounts are compared in: ``$5,000``, ``$5000``, ``$5k`` and ``5000 dollars`` are
``$5000``; ``30元``, ``¥30``, ``三十元`` are ``¥30``, ``5千元`` and ``五千元`` ``¥5000``;
``九折`` and ``10% off`` are ``10%``.
Which amounts an answer may give (those the bot's files or this turn's messages give) is
``contacts.py``'s :class:`~.contacts.Given`, as for contacts; ``derived.py`` says which
others follow from them (zero, sums, differences, the customer's bare numbers).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from decimal import Decimal

from ..filters import Finding

AMOUNT_KINDS = ("MONEY", "PERCENT")

# Each way of writing a currency, and the one sign it is compared as. ¥ is the yuan: a
# Chinese customer's; the yen is written JPY or 日元.
_CURRENCIES = {
    "$": ("$", "US$", "USD", "dollar", "dollars", "buck", "bucks", "美元", "美金"),
    "€": ("€", "EUR", "euro", "euros", "欧元"),
    "£": ("£", "GBP", "英镑"),
    "¥": ("¥", "CNY", "RMB", "yuan", "人民币", "元", "圆", "圓", "块", "块钱"),
    "HK$": ("HK$", "HKD", "港币", "港元"),
    "NT$": ("NT$", "TWD", "新台币"),
    "JPY": ("JPY", "日元"),
    "zł": ("zł", "PLN"),
}
_SIGN = {word.casefold(): sign for sign, words in _CURRENCIES.items() for word in words}
_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
# The everyday digits, then the financial ones a cheque or a refund notice uses (壹 to 玖).
_DIGITS = dict(
    zip(
        "零〇一二两三四五六七八九壹贰貳叁參肆伍陆陸柒捌玖",
        (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9),
        strict=True,
    )
)
_CN_UNITS = "十百千万亿拾佰仟萬億"
_CN_DIGITS = f"{''.join(_DIGITS)}{_CN_UNITS}"
# A currency's word or sign after a number (an English one ending where its word does).
_CURRENCY_AFTER = (
    r"(?:usd|eur|gbp|cny|rmb|hkd|jpy|pln|dollars?|bucks?|euros?|yuan)(?![a-z])|zł"
    rf"|元(?![素旦宵首老年件])|块钱|块(?![{_HAN}])|美元|美金|欧元|英镑|港币|港元|新台币|日元"
    r"|人民币|圆(?![形满珠周桌顶心规润])|圓(?![形滿珠周桌頂心規潤])"
    r"|[$€£¥](?![0-9])"  # the sign after the number: "5000$", "5 000 €" (not "2 $5 mugs")
)
# Cents after a comma, as most of Europe writes them: "20,50 €", "5 000,00 €".
_COMMA_CENTS = r",[0-9]{1,2}(?![0-9])"
# Thousands grouped by spaces ("5 000 €", "$5 000", "1 234,50 zł"; thin and no-break spaces
# are spaces once normalised), or by dots before a currency or comma cents ("5.000 €",
# "5.000,00 €": "$5.000" alone is five dollars). After its first digit.
_GROUPED = (
    rf"(?P<dots>[0-9]{{0,2}}(?:\.[0-9]{{3}}(?![0-9]))+"
    rf"(?:{_COMMA_CENTS}|(?=[ \t]?(?i:{_CURRENCY_AFTER}))))"
    rf"|[0-9]{{0,2}}(?:[ ][0-9]{{3}}(?![0-9]))+(?:{_COMMA_CENTS})?"
)
# A number written short or long: $5k, 5K USD, $2 million (k not a unit's start: 5kg, 5km,
# 5MB are measures); or with Chinese units after its digits: 5千块, 1.5万元, 1亿元, 5千5百元.
_TIMES = {"k": 1000, "thousand": 1000, "m": 10**6, "million": 10**6, "billion": 10**9}
_MULTIPLIER = (
    r"(?i:(?:[ \t]?(?:thousand|million|billion)|[km])(?![a-z]))"
    rf"|[{_CN_UNITS}][0-9{_CN_DIGITS}]*"
)
_NUMBER_REST = (  # after its first digit
    rf"(?:{_GROUPED}|[0-9]*(?:,[0-9]{{3}})*(?:\.[0-9]+|{_COMMA_CENTS})?(?:{_MULTIPLIER})?)"
)
_PREFIX = r"US\$|HK\$|NT\$|\$|€|£|¥|(?<![a-z])(?:USD|EUR|GBP|CNY|RMB|HKD|TWD|JPY|PLN)|人民币"
# A price's label before a number of no stated currency ("退款金额：1,000.00"). An English one
# only with a colon, and before a number written as money (1,000 or 45.99): "Total: 3 items".
_ZH_LABELS = ("金额", "价格", "售价", "总价", "总额", "运费", "费用", "余额")
_LABELS = ("amount", "total", "price", "cost", "fee", "refund")
_LABEL = rf"(?:{'|'.join(_ZH_LABELS)}):?|(?<![a-z])(?:{'|'.join(_LABELS)})s?:"
# After the number: a currency (元 not starting a word it makes, 元素, 元旦; 块 only as money,
# 块钱, or with no Chinese after it: "3块蛋糕" is three pieces of cake), cents, a percent, or a
# discount in tenths (not 折叠, folding).
_SUFFIX = (
    rf"{_CURRENCY_AFTER}|(?:cents?|percent|per cent)(?![a-z])"
    r"|%(?![0-9a-f]{2})"  # not a link's escape: "5%20off"
    r"|折(?!叠)"
)
# nothing an amount can be written without
_HINT = re.compile(r"[0-9元块折圆圓]|分之|半价|(?i:half|dollar|buck|euro|yuan)")
# What every amount has beside it, or is: a currency's sign or word, a percent, a price's label,
# a half (_PREFIX, _SUFFIX, _LABEL, _HALF, _spelled). An answer with none of them (most: "order
# 100482", "3-5 business days") has no amount, and each number in it is passed over at once.
_MARK_SIGNS = "$€£¥%元块折圆圓"
_MARK_TERMS = (*"百分之 美金 英镑 港币 新台币 人民币 对折 半价".split(), *_ZH_LABELS)
_MARKS = re.compile("|".join([f"[{re.escape(_MARK_SIGNS)}]", *_MARK_TERMS]))
# The characters one of _MARKS starts with. _MARKS, its words one after another, gives ``re``
# no first character to skip ahead to, so it tried each position of the text in turn (most of
# the amount check's time on a typical answer); a set search skips in C, and no match of
# _MARKS starts before the first of these characters, so it is searched for from there only.
_MARK_STARTS = re.compile(f"[{re.escape(_MARK_SIGNS + ''.join(t[0] for t in _MARK_TERMS))}]")
_MARK_WORDS = (
    *"usd eur gbp cny rmb hkd twd jpy pln zł dollar buck yuan cent half".split(),
    *(f"{label}{plural}:" for label in _LABELS for plural in ("", "s")),
)
# Half the price, in words: 50% off.
_HALF = re.compile(r"(?<![a-z])half[ -]?(?:off|price)(?![a-z])|对折(?![叠起])|半价", re.IGNORECASE)
_SPELLED_HINT = re.compile(r"dollar|buck|euro|yuan", re.IGNORECASE)
_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    " fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_WORDS = {word: i for i, word in enumerate(_ONES)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6}


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """A number; what may come right before it (a currency, or 百分之); what may come right
    after it (a currency or a percent). Compiled on first use, as the link patterns are: only
    answers need them. Each number is found first (a scan in C to the next digit), and then
    what is beside it read: one pattern with a currency or a number at its start tried every
    position of an answer, and took a quarter of the post-filter's time."""
    # One set first, so that re skips to a digit in C; then digits or Chinese ones, not both.
    number = re.compile(f"[0-9{_CN_DIGITS}](?:(?<=[0-9]){_NUMBER_REST}|(?<![0-9])[{_CN_DIGITS}]*)")
    before = re.compile(
        rf"(?:(?P<per>百分之)|(?P<pre>{_PREFIX})[ \t]?|(?P<lab>{_LABEL})[ \t]?)$", re.IGNORECASE
    )
    after = re.compile(rf"[ \t]?(?P<suf>{_SUFFIX})", re.IGNORECASE)
    return number, before, after


@functools.cache
def _spelled() -> re.Pattern[str]:
    """An amount spelled out before a currency's word: "five thousand dollars", "twenty-five
    bucks". Compiled on first use, and tried only on an answer that names such a currency."""
    words = "|".join(sorted([*_WORDS, *_SCALES], key=len, reverse=True))
    return re.compile(
        rf"(?<![a-z0-9-])(?<![0-9][ \t])"
        rf"(?P<words>(?:{words})(?:(?:[ -]|[ ]and[ ])(?:{words}))*)(?![a-z])"
        r"[ ](?P<cur>dollars?|bucks?|euros?|yuan)(?![a-z])",
        re.IGNORECASE,
    )


def find_amounts(text: str) -> list[Finding]:
    """The amounts of money (``MONEY``) and percentages (``PERCENT``) ``text`` gives."""
    if not _HINT.search(text) or not _marked(text):  # see _HINT and _MARKS
        return []
    return [
        Finding(start, end, "PERCENT" if value.endswith("%") else "MONEY")
        for start, end, value in sorted(_amounts(text))
    ]


def _marked(text: str) -> bool:
    """Whether ``text`` has one of :data:`_MARKS` or :data:`_MARK_WORDS` (in any case: the
    patterns read them ``re.IGNORECASE``, which matches ı and İ to i and ſ to s as well)."""
    if (start := _MARK_STARTS.search(text)) and _MARKS.search(text, start.start()):
        return True
    lowered = text.lower()
    if not text.isascii():
        lowered = lowered.replace("ı", "i").replace("\u0307", "").replace("ſ", "s")
    return any(word in lowered for word in _MARK_WORDS)


@functools.lru_cache(maxsize=1024)  # an answer, and the bot's files, repeat their amounts
def amount_value(written: str) -> str:
    """The form ``written`` (one amount :func:`find_amounts` found) is compared in."""
    return next((value for _, _, value in _amounts(written)), written)


def _amounts(text: str) -> Iterator[tuple[int, int, str]]:
    """Where each amount in ``text`` starts and ends, and its value (see :func:`_read`)."""
    yield from _numbered(text)
    yield from ((m.start(), m.end(), "50%") for m in _HALF.finditer(text))
    if _SPELLED_HINT.search(text):
        for m in _spelled().finditer(text):
            sign = _SIGN[m["cur"].casefold().removesuffix("s")]
            yield m.start(), m.end(), sign + _plain(_spelled_number(m["words"]))


def _numbered(text: str) -> Iterator[tuple[int, int, str]]:
    """The amounts written with a number, in digits or Chinese."""
    number, before, after = _patterns()
    for found in number.finditer(text):
        start, end = found.span()
        room, may_unit = _beside(text, start, end)
        if not (room or may_unit):  # most numbers: an order, a day, a time
            continue
        sign = before.search(text, max(start - room, 0), start) if room else None
        unit = after.match(text, end) if may_unit else None
        if (sign or unit) and (value := _read(found, sign, unit)) is not None:
            yield (
                (sign.start() if sign and not sign["lab"] else start),
                (unit.end() if unit else end),
                value,
            )


# How far before a number its sign may start: "refunds: " for a label's colon, else "US$ ",
# "人民币 ", "百分之" (each start a search for it tries costs: 1.8 µs over 9, 0.8 over 4).
_LONGEST_LABEL, _LONGEST_SIGN = 9, 4
# The characters a currency, a label or 百分之 before a number ends with, and those a currency
# or a percent after one starts with (in either case: the patterns read ``re.IGNORECASE``):
# a pattern is tried only on a side where one of them is, and a number with neither beside
# it is no amount, passed over at once (100 KB of "1,1,1," took 165 ms, so 25 ms; of
# "4@*1l0$5 ", where each "0" has a "$" after it that starts no unit, 135 ms, so 60 ms).
_SIGN_ENDS = frozenset("$€£¥dprbyn币之:") | {label[-1] for label in _ZH_LABELS}  # 费用: 用
_UNIT_STARTS = frozenset("uegcrhjdbypz%元块美欧英港新日人折圆圓$€£¥")
_SIGN_ENDS |= {char.upper() for char in _SIGN_ENDS}  # as re.IGNORECASE reads them: D is d
_UNIT_STARTS |= {char.upper() for char in _UNIT_STARTS}
_SIGNS_BEFORE_DIGITS = "$€£¥"  # "0$5": a sign with a digit after it is the next number's


def _beside(text: str, start: int, end: int) -> tuple[int, bool]:
    """How far before the number ``text[start:end]`` a currency, a label or 百分之 may start
    (0: none may end there), and whether a currency or a percent may come after it (called
    for every number: a character each side is read, once)."""
    after = text[end : end + 1]
    if after == " " or after == "\t":
        end, after = end + 1, text[end + 1 : end + 2]
    before = text[start - 1] if start else ""
    if (before == " " or before == "\t") and start > 1:
        before = text[start - 2]
    may_unit = after in _UNIT_STARTS and not (
        after in _SIGNS_BEFORE_DIGITS and "0" <= text[end + 1 : end + 2] <= "9"
    )
    if before not in _SIGN_ENDS:
        return 0, may_unit
    return (_LONGEST_LABEL if before == ":" else _LONGEST_SIGN), may_unit


def _read(
    found: re.Match[str], sign: re.Match[str] | None, unit: re.Match[str] | None
) -> str | None:
    """The amount the number ``found`` is, with ``sign`` before it and ``unit`` after it,
    as a sign and a plain number (``$5000``, ``¥30``, ``50%``); None for a number that is no
    amount: no currency or percent beside it, or one that says nothing ("100% sure")."""
    written = found.group()
    pre, per, label = (sign["pre"], sign["per"], sign["lab"]) if sign else (None, None, None)
    suf = unit["suf"].casefold() if unit else ""
    dots = found["dots"] is not None  # thousands grouped by dots: 5.000,00 €
    if not (per or pre or suf):  # after a label, a number of no stated currency: see derived.py
        priced = label and _priced(label, written)
        return f"#{_plain(_number(written, dots))}" if priced else None
    number = _number(written, dots)
    if per or (suf in ("%", "percent", "per cent") and not pre):
        return None if number == 100 else f"{_plain(number)}%"  # "100% sure", 百分之百满意
    if suf == "块" and len(written) == 1 and not written.isascii():
        return None  # 一块 alone is "together" as often as one yuan: 一块钱, 五千块 are money
    if pre:  # "$30 dollars", "人民币300元": the sign before it says which
        return _SIGN.get(pre.casefold(), pre.upper()) + _plain(number)
    if suf.startswith("cent"):
        return "$" + _plain(number / 100)
    if suf == "折":  # what is paid, in tenths: 八折 and 80折 are 20% off
        paid = number * 10 if number < 10 else number
        return f"{_plain(100 - paid)}%" if 0 < paid < 100 else None
    return _SIGN[suf] + _plain(number)


def _priced(label: str, written: str) -> bool:
    """Whether the number ``written`` after ``label`` is a price: after a Chinese label any
    number is (金额1000), after an English one a number written as money (1,000 or 45.99)."""
    return not label.isascii() or "," in written or "." in written


_SHORT = re.compile(r"(?P<digits>[0-9][0-9,. ]*?)[ \t]?(?P<times>[a-z]*)", re.IGNORECASE)
_CENTS = re.compile(_COMMA_CENTS + "$")


def _number(written: str, dots: bool = False) -> Decimal:
    """The number ``written`` in digits (``5,000``, ``5 000``, ``5k``, ``20,50``; ``5.000``
    when ``dots`` group its thousands) or Chinese (``三十``, ``八五``, ``伍仟``, ``1.5万``)."""
    if written.isascii() and written.isdigit():  # most: "$5", "30元"
        return Decimal(written)
    if not written.isascii():
        return _chinese(written)
    short = _SHORT.fullmatch(written)
    assert short is not None  # what the number pattern finds
    return _digits(short["digits"], dots) * _TIMES.get(short["times"].casefold(), 1)


def _digits(digits: str, dots: bool = False) -> Decimal:
    """The number ``digits`` writes, its thousands grouped by commas, spaces or (``dots``)
    dots, its cents after a dot or a comma: ``5,000.50``, ``5 000,50``, ``5.000,50``."""
    cents = _CENTS.search(digits)
    whole = (digits[: cents.start()] if cents else digits).replace(",", "").replace(" ", "")
    if dots:
        whole = whole.replace(".", "")
    return Decimal(whole + (f".{cents.group()[1:]}" if cents else ""))


def _spelled_number(words: str) -> Decimal:
    """A number spelled out: "five thousand" 5000, "twenty-five" 25, "one hundred and ten"
    110."""
    total = current = 0
    for word in re.split(r"[ -]+", words.casefold()):
        if word == "hundred":
            current = (current or 1) * 100
        elif word in _SCALES:
            total, current = total + (current or 1) * _SCALES[word], 0
        else:
            current += _WORDS.get(word, 0)  # "and"
    return Decimal(total + current)


_UNITS = {"十": 10, "百": 100, "千": 1000, "拾": 10, "佰": 100, "仟": 1000}
_LARGE = {"万": 10_000, "萬": 10_000, "亿": 10**8, "億": 10**8}
_CN_TOKEN = re.compile(r"[0-9][0-9,.]*|.")


def _chinese(written: str) -> Decimal:
    """A Chinese number, its digits Chinese or not: ``三十`` 30, ``一百二十`` 120, ``两万``
    20000, ``伍仟`` 5000, ``1.5万`` 15000, ``1亿`` 10**8, ``5千5百`` 5500; a digit after a
    unit is of the next unit down, as spoken (``两万五`` 25000, ``5千5`` 5500); digits
    alone, as a discount is written, read one by one (``八五`` 85)."""
    if all(char in _DIGITS for char in written):
        return Decimal("".join(str(_DIGITS[char]) for char in written))
    tokens = _CN_TOKEN.findall(written)
    large: dict[int, Decimal] = {}  # each 亿 and 万 part: 1亿5千万 is 1 亿 and 5千 万
    section, digit = Decimal(0), Decimal(0)
    for token in tokens:
        if token in _LARGE:
            scale = _LARGE[token]
            part = (section + digit) * scale + sum(v for k, v in large.items() if k < scale)
            large = {k: v for k, v in large.items() if k > scale} | {scale: part}
            section, digit = Decimal(0), Decimal(0)
        elif token in _UNITS:  # 十 alone is ten: a unit with no digit before it counts once
            section, digit = section + (digit or 1) * _UNITS[token], Decimal(0)
        else:
            digit = _digits(token) if token[0].isascii() else Decimal(_DIGITS[token])
    if len(tokens) > 1 and len(tokens[-1]) == 1 and (unit := _scale(tokens[-2])) > 10:
        digit *= unit // 10  # 两万五, 5千5: the last digit, right after a unit, is of the next
    return section + digit + sum(large.values(), Decimal(0))


def _scale(token: str) -> int:
    """The unit ``token`` is (``百`` 100, ``万`` 10000), or 0."""
    return _UNITS.get(token) or _LARGE.get(token) or 0


def _plain(number: Decimal) -> str:
    """``number`` without a trailing zero or an exponent: 5000.00 is ``5000``, 3.90 ``3.9``."""
    return format(number.normalize(), "f")
