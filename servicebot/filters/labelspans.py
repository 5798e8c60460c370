"""Where the labels of personal data stand in a message, for ``labelled.py``: each label of
``labels.ROLE`` found as a word ("card", not "scard"; 电话 after a letter too: QQ密码), the
longest that starts there, and whether the message may hold a password's label at all.

Owns :func:`find_labels` (and :func:`label_spans`, its spans alone), :func:`may_name_a_password`
and :data:`ANY_PASSWORD`, the regex of every password label. English labels are found in one
Aho-Corasick pass, the others by regexes tried only in text that can hold them; every regex is
linear-time and is built at import, from ``labels.py`` and ``locales.py``."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable
from typing import Final

from . import locales, spelled, word_automaton
from .labels import ROLE
from .passwords import MIMA_AHEAD
from .traditional import char_class

# Passwords are read by ``passwords.py``; 密码 only where a value follows, so that a run of
# 密码是密码是... is passed over in C.
_PASSWORD_WORDS: Final = ("password", "passwd", "pwd", "pw", "pass", "密码", *locales.PASSWORD)
# What a message must hold to be read for passwords at all. In ASCII text, a search in C for
# each ASCII one that holds no other ("passwort" has "pass"); in other text, one regex of them
# all, which a Chinese message passes at the few characters that start one (a search for
# each of the 22 words took 1.6 us of a Chinese message, 1.9 of an English one).
_PASSWORD_HINTS: Final = ("pass", "pw", "密码", *locales.PASSWORD)
_ASCII_PASSWORD_HINTS: Final = tuple(
    word
    for word in _PASSWORD_HINTS
    if word.isascii() and not any(other in word for other in _PASSWORD_HINTS if other != word)
)
_PASSWORD_HINT: Final = re.compile("|".join(map(re.escape, _PASSWORD_HINTS)))


def _joined(words: Iterable[str]) -> str:
    """The labels ``words`` as one alternation over the lower-cased text (re.IGNORECASE takes
    twice the time): one alternative per first character, a plain character that ``re``
    rejects at once when it differs, then the rest of each word, the longest first. An English
    label starts a word (no letter before it); a Chinese one may follow a letter (QQ密码)."""
    by_first: dict[str, list[str]] = {}
    for word in sorted(words, key=len, reverse=True):
        by_first.setdefault(word[0], []).append(_rest(word))
    return "|".join(
        re.escape(first) + _word_start(first) + f"(?:{'|'.join(rest)})"
        for first, rest in by_first.items()
    )


def _word_start(first: str) -> str:
    """How a label starting with ``first`` must start: after no letter, in a script written
    with spaces ("card", not "scard"; телефон); anywhere in Chinese, Japanese or Korean."""
    if first.isascii():
        return "(?<![a-z].)"
    return "" if _unspaced(first) else r"(?<![^\W\d_].)"


def _rest(word: str) -> str:
    """A word after its first character, and how it must end: an English word at a word's end
    ("pin", not "ping"), a word of another script written with spaces too ("telefon", not
    "telefonisch"), 密码 where a value follows; a Japanese or Korean one before a particle."""
    if word.isascii():
        ending = "(?![a-z])"
    elif _unspaced(word[-1]):
        ending = MIMA_AHEAD if word == "密码" else ""
    else:
        ending = r"(?![^\W\d_])"
    return re.escape(word[1:]) + ending


def _unspaced(character: str) -> bool:
    """Whether ``character`` is kana, a CJK ideograph or hangul: of a script written without
    spaces between words."""
    return any(low <= character <= high for low, high in _UNSPACED)


def _ideographic(word: str) -> bool:
    """Whether ``word`` is read with the labels that start with an ideograph: it starts with
    one, or is a Latin letter before ideographs (v信, WeChat's nickname)."""
    return _ideograph(word[0]) or (word[0].isascii() and _ideograph(word[-1]))


def _ideograph(character: str) -> bool:
    """Whether ``character`` is a CJK ideograph (of the blocks labels are written in)."""
    return "\u3400" <= character <= "\u9fff" or "\uf900" <= character <= "\ufaff"


_UNSPACED: Final = (
    ("\u3040", "\u30ff"),
    ("\u3400", "\u9fff"),
    ("\uf900", "\ufaff"),
    ("\uac00", "\ud7af"),
)


# English labels: every occurrence of every label in one Aho-Corasick pass over the text, of
# which a label is one that starts and ends a word (no letter on either side). A regex of every
# label tried after each non-letter took 10 us on a 60-word message; this, 4 us. Chinese ones
# may follow a letter (QQ密码): one regex, see label_spans.
_ENGLISH_WORDS: Final = [word for word in ROLE if word.isascii()]
# The ASCII password hints ride along, length 0 (no label is one): in ASCII text with a digit,
# this pass tells whether there is one, which 7 substring searches took 1.3 us to tell.
# So do the number words that spell a digit, their length negative: in ASCII text, whether one
# starts a word tells whether a spelled digit may follow a label (see read_labels).
# (Also scanned with injection's trigger words, in one pass: see wordscan.py.)
LABEL_WORDS: Final = {
    **{word: -len(word) for word in spelled.NUMBER_WORDS},
    **dict.fromkeys(_ASCII_PASSWORD_HINTS, 0),
    **{word: len(word) for word in _ENGLISH_WORDS},
}
_ENGLISH_LABELS: Final = word_automaton(LABEL_WORDS)


# This and the next two are compiled on first use, together 4 ms of `servicebot check`'s
# start, which reads no message: only text that is not ASCII reads them.
@functools.cache
def _chinese_label() -> re.Pattern[str]:
    """Every label that starts with a letter that is not ASCII."""
    return re.compile(_joined(w for w in ROLE if not w[0].isascii() or _ideographic(w)))


# Labels of Latin letters with accents (teléfono, mật khẩu): read only in text that has one of
# their accented letters, since a regex whose words start with ASCII letters tries them at
# every letter, which an English message with a ’ would pay for.
_ACCENTED: Final = [w for w in ROLE if w[0].isascii() and not (w.isascii() or _ideographic(w))]


@functools.cache
def _accented_label() -> re.Pattern[str]:
    """The labels of :data:`_ACCENTED`."""
    return re.compile(_joined(_ACCENTED))


_ACCENTED_LETTER: Final = re.compile(
    "[" + "".join(sorted({c for w in _ACCENTED for c in w if not c.isascii()})) + "]"
)


@functools.cache
def _ideograph_label() -> re.Pattern[str]:
    """The labels that start with an ideograph. Chinese text (no letter of those, nor kana,
    hangul, Cyrillic, Arabic, Devanagari or đ that starts a label of locales.py) cannot hold
    a label of another language but Japanese kanji: it is read for these alone, found by one
    search, so that a Chinese message does not try every language's words at each character
    that starts one."""
    return re.compile(_joined(w for w in ROLE if _ideographic(w)))


_NOT_CHINESE: Final = re.compile(
    char_class(
        {w[0] for w in ROLE if not (w[0].isascii() or _ideograph(w[0]))}
        | {c for w in _ACCENTED for c in w if not c.isascii()}
    )
)
ANY_PASSWORD: Final = re.compile(_joined(_PASSWORD_WORDS))


def label_spans(lowered: str) -> list[tuple[int, int]]:
    """Where labels stand in ``lowered``, left to right: the leftmost label, then the leftmost
    after it, each the longest that starts there."""
    return find_labels(lowered)[0]


def find_labels(lowered: str) -> tuple[list[tuple[int, int]], bool | None]:
    """Where labels stand in ``lowered`` (``label_spans``), and, if ``lowered`` is ASCII,
    whether it holds a password's hint (``may_name_a_password``), found in the same pass."""
    return read_labels(lowered)[:2]


def read_labels(
    lowered: str, hits: Iterable[tuple[int, int]] | None = None
) -> tuple[list[tuple[int, int]], bool | None, bool | None]:
    """What :func:`find_labels` gives, and, if ``lowered`` is ASCII, whether a number word that
    spells a digit starts a word in it: if none does, ``spelled.spells_a_digit`` finds none
    anywhere in it (a word of ``spelled.HINT`` has no letter before it). ``hits``: what
    ``_ENGLISH_LABELS.iter(lowered)`` yields, if already found (``wordscan.scan_words``)."""
    longest: dict[int, int] = {}  # start -> end
    size = len(lowered)
    hinted: bool | None = False
    numbered: bool | None = False
    for last, length in _ENGLISH_LABELS.iter(lowered) if hits is None else hits:
        if length <= 0:  # a password's hint or a number word, no label
            if not length:
                hinted = True
            elif last + length < 0 or lowered[last + length] not in _ASCII_LETTERS:
                numbered = True  # "one", not "phone": its start, last + 1 + length
            continue
        start, end = last + 1 - length, last + 1
        # A label starts and ends a word: most matches are inside one ("no" in "not"), tested
        # here inline, as a call per end cost 1 us of a 60-word message.
        if (start and lowered[start - 1] in _ASCII_LETTERS) or (
            end < size and lowered[end] in _ASCII_LETTERS
        ):
            continue
        if longest.get(start, 0) < end:
            longest[start] = end
    spans = sorted(longest.items())
    if not lowered.isascii():
        spans += _non_english_spans(lowered)
        spans.sort()
        hinted = numbered = None  # of other scripts too: the readers read them
    kept: list[tuple[int, int]] = []
    for span in spans:
        if not kept or span[0] >= kept[-1][1]:  # "credit card" is one label, not "card" too
            kept.append(span)
        elif span[0] == kept[-1][0]:  # sorted: a longer one that starts there ("teléfono",
            kept[-1] = span  # not the English "tel" in it)
    return kept, hinted, numbered


def _non_english_spans(lowered: str) -> list[tuple[int, int]]:
    """Where labels not in English stand in ``lowered``, which is not ASCII: the first
    ``_MOST_LABELS`` each regex finds."""
    if not _NOT_CHINESE.search(lowered):  # then neither regex below can find more
        return _spans(_ideograph_label(), lowered)
    found = _spans(_chinese_label(), lowered)
    if _ACCENTED_LETTER.search(lowered):
        found += _spans(_accented_label(), lowered)
    return found


def _spans(label: re.Pattern[str], lowered: str) -> list[tuple[int, int]]:
    """The spans of the first ``_MOST_LABELS`` matches of ``label`` in ``lowered``."""
    return [m.span() for m in itertools.islice(label.finditer(lowered), _MOST_LABELS)]


# Labels of a regex read per message, at most: each costs a step of Python here and in
# labelled.py's loop, and a flood of one ("赖赖赖...", 电话电话...: 50,000 in a message cut at
# 50,000 characters, prefilter.max_chars) took 80 ms. A real message holds a handful: even a
# long one of 50,000 characters, one of them every 10 characters, would not reach this.
_MOST_LABELS: Final = 5_000


_ASCII_LETTERS: Final = frozenset("abcdefghijklmnopqrstuvwxyz")  # of the lower-cased text


def may_name_a_password(lowered: str) -> bool:
    """Whether ``lowered`` holds one of ``_PASSWORD_HINTS``: without one, it has no password
    label for ``labelled._passwords`` to read."""
    if lowered.isascii():
        return any(map(lowered.__contains__, _ASCII_PASSWORD_HINTS))
    return _PASSWORD_HINT.search(lowered) is not None
