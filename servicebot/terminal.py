"""Untrusted text made safe to print on an operator's terminal.

Customer messages, model answers and labelled files can hold control characters: an escape
sequence may recolour the screen, set the window title or write the clipboard (OSC 52), a
carriage return may overwrite what was printed, a line separator (U+2028) may start what
reads as a new line of output, bidirectional overrides may show text in another order than it
is stored, and invisible characters (a zero-width space, a BOM) hide what the text really
holds. Every command that prints such text passes it through :func:`printable`, which writes
those characters as escapes (``\\x1b``, ``\\u202e``, ``\\u200b``) instead; the joiner and
variation selectors inside an emoji stay, as they draw it.
rich strips only a few of them (bell, backspace, carriage return and form feeds), not ESC.
:func:`message_body` does the same for a message printed under a rule that names its role,
and escapes what could draw such a rule. :func:`printable_json` escapes the same characters
in a line of JSON as JSON escapes (``\\u202e``), so that the line still reads as the same values.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Callable

from .filters.normalise import DRAWN_BLANK

RULE_CHARACTER = "\u2500"  # the line of the rules that name each message's role: "user ────"
# What normalise.py drops as invisible (controls but tab and line feed, bidi overrides and
# isolates as in "Trojan Source", zero-width space and joiners, BOM, variation selectors,
# tags, what is drawn blank), the rest of the format characters (category Cf), and the line
# and paragraph separators (Zl, Zp), which a terminal may break the line at, or show as nothing.
_UNSAFE = re.compile(
    f"[{DRAWN_BLANK}\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\ufff9-\ufffb\U000110bd"
    "\U000110cd\U00013430-\U0001343f\U0001d173-\U0001d17a\u2028\u2029]"
)
_SELECTORS = frozenset("\ufe0e\ufe0f")  # text and emoji presentation selectors
_SKIN_TONES = frozenset("\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")
_KEYCAP_BASES = frozenset("0123456789#*")  # 1️⃣ #️⃣ *️⃣
_RULE_LIKE = re.compile("[\u2015\u2500-\u257f]")  # ― and box drawing: ─ ━ ═ ┄ ...


def printable(text: str) -> str:
    """``text`` with every character a terminal would act on, or would not show, written as
    an escape. What is stored is not changed: only what is printed."""
    return _UNSAFE.sub(_escaped_unless_emoji, text)


def on_terminal() -> bool:
    """Whether standard output is a terminal (not a file or a pipe): where JSON a command
    prints goes through :func:`printable_json`, and a file gets it as stored."""
    return sys.stdout.isatty()


def message_body(text: str) -> str:
    """``text``, printable, as the body of a message printed under a rule naming its role
    (``servicebot render``): box-drawing characters and the horizontal bar are escaped too,
    so that a customer's ``system ────`` or ``system ━━━━`` cannot pass for the next
    message's rule. (A console that cannot show ``─`` draws rules with ``-``, which stays.)"""
    return _RULE_LIKE.sub(_escaped, printable(text))


def printable_json(line: str) -> str:
    """A line of JSON (``json.dumps(..., ensure_ascii=False)``, which escapes only the C0
    controls) with the characters :func:`printable` escapes written as JSON escapes: shown
    on a terminal, it reads back as the same values."""
    return _UNSAFE.sub(lambda match: _escaped_unless_emoji(match, _json_escaped), line)


def _escaped_unless_emoji(
    match: re.Match[str], escaped: Callable[[re.Match[str]], str] | None = None
) -> str:
    """The character escaped (by ``escaped``: as Python writes it), unless a joiner or
    presentation selector drawing an emoji (👩‍💻, ❤️, ❤️‍🔥): escaped there it would split the
    emoji, and hides nothing."""
    char, text, at = match[0], match.string, match.start()
    if char in _SELECTORS and _selects(text, at):
        return char
    if char == "\u200d" and _joins(text, at):
        return char
    return (escaped or _escaped)(match)


def _selects(text: str, at: int) -> bool:
    """Whether the selector at ``at`` draws an emoji: right after a pictograph, or the emoji
    selector of a keycap (1️⃣). After another selector it draws nothing, and would hide."""
    before = text[at - 1] if at > 0 else ""
    if text[at] == "\ufe0f" and before in _KEYCAP_BASES and text[at + 1 : at + 2] == "\u20e3":
        return True
    return _pictograph(before)


def _joins(text: str, at: int) -> bool:
    """Whether the joiner at ``at`` is between two pictographs; the one before may carry its
    emoji selector (❤️‍🔥), which then is kept too. A joiner next to another, or next to a
    selector that is escaped, would hide."""
    before = text[at - 1] if at > 0 else ""
    if before == "\ufe0f":
        before = text[at - 2] if at > 1 else ""
    return _pictograph(before) and _pictograph(text[at + 1 : at + 2])


def _pictograph(char: str) -> bool:
    """An emoji or a skin tone: what a selector follows and a joiner joins ("" is none)."""
    if char in _SKIN_TONES:
        return True
    return len(char) == 1 and unicodedata.category(char) == "So"


def _json_escaped(match: re.Match[str]) -> str:
    """The character as JSON escapes it: a character past U+FFFF as its surrogate pair."""
    return json.dumps(match[0], ensure_ascii=True)[1:-1]


def _escaped(match: re.Match[str]) -> str:
    code = ord(match[0])
    if code > 0xFFFF:  # eight digits, as Python writes them: \ue0041 would read as \ue004, 1
        return f"\\U{code:08x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
