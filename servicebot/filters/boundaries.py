"""Where the PII detectors' matches may begin and end: not inside a longer token of ASCII
letters and digits (``_ALNUM``), which ``_free`` checks before a match and ``_glued`` after it.
Patterns read ASCII digits and letters only (``_A``, ``re.ASCII``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

_Spans = Iterator[tuple[int, int]]
_A: Final = re.ASCII
_ALNUM: Final = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_ALNUM_PLUS: Final = _ALNUM | {"+"}


def _glued(text: str, end: int) -> bool:
    """Whether an ASCII letter or digit follows ``end``, so the match is part of a longer token."""
    return end < len(text) and text[end] in _ALNUM


def _free(text: str, start: int, blocked: frozenset[str] = _ALNUM) -> bool:
    """Whether the character before ``start`` (if any) lets a token begin there."""
    return start == 0 or text[start - 1] not in blocked
