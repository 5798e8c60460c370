"""The figures a text states: numbers (with their currency or percent sign), links and email
addresses. ``servicebot check`` compares a few-shot reply's with its intent's answer, since
the model copies few-shot replies: an answer edited from 30 days to 45 leaves a pair that
still says 30.

Figures are compared leniently, to warn only of a figure the answer surely lacks. A number is
its value, however written: "30-day" and "30 days", "5.00" and "5", "１,000" and "1000" are
one figure. A range, a time or a phone number ("3-5", "14:00", "800-555-0199") is quoted
whole but stated when each of its numbers is. Links and addresses are compared as written,
case aside. Placeholders ("[PHONE_1]") and numbers inside a word ("WELCOME10") state nothing.
Figures are quoted as normalised text has them (full-width "３０" as "30"). Not read: numbers
in words ("thirty days", 三十天), 12-hour times ("2pm" for "14:00") and links with no
scheme ("maple.example.com"), so a reply that words a figure differently from its answer
may be warned of.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from decimal import Decimal
from typing import NamedTuple

from .filters.normalise import CJK_LETTERS, normalise
from .filters.placeholders import PLACEHOLDER

# Figures are read in normalised text, where most full-width punctuation is ASCII: a link
# ends at a Chinese letter or mark ("…/orders：登录后" is "…/orders:登录后" there), and not on
# punctuation that ends a sentence or a bracket. Only the scheme is read in any case: none of
# these characters has a case, and re.IGNORECASE on the whole pattern made re fold every
# character of those classes when compiling it (6 ms of every `servicebot check`).
_NOT_IN_LINK = f"\\s<>\"'{CJK_LETTERS}。、，；：（）「」"
_LINK = re.compile(f"(?i:https?://)[^{_NOT_IN_LINK}]*[^{_NOT_IN_LINK}()\\[\\].,;:!?]")
_EMAIL = re.compile(r"[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+", re.IGNORECASE | re.ASCII)
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# Numbers joined into one figure: a range, a time, a date, a phone number's digit groups.
_FIGURE = re.compile(
    rf"(?<!\w)(?<!\d[.,])[+$¥€£]?(?:{_NUMBER})(?:[-~:/](?:{_NUMBER}))*%?(?![\d_])", re.ASCII
)
_PART = re.compile(_NUMBER, re.ASCII)
# The words after a figure that say what it counts: two English words or Chinese characters.
_WORD = re.compile(f"[{CJK_LETTERS}]|[^\\W\\d_{CJK_LETTERS}]+")
_WORDS_AFTER = 2
_REACH = 40  # characters after a figure read for them


class Figure(NamedTuple):
    """A figure as the text writes it, the values it states, and the words after it."""

    written: str
    values: frozenset[str]
    words: tuple[str, ...]


Phrase = tuple[frozenset[str], tuple[str, ...]]  # a figure's values and the words after it


def phrases(texts: Iterable[str]) -> set[Phrase]:
    """Every figure the texts state, with the words after it: what :func:`unstated` is told
    the bot's answers say elsewhere (computed once for all of them)."""
    return {(figure.values, figure.words) for text in texts for figure in figures(text)}


def unstated(
    reply: str, answer: str, also: Iterable[str] = (), elsewhere: Collection[Phrase] = ()
) -> list[str]:
    """The figures ``reply`` states that neither ``answer`` nor any of ``also`` does, as
    ``reply`` writes them, each once, in order.

    A figure stated elsewhere followed by the same words (``elsewhere``: "6-digit order" in
    another intent's answer) is a fact of the bot's, not one the answer was edited away from;
    unless ``answer`` has another figure before those words ("45 days of delivery" for the
    reply's "30 days of delivery"), which is just what an edit leaves.
    """
    said = figures(answer)
    stated = {value for text in also for figure in figures(text) for value in figure.values}
    stated |= {value for figure in said for value in figure.values}
    contrary = {figure.words for figure in said}
    found: list[str] = []
    for figure in figures(reply):
        if figure.values <= stated or figure.written in found:
            continue
        if (
            figure.words
            and figure.words not in contrary
            and (figure.values, figure.words) in elsewhere
        ):
            continue
        found.append(figure.written)
    return found


def figures(text: str) -> list[Figure]:
    """The figures in ``text``, in order, as normalised (full-width digits are ASCII). Links and
    addresses are read first, so that a number in one is not a figure of its own."""
    text = PLACEHOLDER.sub(lambda m: " " * len(m.group()), normalise(text).text)
    found = []
    for pattern in (_LINK, _EMAIL):
        found += [(m, frozenset({m.group().lower().rstrip("/")})) for m in pattern.finditer(text)]
        text = pattern.sub(lambda m: " " * len(m.group()), text)  # the places hold
    for m in _FIGURE.finditer(text):
        found.append((m, frozenset(_number(part) for part in _PART.findall(m.group()))))
    found.sort(key=lambda f: f[0].start())
    return [Figure(m.group(), values, _words_after(text, m.end())) for m, values in found]


def _number(written: str) -> str:
    """A number's value as text: "1,000.50" is "1000.5", "09" is "9"."""
    return format(Decimal(written.replace(",", "")).normalize(), "f")


def _words_after(text: str, end: int) -> tuple[str, ...]:
    words = _WORD.findall(text, end, end + _REACH)[:_WORDS_AFTER]
    return tuple(word.lower() for word in words)
