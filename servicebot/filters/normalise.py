"""Normalising customer text before any detector sees it, and mapping spans back.

Detectors must not be fooled by ``ｓｋ-ｋｅｙ`` (full width), ``傻\u200b逼`` (zero-width space)
or ``4111\u00a01111`` (odd spaces), so they read :attr:`Normalised.text`: NFKC (which also
folds full-width forms to half-width), invisible characters removed, every kind of space
made a plain space and runs of spaces collapsed to one, every decimal digit made an ASCII
digit (Arabic-Indic ``٤١١١`` reads as ``4111``), and traditional Chinese characters
made simplified one for one (``訂單`` reads as ``订单``; see :mod:`.traditional`), so that word
lists, rules and FAQ examples written in either script match both. Masking must replace the
customer's own characters, so :meth:`Normalised.original_span` maps a span of the normalised
text back to the original: nothing the model is sent is rewritten, only what detectors read.

Written by hand because no library keeps NFKC's offsets: each grapheme-ish cluster (a
character and the combining marks after it) is normalised on its own and remembers where
it came from. Text that needs no change (most messages) skips all of this, and text whose
only changes are one character for one (width, spaces, traditional characters) is folded by
one ``str.translate``. The traditional-to-simplified table is read (about 1 ms, see
:mod:`.traditional`) for the first text with a character outside ASCII, so importing this
module (as ``servicebot check`` does) stays cheap.
"""

from __future__ import annotations

import bisect
import logging
import re
import sys
import unicodedata
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from .traditional import ASTRAL, Folds, char_class, fold_traditional, folds, t2s_table

log = logging.getLogger("servicebot")
_UTF32 = f"utf-32-{sys.byteorder[0]}e"  # how array("I") lays out code points

# Format characters (zero-width space/joiners, bidi controls, BOM, soft hyphen, tags),
# control characters other than tab and newline, variation selectors, and what is drawn blank
# (grapheme joiner, Hangul fillers, Khmer inherent vowels, the Braille blank U+2800, which a
# padding of thousands hides behind as Hangul fillers do): a set for a regex, which the
# terminal escapes too (``terminal.py``).
DRAWN_BLANK = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\U000e0000-\U000e0fff\U0001bca0-\U0001bca3"
)
# And lone surrogates (which a JSON front end can deliver and no encoder accepts).
_INVISIBLE_CHARS = f"\ud800-\udfff\ufff0-\ufff8{DRAWN_BLANK}"
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# A character that normalising leaves as something other than a space (checked against every
# code point: no other character normalises to anything but spaces or nothing).
_SHOWN = re.compile(f"[^\\s{_INVISIBLE_CHARS}]")
# Two or more spaces, or one odd space; a set first, so that ``re`` skips ahead to a space in C.
_SPACE_RUN = re.compile(r"[^\S\n](?:[^\S\n]+|(?<=[^\S\n ]))")
_ODD_SPACE = re.compile(r"[^\S\n]")  # a space other than a plain one, or a tab, not a newline
# Joins clusters to be normalised at once: a noncharacter, which NFKC, the folds and
# visible_only leave as it is, and which no character composes with.
_CLUSTER_BREAK = "\ufdd0"
# ESC starts a terminal escape sequence and BEL may end one: each reads as a space, so that
# "\x1b]0;title\x07where is my order" keeps "where" a word of its own. What the sequence
# holds stays in the text: a detector must see a card number or an instruction hidden there.
_SEPARATORS = str.maketrans("\x07\x1b", "  ")
# A character and the combining marks after it (the half-width kana voicing marks too, which
# NFKC makes combining), with any invisible characters among them: "a\u200b\u0301" is one
# cluster, so the accent still composes with its letter once the zero-width space is gone.
# Normalising a result again then changes nothing.
_CLUSTER = re.compile(
    ".[\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u064b-\u065f\u1ab0-\u1aff\u1dc0-\u1dff"
    f"\u20d0-\u20ff\u302a-\u302f\u3099\u309a\ufe20-\ufe2f\uff9e\uff9f{_INVISIBLE_CHARS}]*",
    re.DOTALL,
)


@dataclass(frozen=True)
class Normalised:
    """A customer's text as typed, and the form detectors read."""

    original: str
    text: str
    # For each character of ``text``, where its source starts and ends in ``original``;
    # None when ``text`` is ``original``.
    _starts: tuple[int, ...] | None = None
    _ends: tuple[int, ...] | None = None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of ``original`` that ``text[start:end]`` came from."""
        if self._starts is None or self._ends is None:
            return start, end
        if start >= end:
            position = self._starts[start] if start < len(self._starts) else len(self.original)
            return position, position
        return self._starts[start], self._ends[end - 1]


# Full-width ASCII, the ideographic space and the other spaces NFKC makes plain, folded one
# character for one (as NFKC does): the common cases, and ones that keep every offset. Also
# the dashes text pasted from a PDF or a phone's autocorrect puts between digit groups
# (138‐0013‐8000, 4111–1111–...), which NFKC leaves alone, read as "-".
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"))
_WIDTH_FOLD = _DASHES | str.maketrans(
    {chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}
    | dict.fromkeys(
        "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000",
        " ",
    )
)


@cache
def _one_for_one() -> Folds:
    """Every fold that keeps offsets: width, spaces and digits, then traditional to simplified
    (a :class:`Folds`, so each other character met is kept as itself)."""
    return Folds(folds().__getitem__, {**_WIDTH_FOLD, **_dashes_and_digits()})


def _fold_one_for_one(text: str) -> str:
    """``text`` through :func:`_one_for_one`'s table. Most text has no character the table
    changes, which one search in C tells: the same text back, where the translate looked
    every character up (a Chinese message of 100 characters: 1 µs, not 7). The class holds
    BMP characters only, so text with an astral one is translated."""
    if text.isascii():
        return text
    if ASTRAL.search(text) is None:
        # The search's matches are exactly the characters the table changes, each one for
        # one, so replacing each of them by its fold gives the same text: a Chinese
        # message's few full-width commas and stops cost a replace each (in C), where
        # translate looked up all its characters (3 us of 100). Text with many kinds of
        # them is translated whole, which is then cheaper.
        changed = set(_one_for_one_folds().findall(text))
        if len(changed) < _MOST_FOLDED:
            return _replaced(text, changed)
    return text.translate(_one_for_one())


_MOST_FOLDED = 16  # kinds of character folded by a replace each, at most; then a translate


def _replaced(text: str, changed: set[str]) -> str:
    """``text`` with each character of ``changed`` replaced by its fold. One replace after
    another gives what a translate gives as long as no fold holds a character the table
    changes (none replaced first makes one that a later replace changes again; the table
    has no such fold, and a text that met one would be translated)."""
    table, folds = _one_for_one(), _one_for_one_folds()
    for char in changed:
        folded = char.translate(table)
        if folds.search(folded):
            return text.translate(table)
        text = text.replace(char, folded)
    return text


@cache
def _one_for_one_folds() -> re.Pattern[str]:
    """Any BMP character that :func:`_one_for_one` makes another: its known folds first, then
    :func:`t2s_table`'s (what a :class:`Folds` looks up for a character it has not met),
    each character that neither maps being kept as itself."""
    table = {**t2s_table(), **_WIDTH_FOLD, **_dashes_and_digits()}
    changed = (chr(code) for code, to in table.items() if code <= 0xFFFF and to != chr(code))
    return re.compile(char_class(changed))


@cache
def _dashes_and_digits() -> dict[int, str]:
    """The dashes, and every decimal digit outside ASCII as its ASCII digit: a card or phone
    number typed in a phone's own digits (Arabic-Indic ٤١١١, Devanagari ४१११), which NFKC
    leaves alone, reads as one. (All such digits lie below U+20000.) ``re``'s ``\\d`` is
    exactly Unicode's decimal digits (category Nd): finding them in one string of every code
    point takes 4 ms, where asking ``unicodedata`` of each took 10 ms of every start."""
    every = array("I", range(0x80, 0x20000)).tobytes().decode(_UTF32, "surrogatepass")
    native = {ord(c): str(unicodedata.decimal(c)) for c in re.findall(r"\d", every)}
    return _DASHES | native


def normalise(text: str) -> Normalised:
    """Normalise ``text`` for detectors (see the module docstring)."""
    if text.isascii() and text.isprintable() and "  " not in text:
        return Normalised(text, text)  # the common case, checked at C speed
    if _INVISIBLE.search(text) is None:
        folded = _fold_one_for_one(text)
        if unicodedata.is_normalized("NFKC", folded):  # one character for one so far
            if _SPACE_RUN.search(folded) is None:
                return Normalised(text, folded)
            return _collapse_spaces(text, folded)
    return _normalise_with_offsets(text)


def shows_nothing(text: str) -> bool:
    """Whether :func:`normalise` makes ``text`` spaces alone, or nothing: found with one
    search in C, where normalising 50,000 characters of noise takes a Python step for each."""
    return _SHOWN.search(text) is None


def normalise_without(text: str, spans: Sequence[tuple[int, int]]) -> Normalised:
    """``text`` normalised as :func:`normalise` does, with ``spans`` (sorted, disjoint) of it
    left out: what detectors read has them gone, and its positions map back to ``text``, so
    that a mask over a left-out span replaces it too, and one beside it leaves it be."""
    if not spans:
        return normalise(text)
    pieces: list[str] = []
    places: list[int] = []  # where each character of the pieces stands in text
    position = 0
    for start, end in [*spans, (len(text), len(text))]:
        pieces.append(text[position:start])
        places += range(position, start)
        position = end
    inner = normalise("".join(pieces))
    size = len(inner.text)
    starts = inner._starts if inner._starts is not None else range(size)
    ends = inner._ends if inner._ends is not None else range(1, size + 1)
    return Normalised(
        text,
        inner.text,
        tuple(places[start] for start in starts),
        tuple(places[end - 1] + 1 for end in ends),
    )


def _collapse_spaces(text: str, folded: str) -> Normalised:
    """Only runs of spaces change: copy the stretches between them whole."""
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    for run in _SPACE_RUN.finditer(folded):
        pieces += [folded[position : run.start()], " "]
        starts += [*range(position, run.start()), run.start()]
        ends += [*range(position + 1, run.start() + 1), run.end()]
        position = run.end()
    pieces.append(folded[position:])
    starts += range(position, len(folded))
    ends += range(position + 1, len(folded) + 1)
    return Normalised(text, "".join(pieces), tuple(starts), tuple(ends))


def _normalise_with_offsets(text: str) -> Normalised:
    """Each cluster normalised on its own, remembering where it came from (see the module
    docstring), the clusters all at once (see :func:`_normalise_clusters`)."""
    clusters = _CLUSTER.findall(text)
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    start = 0
    for cluster, normalised in zip(clusters, _normalise_clusters(clusters, text), strict=True):
        end = start + len(cluster)
        for char in normalised:
            if char == " " and chars and chars[-1] == " ":
                ends[-1] = end  # a collapsed space covers the whole run
                continue
            chars.append(char)
            starts.append(start)
            ends.append(end)
        start = end
    return Normalised(text, "".join(chars), tuple(starts), tuple(ends))


def _normalise_clusters(clusters: list[str], text: str) -> list[str]:
    """Each of ``clusters`` (of ``text``) normalised on its own, as by
    :func:`_normalise_cluster`. Done on them all joined by U+FDD0, which no step changes,
    removes or combines with a neighbour, so that each step runs once in C: a Python call
    per cluster took 190 ms for 50,000 characters of noise, each cluster new to the cache.
    A cluster of U+FDD0 itself (it is never a mark, so it only ever starts one) is joined
    as nothing, and done alone. ASCII text is done a cluster at a time: its few clusters are
    in the cache, and joined by U+FDD0 it would read the traditional Chinese table."""
    if text.isascii():
        return [_normalise_cluster(cluster) for cluster in clusters]
    if _CLUSTER_BREAK not in text:
        return _fold_cluster(_CLUSTER_BREAK.join(clusters)).split(_CLUSTER_BREAK)
    held = {i for i, cluster in enumerate(clusters) if cluster[0] == _CLUSTER_BREAK}
    joined = _CLUSTER_BREAK.join("" if i in held else c for i, c in enumerate(clusters))
    folded = _fold_cluster(joined).split(_CLUSTER_BREAK)
    for i in held:
        folded[i] = _normalise_cluster(clusters[i])
    return folded


@lru_cache(maxsize=4096)
def _normalise_cluster(cluster: str) -> str:
    return _fold_cluster(cluster)


def _fold_cluster(text: str) -> str:
    """What a cluster reads as: visible, NFKC, ASCII digits and dashes, simplified Chinese,
    every space but a newline a plain space. Each step reads a character at a time, or (NFKC)
    a character and the marks after it, so clusters joined by U+FDD0 fold as each alone."""
    folded = unicodedata.normalize("NFKC", visible_only(text)).translate(_dashes_and_digits())
    return _ODD_SPACE.sub(" ", fold_traditional(folded))


def visible_only(text: str) -> str:
    """``text`` without the characters :func:`normalise` drops, ESC and BEL made spaces as
    there: what detectors, routing and the model have to read."""
    return _INVISIBLE.sub("", text.translate(_SEPARATORS))


class Masks:
    """Replacements for spans of a normalised text, applied to the customer's own characters.

    A span that overlaps one added before it is refused, so detectors added first win; or,
    added with ``merge``, made one with those it overlaps.
    """

    def __init__(self, normalised: Normalised) -> None:
        self.normalised = normalised
        self._starts: list[int] = []  # sorted; _spans in the same order, never overlapping
        self._spans: list[tuple[int, int, str]] = []

    def add(self, start: int, end: int, replacement: str, *, merge: bool = False) -> bool:
        """Replace ``normalised.text[start:end]``; False if an earlier mask covers part of it.
        With ``merge``, the earlier masks it overlaps and it become one, replaced as the first
        of them was: a phone found in a card's tail must not leave the card's head shown."""
        original_start, original_end = self.normalised.original_span(start, end)
        first = bisect.bisect_left(self._starts, original_start)
        if first and self._spans[first - 1][1] > original_start:
            first -= 1
        last = first
        while last < len(self._spans) and self._spans[last][0] < original_end:
            last += 1
        if last > first:  # it overlaps the masks first to last - 1
            if not merge:
                return False
            replacement = self._spans[first][2]
            original_start = min(original_start, self._spans[first][0])
            original_end = max(original_end, self._spans[last - 1][1])
            del self._starts[first:last], self._spans[first:last]
        self._starts.insert(first, original_start)
        self._spans.insert(first, (original_start, original_end, replacement))
        return True

    def apply(self) -> str:
        """The original text with every mask in place; nothing outside the spans changes."""
        text, parts, position = self.normalised.original, [], 0
        for start, end, replacement in self._spans:
            parts += [text[position:start], replacement]
            position = end
        return "".join(parts) + text[position:]


def translate_ascii(text: str, table: bytes) -> str:
    """``text`` with its ASCII characters mapped by ``table`` (from ``bytes.maketrans``), which
    must map ASCII to ASCII. ``str.translate`` looks every character up in a dict, about 50 ns
    each in Chinese text; in UTF-8 no ASCII byte is ever part of another character, so one
    ``bytes.translate`` does the same several times faster."""
    return text.encode("utf-8", "surrogatepass").translate(table).decode("utf-8", "surrogatepass")


def lower_in_place(text: str) -> str:
    """``text`` in lower case, one character for one, so that positions hold: ``str.lower``
    (fast in C, and every script: ``ЗАБУДЬТЕ``, ``ÉCRIS``), with ``İ`` made ``i``: it is the
    one character ``str.lower`` makes two (``i`` and a combining dot)."""
    return text.replace("\u0130", "i").lower()


# Kana, CJK ideographs (extension A, unified, compatibility) and hangul, for a character class:
# scripts written without spaces between words.
CJK_LETTERS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"


def without_surrogates(text: str) -> str:
    """``text`` with its surrogates (halves of a character, as a JSON front end can deliver)
    made whole: a high and a low half become their character, a lone half U+FFFD. No encoder
    accepts them, so neither a model request nor a store could hold the text as it is."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def decoded(raw: bytes | bytearray, what: str) -> str:
    """Customer text passed as bytes (``what``: "a customer message", "customer detail
    customer.name"), decoded as UTF-8. Undecodable bytes are replaced with U+FFFD, so a
    binary paste still gets a reply, and a warning is logged: an application passing GBK or
    Latin-1 bytes should decode them itself."""
    try:
        return bytes(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        log.warning(
            "%s of %d bytes is not UTF-8 (%s): undecodable bytes were replaced with U+FFFD; "
            "pass a str, decoded from the encoding it was sent in",
            what,
            len(raw),
            exc.reason,
        )
        return bytes(raw).decode("utf-8", "replace")
