"""Control and invisible characters, removed from every answer, and blank answers."""

from __future__ import annotations

import functools
import html
import re

from ..filters.normalise import visible_only, without_surrogates

# What a terminal or a text renderer would act on rather than show, removed from answers
# before anyone sees or stores them: escape sequences whole (colours, cursor moves, window
# titles), control characters but tab and line breaks, and the invisible characters that hide
# or reorder text (zero-width space, word joiner, BOM, soft hyphen, bidi embeddings, overrides
# and isolates, tag characters). The joiners U+200C and U+200D stay: emoji and scripts need
# them. So do the marks U+200E, U+200F and U+061C (LRM, RLM, ALM): each is one invisible
# letter of a direction, which sets where a neutral run such as "#123456" or "(5)" sits
# in right-to-left text and overrides nothing after it; removed, the order number showed
# on the wrong side of its Arabic sentence. (The pre-filter keeps them in the customer's
# text too; only the copy detectors read drops them, so "sh\u200fit" still matches.)
# An escape sequence never ended loses only its ESC; U+0085 (next line) and the line and
# paragraph separators U+2028 and U+2029 are line breaks.
_CONTROLS = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)|\x1b"
    "|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u180e\u200b"
    "\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]"
)
_LINE_BREAKS = str.maketrans("\x85\u2028\u2029", "\n\n\n")


def visible(text: str) -> str:
    """``text`` without the control and invisible characters no customer is sent: for replies
    that do not pass the post-filter (FAQ answers as written, canned replies)."""
    return without_controls(text)[0]


def blank(text: str) -> bool:
    """Whether ``text`` shows nothing: spaces, characters drawn blank (a Hangul filler, a
    Braille blank, variation selectors: what :func:`visible_only` drops), and
    their HTML references (``&nbsp;``). Cached and sent, such an answer is an empty bubble."""
    if "&" not in text and _plainly_visible().search(text):  # most answers, at their start
        return False
    return not visible_only(html.unescape(text)).strip()


@functools.cache
def _plainly_visible() -> re.Pattern[str]:
    """A letter or digit that surely shows; compiled when an answer is first reviewed (re
    fills in the range of ideographs one by one: 1 ms that `servicebot check` never needs)."""
    return re.compile("[0-9A-Za-z\u4e00-\u9fff]")


def without_controls(answer: str) -> tuple[str, int]:
    """``answer`` without :data:`_CONTROLS`, and how many went; most answers have none, and
    ``isprintable`` (False for control and format characters, and surrogates) tells so in C.
    A model's JSON may split a character into halves (``"\\ud83d"``): a pair is made whole,
    a lone half U+FFFD, or no encoder would take the reply (the customer's screen, a log)."""
    if answer.replace("\n", "").replace("\t", "").isprintable():
        return answer, 0
    return _CONTROLS.subn("", without_surrogates(answer).translate(_LINE_BREAKS))
