"""Personal data found by what the customer calls it, right before it: "my card number is
4111 1111 1111 1112", "CVV code: 123", "身份证 11010119900307775X", "電話 9123 4567",
"护照号E12345678", "验证码 482913", "密码是abc123".

The shape of a value often says too little on its own: 9123 4567 is a Hong Kong phone or an
order number, a card number typed with one digit wrong fails the Luhn check, three digits are
any three digits, and a password looks like anything. The customer's own label settles it.
A label is followed by at most a few linking words ("number", "is", "on the back", 是, a
colon) and then the value, which must still have its kind's shape (a card number 13 to 19
digits, a phone 7 to 15). The label stays in the text; only the value is reported, with what
runs on from it ("身份证 110101199003077751-1", "passport E12345678-A": see ``runon.py``), and
so is each value of its shape that a slash joins to it ("phone 0412 345 678/0412 345 679").

Owns :func:`find_labelled`, called by ``pii.find_pii``; the labels and their values' shapes are
in ``labels.py``, those of languages other than English and Chinese in ``locales.py``, and where
they stand in a message is found by ``labelspans.py``. Like its patterns, every label regex is
linear-time, and the words after a label are read once, at most ``_REACH`` characters."""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Collection, Iterator
from typing import Final, NamedTuple

from . import locales, spelled
from .labels import (
    CARD_NUMBER,
    CUES,
    LABELS,
    NEEDS_LINK,
    NOT_PAYMENT,
    NOT_PAYMENT_ZH,
    ROLE,
    SECOND_ROLE,
)
from .labelspans import ANY_PASSWORD, may_name_a_password, read_labels
from .messengers import may_name_an_id
from .normalise import lower_in_place
from .passwords import DIGIT, LINES, begins_line, password_at
from .runon import run_on_end

_REACH: Final = 40  # the linking words between a label and its value, at most
# A number "at" or "on" which something is done is no reference's own: "redeem your voucher
# at 1-800-123-4567", "track your order on 212-555-0123" give a phone. "On the back" says
# where the number is printed, and links a label to it as _LINK does ("part number on the
# back is 212-555-0123").
_WHERE: Final = re.compile(r"(?<![a-z])(?:at|on(?! the back))(?![a-z])")
_LINK: Final = re.compile(  # read in the lower-cased text, as labels are
    r"(?:[ \t:：=#,.(-]|是|为|系|字号|号码|号|码|'s|’s"  # 系: Cantonese 係, as detectors read it
    r"|(?<![a-z])(?:on the back|number|num|no\.?|code|is|was|are|at|on|my|the|us)(?![a-z])"
    f"|{'|'.join(locales.LINK_PARTICLES)}"  # other languages' (locales.py): は, 는, "es", номер
    f"|(?<![^\\W\\d_])(?:{'|'.join(locales.LINK_WORDS)})(?![^\\W\\d_]))+"
)

# A value has a digit this close to its label: a card, phone, ID or code in its first
# characters, a key or token (16 to 256 characters) almost always in its first 48.
_VALUE_REACH: Final = _REACH + 48


class Labelled(NamedTuple):
    """What the customer named: values found, where a reference number or a code the shop
    issues (a coupon, a voucher) would start, and the English words that say an address or a
    date of birth may be near (``labels.CUES``: "address", "born", "street"), for
    ``addresses.py`` and ``birthdates.py``, found in the same pass as every label."""

    found: list[tuple[int, int, str]]
    references: set[int]
    codes: set[int]
    cues: tuple[tuple[int, int, str], ...] = ()


def find_labelled(
    text: str,
    kinds: Collection[str],
    label_hits: list[tuple[int, int]] | None = None,
    lowered: str | None = None,
) -> Labelled:
    """Values of ``kinds`` named right before them (passwords among SECRET), and where a value
    named as an order, invoice, part or other reference number, or as a coupon, voucher or
    other code, would start. ``label_hits``: the label words in ``text``, if already found
    (``wordscan.scan_words``); ``lowered``: ``lower_in_place(text)``, if already made."""
    lowered = lower_in_place(text) if lowered is None else lowered
    found: list[tuple[int, int, str]] = []
    references: set[int] = set()
    codes: set[int] = set()
    digits = DIGIT.search(text) or spelled.spells_a_digit(lowered)  # or spell one
    # A messenger id may have no digit ("my wechat is zhangsan_sh"): its label is read then.
    read = digits or ("MESSENGER_ID" in kinds and may_name_an_id(lowered))
    spans, hinted, numbered = read_labels(lowered, label_hits) if read else ([], None, None)
    passwords = "SECRET" in kinds and (may_name_a_password(lowered) if hinted is None else hinted)
    if not (spans or passwords):
        return Labelled(found, references, codes)
    english = locales.English(lowered)  # searched once, if a label asks: see locales.links
    spelled_left = _MOST_SPELLED
    hints: list[int] | None = None  # spelled.hint_starts, found when a label first asks
    cues: list[tuple[int, int, str]] = []
    empty_left = _MOST_EMPTY_READS
    for label in spans:
        word = lowered[label[0] : label[1]]
        if word in CUES:
            cues.append((*label, CUES[word]))
            continue
        if not empty_left:
            continue
        if not DIGIT.search(text, label[1], label[1] + _VALUE_REACH):
            # An ASCII message with no number word that starts a word spells no digit
            # (read_labels): most, which then read no label's window for one (1.2 us each).
            if not (spelled_left and numbered is not False):
                continue  # "I paid with Visa. Could you...": no value near enough
            hints = spelled.hint_starts(lowered) if hints is None else hints
            if not _spelled_near(lowered, label[1], hints):
                continue
            spelled_left -= 1
        role, start = ROLE[word], _after_links(lowered, label[1])
        start = _on_the_next_line(lowered, label, start)
        if role in ("reference", "code"):
            (references if role == "reference" else codes).update(
                _named_starts(lowered, label[1], start)
            )
            empty_left -= 1
        elif values := _named(text, lowered, label, start, int(role), kinds, english):
            found += values
        else:
            empty_left -= 1
    if passwords:
        found += ((start, end, "SECRET") for start, end in _passwords(text, lowered, english))
    return Labelled(found, references, codes, tuple(cues))


def _named(
    text: str,
    lowered: str,
    label: tuple[int, int],
    start: int,
    role: int,
    kinds: Collection[str],
    english: locales.English,
) -> list[tuple[int, int, str]]:
    """The values of ``kinds`` that the label at ``label`` (of ``LABELS[role]``) names from
    ``start``: of its second role's kind if its first's shape is not there (``SECOND_ROLE``).
    ``english``: whether the message is English."""
    second = SECOND_ROLE.get(lowered[label[0] : label[1]])  # one label has one (CVV's ja word)
    for each in (role, *second) if second else (role,):
        kind = LABELS[each].kind
        if kind not in kinds:
            continue
        # The value first, then whether the label can name it: both only read the message, so
        # the order does not change what is found, and most labels with a digit near them
        # ("Visa付款。...电话是138...") have no value where theirs would start, which is read
        # faster than their link words.
        values = [(begin, end, kind) for begin, end in _values(text, lowered, start, each)]
        if values and _names_value(lowered, label, each, start, english):
            return values
    return []


def _spelled_near(lowered: str, end: int, hints: list[int]) -> bool:
    """Whether a spelled digit ("four", 幺) is near enough after a label ending at ``end`` to
    start its value. ``hints``: ``spelled.hint_starts(lowered)``; with none in reach, as after
    most labels of a flood (电话电话...1), spells_a_digit would find none (a bisection, not
    6 us of a pass over the window)."""
    stop = end + _VALUE_REACH
    at = bisect.bisect_left(hints, end)
    if at == len(hints) or hints[at] >= stop:
        return False
    return spelled.spells_a_digit(lowered, end, stop)


# Labels read past their window's digit that give no value (a reference's or a code's too), at
# most: past them a message is a flood ("电话1电话1...", "订单1订单1...": 16,000 labels, 5 us
# each), and its later labels are not read (cues are still found). A customer's message (50,000
# characters at most, prefilter.max_chars) names a handful of things; a pasted table of a few
# hundred orders or phones stays far below this, and a label that gives a value is not counted.
_MOST_EMPTY_READS: Final = 1_000

# Labels read for a spelled value, at most: more is a paste or spam ("phone one phone one..."),
# and every label near a number word costs a read.
_MOST_SPELLED: Final = 20


def _values(text: str, lowered: str, start: int, role: int) -> Iterator[tuple[int, int]]:
    """Where the value of ``LABELS[role]`` at ``start`` stands, with what runs on from it, and
    each value of its shape that a slash joins to it: "phone 0412 345 678/0412 345 679" gives
    two phones (read as a run-on, "/0412" went with the first, and " 345 679" was shown); a
    phone's, each one "or" or 或 joins to it too ("請撥打 02-2345-6789 或 412-8888")."""
    number = _checked_value(text, start, role)
    if number is None and (value := _spelled_value(lowered, start, role)):
        yield start, value
    while number:
        end = start + len(number)
        after = _checked_value(text, end + 1, role) if text.startswith("/", end) else None
        yield start, end if after else run_on_end(text, number, end)
        start, number = end + 1, after
        if (
            after is None
            and LABELS[role].kind == "PHONE"
            and (alternative := _OR.match(lowered, end))
        ):
            start, number = alternative.end(), _checked_value(text, alternative.end(), role)


# Between two phones a label names: "call 2345 6789 or 2345 6790", "撥打 02-2345-6789 或
# 412-8888" (the second has a phone's shape, 7 to 15 digits, and is one too).
_OR: Final = re.compile(r"[ \t]*(?:(?<![a-z])or(?![a-z])|或者|或是|或)[ \t]*")


def _spelled_value(lowered: str, start: int, role: int) -> int | None:
    """Where the value of ``LABELS[role]`` at ``start`` ends if it is spelled digit by digit
    ("four one five, five five five...", 幺三八零零一三八零零零) and its digits have the value's
    shape: a sentence of number words is ordinary text, read only after a label."""
    _, _, value, digits = LABELS[role]
    read = spelled.spelled_value(lowered, start)
    if read is None or not value.fullmatch(read[1]) or len(read[1].rstrip("X")) not in digits:
        return None
    return read[0]


def _checked_value(text: str, start: int, role: int) -> str | None:
    """The value of ``LABELS[role]`` at ``start`` (``_value``), unless it is a date, or an
    amount where a phone is named."""
    kind, _, value, digits = LABELS[role]
    number = _value(text, start, value, digits)
    if not number or _DATE.match(number):
        return None
    # Every amount _amount finds has a space, comma or dot in it: a phone typed 212-555-0199
    # or 13800138000 is not read for one.
    if kind == "PHONE" and (" " in number or "," in number or "." in number):
        return None if _amount(text, start, number) else number
    return number


def _amount(text: str, start: int, number: str) -> bool:
    """Whether ``number``, at ``start`` after a phone's label, is an amount: one with cents
    ("10999.00 yuan"), thousands set apart by commas, or by spaces or dots with a currency
    after it ("1 299 000 VND"). Without one, "phone 612 345 678" is a Spanish phone."""
    if _CENTS.match(number):
        return True
    priced = "," in number or _CURRENCY_AFTER.match(text, start + len(number))
    return bool(priced and _GROUPED.match(number))


def _value(text: str, start: int, value: re.Pattern[str], digits: range) -> str | None:
    """The value of ``value``'s shape at ``start``, with as many ``digits``: on its line, else
    typed over several lines, as a phone's keyboard breaks a long number ("电话\n138\n0013\n
    8000", "card 4111\n1111\n1111\n1111"). Only a value too short on its line is read on
    ("phone: 9123 4567\n12 Nathan Road" keeps the street number out), and then as far as its
    shape goes: "Phone:\n9123\n4567\n12 Nathan Road" takes the 12 too. Where a number ends
    cannot be told ("8000 谢谢" ends one), and masking a street number costs less than showing
    the end of a phone number."""
    number = value.match(text, start)
    if number and sum(map(str.isdigit, number[0])) in digits:
        return number[0]
    window = text[start : start + _JOINED_REACH]
    if "\n" not in window:
        return None
    joined = value.match(window.replace("\n", " "))  # one character for one: places hold
    if joined is None or joined.end() == _JOINED_REACH:  # it may go on past the window
        return None
    return window[: joined.end()] if sum(map(str.isdigit, joined[0])) in digits else None


_JOINED_REACH: Final = 64  # a number of up to 19 digits, over as many lines as it likes


def _passwords(text: str, lowered: str, english: locales.English) -> Iterator[tuple[int, int]]:
    """Passwords after the first ``_MOST_PASSWORDS`` labels: more is a paste or spam, and
    reading each one's clause would take time that grows with them."""
    end = 0  # a password label inside the last password's value is part of it
    for match in itertools.islice(ANY_PASSWORD.finditer(lowered), _MOST_PASSWORDS):
        if match.start() >= end and (span := password_at(text, lowered, match.start(), english)):
            yield span
            end = span[1]


_MOST_PASSWORDS: Final = 100


def _names_value(
    lowered: str, label: tuple[int, int], role: int, value_start: int, english: locales.English
) -> bool:
    """Whether the label at ``label`` (of ``LABELS[role]``) can name a value where it stands
    (``english``: whether the message is English)."""
    start, end = label
    word, link = lowered[start:end], lowered[end:value_start]
    if word in NEEDS_LINK:
        return any(sign in link for sign in (":", "：", "=", " is ", "是", "为"))
    if not locales.links(english, word, link):  # "the phone era 12345678", "clave 12345 came"
        return False
    if role == CARD_NUMBER:
        before = lowered[max(0, start - 16) : start].rstrip(" -")
        shop_card = before.removesuffix("的").removesuffix("卡").endswith(NOT_PAYMENT_ZH)
        return not (before.endswith(NOT_PAYMENT) or shop_card)
    return True


# A date is no value, whoever names it ("a phone on 2024-03-15", "the OTP on 15.03.2024"), and
# an amount is no phone ("1 299 000 VND", "10999.00 yuan"; see _amount).
_DATE: Final = re.compile(
    r"[0-9]{4}[-./][0-9]{1,2}[-./][0-9]{1,2}|[0-9]{1,2}[-./][0-9]{1,2}[-./][0-9]{2,4}"
)
_GROUPED: Final = re.compile(r"[0-9]{1,3}(?:[ ,.][0-9]{3})+\Z")
_CENTS: Final = re.compile(r"[0-9]+[.,][0-9]{1,2}\Z")
_CURRENCY_AFTER: Final = re.compile(
    r"[ \t]?(?:[$€£¥₫₩₹₽]|r\$|元|块|円|원|руб|(?<![a-z])(?:vnd|usd|eur|gbp|jpy|cny|rmb|hkd|twd|krw"
    r"|inr|rub|brl|mxn|yuan|dollars?|euros?|pounds?|yen|won|rupees?|reais|pesos?|đồng|dong)"
    r"(?![a-z'’]))",  # not "won't"
    re.IGNORECASE,
)


# A country or trunk code set apart before a named number ("tracking number 1-800-123-4567"):
# a detector may read the number from after it (400/800 service numbers from the 800), and
# that reading is the named number too, not a phone inside it.
_LEADING_CODE: Final = re.compile(r"\+?[0-9]{1,3}[ .-]")


def _named_starts(lowered: str, label_end: int, start: int) -> list[int]:
    """Where the number a reference's or code's label (ending at ``label_end``) names would
    start: at ``start``, and after a leading code set apart there (``_LEADING_CODE``); nowhere
    if the words between say where it is used ("redeem at 1-800-...", see ``_WHERE``)."""
    if _WHERE.search(lowered, label_end, start):
        return []
    code = _LEADING_CODE.match(lowered, start)
    return [start, code.end()] if code else [start]


def _after_links(lowered: str, end: int) -> int:
    link = _LINK.match(lowered, end, end + _REACH)
    return link.end() if link else end


def _on_the_next_line(lowered: str, label: tuple[int, int], value_start: int) -> int:
    """Where the value starts when a form puts it on a line below its label ("Phone:\n9123
    4567", "验证码\n482913"): after a label that ends in a colon, or that is alone on its line.
    Else ``value_start``: "refund my order\n4111111111111111" names no order number."""
    breaks = _LINE_BREAKS.match(lowered, value_start)
    if breaks is None:
        return value_start
    link = lowered[label[1] : value_start]
    formal = ":" in link or "：" in link or begins_line(lowered, label[0])
    return breaks.end() if formal else value_start


_LINE_BREAKS: Final = re.compile(rf"[ \t]*(?=\n){LINES}")  # one or two: a blank line too
