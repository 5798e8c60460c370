"""Where the PII detectors' matches may begin and end: not inside a longer token of ASCII
letters and digits (``ALNUM``), which ``starts_free`` checks before a match and ``glued`` after it.
Patterns read ASCII digits and letters only (``ASCII``, ``re.ASCII``). And where found
spans overlap (:class:`Marked`), for the PII detector's and the post-filter's choice between
them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Final

Spans = Iterator[tuple[int, int]]
ASCII: Final = re.ASCII
ALNUM: Final = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
ALNUM_PLUS: Final = ALNUM | {"+"}

# A text's shape, for the cheap checks that tell a detector its pattern cannot match: each
# ASCII letter read as "a", each ASCII digit as "0", a space, ".", "-" or ":" as itself, and
# any other byte as "~". Read off the UTF-8 bytes, where a character outside ASCII is bytes
# of 0x80 and up only, so two ASCII characters stand side by side in the shape exactly when
# they do in the text: a pattern of ASCII letters, digits and those marks (the PII patterns
# read no others) that is missing from the shape is missing from the text.
_SHAPE: Final = bytes(
    ord("a")
    if chr(b).isascii() and chr(b).isalpha()
    else ord("0")
    if chr(b) in "0123456789"
    else b
    if chr(b) in " .-:"
    else ord("~")
    for b in range(256)
)


def shape(text: str) -> bytes:
    """``text``'s shape (see ``_SHAPE``): one pass in C for all the checks made of it, where a
    regex scan of a 60-word message for each detector's digits took 1-2 us each."""
    return text.encode("utf-8", "surrogatepass").translate(_SHAPE)


def glued(text: str, end: int) -> bool:
    """Whether an ASCII letter or digit follows ``end``, so the match is part of a longer token."""
    return end < len(text) and text[end] in ALNUM


def starts_free(text: str, start: int, blocked: frozenset[str] = ALNUM) -> bool:
    """Whether the character before ``start`` (if any) lets a token begin there."""
    return start == 0 or text[start - 1] not in blocked


def matches_from(
    pattern: re.Pattern[str], text: str, anchor: re.Pattern[str]
) -> Iterator[re.Match[str]]:
    """What ``pattern.finditer(text)`` finds, for a ``pattern`` whose every match is
    non-empty and holds a character ``anchor`` matches with no space before the first one (an
    email's "@", a link's "." or "/"). Each search starts at the last space ahead of the next
    such character, as no match starts before it: a pattern with no first character for
    ``re`` to skip ahead to tried every position of the prose before it. A search sees the
    text before where it starts, as look-behinds read it, so it finds the match a search from
    the last one's end would."""
    position = 0
    while (found := anchor.search(text, position)) is not None:
        start = max(position, text.rfind(" ", position, found.start()) + 1)
        if (match := pattern.search(text, start)) is None:
            return
        yield match
        position = match.end()


class Marked:
    """The characters of a text that some spans cover: whether another span overlaps them or
    lies under them, at one mark a character. Linear in the text's size, where comparing
    each span with each other one was quadratic in their number (an answer of phone numbers
    and links took seconds)."""

    def __init__(self, size: int, spans: Iterable[tuple[int, int]] = ()) -> None:
        self._marks = bytearray(size)
        for start, end in spans:
            self._marks[start:end] = b"\x01" * (end - start)

    def take(self, start: int, end: int) -> bool:
        """Add ``start:end`` unless it overlaps a span already there; whether it was added."""
        if self.overlaps(start, end):
            return False
        self._marks[start:end] = b"\x01" * (end - start)
        return True

    def overlaps(self, start: int, end: int) -> bool:
        return self._marks.find(1, start, end) != -1

    def covers(self, start: int, end: int) -> bool:
        return self._marks.find(0, start, end) == -1


def blanked(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with ``spans`` (sorted, disjoint) written over in letters, positions unchanged:
    the digit groups of an IBAN are its account number, not a card or an ID, and reading
    them for one took most of the time a text full of IBANs does."""
    pieces: list[str] = []
    done = 0
    for start, end in spans:
        pieces += (text[done:start], "x" * (end - start))
        done = end
    return "".join([*pieces, text[done:]])
