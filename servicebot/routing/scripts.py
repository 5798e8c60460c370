"""The writing systems a message's letters alone tell apart, and the languages each writes.

Routing tells Chinese from other text by counting (see ``routing/languages.py``), but a
Chinese character is also Japanese: ``配送状況を確認したい`` has six of them and four kana, and was
answered in traditional Chinese (況 is a traditional character). Kana and hangul in words
(see ``_japanese_or_korean``) mean Japanese or Korean, never Chinese; Chinese customers write
them too, in a kaomoji, as laughter (ㅋㅋ), as の for 的, in a brand's name, and stay Chinese.
A message mostly in a writing system below (kana, hangul, Arabic, Cyrillic, Devanagari, Thai)
is in one of its languages; if the bot speaks none of them, it answers in a language the
customer does not write, so an answer sent as written (in English, say) should rather go to
the model, which can answer in theirs.

Only the writing system is read, not the language: Spanish and English are both Latin
letters, and Russian and Ukrainian both Cyrillic, so a bot of ``[en, uk]`` answers Russian
in Ukrainian. No language model is involved, and text of ASCII alone costs one check.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..filters.traditional import writes_chinese_only, writes_traditional_only

__all__ = [
    "HAN",
    "Writing",
    "spoken",
    "told_apart",
    "unspoken",
    "unspoken_writing",
    "writes_kana_or_hangul",
    "writing_of",
]

_HIRAGANA = "\u3040-\u309f"
_KATAKANA = "\u30a0-\u30fa\u30fc-\u30ff\uff66-\uff9d"  # not ・ (U+30FB): Chinese uses it too
_KANA = _HIRAGANA + _KATAKANA
_HANGUL = "\u1100-\u11ff\u3131-\u318e\uac00-\ud7af"
_SYLLABLE = "\uac00-\ud7af"  # hangul syllables; jamo alone (ㅋㅋ, ㅠㅠ) are laughter or tears
_IDEOGRAPHS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN = re.compile(f"[{_IDEOGRAPHS}]")
_LETTER = re.compile(r"[^\W\d_]")


# The next three are compiled on first use (5 ms of `servicebot check`'s start, which reads
# no message): only text with kana or hangul syllables reads them.
@functools.cache
def _cjk_word() -> re.Pattern[str]:
    """A run of Chinese characters, kana and hangul syllables: a word, or several unspaced
    ones."""
    return re.compile(f"[{_IDEOGRAPHS}{_KANA}{_SYLLABLE}]+")


@functools.cache
def _kana_word() -> re.Pattern[str]:
    """Kana in a word: a katakana word (a name, ポケモン, ドラえもん, with what follows it) or a
    hiragana one; の alone between Chinese characters is Taiwan's and Hong Kong's 的 (我の订单)."""
    return re.compile(
        f"(?P<of>(?<=[{_IDEOGRAPHS}])の(?=[{_IDEOGRAPHS}]))"
        f"|(?P<katakana>[{_KATAKANA}][{_KANA}]*)|(?P<hiragana>[{_HIRAGANA}]+)"
    )


@functools.cache
def _particle() -> re.Pattern[str]:
    """One kana among Chinese characters, in terse Japanese: a particle ending a word after
    one (商品到着後返品可能期間は; not a kaomoji's へ before its "("), or の between two
    (配送料金の確認). Chinese writes の for 的 too, with words Japanese does not write
    (我の訂單到哪了): see _lone_particle."""
    return re.compile(
        f"(?<=[{_IDEOGRAPHS}])(?:[をはがにでへとも](?=$|[\\s。、，,.!?！？{_IDEOGRAPHS}{_KATAKANA}])"
        f"|の(?=[{_IDEOGRAPHS}]))"
    )


_CHINESE_WORDS = re.compile("[你您哪吗嗎呢吧啊么麼这這们們没沒还還给給说說很]")
_SYLLABLES = re.compile(f"[{_SYLLABLE}]")
_KANA_OR_SYLLABLE = re.compile(f"[{_KANA}{_SYLLABLE}]")  # what the rest counts: none, no word


@dataclass(frozen=True)
class Writing:
    """A writing system: its name, as an operator reads it in a trace, its letters, and the
    language codes written in it (the part of a bot's code before any ``-``)."""

    name: str
    letters: re.Pattern[str]
    languages: frozenset[str]


_JAPANESE = Writing("Japanese kana", re.compile(f"[{_KANA}]"), frozenset({"ja"}))
_KOREAN = Writing("Korean hangul", re.compile(f"[{_HANGUL}]"), frozenset({"ko"}))
_WRITINGS = (
    _JAPANESE,
    _KOREAN,
    # Arabic-Indic digits (U+0660-0669, U+06F0-06F9) are left out: a number is no language.
    Writing(
        "Arabic script",
        re.compile(
            "[\u0600-\u065f\u066a-\u06ef\u06fa-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]"
        ),
        frozenset({"ar", "fa", "ur", "ps", "ku", "ckb", "sd", "ug"}),
    ),
    Writing(
        "Cyrillic",
        re.compile("[\u0400-\u04ff\u0500-\u052f]"),
        frozenset({"ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "mn", "tg", "tt", "ba"}),
    ),
    Writing(
        "Devanagari", re.compile("[\u0900-\u097f]"), frozenset({"hi", "mr", "ne", "sa", "kok"})
    ),
    Writing("Thai", re.compile("[\u0e00-\u0e7f]"), frozenset({"th"})),
)
_ANY = re.compile("|".join(writing.letters.pattern for writing in _WRITINGS))


def writes_kana_or_hangul(text: str) -> bool:
    """Whether ``text`` is Japanese or Korean, however many Chinese characters it has, and
    never traditional Chinese (see :func:`_japanese_or_korean`)."""
    return _japanese_or_korean(text) is not None


def _japanese_or_korean(text: str) -> Writing | None:
    """Japanese or Korean, read from ``text``'s words, or None. Korean: no fewer hangul
    syllables than Chinese characters (``我买的방탄소년단专辑什么时候到`` names a band in Chinese).
    Japanese: hiragana, its particles and word endings, no fewer than the Chinese characters
    (``担当者と話したい``); or fewer (``配送状況を確認したい``), or katakana no fewer
    (``パスワード再設定``), or one particle among kanji (``配送料金の確認``; see
    :func:`_lone_particle`), with no simplified character Japanese writes otherwise
    (``ユニクロ退货`` names a brand in Chinese). Chinese customers write kana and hangul too:
    a kaomoji's mouth (``(っ´ω`c)``), laughter in jamo (``ㅋㅋ``), の for 的, a brand's name."""
    if text.isascii() or not _KANA_OR_SYLLABLE.search(text):  # most Chinese: one search in C
        return None
    hiragana, katakana, syllables = _east_asian_letters(text)
    han = len(HAN.findall(text))
    if syllables and syllables >= han:
        return _KOREAN
    if hiragana and hiragana >= han:
        return _JAPANESE
    some = hiragana >= 2 or (hiragana and 3 * hiragana >= han) or (katakana and katakana >= han)
    some = some or _lone_particle(text)
    return _JAPANESE if some and not writes_chinese_only(text) else None


def _lone_particle(text: str) -> bool:
    """Whether ``text`` has a kana that reads as a Japanese particle though it is alone among
    Chinese characters: one ending a word (``商品到着後返品可能期間は``) or の between two
    (``配送料金の確認``), in a message with no word nor traditional character only Chinese
    writes (``我の訂單到哪了``: 哪, 單; Japanese writes 単)."""
    return bool(
        _particle().search(text)
        and not _CHINESE_WORDS.search(text)
        and not writes_traditional_only(text)
    )


def _east_asian_letters(text: str) -> tuple[int, int, int]:
    """How many of ``text``'s hiragana, katakana and hangul syllables are in words. A kana
    letter alone among symbols is a kaomoji's (``(っ´ω`c)``), not counted; the letters of a
    word that begins in katakana are katakana (ドラえもん is a name); の alone between Chinese
    characters is not counted."""
    hiragana = katakana = syllables = 0
    for word in _cjk_word().findall(text):
        if len(word) == 1 and not HAN.match(word) and not _SYLLABLES.match(word):
            continue
        syllables += len(_SYLLABLES.findall(word))
        for kana in _kana_word().finditer(word):
            if kana.lastgroup == "katakana":
                katakana += len(kana.group())
            elif kana.lastgroup == "hiragana":
                hiragana += len(kana.group())
    return hiragana, katakana, syllables


def writing_of(text: str) -> Writing | None:
    """The writing system in ``_WRITINGS`` that at least half of ``text``'s letters are in
    (Chinese characters count as Japanese or Korean where :func:`writes_kana_or_hangul` reads
    one, and kana or hangul as neither where it does not), or None: ``Где мой заказ?`` is
    Cyrillic, ``my order for Иван`` is not. Text without one of their letters (most
    messages) is not counted."""
    if text.isascii() or not _ANY.search(text):
        return None
    letters = len(_LETTER.findall(text))
    east = _japanese_or_korean(text)
    for writing in _WRITINGS:
        found = len(writing.letters.findall(text))
        if writing in (_JAPANESE, _KOREAN):  # a kaomoji's kana, a Chinese message's ㅋㅋ: no
            found = found + len(HAN.findall(text)) if writing is east else 0
        if found and 2 * found >= letters:
            return writing
    return None


def spoken(writing: Writing, languages: Sequence[str]) -> str | None:
    """The first of the bot's ``languages`` written in ``writing``, or None."""
    return next((code for code in languages if code.split("-")[0] in writing.languages), None)


def told_apart(language: str) -> bool:
    """Whether a message in ``language`` is told apart by its letters (``ja``, ``ru``)."""
    return any(language.split("-")[0] in writing.languages for writing in _WRITINGS)


def unspoken_writing(text: str, languages: Sequence[str]) -> str | None:
    """The name of the writing system ``text`` is in when the bot's ``languages`` include none
    written in it (Cyrillic to a bot of ``[en, zh]``), else None."""
    return unspoken(writing_of(text), languages)


def unspoken(writing: Writing | None, languages: Sequence[str]) -> str | None:
    """:func:`unspoken_writing` of a message whose :func:`writing_of` is ``writing``."""
    return None if writing is None or spoken(writing, languages) else writing.name
