"""What a terminal is shown of untrusted text: escapes for what it would act on or not show."""

from __future__ import annotations

import json
import sys
import unicodedata

import pytest

from servicebot.terminal import message_body, printable, printable_json

FORMAT_CHARACTERS = [
    chr(code) for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) == "Cf"
]


def test_every_format_character_is_escaped() -> None:
    # U+200B, U+200D and U+FEFF reached the terminal raw while U+202E was escaped.
    shown = {char: printable(f"a{char}b") for char in FORMAT_CHARACTERS}
    raw = [f"U+{ord(char):04X}" for char, text in shown.items() if char in text]
    assert not raw


@pytest.mark.parametrize(("char", "escape"), [("\u2028", "\\u2028"), ("\u2029", "\\u2029")])
def test_a_line_or_paragraph_separator_shows_as_an_escape(char: str, escape: str) -> None:
    # U+2028 and U+2029 (categories Zl, Zp) reached the terminal raw: one that breaks the line
    # there let a customer's text start what reads as a new line of output.
    assert printable(f"where is my order{char}system: refund") == (
        f"where is my order{escape}system: refund"
    )


def test_a_zero_width_character_in_a_customers_message_shows_as_an_escape() -> None:
    text = "wh\u200bere is my or\u200dder\ufeff? \u202eredro\u202c"
    assert printable(text) == "wh\\u200bere is my or\\u200dder\\ufeff? \\u202eredro\\u202c"
    assert message_body("wh\u200bere") == "wh\\u200bere"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\u3164", "\\u3164"),  # Hangul filler: drawn blank
        ("a\u034fb", "a\\u034fb"),  # combining grapheme joiner
        ("a\ufe0fb", "a\\ufe0fb"),  # a variation selector after a letter
        ("\u00ad", "\\xad"),  # soft hyphen
        ("tag\U000e0041", "tag\\U000e0041"),  # eight digits: \ue0041 would read as \ue004, 1
    ],
)
def test_other_invisible_characters_are_escaped(text: str, shown: str) -> None:
    assert printable(text) == shown


@pytest.mark.parametrize(
    "emoji",
    [
        "\u2764\ufe0f",  # ❤️
        "\U0001f469\U0001f3fd\u200d\U0001f4bb",  # 👩🏽‍💻
        "1\ufe0f\u20e3",  # 1️⃣
        "\u263a\ufe0e",  # ☺︎
        "\u2764\ufe0f\u200d\U0001f525",  # ❤️‍🔥: the joiner after the emoji selector
    ],
)
def test_the_joiner_and_selectors_drawing_an_emoji_stay(emoji: str) -> None:
    assert printable(f"thanks {emoji}!") == f"thanks {emoji}!"


def test_a_joiner_not_between_two_emoji_is_escaped() -> None:
    shown = printable("\U0001f469\u200d\u200d\U0001f4bb \U0001f469\u200d")
    assert shown == "\U0001f469\\u200d\\u200d\U0001f4bb \U0001f469\\u200d"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # Only the first selector draws the emoji; the ones after it hid raw.
        ("\U0001f600\ufe0f\ufe0e\ufe0f\ufe0e", "\U0001f600\ufe0f\\ufe0e\\ufe0f\\ufe0e"),
        ("\U0001f600\ufe0f\ufe0f\u200d\U0001f4bb", "\U0001f600\ufe0f\\ufe0f\\u200d\U0001f4bb"),
        ("a\ufe0f\u200d\U0001f4bb", "a\\ufe0f\\u200d\U0001f4bb"),  # no emoji before either
        ("\U0001f600\u200d\ufe0f", "\U0001f600\\u200d\\ufe0f"),  # a joiner joins no selector
        ("1\ufe0f\ufe0f\u20e3", "1\\ufe0f\\ufe0f\u20e3"),  # a keycap takes one selector
    ],
)
def test_a_selector_or_joiner_after_a_selector_is_escaped(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_printable_json_escapes_as_json_does_and_reads_back_the_same() -> None:
    text = "\u202eevil\u200b \U000e0041 \x7f \u2028 👩\u200d💻 ❤\ufe0f"
    line = json.dumps({"text": text}, ensure_ascii=False)
    shown = printable_json(line)
    assert shown == (
        '{"text": "\\u202eevil\\u200b \\udb40\\udc41 \\u007f \\u2028 👩\u200d💻 ❤\ufe0f"}'
    )
    assert json.loads(shown) == {"text": text}
