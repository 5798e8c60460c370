"""The language codes a bot reads: what a code looks like (:data:`LANGUAGE_CODE`), the key of
an answer that serves every language (:data:`ANY_LANGUAGE`), and the codes people write for
Chinese and English that a bot does not use (:data:`LANGUAGE_ALIASES`), with the advice that
names the code to write instead (:func:`language_advice`), wherever the code is written, and
the names warnings give the languages :func:`~servicebot.routing.detect_language` tells apart
(:func:`language_name`).
"""

from __future__ import annotations

import re
from typing import Any

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")
ANY_LANGUAGE = "*"
"""The key under which a plain-text ``answer`` is kept: it serves every language."""

LANGUAGE_ALIASES = {
    **dict.fromkeys(("cn", "chs", "cht", "zh-cn", "zh-hans", "zh-sg"), "zh"),
    **dict.fromkeys(("zh-tw", "zh-hk", "zh-mo", "zh-hant"), "zh"),
    **dict.fromkeys(("eng", "en-us", "en-gb"), "en"),
    # a language's name, for its code
    **dict.fromkeys(
        ("chinese", "mandarin", "中文", "汉语", "漢語", "简体中文", "繁體中文", "繁体中文"), "zh"
    ),
    **dict.fromkeys(("english", "英文", "英语", "英語"), "en"),
}
"""Codes people write for Chinese and English that are not the codes a bot uses: one ``zh``
serves simplified and traditional Chinese alike (each reply follows the customer's script),
and one ``en`` every English."""


_NAMES = {
    "zh": "Chinese",
    "en": "English",
    "ja": "Japanese",
    "ko": "Korean",
    "ar": "Arabic",
    "ru": "Russian",
    "uk": "Ukrainian",
    "hi": "Hindi",
    "th": "Thai",
}


def language_name(code: str) -> str:
    """The English name of the language ``code`` is, for a warning an operator reads ("1
    Chinese phrasing"); the code itself for one without a name here."""
    return _NAMES.get(code.split("-")[0].lower(), code)


def language_advice(code: str) -> str | None:
    """Which code to write for ``code``, when it is one people write for Chinese or English
    that a bot does not use (see ``LANGUAGE_ALIASES``): said alike wherever it is written,
    in 'languages' or as an answer's key."""
    meant = LANGUAGE_ALIASES.get(code.lower())
    if meant == "zh":
        return (
            "Chinese is 'zh', simplified and traditional alike (each reply follows the script "
            "the customer writes in)"
        )
    return None if meant is None else f"English is '{meant}', whatever the region"


def not_an_alias(code: Any) -> Any:
    """Before the pattern, so that ``中文`` or ``English`` is told its code."""
    if isinstance(code, str) and (advice := language_advice(code)):
        raise ValueError(f"is '{code}': {advice}")
    return code
