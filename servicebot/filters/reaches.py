"""Where a rule with two gaps can match, found before the rule is tried: at a verb within
reach of its object. :mod:`.injection` tries its long rules this way (see ``_REACHES`` there
and ``REACHES`` in :mod:`.injectionlanguages`): tried at every verb, such a rule took 110 ms
on "забудь все " * 10,000 + "инструкции"; tried only at the verbs that have an object within
reach, the same matches take a fraction of that.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator


def near(pattern: re.Pattern[str], starts: Iterator[int], text: str) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` when ``starts`` holds, in order, every position where a
    match can start: each is tried on the whole text, as finditer tries it, from where the
    last match ended. Where a rule's verb is common ("ignore " * 20,000), trying only the
    verbs near an object saves trying the gaps after every verb."""
    end = 0
    for start in starts:
        if start >= end and (match := pattern.match(text, start)):
            end = match.end()
            yield match


def starts(verb: str, thing: str, reach: int, text: str) -> Iterator[int]:
    """Where ``verb`` starts within ``reach`` characters before a ``thing``, in order. The
    stretches before things close together are searched as one ("инструкции " * 9,000)."""
    verbs, stretch = lookahead(verb), (0, 0)
    for found_thing in lookahead(thing).finditer(text):
        if found_thing.start() - reach > stretch[1]:
            yield from found(verbs, text, *stretch)
            stretch = (found_thing.start() - reach, found_thing.start())
        else:
            stretch = (stretch[0], found_thing.start())
    yield from found(verbs, text, *stretch)


def found(pattern: re.Pattern[str], text: str, start: int, end: int) -> Iterator[int]:
    """Where ``pattern`` matches from ``start`` up to ``end`` (a verb ends before the thing
    its rule reaches, so one cut at the thing loses no verb)."""
    return (match.start() for match in pattern.finditer(text, start, end))


@functools.cache
def lookahead(pattern: str) -> re.Pattern[str]:
    """``pattern`` found at every position it matches at, overlapping ones too."""
    return re.compile(f"(?={pattern})", re.MULTILINE)
