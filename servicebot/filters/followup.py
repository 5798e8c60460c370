"""A value the customer sends on its own, right after a message that ended with its label:
"my card number is" then "4111 1111 1111 1111", "and the cvv is" then "123", "我的身分證號碼是"
then "A123456789", "my password is" then "Hunter2!x". A chat window sends each line as it is
typed, so the label that says what a value is may come one message before it.

Owns :func:`find_pii_after`, which the pre-filter calls with the customer's previous message as
the store keeps it (masked; labels stay in the text). The value is read as ``labelled.py``
reads one after its label on the same line (an address or a date of birth as ``addresses.py``
and ``birthdates.py`` do: "my date of birth is" then "07/03/1990"), the end of the previous
message, a space, then the value: the same labels, links and shapes decide (a gift card's
number is no payment card, a lock's "pin" needs "is", a password "is" or a colon). It is taken
only where that reading gives the new message's value whole, so the previous message must end
with the label and its links (a "?" may follow: "手机号？"), and the new one start with the value
(after "it's"/是, if any), which is all of it or is followed by a few words set apart from it
("123 thanks", "E12345678, expires 2030", "123 🙂"; a value with a digit: "password:" then
"sure, one sec" gives none). "my order number is" then "4111111111111111" stays an order
number. A number split over messages ("phone: 138 0013" then "8000") is not joined: each piece
is masked on its own, by ``pieces.py``, which reads further back.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import Final

from . import Finding
from .addresses import postal_data
from .labelled import Labelled, find_labelled
from .pieces import find_pieces, label_end
from .pii import PII_KINDS, find_pii

_LEAD: Final = re.compile(r"\s*(?:(?:it's|it’s|it is|its)\s+|就?是\s*)?", re.IGNORECASE)
_DIGIT: Final = re.compile("[0-9]")  # every labelled value has one (see labelled.py)...
# ...but a password, which may be letters alone after "password:" or 密码是 (as on one line)
_PASSWORD_LABEL: Final = re.compile(
    r"(?:password|passwd|pwd|pw|密码|密碼)\s*(?:is|was|[:：=]|是|为|為)?\s*[?？]?\s*\Z", re.I
)
_TAIL: Final = 64  # characters of the previous message read: a label and its linking words
_MOST: Final = 128  # characters of a value alone: more is a message of its own
_AFTER: Final = 48  # characters after a value at the message's start: a few words, no more


def find_pii_after(
    text: str,
    previous: Sequence[str] = (),
    pieces: Collection[str] = (),
    label_hits: list[tuple[int, int]] | None = None,
    lowered: str | None = None,
) -> list[Finding]:
    """:func:`~.pii.find_pii` over normalised ``text``, with the value it is alone when the
    customer's last message (``previous``: their last ones as stored, the newest last) ended
    with that value's label, and a piece of a value typed in pieces (``pieces.py``; marked
    ``piece``); ``pieces``: the placeholders that stood for pieces in this conversation;
    ``label_hits``: the label words in ``text``, if already found (``wordscan.scan_words``);
    ``lowered``: ``normalise.lower_in_place(text)``, if already made."""
    carried = carried_value(text, previous[-1]) if previous else None
    labelled = find_labelled(text, PII_KINDS, label_hits, lowered)
    piece = [] if carried else find_pieces(text, previous, labelled, pieces)
    labelled.found.extend([carried] if carried else piece)
    found = find_pii(text, labelled=labelled)
    if not piece:  # most messages
        return found
    spans = {(start, end) for start, end, _ in piece}
    return [replace(f, piece=True) if (f.start, f.end) in spans else f for f in found]


def carried_value(text: str, previous: str) -> tuple[int, int, str] | None:
    """Where the value that normalised ``text`` starts with stands, and its kind, when
    ``previous`` ends with its label; None if it does not, or ``text`` is more than a value
    and a few words after it (see :func:`_value_then_words`)."""
    lead = _LEAD.match(text)
    start = lead.end() if lead else 0
    value = text[start:].rstrip()
    value = value[:-1].rstrip() if value.endswith((".", "。")) else value
    if not 0 < len(value) <= _MOST + _AFTER:
        return None
    if not _DIGIT.search(value) and not _PASSWORD_LABEL.search(previous[-_TAIL:]):
        return None  # most messages: a question, not a value
    head = label_end(previous)
    joined = f"{head} {value}"
    labelled = find_labelled(joined, PII_KINDS)
    for found_start, found_end, kind in [*labelled.found, *_postal(joined, labelled)]:
        end = start + found_end - len(head) - 1
        if found_start != len(head) + 1 or end - start > _MOST:
            continue
        if found_end == len(joined) or _value_then_words(text, start, end):
            return start, end, kind
    return None


def _postal(joined: str, labelled: Labelled) -> list[tuple[int, int, str]]:
    """The addresses and dates of birth in ``joined`` (a label, then the value), read as
    ``pii.find_pii`` reads them: near the words ``labelled`` found ("my address is", "DOB")."""
    return postal_data(joined, PII_KINDS, labelled.cues)


def _value_then_words(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]``, a value at the message's start, is followed by a few words
    only ("123 thanks", "E12345678, expires 2030", "123 🙂"), set apart from it, and holds a
    digit: "password:" then "sure, one sec" is no password "sure" but an answer."""
    after = text[end:]
    return (
        not after[:1].isalnum()
        and len(after.strip()) <= _AFTER
        and _DIGIT.search(text, start, end) is not None
    )
