"""Profanity: better-profanity 0.7.0's verdicts and censored output, fast; plus CJK word lists.

Owns :class:`ProfanityFilter` and the cached :func:`default_filter`. Two matchers sit behind it:

- **Listed words without CJK characters** follow better-profanity exactly. A *word* is a run of
  its word characters (ASCII letters and digits, ``@ $ * " '`` and ``alphabetic_unicode.json``);
  everything else separates words. A word is profane if its lower-case form reads as a listed
  word through the leetspeak table (``4`` for ``a``, ``*`` for any vowel, ...). Before that, the
  word joined to up to ``window`` following words, with or without the separators between
  them, is tried (``H4nd j0b``, ``2 girls 1 cup``); the shortest such phrase wins and is censored
  as one. ``window`` is the most non-word characters in a listed word. Its quirks are kept: a
  text whose first word starts at its last character is never censored, and a one-character
  word at the very end never joins a phrase. An allow-listed word is dropped from the list.
- **Listed words with CJK characters** match as substrings of the text's letters and digits, so
  ``傻 逼``, ``傻*逼`` and ``傻\\u200b逼`` all match ``傻逼``. Allow-listed terms are blanked out
  first, so a match inside one (``操`` inside ``操作``) or overlapping one is not reported.
  A character listed in traditional must have been typed as itself or its own simplified
  form, not as another that folds to the same one (see :mod:`.cjkwords`).

Deliberate differences from better-profanity: a number alone is never a word (its leetspeak
reads 455 as "ass", so a refund of 455 yuan was censored), nor is a product such as ``7*7``
(read as "t*t"), nor does a number start a phrase unless a listed word starts with it as
written (``size 7. It`` read as "tit", ``4 Ryan`` as "aryan"; ``2 girls 1 cup`` is
listed), an empty list censors nothing (it falls back to its default list), and words
added to the default list obey the allow-list and widen the phrase window (its
``add_censor_words`` does neither).

Why this is hand-written: better-profanity compares every word of the text with every listed
word through a Python ``__eq__`` (about 1 ms a word of text), and no library reproduces its
tokenisation and phrase window, which its censored output depends on. Here set lookups of
leetspeak-folded words, done mostly in C, pick the few words that could match; only those walk a
trie of the listed words. The CJK scan is one ``re`` lookahead alternation whose positions
are mapped back to the text. Input should already be normalised (NFKC, full-width folded,
traditional Chinese made simplified): that is ``prefilter``'s job. Listed CJK words are folded
the same way, so a list written in traditional characters still matches. The word list and
word characters are read from the installed better-profanity at run time.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources

from servicebot.filters import Finding
from servicebot.filters.cjkwords import CjkMatcher, has_cjk
from servicebot.filters.normalise import Normalised, translate_ascii
from servicebot.filters.traditional import ASTRAL, char_class

DEFAULT_KIND = "profanity"
"""The category of better-profanity's own word list."""

# better_profanity 0.7.0 Profanity.CHARS_MAPPING: each listed letter may be written as these.
_LEET = {
    "a": "a@*4",
    "i": "i*l1",
    "o": "o*0@",
    "u": "u*v",
    "v": "v*u",
    "l": "l1",
    "e": "e*3",
    "s": "s$5",
    "t": "t7",
}
# better_profanity.constants.ALLOWED_CHARACTERS, less the alphabetic_unicode.json part.
_ASCII_WORD_CHARS = string.ascii_letters + string.digits + "@$*\"'"


def is_number(word: str) -> bool:
    """Whether a listed word is a number or a product of numbers (``87``, ``7*7``), which is
    never a word of a text (see the module docstring), so that listing it finds nothing."""
    return bool(word) and not word.strip(_NUMBER_CHARS)


def better_profanity_words() -> list[str]:
    """better-profanity's own word list, read from the installed package."""
    text = _package_text("profanity_wordlist.txt")
    return [row.strip() for row in text.split("\n") if row.strip()]


@functools.cache
def default_filter() -> ProfanityFilter:
    """better-profanity's word list as one ``profanity`` category; built on first use."""
    return ProfanityFilter()


class ProfanityFilter:
    """Finds and censors listed words; built once, then safe to share between threads."""

    def __init__(
        self, categories: Mapping[str, Iterable[str]] | None = None, allow: Iterable[str] = ()
    ) -> None:
        """``categories`` maps a kind to its words (default: better-profanity's list)."""
        if categories is None:
            categories = {DEFAULT_KIND: better_profanity_words()}
        allowed = {term.lower() for term in allow}
        self._kinds = list(categories)
        words: list[tuple[str, int]] = []
        for kind, listed in enumerate(categories.values()):
            words += [(word.lower(), kind) for word in listed if word.lower() not in allowed]
        self._words = _WordMatcher([(w, k) for w, k in words if w and not has_cjk().search(w)])
        self._cjk = CjkMatcher([(w, k) for w, k in words if has_cjk().search(w)], allowed)

    def find(self, text: str, source: Normalised | None = None) -> list[Finding]:
        """Non-overlapping listed words in ``text``, in order; ``kind`` is their category.
        ``source``: what ``text`` was normalised from, which shows how the customer wrote a
        Chinese word listed in traditional (see :mod:`.cjkwords`)."""
        spans = self._words.find(text)
        # CjkMatcher.find returns [] at once for an ASCII text or no CJK words listed.
        if cjk := self._cjk.find(text, source):
            spans = _without_overlaps(sorted(spans + cjk))
        return [Finding(start, end, self._kinds[kind]) for start, end, kind in spans]

    def contains(self, text: str) -> bool:
        """True if :meth:`censor` would change ``text`` (better-profanity's definition)."""
        return any(text[f.start : f.end] != "****" for f in self.find(text))

    def censor(self, text: str, char: str = "*") -> str:
        """``text`` with each finding replaced by four ``char``, as better-profanity does."""
        parts, position = [], 0
        for finding in self.find(text):
            parts += [text[position : finding.start], char * 4]
            position = finding.end
        parts.append(text[position:])
        return "".join(parts)


def _package_text(name: str) -> str:
    return resources.files("better_profanity").joinpath(name).read_text(encoding="utf-8")


def _without_overlaps(spans: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    kept: list[tuple[int, int, int]] = []
    for span in spans:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def _leet_classes() -> dict[int, str]:
    """Translate table folding characters that can stand for each other, ``*`` aside."""
    parent: dict[str, str] = {}

    def root(c: str) -> str:
        while parent.get(c, c) != c:
            c = parent[c]
        return c

    for letter, spellings in _LEET.items():
        for c in spellings.replace("*", ""):
            parent[root(c)] = root(letter)
    return str.maketrans({c: root(c) for c in parent})


# A text character stands for itself and for every listed letter it is a spelling of.
_READS_AS = {
    c: c + "".join(letter for letter, spellings in _LEET.items() if c in spellings and c != letter)
    for c in set("".join(_LEET.values()))
}
_FOLD = _leet_classes()
_FOLD_ASCII = bytes.maketrans(  # the same for translate_ascii: _FOLD maps ASCII to ASCII
    bytes(_FOLD), "".join(map(str, _FOLD.values())).encode("ascii")
)
_NUMBER_CHARS = "0123456789*"  # a word of these alone is a number or a product of them
# Coarser, for text with "*" in it: "*" and every class it can stand for become "*".
_STAR_CLASSES = {_FOLD[ord(c)] for c in _READS_AS["*"] if c != "*"}
_VAGUE = {c: "*" if f in _STAR_CLASSES else f for c, f in _FOLD.items()} | {ord("*"): "*"}


@functools.cache
def _word_chars() -> frozenset[str]:
    unicode_letters: list[str] = json.loads(_package_text("alphabetic_unicode.json"))
    return frozenset(unicode_letters) | frozenset(_ASCII_WORD_CHARS)


_Memo = dict[str, tuple[int, int] | None]


@dataclass(slots=True)
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    kind: int | None = None  # the first category listing the word that ends here


class _Words:
    """A text split into better-profanity's words and separators, lower-cased and folded."""

    def __init__(self, text: str, split: re.Pattern[str]) -> None:
        self.text = text
        if text.isascii():
            # Lower-casing and folding ASCII turn each character into one character, a word
            # character into a word character and leave the others be, so the folded text
            # splits where the text does, into the parts folded: one split, where splitting,
            # joining, folding and splitting again built each part twice. The parts as
            # typed are cut from the text only if a word may match (see ``parts``).
            self.folded = split.split(translate_ascii(text.lower(), _FOLD_ASCII))
            self._typed: list[str] | None = None
            return
        self._typed = parts = split.split(text)
        if "\x00" in text:
            self.folded = [part.lower().translate(_FOLD) for part in parts]
        else:  # the same, in four C calls: lower() never makes or removes a NUL
            self.folded = translate_ascii("\x00".join(parts).lower(), _FOLD_ASCII).split("\x00")

    @functools.cached_property
    def parts(self) -> list[str]:
        """The separators (at even indices) and words (at odd ones) as typed."""
        if self._typed is not None:
            return self._typed
        ends = self.offsets  # of ASCII text, whose parts are as long as folded
        return [self.text[start:end] for start, end in zip([0, *ends], ends, strict=False)]

    @functools.cached_property
    def offsets(self) -> list[int]:
        """Where each part ends: word ``k`` is ``text[offsets[2k] : offsets[2k + 1]]``."""
        parts = self.folded if self._typed is None else self._typed
        return list(itertools.accumulate(map(len, parts)))

    def starts_late(self) -> bool:
        """Whether the text has no word, or its first starts at its last character."""
        parts = self.folded if self._typed is None else self._typed
        return len(parts) == 1 or len(parts[0]) >= len(self.text) - 1

    def span(self, k: int) -> tuple[int, int]:
        return self.offsets[2 * k], self.offsets[2 * k + 1]


class _WordMatcher:
    """better-profanity's word and phrase semantics over a trie of the listed words."""

    def __init__(self, words: list[tuple[str, int]]) -> None:
        word_chars = _word_chars()
        # A class with astral ranges is checked range by range; most texts need only the BMP.
        basic = char_class(c for c in word_chars if ord(c) <= 0xFFFF)
        self._split_bmp = re.compile(f"({basic}+)")
        self._split_all = re.compile(f"({char_class(word_chars)}+)")
        self._root = _Node()
        self._whole: set[str] = set()  # listed words, folded
        self._starts: set[str] = set()  # and every prefix of them
        self._vague_starts: set[str] = set()  # the same, vowels and "*" folded into "*"
        self._before_gaps: set[str] = set()  # every folded prefix followed by a non-word char
        self.window = 1
        for word, kind in words:
            self._add(word, kind)
            self.window = max(self.window, sum(c not in word_chars for c in word))
            folded = word.translate(_FOLD)
            self._before_gaps.update(folded[:i] for i, c in enumerate(word) if c not in word_chars)
        self._alone = self._whole | self._before_gaps  # a word alone may start a match
        # A byte table: lower-cases and folds an ASCII word character, blanks any other.
        self._ascii_words = bytes.maketrans(
            bytes(range(128)),
            "".join(
                chr(b).lower().translate(_FOLD) if chr(b) in word_chars else " " for b in range(128)
            ).encode("ascii"),
        )

    def _add(self, word: str, kind: int) -> None:
        node = self._root
        for c in word:
            node = node.children.setdefault(c, _Node())
        node.kind = kind if node.kind is None else min(node.kind, kind)
        folded, vague = word.translate(_FOLD), word.translate(_VAGUE)
        self._whole.add(folded)
        self._starts.update(folded[:end] for end in range(1, len(folded) + 1))
        self._vague_starts.update(vague[:end] for end in range(1, len(vague) + 1))

    def lookup(self, low: str, folded: str, literal: int = 0) -> tuple[int | None, bool]:
        """(kind of a listed word ``low`` reads as, whether ``low`` starts a longer one); its
        first ``literal`` characters stand only for themselves."""
        if folded not in self._starts and (
            "*" not in low or low.translate(_VAGUE) not in self._vague_starts
        ):
            return None, False
        nodes = [self._root]
        for i, c in enumerate(low):
            reads_as = c if i < literal else _READS_AS.get(c, c)
            nodes = [n for node in nodes for k in reads_as if (n := node.children.get(k))]
            if not nodes:
                return None, False
        kinds = [node.kind for node in nodes if node.kind is not None]
        return (min(kinds) if kinds else None), any(node.children for node in nodes)

    def find(self, text: str) -> list[tuple[int, int, int]]:
        if text.isascii() and "*" not in text and not self._may_start_ascii(text):
            return []  # what the full search below returns when no word is a candidate
        split = self._split_bmp if text.isascii() or not ASTRAL.search(text) else self._split_all
        words = _Words(text, split)
        if words.starts_late():
            return []  # better-profanity leaves such texts alone
        found: list[tuple[int, int, int]] = []
        resume, memo = 0, _Memo()
        for k in self._candidates(words):
            outcome = self._remembered(words, k, memo) if k >= resume else None
            if outcome is not None:
                count, kind = outcome
                found.append((words.offsets[2 * k], words.offsets[2 * (k + count) - 1], kind))
                resume = k + count
        return found

    def _may_start_ascii(self, text: str) -> bool:
        """Whether :meth:`_candidates` may find a word of an ASCII text without "*"; if not,
        the text has nothing to censor. Most messages show it here in a few C calls, without
        cutting the text into words and separators (two parts a word) and looping over them.

        The words folded are the same as ``_Words.folded[1::2]``: ASCII lowers and folds one
        character for one, and blanking every non-word character then ``split()`` cuts the
        same runs. A superset of ``_candidates``'s tests, without its separators: word ``k``
        is a candidate only if it is a listed word (``whole``; the last word too), or it and
        the next read as the start of one (``starts``), or the separator after it can follow
        it in a listed word, which needs it to be a prefix followed by a non-word character
        (``before_gaps``): separators in the text and in a listed word are never folded.
        """
        texts = text.encode("ascii").translate(self._ascii_words).decode("ascii").split()
        # Each of the three needs the word to start a listed word, which few words do.
        starts = list(map(self._starts.__contains__, texts))
        if any(map(self._alone.__contains__, itertools.compress(texts, starts))):
            return True
        pairs = itertools.compress(range(len(texts) - 1), starts)
        return any(texts[k] + texts[k + 1] in self._starts for k in pairs)

    def _candidates(self, words: _Words) -> list[int]:
        """Words that may start a match: a superset, found mostly at C speed."""
        starts, whole, folded = self._starts, self._whole, words.folded
        if "*" in words.text or "Σ" in words.text:  # no pair check: "*" is vague, "Σ" context
            return [k for k, w in enumerate(folded[1::2]) if w in starts or "*" in w]
        # Only words that start a listed word can start a match: found in C, so that the
        # loop below sees a few of a message's words rather than all of them.
        texts, seps = folded[1::2], folded[2::2]
        maybe = [
            k
            for k in itertools.compress(range(len(texts) - 1), map(starts.__contains__, texts))
            if texts[k] in whole
            or texts[k] + texts[k + 1] in starts
            or texts[k] + seps[k] + texts[k + 1] in starts
        ]
        return [*maybe, len(folded) // 2 - 1] if folded[-2] in whole else maybe

    def _remembered(self, words: _Words, k: int, memo: _Memo) -> tuple[int, int] | None:
        """:meth:`_outcome`, remembered by the text it depends on (spam repeats itself)."""
        last = k + self.window  # the outcome depends on words k..last, unless the text ends
        if 2 * last + 3 >= len(words.folded):
            return self._outcome(words, k)
        key = words.text[words.offsets[2 * k] : words.offsets[2 * last + 1]]
        if key not in memo:
            memo[key] = self._outcome(words, k)
        return memo[key]

    def _outcome(self, words: _Words, k: int) -> tuple[int, int] | None:
        """(words censored as one, kind) at word ``k``: a phrase first, else the word alone."""
        low = words.parts[2 * k + 1].lower()
        # A number starts a phrase as written: listed "2 girls 1 cup" is one, but "size 7.
        # It" does not read as "tit", nor "4 Ryan" as "aryan".
        literal = len(low) if low.isdigit() else 0
        kind, longer = self.lookup(low, words.folded[2 * k + 1], literal)
        if longer and words.span(k)[1] < len(words.text):
            phrase = self._phrase(words, k, low, literal)
            if phrase is not None:
                return phrase[0] - k + 1, phrase[1]
        # A number alone is never a word, unlike in better-profanity, whose leetspeak reads
        # 455 as "ass" and 717 as "tit": refunds of 455 yuan and flat 717 were censored. Nor
        # is a product of numbers: * stands for any vowel, so "7*7" read as "t*t".
        return None if kind is None or not low.strip(_NUMBER_CHARS) else (1, kind)

    def _phrase(self, words: _Words, k: int, low: str, literal: int) -> tuple[int, int] | None:
        """(last word, kind) of the shortest listed phrase starting at word ``k``."""
        joined = spaced = low
        for j in range(k + 1, min(k + 1 + self.window, len(words.folded) // 2)):
            if words.span(j)[0] >= len(words.text) - 1:
                return None
            joined += words.parts[2 * j + 1].lower()
            spaced += (words.parts[2 * j] + words.parts[2 * j + 1]).lower()
            kind, more = self.lookup(joined, joined.translate(_FOLD), literal)
            kind_spaced, more_spaced = self.lookup(spaced, spaced.translate(_FOLD), literal)
            kind = kind if kind is not None else kind_spaced
            if kind is not None:
                return j, kind
            if not (more or more_spaced):
                return None
        return None
