"""Untrusted text made safe to print on an operator's terminal.

Customer messages, model answers and labelled files can hold control characters: an escape
sequence may recolour the screen, set the window title or write the clipboard (OSC 52), a
carriage return may overwrite what was printed, and bidirectional overrides may show text in
another order than it is stored. Every command that prints such text passes it through
:func:`printable`, which writes those characters as escapes (``\\x1b``, ``\\u202e``) instead.
rich strips only a few of them (bell, backspace, carriage return and form feeds), not ESC.
:func:`message_body` does the same for a message printed under a rule that names its role,
and escapes what could draw such a rule.
"""

from __future__ import annotations

import re

RULE_CHARACTER = "\u2500"  # the line of the rules that name each message's role: "user ────"
# C0 controls but tab and line feed, DEL, C1 controls, and the bidirectional overrides
# and isolates (as in "Trojan Source").
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_RULE_LIKE = re.compile("[\u2015\u2500-\u257f]")  # ― and box drawing: ─ ━ ═ ┄ ...


def printable(text: str) -> str:
    """``text`` with every character a terminal would act on written as an escape."""
    return _UNSAFE.sub(_escaped, text)


def message_body(text: str) -> str:
    """``text``, printable, as the body of a message printed under a rule naming its role
    (``servicebot render``): box-drawing characters and the horizontal bar are escaped too,
    so that a customer's ``system ────`` or ``system ━━━━`` cannot pass for the next
    message's rule. (A console that cannot show ``─`` draws rules with ``-``, which stays.)"""
    return _RULE_LIKE.sub(_escaped, printable(text))


def _escaped(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
