"""The writing systems a message's letters alone tell apart, and the languages each writes.

Routing tells Chinese from other text by counting (see ``routing/languages.py``), but a
Chinese character is also Japanese: ``配送状況を確認したい`` has six of them and four kana, and was
answered in traditional Chinese (況 is a traditional character). Kana or hangul anywhere
(with a few katakana, a brand's name in Chinese text, the exception) means Japanese or
Korean, never Chinese. A message mostly in a writing system below (kana,
hangul, Arabic, Cyrillic, Devanagari, Thai) is in one of its languages; if the bot speaks
none of them, it answers in a language the customer does not write, so an answer sent as
written (in English, say) should rather go to the model, which can answer in theirs.

Only the writing system is read, not the language: Spanish and English are both Latin
letters, and Russian and Ukrainian both Cyrillic, so a bot of ``[en, uk]`` answers Russian
in Ukrainian. No language model is involved, and text of ASCII alone costs one check.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

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
_HIRAGANA_HANGUL = re.compile(f"[{_HIRAGANA}{_HANGUL}]")
_KATAKANA_LETTER = re.compile(f"[{_KATAKANA}]")
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Writing:
    """A writing system: its name, as an operator reads it in a trace, its letters, and the
    language codes written in it (the part of a bot's code before any ``-``)."""

    name: str
    letters: re.Pattern[str]
    languages: frozenset[str]


_JAPANESE = Writing("Japanese kana", re.compile(f"[{_KANA}]"), frozenset({"ja"}))
_WRITINGS = (
    _JAPANESE,
    Writing("Korean hangul", re.compile(f"[{_HANGUL}]"), frozenset({"ko"})),
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
    never traditional Chinese: it has a hiragana or hangul letter (Japanese sentences have
    their particles, を, は, です), or no fewer katakana than Chinese characters
    (``パスワード再設定``). A few katakana among more Chinese characters are a brand's name in
    a Chinese message (``我买的ポケモン卡什么时候到``)."""
    if text.isascii():
        return False
    if _HIRAGANA_HANGUL.search(text) is not None:
        return True
    katakana = len(_KATAKANA_LETTER.findall(text))
    return katakana > 0 and katakana >= len(HAN.findall(text))


def writing_of(text: str) -> Writing | None:
    """The writing system in ``_WRITINGS`` that at least half of ``text``'s letters are in
    (a Chinese character counts as Japanese where :func:`writes_kana_or_hangul`), or None:
    ``Где мой заказ?`` is Cyrillic, ``my order for Иван`` is not. Text without one of their
    letters (most messages) is not counted."""
    if text.isascii() or not _ANY.search(text):
        return None
    letters = len(_LETTER.findall(text))
    for writing in _WRITINGS:
        found = len(writing.letters.findall(text))
        if writing is _JAPANESE and found and writes_kana_or_hangul(text):
            found += len(HAN.findall(text))  # Japanese's own, not a brand's name in Chinese
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
