"""Traditional Chinese characters folded to simplified ones, one character for one.

Word lists, injection rules and FAQ examples are mostly written in simplified Chinese, while a
customer in Taiwan or Hong Kong types 我的訂單發貨了嗎 for 我的订单发货了吗. :func:`t2s_table`
maps each traditional character to its simplified form for ``str.translate``; :mod:`.normalise`
applies it, so routing, the detectors and the post-filter's comparisons all read the folded
form, and :mod:`.profanity` folds the CJK words of its lists so that a list written in
traditional characters still matches. Nothing the model is sent or the store keeps is folded:
masks go on the customer's own characters, and a customer in Taipei is answered as typed.

Characters only, never phrases. OpenCC's phrase tables can rewrite a run of characters into
one of another length (its Taiwan table, ``tw2sp``, turns 黃體素 into 孕酮), and a character's
result depends on its neighbours, so a span of the folded text would no longer map back to the
customer's characters one for one. Folding every text the same way (customer messages, word
lists and examples alike) is what matching needs, and one-for-one keeps every offset valid.

The table comes from OpenCC, the reference converter, through the upstream project's own
binding (``opencc`` on PyPI): maintained with OpenCC itself, wheels for CPython 3.10 to 3.14 on
Linux, macOS and Windows, its dictionaries inside the package, nothing downloaded at run time.
``opencc-python-reimplemented`` ships an older copy of the dictionary (last release 2023) under
the same ``opencc`` import name, and ``zhconv`` uses MediaWiki's phrase-first tables. The
binding converts text rather than listing its dictionary, so :func:`opencc_t2s` runs its
``t2s`` conversion once over every CJK ideograph, one per line: no phrase can span a line, so
each character converts alone (the result equals OpenCC's TSCharacters and TSCharactersExt
lists). Only results of exactly one character are kept, and chains (薴 to 苧 to 苎) are
followed to their end so that folding twice changes nothing. With opencc 1.4.2 that is 4,117
characters, in about 50 ms (the import of opencc included).

That ran at every start that folded text, so the result ships as package data instead:
``t2s.txt`` beside this module, one pair a line, written by ``scripts/t2s_table.py``; a test
compares it with what the installed OpenCC gives, so an upgrade that changes a character
fails until the file is written again. Reading it takes about 1 ms, the first time some text
is folded: importing this module costs nothing, and ASCII text never reads it. With the
whole table known, text is folded only when a regex (compiled once, 2 ms) finds a character
to fold: a Chinese message usually has none, and a ``str.translate`` looks each character up
(5 µs for 80 characters).
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import unicodedata
from array import array
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

_log = logging.getLogger("servicebot")
TABLE_FILE = Path(__file__).with_name("t2s.txt")
_HEADER = re.compile(r"(?:#.*\n)*")  # the file's comment lines, then its pairs

# CJK unified ideographs: extension A and the basic block, then the supplementary planes'
# extensions B to I. Compatibility ideographs are left to NFKC, which makes them unified ones.
_IDEOGRAPHS = (range(0x3400, 0xA000), range(0x20000, 0x323B0))
_IDEOGRAPH = re.compile("[\u3400-\u9fff\U00020000-\U000323af]")  # one of those


# Characters that simplified text itself writes two ways for one word, folded to the usual
# one: 帐号 and 账号 are both "account" (and Taiwan's 帳號 folds to 帐 by OpenCC's table).
_VARIANTS = {ord("帐"): "账", ord("帳"): "账"}


@functools.cache
def t2s_table() -> dict[int, str]:
    """``str.translate`` table for matching: a traditional character's code point to its
    simplified form, and the variants above to the usual form."""
    return {**_t2s(), **_VARIANTS}


@functools.cache
def _t2s() -> dict[int, str]:
    """A traditional character's code point to its simplified form, OpenCC's only: read from
    ``t2s.txt`` (each line two characters, then a newline) by slices, at C speed."""
    text = TABLE_FILE.read_text(encoding="utf-8")
    pairs = text[_HEADER.match(text).end() :]  # type: ignore[union-attr]  # matches always
    if pairs[2::3] != "\n" * (len(pairs) // 3) or len(pairs) % 3:
        raise RuntimeError(f"{TABLE_FILE} is damaged: reinstall servicebot")
    return dict(zip(map(ord, pairs[0::3]), pairs[1::3], strict=True))


def opencc_t2s() -> dict[int, str]:
    """What the installed OpenCC's t2s makes of each ideograph alone (see the module
    docstring): the table ``t2s.txt`` holds, worked out again (about 50 ms)."""
    import opencc  # type: ignore[import-untyped,unused-ignore]  # typed from 1.4 on

    lines = _one_per_line(_IDEOGRAPHS)
    chars, converted = lines[0::2], str(opencc.OpenCC("t2s.json").convert(lines)).split("\n")
    if converted.pop() or len(converted) != len(chars):  # never seen: fold nothing, misalign none
        _log.warning("OpenCC's t2s output did not line up: traditional Chinese is not folded")
        return {}
    folds = {
        char: simple
        for char, simple in zip(chars, converted, strict=True)
        if char != simple and len(simple) == 1 and _stable(char) and _stable(simple)
    }
    return {ord(char): _settled(simple, folds) for char, simple in folds.items()}


def to_traditional(text: str) -> str:
    """Simplified Chinese ``text`` in traditional characters, as Taiwan writes them (OpenCC's
    s2tw, which also converts some phrases: this text is shown, never matched, so the
    one-for-one rule above does not apply). FAQ answers and canned replies are written once,
    in simplified by default; a customer who writes 我的訂單 reads them as 您的訂單."""
    return text if text.isascii() else str(_opencc("s2tw.json").convert(text))


def to_simplified(text: str) -> str:
    """Traditional Chinese ``text``, as a bot of ``chinese_script: traditional`` writes it, in
    simplified characters (OpenCC's tw2s: Taiwan's variants too, 著 to 着). Characters only,
    not Taiwan's words: tw2sp would also rewrite 資訊 as 信息 and 黃體素 as 孕酮, which is a
    translation, not the operator's text."""
    return text if text.isascii() else str(_opencc("tw2s.json").convert(text))


def writes_traditional(text: str) -> bool:
    """Whether ``text`` has traditional Chinese characters (訂單 rather than 订单). A few
    characters that simplified text also uses (乾 in 乾隆, the surname 於) count too."""
    return not text.isascii() and not _t2s().keys().isdisjoint(map(ord, text))


def writes_simplified(text: str) -> bool:
    """Whether ``text`` has characters that traditional Chinese writes otherwise (订单)."""
    return to_traditional(text) != text


def most_written_in(text: str) -> str | None:
    """``traditional`` or ``simplified``: the script ``text`` is written in, or None if it
    does not tell (too few Chinese characters, or a mix). Read by the share of its characters
    that fold to another in simplified text (訂, 運, 臺): about a third of a traditional
    text's, none of a simplified one's (a few in names: 於). The shipped table alone is read:
    asking OpenCC which characters simplified text writes took 67 ms of ``check``."""
    ideographs = _IDEOGRAPH.findall(text)
    traditional = sum(ord(char) in _t2s() for char in ideographs)
    if traditional >= max(2, len(ideographs) // 10):
        return "traditional"
    if len(ideographs) >= 10 and traditional * 50 <= len(ideographs):
        return "simplified"
    return None


def writes_chinese_only(text: str) -> bool:
    """Whether ``text`` has a simplified character that Japanese writes otherwise (货, 买, 们;
    Japanese writes 貨, 買, 們), so a Japanese customer would not type it: ``ユニクロ退货`` is
    Chinese naming a brand. Japanese's own simple forms (担, 国, 発) are not such characters.
    OpenCC's ``s2t`` then ``t2jp`` give a character's Japanese form, looked up once each."""
    return not text.isascii() and any(_chinese_only(char) for char in set(_IDEOGRAPH.findall(text)))


@functools.cache
def _chinese_only(char: str) -> bool:
    """:func:`writes_chinese_only` of one ideograph. Where simplified Chinese merged several
    characters into one Japanese keeps (里 for 裏, 干 for 幹), the merged one still reads as
    Chinese; a Japanese message rarely has one and more Chinese characters than kana."""
    traditional = str(_opencc("s2t.json").convert(char))
    return traditional != char and str(_opencc("t2jp.json").convert(traditional)) != char


def writes_traditional_only(text: str) -> bool:
    """Whether ``text`` has a traditional character that Japanese writes otherwise (單, 收;
    Japanese writes 単, 収): ``我の訂單到哪了`` is Taiwan's, not Japan's. OpenCC's ``t2jp``
    gives a character's Japanese form, looked up once each."""
    return not text.isascii() and any(
        _traditional_only(char) for char in set(_IDEOGRAPH.findall(text))
    )


@functools.cache
def _traditional_only(char: str) -> bool:
    """:func:`writes_traditional_only` of one ideograph."""
    return str(_opencc("t2jp.json").convert(char)) != char


@functools.cache
def _opencc(config: str) -> Any:
    """OpenCC's converter of ``config``, made once."""
    import opencc  # type: ignore[import-untyped,unused-ignore]

    return opencc.OpenCC(config)


def fold_traditional(text: str) -> str:
    """``text`` with traditional Chinese characters made simplified, one for one. Most text
    has none to fold, and is returned after a search in C: a translate looks every character
    up (a Chinese message of 80 characters: 5 µs; 100 KB of English with a ’: 2.5 ms)."""
    if text.isascii() or not (_foldable().search(text) or ASTRAL.search(text)):
        return text
    return text.translate(folds())


@functools.cache
def _foldable() -> re.Pattern[str]:
    """Any character of the Basic Multilingual Plane that :func:`t2s_table` maps (``re``
    checks a class of BMP characters in one step, and one with others range by range, at
    every character); text with an ASTRAL character is translated."""
    return re.compile(char_class(chr(code) for code in t2s_table() if code <= 0xFFFF))


class Folds(dict[int, str]):
    """A ``str.translate`` table filled in on use: a code point not yet in it is looked up
    with ``fold`` once, and kept, as itself when ``fold`` has nothing for it; so a character
    met again costs a look-up in C (a miss in a plain dict raises a KeyError inside translate
    for each character). Astral code points are kept only where they fold, which bounds it."""

    def __init__(self, fold: Callable[[int], str | None], known: dict[int, str]) -> None:
        super().__init__(known)
        self._fold = fold

    def __missing__(self, code: int) -> str:
        found = self._fold(code) or chr(code)
        if code <= 0xFFFF or found != chr(code):  # not every astral code a customer can send
            self[code] = found
        return found


@functools.cache
def folds() -> Folds:
    """:func:`t2s_table` as :class:`Folds`: what folding text uses."""
    return Folds(_unfolded, t2s_table())


def _unfolded(code: int) -> None:
    """What :class:`Folds` asks of a character the whole table leaves alone: nothing."""
    return None


ASTRAL = re.compile("[\U00010000-\U0010ffff]")  # a character outside the BMP


def char_class(chars: Iterable[str]) -> str:
    """A regex character class for exactly ``chars``, written as ranges."""
    ranges: list[list[int]] = []
    for point in sorted({ord(c) for c in chars}):
        if ranges and point == ranges[-1][1] + 1:
            ranges[-1][1] = point
        else:
            ranges.append([point, point])
    body = "".join(
        re.escape(chr(a)) + ("" if a == b else "-" + re.escape(chr(b))) for a, b in ranges
    )
    return f"[{body}]" if body else r"[^\s\S]"


def _one_per_line(blocks: tuple[range, ...]) -> str:
    """Every code point of ``blocks``, each followed by a newline; built at C speed."""
    codes = array("I")
    for block in blocks:
        codes.extend(block)
    lines = array("I", [ord("\n")]) * (2 * len(codes))
    lines[0::2] = codes
    return lines.tobytes().decode(f"utf-32-{sys.byteorder[0]}e")


def _stable(char: str) -> bool:
    """NFKC leaves ``char`` alone (normalised text never holds a compatibility ideograph)."""
    return unicodedata.is_normalized("NFKC", char)


def _settled(char: str, folds: dict[str, str]) -> str:
    """Where ``char`` ends up when folded until nothing changes, so folding twice is a no-op."""
    seen = {char}
    while (after := folds.get(char)) is not None and after not in seen:
        char = after
        seen.add(char)
    return char
