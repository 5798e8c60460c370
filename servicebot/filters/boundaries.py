"""Where the PII detectors' matches may begin and end: not inside a longer token of ASCII
letters and digits (``ALNUM``), which ``starts_free`` checks before a match and ``glued`` after it.
Patterns read ASCII digits and letters only (``ASCII``, ``re.ASCII``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

Spans = Iterator[tuple[int, int]]
ASCII: Final = re.ASCII
ALNUM: Final = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
ALNUM_PLUS: Final = ALNUM | {"+"}


def glued(text: str, end: int) -> bool:
    """Whether an ASCII letter or digit follows ``end``, so the match is part of a longer token."""
    return end < len(text) and text[end] in ALNUM


def starts_free(text: str, start: int, blocked: frozenset[str] = ALNUM) -> bool:
    """Whether the character before ``start`` (if any) lets a token begin there."""
    return start == 0 or text[start - 1] not in blocked
