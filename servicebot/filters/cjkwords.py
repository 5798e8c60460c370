"""Listed words with CJK characters: substring matches, and how each was written.

Owns :class:`CjkMatcher`, which :class:`.profanity.ProfanityFilter` uses for the listed words
with a CJK character. They match as substrings of the text's letters and digits, so ``傻 逼``,
``傻*逼`` and ``傻\\u200b逼`` all match ``傻逼``. Allow-listed terms are blanked out first, so a
match inside one (``操`` inside ``操作``) or overlapping one is not reported. The scan is one
``re`` lookahead alternation whose positions are mapped back to the text.

The text is read folded to simplified Chinese (``prefilter``'s job), and listed words are
folded the same way, so that a word listed in simplified matches both scripts. Folding merges
characters, though: 幹 (the curse), 乾 (dry) and 干 (concern) all fold to 干, so 幹 listed
alone masked 餅乾 (biscuits), 洗乾淨 (wash clean) and 若干 (several). So a character listed
in *traditional* form must have been written as itself or as its own simplified form
(媽 as 媽 or 妈), which the customer's characters, given as a :class:`.normalise.Normalised`,
show. A character listed alone whose simplified form other characters share (幹: 干 is also
乾's and 榦's, and 干 itself means "concern") matches only as itself: 干 in simplified text
is far more often "dry" (干净) than the curse; a bot that means it lists 干, which then
matches every spelling, as a simplified word always has. Within a longer word the rest of it
tells (干你娘 is the curse in simplified), so there the simplified form matches too.

:func:`builtin_chinese_words` reads servicebot's own Chinese list (``profanity_zh.txt``
beside this module, whose header says how its entries were chosen), which bots use beside
better-profanity's English one unless ``prefilter.builtin_words`` leaves ``zh`` out, and
:func:`builtin_chinese_exceptions` the everyday words it ships as allowed (你老母亲), which
are allowed with it.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from servicebot.filters.normalise import CJK_LETTERS, Normalised
from servicebot.filters.traditional import char_class, fold_traditional, t2s_table

BUILTIN_FILE = Path(__file__).with_name("profanity_zh.txt")
_CJK = CJK_LETTERS + "\U00020000-\U0003134f"  # and the astral ideographs
INSIGNIFICANT = re.compile(r"[\W_]+")  # a CJK match is made of letters and digits only
_INSIGNIFICANT_RUNS = re.compile(r"([\W_]+)")
_SIGNIFICANT = re.compile(r"[^\W_]")

# A listed word as written: for each of its letters, the characters the text may have had
# there, or None where any that folds to it will do (a character not written in traditional).
_Spelling = tuple[frozenset[str] | None, ...]


# Where a listed word (folded) was found in the skeleton, the text's letters and digits.
_Match = tuple[int, int, str]  # start, end, word: a plain tuple (a dense text has 50,000)


@functools.cache
def has_cjk() -> re.Pattern[str]:
    """A CJK character. Compiled on first use (2 ms of every start): only building a filter
    reads it."""
    return re.compile(f"[{_CJK}]")


def builtin_chinese_words() -> tuple[str, ...]:
    """servicebot's own Chinese profanity list: a word a line, ``#`` starting a comment."""
    return _builtin_list()[0]


def builtin_chinese_exceptions() -> tuple[str, ...]:
    """The everyday words the list ships as exceptions (its lines starting with ``!``): a
    match inside or overlapping one is not masked, as with ``prefilter.allow_words``
    (丢你老母 in 弄丢你老母亲的包裹)."""
    return _builtin_list()[1]


@functools.cache
def _builtin_list() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(entries, exceptions) of ``profanity_zh.txt``, read once per process."""
    rows = BUILTIN_FILE.read_text(encoding="utf-8").splitlines()
    terms = [term for row in rows if (term := row.split("#", 1)[0].strip())]
    return (
        tuple(term for term in terms if not term.startswith("!")),
        tuple(term[1:].strip() for term in terms if term.startswith("!")),
    )


class CjkMatcher:
    """Substring matches over the text's letters and digits, after blanking allowed terms."""

    def __init__(self, words: list[tuple[str, int]], allow: set[str]) -> None:
        self._kinds: dict[str, int] = {}
        spellings: dict[str, list[_Spelling | None]] = {}
        for word, kind in words:
            listed = INSIGNIFICANT.sub("", word)
            folded = fold_traditional(listed)
            self._kinds.setdefault(folded, kind)
            spellings.setdefault(folded, []).append(_spelling(listed))
        self._kinds.pop("", None)
        # Words that must be checked against the customer's characters: those listed only in
        # traditional forms (one listed in simplified matches any spelling).
        self._spellings = {
            word: [s for s in listed if s is not None]
            for word, listed in spellings.items()
            if word and None not in listed
        }
        self.active = bool(self._kinds)
        self._probe = _probe(self._kinds)
        self._any = _alternation(self._kinds, "{}")
        self._words = _alternation(self._kinds, "(?=({}))")  # at every position: overlaps too
        by_length: dict[int, list[str]] = {}
        cjk_allowed = {fold_traditional(term) for term in allow if has_cjk().search(term)}
        for term in {INSIGNIFICANT.sub("", term) for term in cjk_allowed}:
            by_length.setdefault(len(term), []).append(term)
        self._allow = [  # longest first; a blanked character is never part of a finding
            (_alternation(terms, "{}"), "\x00" * length)
            for length, terms in sorted(by_length.items(), reverse=True)
        ]

    def find(self, text: str, source: Normalised | None = None) -> list[tuple[int, int, int]]:
        """Spans of listed words in ``text`` (normalised), with their kinds. ``source``: what
        ``text`` was normalised from, to check words listed in traditional against; without
        it any spelling matches."""
        if not self.active or text.isascii() or not self._probe.search(text):  # words are CJK
            return []
        skeleton = INSIGNIFICANT.sub("", text)
        lowered = skeleton.lower()
        skeleton = lowered if len(lowered) == len(skeleton) else skeleton
        first = self._any.search(skeleton)
        if first is None:
            return []
        for allowed, blank in self._allow:
            skeleton = allowed.sub(blank, skeleton)
        matches = self._matches(skeleton, first.start())
        if source and self._spellings and any(word in self._spellings for *_, word in matches):
            matches = self._as_written(matches, _Written(text, source))
        spans = _merged(matches, self._kinds)
        return _map_back(text, spans) if len(skeleton) < len(text) else spans

    def _matches(self, skeleton: str, position: int) -> list[_Match]:
        return [(*m.span(1), m.group(1)) for m in self._words.finditer(skeleton, position)]

    def _as_written(self, matches: list[_Match], written: _Written) -> list[_Match]:
        """The matches whose characters the customer wrote as a listed spelling has them."""
        return [
            (start, end, word)
            for start, end, word in matches
            if word not in self._spellings
            or any(written.spells(start, spelling) for spelling in self._spellings[word])
        ]


class _Written:
    """The characters the customer typed behind each letter or digit of a normalised text."""

    def __init__(self, text: str, source: Normalised) -> None:
        self._text, self._source = text, source

    @functools.cached_property
    def _positions(self) -> list[int]:
        """Where each letter or digit of the skeleton stands in the normalised text."""
        return [match.start() for match in _SIGNIFICANT.finditer(self._text)]

    def spells(self, start: int, spelling: _Spelling) -> bool:
        """Whether the skeleton's letters from ``start`` were typed as ``spelling`` allows."""
        for offset, allowed in enumerate(spelling):
            if allowed is not None and allowed.isdisjoint(self._typed(start + offset)):
                return False
        return True

    def _typed(self, position: int) -> str:
        """The typed characters behind skeleton letter ``position``, as NFKC reads them (a
        compatibility ideograph is its unified one)."""
        at = self._positions[position]
        begin, end = self._source.original_span(at, at + 1)
        return unicodedata.normalize("NFKC", self._source.original[begin:end])


def _spelling(listed: str) -> _Spelling | None:
    """What each letter of ``listed`` (a word without separators) may have been typed as; None
    if it has no character written in traditional, so that any spelling will do."""
    table = t2s_table()
    if not any(ord(c) in table for c in listed):
        return None
    return tuple(_typed_as(c, alone=len(listed) == 1) for c in listed)


def _typed_as(char: str, alone: bool) -> frozenset[str] | None:
    """What a listed ``char`` may have been typed as: itself, or its simplified form unless
    the character stands ``alone`` and other characters fold to that form too (see the
    module docstring); None for a character not written in traditional."""
    simple = t2s_table().get(ord(char))
    if simple is None:
        return None
    return frozenset({char} if alone and _shared(simple) else {char, simple})


@functools.cache
def _shared(simple: str) -> bool:
    """Whether several characters fold to ``simple`` (干: 乾, 幹 and 榦)."""
    return sum(folded == simple for folded in t2s_table().values()) > 1


def _probe(words: Iterable[str]) -> re.Pattern[str]:
    """What any text with a match of ``words`` (folded, without separators) holds: each
    word's first two characters with only separators between (the skeleton has them side by
    side), if every word starts with two CJK characters, which lower-casing leaves as they are;
    else any CJK character of a word. The pairs rule out a Chinese message of everyday 你, 的
    and 个 in one search, where the characters alone sent it through the skeleton (3 us)."""
    cjk = has_cjk()
    if all(len(word) > 1 and cjk.match(word) and cjk.match(word, 1) for word in words):
        pairs = sorted({f"{re.escape(word[0])}[\\W_]*{re.escape(word[1])}" for word in words})
        return re.compile("|".join(pairs))
    return re.compile(char_class(cjk.findall("".join(words))))


def _merged(matches: list[_Match], kinds: dict[str, int]) -> list[tuple[int, int, int]]:
    """Overlapping matches make one finding, of the first one's kind."""
    found: list[tuple[int, int, int]] = []
    for start, end, word in matches:
        if found and start < found[-1][1]:
            found[-1] = (found[-1][0], max(end, found[-1][1]), found[-1][2])
        else:
            found.append((start, end, kinds[word]))
    return found


def _alternation(words: Iterable[str], template: str) -> re.Pattern[str]:
    """Longest first, so that at any position the longest word wins."""
    body = "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))
    return re.compile(template.format(body))


def _map_back(text: str, spans: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Skeleton positions (letters and digits only) back to positions in ``text``."""
    parts = _INSIGNIFICANT_RUNS.split(text)  # kept characters at even indices
    ends = list(itertools.accumulate(map(len, parts)))
    kept = list(itertools.accumulate(map(len, parts[::2]), initial=0))

    def position(p: int) -> int:
        i = bisect.bisect_right(kept, p) - 1
        return (ends[2 * i - 1] if i else 0) + p - kept[i]

    return [(position(start), position(end - 1) + 1, kind) for start, end, kind in spans]
