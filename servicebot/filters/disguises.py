"""The detection copy of a message, with the disguises undone that attacks use to slip past
word rules: accents ("prévious"), Cyrillic and Greek letters that look Latin, leetspeak
("1gn0r3"), traditional Chinese characters and separators between them ("忽.略"), line breaks
inside a sentence, and underscores for spaces. :mod:`.injection` runs its rules on this copy
too when it differs from the lowered message. Attack words typed a letter at a time ("I g n o
r e") are found here too (:func:`find_spaced`): no word rule reads them.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from . import Finding
from .traditional import fold_traditional

# The detection copy undoes the usual disguises, one character for one so that it is cheap to
# tell whether anything changed: Cyrillic and Greek letters that look Latin, digits and
# symbols in leetspeak words ("1gn0r3"), traditional Chinese characters (as normalise folds
# them, for callers that pass text it has not seen).
_LOOKALIKE_LETTERS = "аеорсухіјѕԁɡοαεικνρτυχ"
_LOOKALIKES = str.maketrans(_LOOKALIKE_LETTERS, "aeopcyxijsdgoaeiknptux")
_LOOKALIKE = re.compile(f"[{_LOOKALIKE_LETTERS}]")  # translate only text that has one: 5 us saved
_LEET = str.maketrans("013457@$", "oieastas")
_LEET_HINT = re.compile(r"[013457@$](?:(?<=[a-z].)|(?=[a-z]))")  # a letter touches one
_WORD = re.compile(r"[\w@$]+")
# A line break inside a sentence, between two words ("ignore previous\ninstructions"), reads
# as a space: the rules look for their words within one sentence.
_WRAPPED = re.compile(r"(?<=[a-z,])[ \t]*\n[ \t]*(?=[a-z])")


@functools.cache
def _cjk_separated() -> re.Pattern[str]:
    """Spaces, dots and dashes between two Chinese characters. Compiled on first use: a range
    of ideographs takes re a millisecond to compile, and `servicebot check` reads no message.
    Found from the first separator, the ideograph checked behind it: a pattern that starts
    with a look-behind is tried at every character (5 us of a Chinese message of 100), one
    that starts with a set, at its few separators. The same matches: a run of separators
    between two ideographs, from its first (no ``_SEP`` is an ideograph)."""
    return re.compile(rf"{_SEP}(?<=[\u4e00-\u9fff]{_SEP}){_SEP}*(?=[\u4e00-\u9fff])")


_SEP = r"[\s.*\-_|/·•~]"


def undisguise(lowered: str, folded: bool = False) -> str:
    """The text with common disguises undone (see _LOOKALIKES, _WRAPPED); it may differ in
    length. ``folded``: ``lowered`` is ``normalise``'s text lower-cased, whose traditional
    characters are folded already."""
    if not lowered.isascii():
        if not unicodedata.is_normalized("NFKD", lowered):  # accents: "prévious"
            decomposed = unicodedata.normalize("NFKD", lowered)
            lowered = "".join(c for c in decomposed if not unicodedata.combining(c))
        if _LOOKALIKE.search(lowered):
            lowered = lowered.translate(_LOOKALIKES)
        # normalise's text has no character fold_traditional changes, and none of the steps
        # above makes one: lower-casing, or decomposing, a character it leaves (each NFKC
        # already) gives none (checked over every code point), and the look-alikes are ASCII.
        # So the fold would give the same text back (0.6 us of a Chinese message's search).
        lowered = _cjk_separated().sub("", lowered if folded else fold_traditional(lowered))
    if _LEET_HINT.search(lowered):
        lowered = _WORD.sub(_unleet, lowered)
    if "\n" in lowered:
        lowered = _WRAPPED.sub(" ", lowered)
    return lowered.replace("_", " ")


def _unleet(word: re.Match[str]) -> str:
    """ "1gn0r3" reads "ignore"; "100482" and "a4" stay as they are unless letters mix in."""
    text = word.group()
    return text.translate(_LEET) if _LEET_HINT.search(text) else text


# Four letters spaced out, found from the first gap: ``re`` skips to a gap in C, and gaps are
# rarer than letters.
_SPACED_HINT = re.compile(r"[ .\-_*](?<=[a-z].)[a-z][ .\-_*][a-z][ .\-_*][a-z]")
_SPACED_LETTERS = re.compile(r"(?<![a-z0-9])(?:[a-z][ .\-_*]){3,}[a-z](?![a-z0-9])")
_SPACED_ATTACK = re.compile(
    r"ignore|disregard|jailbreak|developermode|systemprompt|systemoverride|doanythingnow"
    r"|instructions"
)


def find_spaced(lowered: str) -> list[Finding]:
    """Attack words typed a letter at a time ("I g n o r e"), as ``disguised`` findings."""
    if not _SPACED_HINT.search(lowered):
        return []
    return [
        Finding(m.start(), m.end(), "disguised")
        for m in _SPACED_LETTERS.finditer(lowered)
        if _SPACED_ATTACK.search(m.group().translate(_GAPS_OUT))
    ]


# What a run of _SPACED_LETTERS holds but its letters: taken out by one translate in C, where
# re.sub(r"[^a-z]", ...) made a replacement per gap (3 ms of "x " * 50,000).
_GAPS_OUT = str.maketrans("", "", " .-_*")
