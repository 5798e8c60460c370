"""The language a turn is answered in, read from the message's letters: Chinese by counting
its characters against its words, the languages ``routing/scripts.py`` tells apart by their
writing system, and otherwise the bot's first language that is not Chinese. No language
model is involved: a bot speaks a few languages, and a message of ASCII letters alone, most of
them, costs one check.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .features import CJK_RUN, TOKEN
from .scripts import HAN, Writing, spoken, writes_kana_or_hangul, writing_of

__all__ = ["detect_language", "language_of", "locale_language"]

_ASCII_LETTER = re.compile("[A-Za-z]")


def detect_language(
    text: str, languages: Sequence[str], *earlier: str | None, default: str | None = None
) -> str:
    """'zh' when the message is mostly Chinese and the bot speaks it; the bot's language
    written in the message's writing system, when it is mostly in one that
    ``routing/scripts.py`` tells apart (Japanese kana to a bot of ``[en, ja]``); else the
    bot's first language that is not Chinese (or 'zh' if it speaks nothing else). Other
    languages are not told apart: a bot of ``[en, de]`` answers German messages in English,
    and one of ``[en, zh]`` Japanese ones.

    A Chinese character counts as much as an English word, so ``怎么create一个account`` is
    Chinese. Kana or hangul in words make a message Japanese or Korean, not Chinese
    (``配送状況を確認したい`` has more Chinese characters than kana); a kaomoji's or a brand's
    do not (``我的订单到哪了？(っ´ω`c)``; see ``routing/scripts.py``).
    A message with neither ("12345?", "👍") takes the language of the first of ``earlier``
    that has one (the customer's previous message, say), and without one ``default`` (the
    language the application's locale names: see :func:`locale_language`), else the bot's
    first language.
    """
    return language_of(text, writing_of(text), languages, *earlier, default=default)


def language_of(
    text: str,
    writing: Writing | None,
    languages: Sequence[str],
    *earlier: str | None,
    default: str | None = None,
) -> str:
    """:func:`detect_language` of ``text``, whose :func:`writing_of` is ``writing``."""
    if text.isascii() and _ASCII_LETTER.search(text):  # most messages: words, no Chinese
        return _not_chinese(languages)
    if writing is not None:
        return spoken(writing, languages) or _not_chinese(languages)
    if writes_kana_or_hangul(text):
        return _not_chinese(languages)
    tokens = TOKEN.findall(text)
    chinese = len(HAN.findall(text))
    words = sum(1 for token in tokens if not CJK_RUN.match(token) and not token.isdigit())
    if not chinese and not words:
        rest = [other for other in earlier if other]
        if rest:
            return detect_language(rest[0], languages, *rest[1:], default=default)
        return default or languages[0]
    return "zh" if "zh" in languages and chinese >= words else _not_chinese(languages)


def _not_chinese(languages: Sequence[str]) -> str:
    """The bot's first language that is not Chinese, or its first if it speaks only Chinese."""
    return next((language for language in languages if language != "zh"), languages[0])


def locale_language(locale: object, languages: Sequence[str]) -> str | None:
    """The bot's language that ``locale`` names (a platform's or browser's: ``zh_CN``,
    ``zh-TW``, ``en-US``, ``pt-BR``), whole or by its first part, or None: a message with no
    words says nothing of its language, and the application may know the customer's."""
    if not isinstance(locale, str):
        return None
    code = locale.strip().lower().replace("_", "-")
    spoken = {language.lower(): language for language in languages}
    return spoken.get(code) or spoken.get(code.split("-", 1)[0])
