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

Owns :func:`find_labelled`, called by ``pii.find_pii``; the labels and their values' shapes
are in ``labels.py``. Like its patterns, every label regex is linear-time, and the words after
a label are read once, at most ``_REACH`` characters.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Iterable, Iterator
from typing import Final, NamedTuple

from . import word_automaton
from .labels import (
    CARD_NUMBER,
    LABELS,
    NEEDS_LINK,
    NOT_PAYMENT,
    NOT_PAYMENT_ZH,
    ROLE,
)
from .normalise import lower_in_place
from .runon import run_on_end

_REACH: Final = 40  # the linking words between a label and its value, at most
# A number "at" or "on" which something is done is no reference's own: "redeem your voucher
# at 1-800-123-4567", "track your order on 212-555-0123" give a phone. "On the back" says
# where the number is printed, and links a label to it as _LINK does ("part number on the
# back is 212-555-0123").
_WHERE: Final = re.compile(r"(?<![a-z])(?:at|on(?! the back))(?![a-z])")
_LINK: Final = re.compile(  # read in the lower-cased text, as labels are
    r"(?:[ \t:：=#,.(-]|是|为|系|字号|号码|号|码|'s|’s"  # 系: Cantonese 係, as detectors read it
    r"|(?<![a-z])(?:on the back|number|num|no\.?|code|is|was|are|at|on|my|the|us)(?![a-z]))+"
)

# Passwords are read by _password (below); 密码 only where a value follows, so that a run of
# 密码是密码是... is passed over in C.
_PASSWORD_WORDS: Final = ("password", "passwd", "pwd", "pw", "密码")
# What may come between 密码 and its value; each run of spaces can be read one way only. Then
# up to two line breaks: a form puts the value on a line of its own (see _next_line_password).
_MIMA_SEP: Final = r"[ \t]*(?:(?:[是为][ \t]*[:=：]?|[:=：])[ \t]*)?"
_LINES: Final = r"(?:\n[ \t]*){0,2}"
_MIMA_AHEAD: Final = f"(?={_MIMA_SEP}{_LINES}(?![\\s，。；！？、,;是为:：=]|密码|$))"


def _joined(words: Iterable[str]) -> str:
    """The labels ``words`` as one alternation over the lower-cased text (re.IGNORECASE takes
    twice the time): one alternative per first character, a plain character that ``re``
    rejects at once when it differs, then the rest of each word, the longest first. An English
    label starts a word (no letter before it); a Chinese one may follow a letter (QQ密码)."""
    by_first: dict[str, list[str]] = {}
    for word in sorted(words, key=len, reverse=True):
        by_first.setdefault(word[0], []).append(_rest(word))
    return "|".join(
        re.escape(first) + ("(?<![a-z].)" if first.isascii() else "") + f"(?:{'|'.join(rest)})"
        for first, rest in by_first.items()
    )


def _rest(word: str) -> str:
    """A word after its first character, and how it must end: an English word at a word's end
    ("pin", not "ping"), 密码 where a value follows."""
    ending = "(?![a-z])" if word.isascii() else _MIMA_AHEAD if word == "密码" else ""
    return re.escape(word[1:]) + ending


# English labels: every occurrence of every label in one Aho-Corasick pass over the text, of
# which a label is one that starts and ends a word (no letter on either side). A regex of every
# label tried after each non-letter took 10 us on a 60-word message; this, 4 us. Chinese ones
# may follow a letter (QQ密码): one regex, see _label_spans.
_ENGLISH_WORDS: Final = [word for word in ROLE if word.isascii()]
_ENGLISH_LABELS: Final = word_automaton({word: len(word) for word in _ENGLISH_WORDS})
_CHINESE_LABEL: Final = re.compile(_joined(w for w in ROLE if not w.isascii()))
_DIGIT: Final = re.compile("[0-9]")
# A value has a digit this close to its label: a card, phone, ID or code in its first
# characters, a key or token (16 to 256 characters) almost always in its first 48.
_VALUE_REACH: Final = _REACH + 48
_ANY_PASSWORD: Final = re.compile(_joined(_PASSWORD_WORDS))


class Labelled(NamedTuple):
    """What the customer named: values found, and where a reference number or a code the
    shop issues (a coupon, a voucher) would start."""

    found: list[tuple[int, int, str]]
    references: set[int]
    codes: set[int]


def find_labelled(text: str, kinds: Collection[str]) -> Labelled:
    """Values of ``kinds`` named right before them (passwords among SECRET), and where a value
    named as an order, invoice, part or other reference number, or as a coupon, voucher or
    other code, would start."""
    lowered = lower_in_place(text)
    found: list[tuple[int, int, str]] = []
    references: set[int] = set()
    codes: set[int] = set()
    for label in _label_spans(lowered) if _DIGIT.search(text) else ():  # values have a digit
        if not _DIGIT.search(text, label[1], label[1] + _VALUE_REACH):
            continue  # "I paid with Visa. Could you...": no value near enough
        role, start = ROLE[lowered[slice(*label)]], _after_links(lowered, label[1])
        start = _on_the_next_line(lowered, label, start)
        if role in ("reference", "code"):
            (references if role == "reference" else codes).update(
                _named_starts(lowered, label[1], start)
            )
            continue
        kind = LABELS[int(role)].kind
        if kind in kinds and _names_value(lowered, label, int(role), start):
            found += ((start, end, kind) for start, end in _values(text, start, int(role)))
    if "SECRET" in kinds and any(word in lowered for word in ("pass", "pw", "密码")):
        found += ((start, end, "SECRET") for start, end in _passwords(text, lowered))
    return Labelled(found, references, codes)


def _values(text: str, start: int, role: int) -> Iterator[tuple[int, int]]:
    """Where the value of ``LABELS[role]`` at ``start`` stands, with what runs on from it, and
    each value of its shape that a slash joins to it: "phone 0412 345 678/0412 345 679" gives
    two phones (read as a run-on, "/0412" went with the first, and " 345 679" was shown)."""
    number = _checked_value(text, start, role)
    while number:
        end = start + len(number)
        after = _checked_value(text, end + 1, role) if text.startswith("/", end) else None
        yield start, end if after else run_on_end(text, number, end)
        start, number = end + 1, after


def _checked_value(text: str, start: int, role: int) -> str | None:
    """The value of ``LABELS[role]`` at ``start`` (``_value``), unless it is a date, or an
    amount where a phone is named."""
    kind, _, value, digits = LABELS[role]
    number = _value(text, start, value, digits)
    if not number or _DATE.match(number) or (kind == "PHONE" and _AMOUNT.match(number)):
        return None
    return number


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


def _label_spans(lowered: str) -> list[tuple[int, int]]:
    """Where labels stand in ``lowered``, left to right: the leftmost label, then the leftmost
    after it, each the longest that starts there."""
    longest: dict[int, int] = {}  # start -> end
    for last, length in _ENGLISH_LABELS.iter(lowered):
        start, end = last + 1 - length, last + 1
        if (
            _word_edge(lowered, start - 1)
            and _word_edge(lowered, end)
            and longest.get(start, 0) < end
        ):
            longest[start] = end
    spans = sorted(longest.items())
    if not lowered.isascii():
        spans = sorted(spans + [m.span() for m in _CHINESE_LABEL.finditer(lowered)])
    kept: list[tuple[int, int]] = []
    for span in spans:
        if not kept or span[0] >= kept[-1][1]:  # "credit card" is one label, not "card" too
            kept.append(span)
    return kept


def _word_edge(lowered: str, position: int) -> bool:
    """Whether ``position`` is outside the text or holds no ASCII letter."""
    return not 0 <= position < len(lowered) or not "a" <= lowered[position] <= "z"


def _passwords(text: str, lowered: str) -> Iterator[tuple[int, int]]:
    """Passwords after the first ``_MOST_PASSWORDS`` labels: more is a paste or spam, and
    reading each one's clause would take time that grows with them."""
    end = 0  # a password label inside the last password's value is part of it
    for match in itertools.islice(_ANY_PASSWORD.finditer(lowered), _MOST_PASSWORDS):
        if match.start() >= end and (span := _password(text, lowered, match.start())):
            yield span
            end = span[1]


_MOST_PASSWORDS: Final = 100


def _names_value(lowered: str, label: tuple[int, int], role: int, value_start: int) -> bool:
    """Whether the label at ``label`` (of ``LABELS[role]``) can name a value where it stands."""
    start, end = label
    if lowered[start:end] in NEEDS_LINK:
        link = lowered[end:value_start]
        return any(word in link for word in (":", "：", "=", " is ", "是", "为"))
    if role == CARD_NUMBER:
        before = lowered[max(0, start - 16) : start].rstrip(" -")
        shop_card = before.removesuffix("的").removesuffix("卡").endswith(NOT_PAYMENT_ZH)
        return not (before.endswith(NOT_PAYMENT) or shop_card)
    return True


# A date is no value, whoever names it ("a phone on 2024-03-15", "the OTP on 15.03.2024"), and
# an amount is no phone ("1 299 000 VND", "10999.00 yuan").
_DATE: Final = re.compile(
    r"[0-9]{4}[-./][0-9]{1,2}[-./][0-9]{1,2}|[0-9]{1,2}[-./][0-9]{1,2}[-./][0-9]{2,4}"
)
_AMOUNT: Final = re.compile(r"[0-9]{1,3}(?:[ ,.][0-9]{3})+\Z|[0-9]+[.,][0-9]{1,2}\Z")


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
    formal = ":" in link or "：" in link or _begins_line(lowered, label[0])
    return breaks.end() if formal else value_start


def _begins_line(text: str, position: int) -> bool:
    """Whether only spaces stand before ``position`` on its line."""
    return not text[text.rfind("\n", 0, position) + 1 : position].strip()


_LINE_BREAKS: Final = re.compile(rf"[ \t]*(?=\n){_LINES}")  # one or two: a blank line too


# --- passwords ----------------------------------------------------------------------------------
# Said of a password, most values are its rules ("password: 8-16 characters", "password is
# case-sensitive", 密码为8到16位), not the password. So:
# - "password: x" takes the clause: one word, or two that are not both plain words ("Hunter
#   2024"); of a longer clause, a first word of letters and digits.
# - "password is x" (or "password's x", "password to x", "password as x", "password x",
#   "pw x") takes one word with a digit, 5 characters or more ("hunter2", "123456"; not
#   "2FA", "case-sensitive" or "reset"; an all-letter one is let through).
# - After 密码 with 是, 为 or a colon, a value with three ASCII letters or digits (密码是
#   我爱你1234, not 密码是多少); with nothing or a space between, an ASCII word of four or more
#   with a digit (密码 abc12345, not 密码后提示 error 1005).
# - On a later line, as a form puts it, one word alone on its line: see _next_line_password.
# A quoted value is always taken; a length ("8-16", "12 characters", 8到16位) never. A "!"
# right after the value is part of it: it is the symbol most password rules end with
# (Summer2024!), and a stored "[SECRET_1]!" would tell how the password ends.
_PASSWORD: Final = re.compile(  # in the lower-cased text
    r"(?:password|passwd|pwd|pw)"
    r"(?P<sep>[ \t]*[:=]|(?:[ \t]+(?:is|was|to|as)\b|['’]s(?![a-z]))(?:[ \t]*[:=])?"
    r"|(?=[ \t]*\n)|[ \t])"
    f"[ \\t]*(?P<lines>{_LINES})"
)
_MIMA: Final = re.compile(f"密码(?P<sep>{_MIMA_SEP})(?P<lines>{_LINES})")
_QUOTED: Final = re.compile(
    "\"[^\"\n]{1,128}\"|'[^'\n]{1,128}'|“[^”\n]{1,128}”|「[^」\n]{1,128}」|『[^』\n]{1,128}』"
)
_CLAUSE_END: Final = re.compile(  # a set first, so that ``re`` skips ahead in C
    r"(?=[\s，。；！？,;.!?])(?:[\n，。；！？]|[,;.!?](?:\s|$)|\s(?:and|or|but|then|please|thanks)"
    r"(?![a-z]))",
    re.IGNORECASE,
)
_WORD: Final = re.compile(r"\S{1,128}")
# Up to the next space, Chinese punctuation or 密码 (密码是多少密码是abc123 holds two).
_CHINESE_VALUE: Final = re.compile(r"(?:(?!密码)[^\s，。；！？、,;]){1,64}(?:[ \t]+[!-~]{1,64})*")
_ASCII_WORD: Final = re.compile(r"[!-~]{1,64}")
_LINE_END: Final = re.compile(r"[ \t]*(?:\n|$)")
_ASCII_ALNUM: Final = re.compile(r"[0-9A-Za-z]", re.ASCII)
_LETTERS_AND_DIGITS: Final = re.compile(r"(?=.*[0-9])(?=.*[A-Za-z]).{5,}", re.ASCII | re.DOTALL)
_WITH_A_DIGIT: Final = re.compile(r"(?=.*[0-9]).{5,}", re.ASCII | re.DOTALL)
_UNIT: Final = r"[\s-]*(?:characters?|chars?|digits?|letters?|位|个字符|个字|字符|字元)"
_LENGTH: Final = re.compile(  # starts with a range, or a number and its unit: not 12345678
    rf"[0-9]+(?:\s*(?:-|~|to|到|至)\s*[0-9]+(?:{_UNIT})?|{_UNIT})", re.IGNORECASE
)
_TRIM_END: Final = ".,;:!?)]}>'\"。，；！？"
_TRIM_START: Final = "'\"([{<"


def _password(text: str, lowered: str, start: int) -> tuple[int, int] | None:
    """The password after the label at ``start``, if one is there."""
    if english := _PASSWORD.match(lowered, start):
        match, on_its_line = english, _english_password
    elif chinese := _MIMA.match(text, start):
        match, on_its_line = chinese, _chinese_password
    else:
        return None
    if match["lines"]:
        span = _quoted(text, match.end()) or _next_line_password(text, match)
    else:
        span = _quoted(text, match.end()) or on_its_line(text, match)
    if not span or _LENGTH.match(text, *span):
        return None
    end = span[1]
    while text.startswith("!", end):
        end += 1
    return span[0], end


def _english_password(text: str, match: re.Match[str]) -> tuple[int, int] | None:
    start = match.end()
    if match["sep"][-1] not in ":=":  # "password is x": one word with a digit
        word = _WORD.match(text, start)
        span = _trimmed(text, start, word.end()) if word else None
        return span if span and _WITH_A_DIGIT.fullmatch(text, *span) else None
    end = _CLAUSE_END.search(text, start, start + 128)
    start, stop = _trimmed(text, start, end.start() if end else min(len(text), start + 128))
    words = text[start:stop].split()
    if len(words) == 2 and all(map(str.isalpha, words)):
        return None
    if len(words) > 2:  # a sentence about the password, or a password then one
        first = (start, start + len(words[0]))
        return first if _LETTERS_AND_DIGITS.fullmatch(text, *first) else None
    return (start, stop) if stop - start >= 3 else None


def _chinese_password(text: str, match: re.Match[str]) -> tuple[int, int] | None:
    if match["sep"].strip():  # 密码是..., 密码：...
        value = _CHINESE_VALUE.match(text, match.end())
        span = _trimmed(text, *value.span()) if value else None
        return span if span and len(_ASCII_ALNUM.findall(text, *span)) >= 3 else None
    word = _ASCII_WORD.match(text, match.end())  # 密码 abc12345, 密码hunter2
    span = _trimmed(text, *word.span()) if word else None
    if span and len(_ASCII_ALNUM.findall(text, *span)) >= 4 and _DIGIT.search(text, *span):
        return span
    return None


def _next_line_password(text: str, match: re.Match[str]) -> tuple[int, int] | None:
    """A value a line or two below its label, as a form has it ("Password:\nhunter2",
    "密码\n\nabc12345"): one word with a digit, alone on its line, and not the form's next
    field ("Order: 12345678" under an empty "Password:"). After a label with nothing to link
    it (no colon, "is" or 是), only when the label begins its line: "忘记密码\n12345678" forgot
    the password and then gives an order number."""
    if not match["sep"].strip() and not _begins_line(text, match.start()):
        return None
    word = _ASCII_WORD.match(text, match.end())
    if not word or not _LINE_END.match(text, word.end()) or ":" in word[0]:
        return None
    span = _trimmed(text, *word.span())
    return span if span[1] - span[0] >= 4 and _DIGIT.search(text, *span) else None


def _quoted(text: str, start: int) -> tuple[int, int] | None:
    found = _QUOTED.match(text, start)
    return (found.start() + 1, found.end() - 1) if found else None


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """A value without the punctuation and spaces around it."""
    while end > start and (text[end - 1] in _TRIM_END or text[end - 1].isspace()):
        end -= 1
    while start < end and text[start] in _TRIM_START:
        start += 1
    return start, end
