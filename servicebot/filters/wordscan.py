"""One pass over a message for the words two detectors look for: the English labels (with the
password hints and number words that ride along: ``labelspans.LABEL_WORDS``) and the injection
rules' trigger words (``injection.WAKES``).

Both detectors read the same lower-cased text and each ran its own Aho-Corasick pass over it;
one automaton of both lists finds the same occurrences of each word (it reports every
occurrence of every word it holds, whatever else it holds), in one pass: 3-5 us of a 60-word
English message. The pre-filter scans once per message and hands each detector its part
(``labelled.find_labelled``'s ``label_hits``, ``injection.find_injection``'s ``triggered``);
nothing is kept from one message to the next.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from . import word_automaton
from .injection import ASCII_WAKES, WAKES
from .labelspans import LABEL_WORDS


class Words(NamedTuple):
    """What one pass found in a lower-cased message."""

    # (index of the last character, LABEL_WORDS' value) of each label word, in the order the
    # label pass yields them
    label_hits: list[tuple[int, int]]
    triggered: set[str]  # the injection rules whose trigger words it holds


def _both(wakes: dict[str, tuple[str, ...]]) -> dict[str, tuple[int | None, tuple[str, ...]]]:
    """Each word of ``LABEL_WORDS`` and ``wakes`` with its value in each (None, () if not in
    one: a word may be in both lists or in one)."""
    words = dict.fromkeys([*LABEL_WORDS, *wakes], (None, ()))
    return {word: (LABEL_WORDS.get(word), wakes.get(word, ())) for word in words}


_BOTH: Final = word_automaton(_both(WAKES))
# For ASCII text, the ASCII trigger words alone, as injection.py scans it (the labels' words
# are ASCII): fewer first characters to compare each character with.
_BOTH_ASCII: Final = word_automaton(_both(ASCII_WAKES))


def scan_words(lowered: str) -> Words:
    """The label words and triggered rules in ``lowered`` (``lower_in_place`` of the text the
    detectors read), in one pass."""
    automaton = _BOTH_ASCII if lowered.isascii() else _BOTH
    label_hits: list[tuple[int, int]] = []
    triggered: set[str] = set()
    for last, (label, names) in automaton.iter(lowered):
        if label is not None:
            label_hits.append((last, label))
        if names:
            triggered.update(names)
    return Words(label_hits, triggered)
