"""What runs on from a value the customer named, past its end: "身份证 110101199003077751-1",
"passport E12345678-A", "SSN 536221234/2". ``labelled.py`` masks it with the value, so that
no "-1" is left after the placeholder.

Owns :func:`run_on_end`. Its patterns are linear-time: they read where a value ends, at most
three bounded pieces after a value with letters, and once without going back (a possessive
run) after one of digits.
"""

from __future__ import annotations

import functools
import re
from typing import Final

from .normalise import CJK_LETTERS

_LETTER: Final = re.compile("[A-Za-z]")

# What runs on from a whole value, joined to it by a hyphen or a slash ("身份证
# 110101199003077751-1", "passport E12345678-A", "SSN 536221234/2") or by a dot before a digit
# ("536-22-1234.12"), is masked with it: the value is still the one the customer named, typed
# with a character too many or given a suffix, and masked alone it would leave "-1" after the
# placeholder. It is taken whole or not at all ("电话 13812345678/8-10点" keeps "/8-10点").
# A suffix is a piece with a digit or one letter ("-A", "-B2"): a longer piece of letters
# alone is a word ("passport E12345678/visa", "-ext"), and stays. After a value of digits
# only, what runs on is digits too: "电话 9123 4567/WhatsApp", "card .../cvv 123" and "phone
# 91234567/9am-5pm" keep their words. A date glued on ("passport E12345678-2024-03-15",
# "/15.03.2024") is when, not more of the value, and stays; a suffix before such a word or date
# goes with the value ("E12345678-A/visa"). After a value of digits only, a date is one with a
# four-digit year: two-digit groups glued on ("SSN 536221234-01-02-03") may as well be more of
# the number the customer typed, and its whole run of groups is masked with it, however long.
# A piece glued to a Chinese word is a time, date or place ("电话 13812345678/9点以后",
# "-3号楼") and stays too. A dot before a letter ends a sentence or starts a file's extension
# ("110101199003077751.Thanks", "E12345678.pdf"), and a space or comma ends the value (", sent
# 2024-03-15", " $12.50"): these stay. After a value with letters, at most three pieces of 16
# characters, read once where a value ends, so that the scan stays linear; after digits, the
# run is read once without going back. A piece too long is left whole.


def _glued_date(year: str) -> str:
    """A date glued on, year first or last (-2024-03-15, /15.03.2024), and no more digits
    after it; ``year``: what a year at its end may be."""
    return (
        r"[-/.](?:(?:19|20)[0-9]{2}[-/.][01]?[0-9][-/.][0-3]?[0-9]"
        rf"|[0-3]?[0-9][-/.][0-3]?[0-9][-/.]{year})(?![0-9A-Za-z]|[-/.][0-9])"
    )


_DATE: Final = _glued_date(r"(?:19|20)?[0-9]{2}")
_FULL_DATE: Final = _glued_date(r"(?:19|20)[0-9]{2}")  # after digits, no "-01-02-03"
_WORD: Final = r"[-/][A-Za-z]{2,16}(?![0-9A-Za-z])"


def _ends_run_on(date: str) -> str:
    """Where what runs on from a value ends: before a glued ``date`` or word, or where no
    letter, digit or piece follows."""
    return f"(?:(?={date}|{_WORD})|(?![0-9A-Za-z{CJK_LETTERS}]|[-/][0-9A-Za-z{CJK_LETTERS}]))"


_SUFFIX: Final = (  # with a digit, or one letter alone
    r"(?:[-/.][0-9]|[-/][A-Za-z](?=[A-Za-z]{0,14}[0-9]))[0-9A-Za-z]{0,15}"
    r"|[-/][A-Za-z](?![0-9A-Za-z])"
)


@functools.cache
def _run_on(letters: bool) -> re.Pattern[str]:
    """What runs on from a value, with ``letters`` or of digits only. Compiled on first use:
    the two took 4.5 ms of every start (`servicebot check` never masks a value)."""
    if letters:
        return re.compile(rf"(?:(?!{_DATE}){_SUFFIX}){{0,3}}{_ends_run_on(_DATE)}", re.ASCII)
    piece = rf"(?!{_FULL_DATE})[-/.][0-9]{{1,16}}"
    return re.compile(rf"(?:{piece})*+{_ends_run_on(_FULL_DATE)}", re.ASCII)


def run_on_end(text: str, value: str, end: int) -> int:
    """Where ``value``, which ends at ``end``, ends with what runs on from it (``_run_on``)."""
    run_on = _run_on(_LETTER.search(value) is not None).match(text, end)
    return run_on.end() if run_on else end  # "cvv 123abc": the value alone, as it was read
