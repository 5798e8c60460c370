"""Contacts, PII values and amounts an answer gives, and whether the bot's files give them too.

A value, amount or link domain the bot's files (or this turn's messages) do not give is one
the model invented or leaked. Anything written like a phone number counts as one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import NamedTuple

from ..filters import Finding
from ..filters.boundaries import Marked
from ..filters.labelled import Labelled, find_labelled
from ..filters.pii import PII_KINDS, find_pii
from ..filters.values import canonical
from .amounts import AMOUNT_KINDS, amount_value, find_amounts
from .links import allowed_domain, domain_of, find_links


class Given(NamedTuple):
    """The contact and PII values and amounts (each in its one form, :func:`value_of`) and the
    link domains a text gives."""

    values: frozenset[str]
    domains: frozenset[str]

    def __or__(self, other: object) -> Given:
        if not isinstance(other, Given):
            return NotImplemented
        return Given(self.values | other.values, self.domains | other.domains)


def given_by(known: str) -> Given:
    """What ``known`` (the bot's files, or a turn's messages, normalised) gives the model to
    repeat."""
    labelled = find_labelled(known, PII_KINDS)
    found = finding_spans(find_pii(known, labelled=labelled))
    links = find_links(known)
    found += phone_shapes(known, found, labelled, links) + finding_spans(find_amounts(known))
    values = frozenset(value_of(kind, known[start:end]) for start, end, kind in found)
    return Given(values, frozenset(domain_of(match.group()) for match in links))


def value_of(kind: str, written: str) -> str:
    """The one form a value of ``kind`` is compared in: an amount's (``$5000``, ``¥30``,
    ``50%``), or a contact's or PII value's (:func:`.values.canonical`)."""
    return amount_value(written) if kind in AMOUNT_KINDS else canonical(kind, written)


def not_given(
    text: str, findings: Sequence[Finding], links: Sequence[re.Match[str]], known: Given
) -> list[Finding]:
    """The ``findings`` whose values, and the ``links`` (outside them) whose domains,
    ``known`` does not give."""
    # Each value is put in its one form once per call: an answer that repeats one phone
    # 5,000 times would otherwise read it 5,000 times (the form depends on nothing else).
    forms: dict[tuple[str, str], str] = {}
    found = []
    for f in findings:
        if (key := (f.kind, text[f.start : f.end])) not in forms:
            forms[key] = value_of(*key)
        if forms[key] not in known.values:
            found.append(f)
    marked = Marked(len(text), [(f.start, f.end) for f in found]) if links else None
    found += [
        Finding(m.start(), m.end(), "URL")
        for m in links
        if not allowed_domain(domain_of(m.group()), known.domains)
        and not (marked and marked.covers(m.start(), m.start() + 1))
    ]
    return found


# Numbers a model invents are often not real ones: 555-123-4567, +1 (555) 010-9999 and
# 123-456-7890 break the North American numbering plan, so the PII detector (which must not
# mask an order number that merely looks like a phone) passes them over. In an answer,
# anything written like a phone number is one: ten digits grouped 3-3-4 (a leading +1 or 1-
# included) and the fictional 555-0100 to 555-0199. A slash or an underscore between the
# groups (212/555/0123, 212_555_0123) reads as a number just as a hyphen does; dates and
# fractions (12/05/2024, 2024/12/05, 1/2) have no such groups.
_SEP = "[ ._/-]"
_NANP_REST = rf"[0-9]{{3}}{_SEP}[0-9]{{4}}(?![0-9])"
_FREE = r"(?<![\w+.-].)"  # after the first character: nothing number-like or word-like before it
_PHONE_SHAPES = re.compile(  # each branch starts with a plain character or set: re skips in C
    rf"\+{_FREE}1{_SEP}?(?:\([0-9]{{3}}\) ?|[0-9]{{3}}{_SEP}){_NANP_REST}"
    rf"|1{_FREE}{_SEP}?(?:\([0-9]{{3}}\) ?|[0-9]{{3}}{_SEP}){_NANP_REST}"
    rf"|\({_FREE}[0-9]{{3}}\) ?{_NANP_REST}"
    rf"|[0-9]{_FREE}[0-9]{{2}}{_SEP}{_NANP_REST}"
    rf"|5{_FREE}55{_SEP}01[0-9]{{2}}(?![0-9])"  # the range set aside for fiction
)


# A number a unit follows is a measurement, an amount or a size ("Size 300/400/5000 px",
# "212-555-0123 mm", "300/400/5000%", "300/400/5000 毫米"), not a phone. The units that are
# also words ("in", "m", "l", "g": "call 212-555-0123 in the morning", "m-f 9-5") count only
# written straight after the number (5000in); an English unit ends where its word does, and
# 米, 克 and 元 where a Chinese word does (米家 and 克莱尔 are a brand and a name, 元旦 a day)
# or before a word a measurement takes: its dimension (5000米长, 300克重) or how it is
# bounded (以上, 左右, 以内, 多, 的).
_WORD_UNITS = r"px|mm|cm|km|kg|mg|ml|ft|lbs?|oz|kb|mb|gb|tb|mah"
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_AFTER_UNIT = "长宽高深厚远重以左内外多的处"


@functools.cache
def _unit() -> re.Pattern[str]:
    """A unit after a number. Compiled on first use: in any case, over the Han block, it took
    3 ms of every start (`servicebot check` included), and only answers need it."""
    return re.compile(
        rf"(?:[ \t]?(?:(?:{_WORD_UNITS})(?![a-z])|%|毫米|厘米|公里|千米|千克|公斤|毫升|英寸"
        rf"|[米克元](?!(?![{_AFTER_UNIT}])[{_HAN}])))|(?:in|m|l|g)(?![a-z])",
        re.IGNORECASE,
    )


# No unit makes a measurement of what is written only as a phone number: one with a country
# code or an area code in brackets (+1 212-555-0123, (212) 555-0123), a mainland mobile
# (138 1234 5678) or a nationwide 400/800 service number (400-820-1234).
_ONLY_A_PHONE = re.compile(r"(?:0086|86|0)?1[3-9][0-9]{9}$|[48]00[0-9]{7}$")
_NOT_DIGIT = re.compile(r"[^0-9]")


def finding_spans(findings: list[Finding]) -> list[tuple[int, int, str]]:
    return [(f.start, f.end, f.kind) for f in findings]


def unmeasured(text: str, found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """``found`` without the phone numbers a unit follows: "300-400-5000 mm" is a size, not
    a number the model made up (the other kinds a unit says nothing of)."""
    return [f for f in found if f[2] != "PHONE" or not _measured(text, f[0], f[1])]


def _measured(text: str, start: int, end: int) -> bool:
    """Whether the number ``text[start:end]`` is a measurement: a unit follows it, and it is
    not written as only a phone number is ("Call +1 212-555-0123 cm today" gives a phone)."""
    if not _unit().match(text, end) or text[start] in "+(":
        return False
    return not _ONLY_A_PHONE.match(_NOT_DIGIT.sub("", text[start:end]))


def phone_shapes(
    text: str,
    found: list[tuple[int, int, str]],
    labelled: Labelled,
    links: Sequence[re.Match[str]],
) -> list[tuple[int, int, str]]:
    """Phone-shaped numbers that none of ``found`` covers, but not one ``labelled`` names as
    an order, part or other reference number ("your order 123-456-7890 has shipped") or as a
    code the shop issues (see :func:`find_labelled`); nor one a unit follows ("Size
    300/400/5000 px"); nor a run of the path of one of ``links`` (those :func:`find_links`
    finds in ``text``)."""
    covered = Marked(len(text), [(start, end) for start, end, _ in found])
    named = labelled.references | labelled.codes
    return [
        (m.start(), m.end(), "PHONE")
        for m in _PHONE_SHAPES.finditer(text)
        if not covered.covers(*m.span())
        and m.start() not in named
        and not _measured(text, *m.span())
        and not _in_path(text, *m.span(), links)
    ]


def _in_path(text: str, start: int, end: int, links: Sequence[re.Match[str]]) -> bool:
    """Whether a number with slashes is a run of a link's path ("https://maple.example.com/
    stores/212/555/0123"): inside one of ``links``, a slash right before or after it. The
    link is checked as a link, and the bot's own must come through whole. A slash beside a
    number makes no link by itself ("call 212/555/0123/ today" is a phone number)."""
    return (
        "/" in text[start:end]
        and "/" in text[max(start - 1, 0) : start] + text[end : end + 1]
        and any(link.start() <= start and end <= link.end() for link in links)
    )
