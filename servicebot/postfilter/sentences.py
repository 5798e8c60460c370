"""Sentences: where an answer's sentences end, to cut it at one.

A stream shows an answer sentence by sentence; an answer broken off at the token limit, or
longer than ``max_chars`` (or ``max_bytes``: see :func:`chars_within`), is cut after its last
whole sentence.
"""

from __future__ import annotations

import re

from ..filters.placeholders import PLACEHOLDER

# A dot after a title or a Latin abbreviation ends no sentence: "Mr. Smith", "e.g. a receipt".
# One look-behind per length (re's must each have one width), after the stop is read: the
# pattern starts with a set, so that re skips ahead to a stop in C.
_TITLES = ("Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Jr", "Sr", "vs", "e.g", "i.e")
_NOT_A_TITLE = "".join(
    f"(?<!\\b(?:{'|'.join(re.escape(t) for t in _TITLES if len(t) == size)})\\.)"
    for size in sorted({len(title) for title in _TITLES})
)
_SENTENCE_END = re.compile(f"[.!?]{_NOT_A_TITLE}(?=\\s|$)|[。！？]")
# A sentence that is surely over, whatever comes next: an ASCII stop with a space or line break
# after it ("800." may go on "-555", "$5." as "$5.99"), or a Chinese one; a 。 after a letter or
# digit only before what no address goes on with ("help@maple-pay。" may go on "com", as 。
# stands for a dot in one; "30天。iPhone" ends a sentence). A stream shows an answer up to
# these, and an answer broken off at the token limit is cut after the last one.
_SENTENCE_OVER = re.compile(
    f"[.!?…]{_NOT_A_TITLE}(?=\\s)|[！？]|。(?:(?<![A-Za-z0-9-]。)|(?=[^A-Za-z0-9-]))"
)


def whole_sentences(text: str) -> str:
    """``text`` up to the end of its last whole sentence: an answer the model broke off at
    its token limit ends mid-sentence ("... takes up to 5 busin")."""
    return text if text.endswith("。") else text[: last_sentence_end(text)]


def last_sentence_end(text: str, start: int = 0) -> int:
    """Where the last whole sentence of ``text`` that ends after ``start`` ends (0: none)."""
    return max(sentence_ends(text, start), default=0)


def sentence_ends(text: str, start: int = 0) -> list[int]:
    """Where the whole sentences of ``text`` that end after ``start`` end, in order."""
    return [m.end() for m in _SENTENCE_OVER.finditer(text, start)]


def cut_point(text: str, limit: int) -> int:
    """Where to cut ``text`` to at most ``limit`` characters: after its last whole sentence,
    else at its last space in the second half of the limit (Chinese has none: at the limit,
    or before the placeholder the limit falls in)."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text) if m.end() <= limit]
    if ends:
        return ends[-1]
    head = text[: limit + 1]
    space = max(head.rfind(" "), head.rfind("\n"))
    if space > limit // 2:
        return space
    # Not inside a placeholder: "[PHO" would be restored to nothing, and shown as it is.
    start = text.rfind("[", 0, limit)
    placeholder = PLACEHOLDER.match(text, start) if start >= 0 else None
    return start if placeholder and placeholder.end() > limit else limit


def chars_within(text: str, max_chars: int, max_bytes: int | None = None) -> int:
    """How many characters of ``text`` may be shown: ``max_chars``, or fewer when its start
    that long is more than ``max_bytes`` bytes of UTF-8 (a chat platform's limit: WeChat's
    customer-service message is 2,048 bytes, about 680 Chinese characters). Counted in whole
    characters, so a cut there never splits one; a lone surrogate counts as the 3 bytes of
    the U+FFFD it is sent as."""
    if max_bytes is None or len(text) * 4 <= max_bytes:
        return max_chars
    if text.isascii():  # most answers: a byte a character
        return min(max_chars, max_bytes)
    size = 0
    for index, char in enumerate(text[:max_chars]):
        size += 1 if char < "\x80" else 2 if char < "\u0800" else 3 if char < "\U00010000" else 4
        if size > max_bytes:
            return index
    return max_chars
