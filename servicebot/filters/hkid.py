"""Hong Kong identity card numbers (HKID): a letter or two, six digits and a check digit,
written in brackets on the card (A123456(3)), and typed in square ones too (A123456[3]), as
forms and validators take it.

Shared by ``pii.py``, which finds an unnamed one only in the card's bracketed form with its
check digit right, and ``labels.py``, which takes one the customer names (HKID, 香港身份證,
身份證) whatever its check digit, brackets or not. A product code of the bracketed shape
passes the check one time in eleven; without brackets (AB123456, A1234567) the shape is a
part number's, a booking reference's or a Taiwan residence permit's, so it needs the label.

The check: the letters' values (A=10 ... Z=35, a single letter led by a space, 36), then the
six digits, weighted 9 down to 2, and the check digit (A=10) sum to a multiple of 11.
"""

from __future__ import annotations

import re
from typing import Final

from .boundaries import Spans, starts_free

# Found from its digits, the letters checked behind them: a pattern that starts with a letter
# is tried at every letter of a message, one that starts with a digit at its few digits.
_BRACKETED: Final = re.compile(
    r"[0-9](?<=[A-Za-z][0-9])[0-9]{5}(?:\([0-9Aa]\)|\[[0-9Aa]\])", re.ASCII
)
# The shape's bytes in ``boundaries.shape``: "(", ")", "[" and "]" read as "~".
SHAPED: Final = (b"a000000~0~", b"a000000~a~")
_SPACE: Final = 36  # the value of the space before a single letter
_NO_BRACKETS: Final = str.maketrans("", "", "()[]")


def hkid_spans(text: str) -> Spans:
    """Bracketed HKIDs in ``text`` whose check digit is right."""
    for match in _BRACKETED.finditer(text):
        start = match.start() - 1
        if start > 0 and text[start - 1].isascii() and text[start - 1].isalpha():
            start -= 1  # two letters
        if starts_free(text, start) and check_digit_ok(text[start : match.end()]):
            yield start, match.end()


def check_digit_ok(value: str) -> bool:
    """Whether the HKID ``value`` (A123456(3), A123456[3], AB9876543) has its check digit right."""
    plain = value.upper().translate(_NO_BRACKETS)
    letters, digits, check = plain[:-7], plain[-7:-1], plain[-1]
    codes = [_SPACE] * (2 - len(letters)) + [ord(c) - ord("A") + 10 for c in letters]
    total = sum(v * w for v, w in zip([*codes, *map(int, digits)], range(9, 1, -1), strict=True))
    return (total + (10 if check == "A" else int(check))) % 11 == 0
