"""Dates of birth (the ``DATE_OF_BIRTH`` kind): a date right after what the customer calls
it ("date of birth: 07/03/1990", "DOB 1990-03-07", "I was born on 7 March 1990", "my birthday
is March 7th", 出生日期1990年3月7日, 生日是3月7日, 出生于1990.03.07).

A date with no such label is no birth date: order, delivery and payment dates are in every
other message. Owns :func:`birth_date_spans`, called by ``pii.find_pii``, and
:func:`birth_date_form`, the one form ``values.canonical`` compares them in. It reads only
where ``labelled.py`` found an English label, and Chinese text that holds 生日 or 出生.
"""

from __future__ import annotations

import bisect
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
_DATE: Final = (
    r"[0-9]{4}[ ]?[-./年][ ]?[0-9]{1,2}[ ]?[-./月][ ]?[0-9]{1,2}(?![0-9])[日号號]?"
    r"|[0-9]{1,2}[-./][0-9]{1,2}[-./](?:[0-9]{4}|[0-9]{2})(?![0-9])"
    rf"|{_DAY}[ ]+(?:of[ ]+)?{_MONTH}{_YEAR}?"
    rf"|{_MONTH}[ ]+{_DAY}{_YEAR}?"
    r"|[0-9]{4}[ ]?年[ ]?[0-9]{1,2}[ ]?月(?:[ ]?[0-9]{1,2}[ ]?[日号號])?"
    r"|[0-9]{1,2}[ ]?月[ ]?[0-9]{1,2}[ ]?[日号號]"
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


def birth_date_spans(text: str, cues: Sequence[tuple[int, int, str]]) -> Spans:
    """Dates of birth in normalised ``text``: each date right after its label. ``cues``:
    where ``labelled.find_labelled`` found an English label ("born", "DOB": ``labels.CUES``);
    a Chinese one is looked for only in text with 生日 or 出生."""
    starts = [start for start, _, cue in cues if cue == "birth"]
    if text.isascii() or ("生日" not in text and "出生" not in text):  # most messages
        found = [match for start in starts if (match := _LABELLED.match(text, start))]
        yield from (match.span("date") for match in found)
        return
    # One scan for the Chinese labels, whose matches serve the English ones too; the others'
    # starts as a set: a test of each match against a list of them made 100 KB of
    # "生日1月1日 dob " quadratic (612 ms).
    everywhere = list(_LABELLED.finditer(text))
    yield from (match.span("date") for match in _matched_at(text, starts, everywhere))
    named = set(starts)
    yield from (match.span("date") for match in everywhere if match.start() not in named)


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
    rf"(?:(?P<day>[0-9]{{1,2}})(?:st|nd|rd|th)?[ ]+(?:of[ ]+)?(?P<month>{_MONTH})"
    rf"|(?P<month2>{_MONTH})[ ]+(?P<day2>[0-9]{{1,2}})(?:st|nd|rd|th)?)"
    r"(?:,?[ ]+['’]?(?P<year>[0-9]{4}|[0-9]{2}))?",
    re.IGNORECASE,
)


def birth_date_form(value: str) -> str:
    """One form for a date of birth: "1990-03-07" for 1990年3月7日, 1990.03.07 and "7 March
    1990"; "--03-07" for "March 7th"; a date whose day and month may be either way round
    (07/03/1990) as its digits. An erasure request finds it however it was typed."""
    if iso := _ISO.fullmatch(value.strip().rstrip("日号號")):
        year, month, day = iso.groups()
        return f"{year}-{int(month):02}-{int(day):02}"
    if named := _NAMED.fullmatch(value.strip()):
        month = (named["month"] or named["month2"]).lower().rstrip(".")[:3]
        number = [m[:3] for m in _MONTHS].index(month) + 1
        day = int(named["day"] or named["day2"])
        return f"{named['year'] or '-'}-{number:02}-{day:02}"
    return "".join(c for c in value if c.isdigit())
