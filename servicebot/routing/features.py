"""The features routing reads in a text, for the index in ``routing/index.py``.

English words are case-folded and lightly stemmed, and consecutive words form bigrams. Each
word also gives its character 2- to 4-grams, which catch typos and word forms the stemmer
misses. Chinese (and other CJK) text has no spaces, so every character and every pair of
neighbouring characters is a feature. No dictionary is needed, and mixed text such as
``怎么create一个account`` gets both kinds. Traditional characters read as simplified, and a few
Taiwan words as the mainland's (``登入`` as ``登录``; see ``routing/taiwan.py``), and a few
Cantonese words as Mandarin ones (``嘅`` as ``的``; see ``routing/cantonese.py``); "ok" reads
as "okay".
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..filters.normalise import CJK_LETTERS, normalise
from .cantonese import fold_cantonese_words
from .taiwan import fold_taiwan_words, fold_traditional_words

TOKEN = re.compile(f"[{CJK_LETTERS}]+|[^\\W_{CJK_LETTERS}]+")
CJK_RUN = re.compile(f"[{CJK_LETTERS}]")
_SUFFIXES = ("ing", "ed", "es", "s", "ly")
_NUMBER = re.compile(r"\d{3}")  # a word with 3 digits in a row: "100482", "sf1234567890123"
# 2- to 4-grams: on four 80/20 splits of BANKING77's train rows, validation top-1 was 0.5 to
# 1.1 points higher than with 2- to 5-grams (recall@3 0.2 to 0.5 higher), with fewer features.
_CHAR_GRAMS = range(2, 5)
CJK_MARK = "h"  # the first letter of every CJK feature
# "ok" is read as "okay": two letters give a word too few features to be matched as itself,
# and as an intent's phrasing their n-grams matched "cook" and "book" ("how do i cook pasta
# 谢谢" went to thanks), so "ok" alone went to the model with goodbye's "ok bye 拜拜" as facts.
_OKAY = "okay"
LONGEST_WORD = 40  # longer "words" are noise such as pasted hashes: only their start counts


def features(text: str) -> list[str]:
    """The index features of a text: stemmed words, word bigrams, character n-grams, CJK."""
    return token_features(tokens_of(text), maybe_cjk=not text.isascii())


def tokens_of(text: str) -> list[str]:
    """A text's words and CJK runs, as routing reads them: normalised, Taiwan's words made
    the mainland's (登入 reads as 登录), Cantonese ones Mandarin (嘅 reads as 的),
    case-folded, and "ok" spelled "okay" (see _OKAY)."""
    folded = normalise(fold_traditional_words(text)).text
    tokens = TOKEN.findall(fold_cantonese_words(fold_taiwan_words(folded)).casefold())
    if "ok" in tokens:  # a list's search in C: most messages have no "ok"
        tokens = [_OKAY if token == "ok" else token for token in tokens]
    return tokens


def token_features(tokens: list[str], maybe_cjk: bool) -> list[str]:
    """The features of :func:`tokens_of`' tokens; with ``maybe_cjk`` false (most messages are
    ASCII), no token is checked for CJK."""
    found: list[str] = []
    previous = ""
    for token in tokens:
        if maybe_cjk and CJK_RUN.match(token):
            found += _cjk_features(token)
            previous = ""
            continue
        stem, word_features = features_of_word(token[:LONGEST_WORD])
        if previous:
            found.append(f"b{previous} {stem}")
        found += word_features
        previous = stem
    return found


@lru_cache(maxsize=65_536)
def features_of_word(word: str) -> tuple[str, tuple[str, ...]]:
    """A word's stem, and its features: the stem and its character 2- to 4-grams. An order,
    tracking or card number is one feature, "a number": its digits say nothing of what is
    asked, and their n-grams, found in no intent, would drown the words that do."""
    if _NUMBER.search(word):
        return "#", ("w#",)
    stem = _stem(word)
    padded = f" {word} "
    grams = ("c" + padded[i : i + n] for n in _CHAR_GRAMS for i in range(len(padded) - n + 1))
    return stem, ("w" + stem, *grams)


def _stem(word: str) -> str:
    """Strip one common English suffix: char n-grams cover what this misses."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _cjk_features(run: str) -> list[str]:
    return [CJK_MARK + char for char in run] + [
        CJK_MARK + run[i : i + 2] for i in range(len(run) - 1)
    ]
