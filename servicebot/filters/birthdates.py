"""Dates of birth (the ``DATE_OF_BIRTH`` kind): a date right after what the customer calls
it ("date of birth: 07/03/1990", "DOB 1990-03-07", "I was born on 7 March 1990", "my birthday
is March 7th", 出生日期1990年3月7日, 生日是3月7日, 出生于1990.03.07), or in Chinese right
before it (我是1990年3月7日出生的, 1990年3月7日生). After a label a date may be in Chinese
numerals (一九九〇年三月七日, 九零年三月七日), eight digits (19900307, before 出生 too) or
07-Mar-1990.

A date with no such label is no birth date: order, delivery and payment dates are in every
other message. Nor is someone else's birthday with no year ("my son's birthday is 12 May, can
you deliver by then?", 儿子的生日是5月12日): a day and month that the order must arrive by,
which the model must read to answer, and which with no year tells little of who the child is.
With a year ("my son's birthday is 12 May 2015") it is the child's date of birth, and the
customer's own birthday ("my birthday is March 7th", 生日是3月7日) is theirs with a year or
not. Owns :func:`birth_date_spans`, called by ``pii.find_pii``, and
:func:`birth_date_form`, the one form ``values.canonical`` compares them in. It reads only
where ``labelled.py`` found an English label, and Chinese text that holds 生日, 出生 or 日生.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator, Sequence
from typing import Final

from .boundaries import Spans

_MONTHS: Final = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_MONTH: Final = (
    "(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?(?![a-z])"
)
_DAY: Final = "[0-9]{1,2}(?:st|nd|rd|th)?(?![0-9a-z])"
# A named month's year: 1990, or as said, 90 and '90 ("7 Mar 90" kept "90" in the text).
_YEAR: Final = r"(?:,?[ ]+(?:[0-9]{4}|['’]?[0-9]{2})(?![0-9]))"
# A date in Chinese numerals: 一九九〇年三月七日, 九零年三月七日, 三月七日, 十二月三十一日.
_CN_DIGIT: Final = "[零〇○一二三四五六七八九]"
_CN_SMALL: Final = "(?:[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"
_CN_DATE: Final = (
    f"{_CN_DIGIT}{{2}}(?:{_CN_DIGIT}{{2}})?[ ]?年"  # 一九九〇年, or as said, 九零年
    f"[ ]?{_CN_SMALL}[ ]?月(?:[ ]?{_CN_SMALL}[ ]?[日号])?"
    f"|{_CN_SMALL}[ ]?月[ ]?{_CN_SMALL}[ ]?[日号]"
)
# 19900307: a year of 1xxx or 2xxx, a month and a day, after a label or before 出生 only.
_EIGHT: Final = "[12][0-9]{3}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
# The dates written in Chinese, which may stand before their label too (1990年3月7日出生); a
# year of two digits with 年 (90年3月7日), as said.
_DATE_ZH: Final = (
    r"[0-9]{4}[ ]?[-./年][ ]?[0-9]{1,2}[ ]?[-./月][ ]?[0-9]{1,2}(?![0-9])[日号號]?"
    r"|(?:[0-9]{2}){1,2}[ ]?年[ ]?[0-9]{1,2}[ ]?月(?:[ ]?[0-9]{1,2}[ ]?[日号號])?"
    rf"|[0-9]{{1,2}}[ ]?月[ ]?[0-9]{{1,2}}[ ]?[日号號]|{_CN_DATE}"
)
_DATE: Final = (
    rf"{_DATE_ZH}"
    r"|[0-9]{1,2}[-./][0-9]{1,2}[-./](?:[0-9]{4}|[0-9]{2})(?![0-9])"
    f"|{_EIGHT}(?![0-9])"
    rf"|[0-9]{{1,2}}[-/]{_MONTH}[-/](?:[0-9]{{4}}|[0-9]{{2}})(?![0-9])"  # 07-Mar-1990
    rf"|{_DAY}[ ]+(?:of[ ]+)?{_MONTH}{_YEAR}?"
    rf"|{_MONTH}[ ]+{_DAY}{_YEAR}?"
)
_LABELLED: Final = re.compile(
    r"(?:(?<![a-z])(?:date[ ]+of[ ]+birth|birth[ ]?date|birthday(?:['’]s)?"
    r"|d\.?o\.?b\.?(?![a-z])|born(?:[ ]+on)?)|出生日期|出生年月日?|出生于|出生於|生日)"
    r"(?:[ \t]*(?:[:：=-]|is(?![a-z])|was(?![a-z])|on(?![a-z])|是|为|為|在))*[ \t]*"
    # "my birthday is the 7th of March", "born on the 7th"
    r"(?:the[ ]+)?"
    f"(?P<date>{_DATE})",
    re.IGNORECASE,
)


# Whose birthday it is, right before "birthday" or 生日: the customer's after "my", 我, 我的 or
# 本人, or after no word (a form's "Birthday:", "，生日是"); anyone else's after any other word
# ("my son's", "my sons", "his", "a", 儿子的, 妈妈).
_MINE: Final = re.compile(r"(?<![a-z])my\Z|我的?\Z|本人的?\Z", re.IGNORECASE)
# A day and month with no year: 12 May, March 7th, 5月12日, 三月七日.
_YEARLESS: Final = re.compile(
    rf"{_DAY}[ ]+(?:of[ ]+)?{_MONTH}|{_MONTH}[ ]+{_DAY}"
    rf"|[0-9]{{1,2}}[ ]?月[ ]?[0-9]{{1,2}}[ ]?[日号號]|{_CN_SMALL}[ ]?月[ ]?{_CN_SMALL}[ ]?[日号]",
    re.IGNORECASE,
)


def birth_date_spans(text: str, cues: Sequence[tuple[int, int, str]]) -> Spans:
    """Dates of birth in normalised ``text``: each date right after its label. ``cues``:
    where ``labelled.find_labelled`` found an English label ("born", "DOB": ``labels.CUES``);
    a Chinese one is looked for only in text with 生日 or 出生."""
    starts = [start for start, _, cue in cues if cue == "birth"]
    if text.isascii() or not any(map(text.__contains__, ("生日", "出生", "日生"))):
        found = [match for start in starts if (match := _LABELLED.match(text, start))]
        yield from (match.span("date") for match in found if _of_birth(text, match))
        return
    # One scan for the Chinese labels, whose matches serve the English ones too; the others'
    # starts as a set: a test of each match against a list of them made 100 KB of
    # "生日1月1日 dob " quadratic (612 ms).
    everywhere = list(_LABELLED.finditer(text))
    named = set(starts)
    found = [*_matched_at(text, starts, everywhere)]
    found += (match for match in everywhere if match.start() not in named)
    yield from (match.span("date") for match in found if _of_birth(text, match))
    yield from _dates_before(text)


def _of_birth(text: str, match: re.Match[str]) -> bool:
    """Whether the date ``match`` of ``_LABELLED`` read after its label is a date of birth:
    not when the label is "birthday" or 生日, the date has no year, and the birthday is
    someone else's ("my son's birthday is 12 May, can you deliver by then?": see the module
    docstring)."""
    start = match.start()
    if not (text.startswith("生日", start) or text[start : start + 8].lower() == "birthday"):
        return True
    if not _YEARLESS.fullmatch(match["date"]):
        return True
    return _customers_own(text, start)


def _customers_own(text: str, label: int) -> bool:
    """Whether the birthday whose label starts at ``label`` is the customer's (``_MINE``)."""
    window = max(0, label - 8)  # a few spaces and "my": a slice, not the text before it
    end = window + len(text[window:label].rstrip(" "))
    if not end or not text[end - 1].isalpha():
        return True
    return _MINE.search(text, max(0, end - 3), end) is not None


# What a Chinese date may stand before: 出生 (not 出生日期 or 出生年月, labels of the date
# after them), or 生 at a clause's end (1990年3月7日生, 3月7日生的; not 3月7日生效).
_BORN: Final = re.compile("出生(?!日期|年月)|生(?=[的人，,。.！!？? ]|\\Z)")
_DATE_BEFORE: Final = re.compile(f"(?<![0-9])(?P<date>{_DATE_ZH}|{_EIGHT})[ ]?\\Z")
_DATE_REACH: Final = 24  # the longest Chinese date and a space before its label
_MOST_BORN: Final = 50  # labels read: more is a paste or spam


def _dates_before(text: str) -> Spans:
    """The dates right before their label (我是1990年3月7日出生的), each read from the few
    characters before the first ``_MOST_BORN`` labels: a search from each label backwards
    costs as much however long the message is."""
    for label in itertools.islice(_BORN.finditer(text), _MOST_BORN):
        start = max(0, label.start() - _DATE_REACH)
        if date := _DATE_BEFORE.search(text, start, label.start()):
            yield date.span("date")


def _matched_at(
    text: str, starts: Sequence[int], everywhere: Sequence[re.Match[str]]
) -> Iterator[re.Match[str]]:
    """``_LABELLED``'s match at each of ``starts`` that has one, read from ``everywhere``, its
    matches in ``text`` by ``finditer``: a search tries every position up to its match, and
    returns the match a ``match`` there gives, so a start that is none of theirs and inside
    none of them has no match. One inside one (none of labels.CUES can be) is matched anew."""
    at = {match.start(): match for match in everywhere}
    firsts = list(at)
    for start in starts:
        if (match := at.get(start)) is None:
            before = bisect.bisect_right(firsts, start) - 1
            if before >= 0 and at[firsts[before]].end() > start:
                match = _LABELLED.match(text, start)
        if match is not None:
            yield match


_ISO: Final = re.compile(r"([0-9]{4})[^0-9]+([0-9]{1,2})[^0-9]+([0-9]{1,2})")
_NAMED: Final = re.compile(
    rf"(?:(?P<day>[0-9]{{1,2}})(?:st|nd|rd|th)?(?:[ ]+(?:of[ ]+)?|[-/])(?P<month>{_MONTH})"
    rf"|(?P<month2>{_MONTH})[ ]+(?P<day2>[0-9]{{1,2}})(?:st|nd|rd|th)?)"
    r"(?:(?:,?[ ]+['’]?|[-/])(?P<year>[0-9]{4}|[0-9]{2}))?",
    re.IGNORECASE,
)


def birth_date_form(value: str) -> str:
    """One form for a date of birth: "1990-03-07" for 1990年3月7日, 一九九〇年三月七日,
    1990.03.07, 19900307, "7 March 1990" and 07-Mar-1990; "--03-07" for "March 7th"; a date
    whose day and month may be either way round (07/03/1990) as its digits. An erasure
    request finds it however it was typed."""
    value = _CN_NUMBER.sub(_arabic, value) if not value.isascii() else value
    if eight := _EIGHT_DIGITS.fullmatch(value.strip()):
        value = "-".join(eight.groups())
    if iso := _ISO.fullmatch(value.strip().rstrip("日号號")):
        year, month, day = iso.groups()
        return f"{year}-{int(month):02}-{int(day):02}"
    if named := _NAMED.fullmatch(value.strip()):
        month = (named["month"] or named["month2"]).lower().rstrip(".")[:3]
        number = [m[:3] for m in _MONTHS].index(month) + 1
        day = int(named["day"] or named["day2"])
        return f"{named['year'] or '-'}-{number:02}-{day:02}"
    return "".join(c for c in value if c.isdigit())


_EIGHT_DIGITS: Final = re.compile("([0-9]{4})([0-9]{2})([0-9]{2})")
_CN_NUMBER: Final = re.compile("[零〇○一二三四五六七八九十]+")
_CN_VALUES: Final = {
    **dict.fromkeys("零〇○", 0),
    **{c: i for i, c in enumerate("一二三四五六七八九", 1)},
}


def _arabic(numeral: re.Match[str]) -> str:
    """A number in Chinese numerals in digits: 一九九〇 is "1990" (read digit by digit), 十二
    "12", 三十一 "31", 二十 "20"."""
    word = numeral[0]
    if "十" not in word:
        return "".join(str(_CN_VALUES[c]) for c in word)
    tens, _, units = word.partition("十")
    return str(_CN_VALUES.get(tens, 1) * 10 + _CN_VALUES.get(units, 0))
