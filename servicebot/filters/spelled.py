"""Values written without their digits: in words ("four one five, five five five"), in Chinese
numerals (幺三八零零一三八零零零, 壹叁捌...), or one character at a time ("1 3 8 0 0 1 3 8 0 0 0",
"j o h n @ g m a i l . c o m").

A sentence of number words is ordinary text ("one or two items", 三五天, 一两个, 十一月), so a
spelled value is read only where a label names it (:func:`spelled_value`, called by
``labelled.py``), or where a run is too long to be anything else: eleven Chinese digits or more
in a row, or single digits or letters set apart by spaces that make a mainland mobile, an ID, a
card or an email address (:func:`spelled_spans`, called by ``pii.find_pii``). Only digit-by-digit
writing is read: 十, 百 and "hundred" make amounts, not numbers that identify anyone.

Every regex is linear-time: a run's pattern is bounded, and a pattern that may fail inside a
run checks first that it is at the run's start.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from typing import Final

from . import word_automaton
from .boundaries import ASCII, glued
from .numbers import find_numbers

# 幺 is how a 1 is read out in a phone number; 壹贰叁... are the numerals of cheques and
# receipts; 〇 and 零 both zero. 两 is left out: it counts ("两个"), it does not spell.
_CHINESE_DIGITS: Final = {
    **dict.fromkeys("零〇", "0"),
    **dict.fromkeys("一幺壹", "1"),
    **dict.fromkeys("二贰貳", "2"),
    **dict.fromkeys("三叁參", "3"),
    **dict.fromkeys("四肆", "4"),
    **dict.fromkeys("五伍", "5"),
    **dict.fromkeys("六陆陸", "6"),
    **dict.fromkeys("七柒", "7"),
    **dict.fromkeys("八捌", "8"),
    **dict.fromkeys("九玖", "9"),
}
_ENGLISH_DIGITS: Final = {
    word: str(n)
    for n, words in enumerate(
        ("zero oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    )
    for word in words.split()
}
NUMBER_WORDS: Final = tuple(_ENGLISH_DIGITS)  # the words HINT finds in ASCII text
_DIGIT_OF: Final = {**_CHINESE_DIGITS, **_ENGLISH_DIGITS, **{str(n): str(n) for n in range(10)}}
_HAN: Final = "".join(_CHINESE_DIGITS)
_WORDS: Final = "|".join(sorted(_ENGLISH_DIGITS, key=len, reverse=True))
# One digit: an ASCII digit, a Chinese numeral, or an English word (in the lower-cased text)
# that ends a word. Between digits: nothing, a space or two, or a comma or hyphen with spaces
# around it; an English word needs one of those before the next (no "fourone").
_TOKEN: Final = rf"[0-9{_HAN}]|(?:{_WORDS})(?![a-z])"
_GAP: Final = r"(?:[ \t]*[,-][ \t]*|[ \t]{1,2})?"
_MOST_DIGITS: Final = 20  # a card has 19; more is some other run
_SPELLED: Final = re.compile(
    rf"(?:{_TOKEN})(?:{_GAP}(?:{_TOKEN})){{0,{_MOST_DIGITS}}}(?:{_GAP}x(?![a-z]))?"
)
_PIECE: Final = re.compile(rf"{_TOKEN}|x")
_RUNS_ON: Final = re.compile(rf"{_GAP}(?:{_TOKEN})")
# A message holds a spelled digit: read it for labels although it has no ASCII digit.
HINT: Final = re.compile(rf"[{_HAN}]|(?<![a-z])(?:{_WORDS})(?![a-z])")
# What every match of HINT holds, with its length: one pass in C over a message tells that most
# have none, where HINT tries its look-behind at every character (6 us of a 135-character
# message; 0.8), and the few words it finds are checked for HINT's word ends in place of it.
_HINT_WORDS: Final = word_automaton({word: len(word) for word in (*_ENGLISH_DIGITS, *_HAN)})
_LETTERS: Final = frozenset("abcdefghijklmnopqrstuvwxyz")  # HINT's [a-z]
_MOST_CHECKED: Final = 8  # words checked one by one; past them, HINT searches on in C


def spells_a_digit(lowered: str, start: int = 0, end: int | None = None) -> bool:
    """Whether the lower-cased ``lowered`` holds a spelled digit (``HINT``) from ``start`` to
    ``end``: a Chinese numeral, or a number word standing as a word of its own."""
    stop = len(lowered) if end is None else min(end, len(lowered))
    # Each word is checked as HINT checks it: a numeral (one character) as it is, a number
    # word with no letter before it (looked at before ``start`` too) and none after it but
    # before ``stop``. "phone" holds "one", and HINT searched the rest of the message after
    # it, in a third of messages with no digit (11 us of a 60-word one): a few are read here.
    for checked, (last, length) in enumerate(_HINT_WORDS.iter(lowered, start, stop)):
        if checked == _MOST_CHECKED:
            return HINT.search(lowered, start, stop) is not None
        if length == 1 or (
            lowered[last - length : last + 1 - length] not in _LETTERS
            and lowered[last + 1 : min(last + 2, stop)] not in _LETTERS
        ):
            return True
    return False


def hint_starts(lowered: str) -> list[int]:
    """Where each word of ``_HINT_WORDS`` that may start a spelled digit stands in ``lowered``
    (a numeral, or a number word with no letter before it; its end not checked), in order.
    Every word :func:`spells_a_digit` accepts is one of these, so it finds none in a window
    where none starts: one pass in C for a message whose labels each ask (in a flood of 电话
    before a digit, 25,000 labels asked, 6 us each)."""
    return sorted(
        {
            last + 1 - length
            for last, length in _HINT_WORDS.iter(lowered)
            if length == 1 or lowered[last - length : last + 1 - length] not in _LETTERS
        }
    )


def spelled_value(lowered: str, start: int) -> tuple[int, str] | None:
    """Where a value spelled digit by digit at ``start`` of the lower-cased text ends, and its
    digits ("four one five, five five five" gives "415555"; a closing X of an ID is kept).
    None if it has no spelled digit (typed digits are read as they are) or runs on."""
    run = _SPELLED.match(lowered, start)
    if run is None or not run[0].strip("0123456789 \t,-x"):
        return None
    if _RUNS_ON.match(lowered, run.end()):
        return None  # more than _MOST_DIGITS: a longer run, not this value
    pieces = _PIECE.findall(lowered, start, run.end())
    return run.end(), "".join(_DIGIT_OF.get(piece, "X") for piece in pieces)


# Unnamed values. Eleven Chinese digits or more in a row, or single digits each set apart by a
# space (eleven: a mainland mobile): a set first lets ``re`` skip ahead in C, and the
# look-behind turns back an attempt from inside a run at once.
_HAN_RUN: Final = re.compile(rf"[{_HAN}](?<![{_HAN}].)[{_HAN}]{{10,}}")
_SPACED_DIGITS: Final = re.compile(
    r"[0-9](?<![0-9A-Za-z].)(?<![0-9] .)(?: [0-9]){10,18}(?! [0-9])", ASCII
)
_ELEVEN_SPACED: Final = b" ".join([b"0"] * 11)  # in boundaries.shape, as _SPACED_DIGITS needs
_MOBILE: Final = re.compile(r"(?:86)?1[3-9][0-9]{9}", ASCII)
# An address typed letter by letter: single characters each set apart by one space, from a
# character after none of them (not "t o" inside "to j o h n ..."), to the last one that
# ends a word; a dot may close the sentence after it. Checked whole, spaces taken out.
_ONE: Final = "[A-Za-z0-9._+@-]"
_SPACED_RUN: Final = re.compile(
    rf"{_ONE}(?<!{_ONE}.)(?<! {_ONE} .)(?<!^{_ONE} .)(?: {_ONE}(?![A-Za-z0-9_+@-])){{5,}}", ASCII
)
_SPACED_ADDRESS: Final = re.compile(
    r"[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,63}", ASCII
)


def spelled_spans(
    text: str, kinds: Collection[str], shaped: bytes
) -> Iterator[tuple[int, int, str]]:
    """Values of ``kinds`` that no label names, spelled so long they can be nothing else: a
    mobile, ID or card in a run of Chinese digits or of spaced digits, an email address typed
    letter by letter. ``shaped``: ``text``'s ``boundaries.shape``, which ``pii.find_pii``
    has made for its own checks."""
    # A run of Chinese digits is no ASCII, a run of spaced digits is eleven digits or more
    # with a space after each but the last: most messages lack one of them, and a check in C
    # skips the search through the message for it (1 us of a 60-word English message for the
    # Chinese run's, 2 us for the spaced one's, which a space alone did not skip).
    digits_spaced = _ELEVEN_SPACED in shaped
    patterns = (() if text.isascii() else (_HAN_RUN,)) + (
        (_SPACED_DIGITS,) if digits_spaced else ()
    )
    for pattern in patterns:
        for run in pattern.finditer(text):
            if run.end() - run.start() > 2 * _MOST_DIGITS:  # no card, ID or phone is longer
                continue
            kind = _number_kind("".join(_DIGIT_OF.get(c, "") for c in run[0]), kinds)
            if kind and not glued(text, run.end()):
                yield run.start(), run.end(), kind
    if "EMAIL" in kinds and " @ " in text:
        for spaced in _SPACED_RUN.finditer(text):
            end = spaced.end() - 2 if spaced[0].endswith(" .") else spaced.end()
            if _SPACED_ADDRESS.fullmatch(text[spaced.start() : end].replace(" ", "")):
                yield spaced.start(), end, "EMAIL"


def _number_kind(digits: str, kinds: Collection[str]) -> str | None:
    """The kind a whole run of ``digits`` is: a mainland mobile, or a card or ID by its check."""
    if "PHONE" in kinds and _MOBILE.fullmatch(digits):
        return "PHONE"
    found = [kind for start, end, kind in find_numbers(digits, kinds) if end - start == len(digits)]
    return found[0] if found else None
