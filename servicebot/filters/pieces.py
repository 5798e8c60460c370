"""A value typed in pieces, one message each, after its label: "my card number is 4111 1111"
then "1111 1111"; "my phone is", "415", "555", "2671"; "我的身份证号是", "110101", "19900307",
"7777"; "my email is john.smith" then "@gmail.com". A chat window sends each line as it is
typed, and a customer copying a number from a card or a letter sends it group by group.

Owns :func:`find_pieces`, which ``followup.py`` calls once the message is not a whole value
after its label. A piece is masked with its label's kind ([CARD_1], then [CARD_2]: each piece
is a value of its own to the placeholders, which never hold a value to join them with):

- a value that the message ends with, right after its label, too short to be whole ("my card
  number is 4111 1111": no customer types half a card for another reason);
- a message that is only a piece (digit groups; an email's ``@domain``, or its name before
  the ``@``) after messages that leave its label open: one that ends with the label, or with
  the label and a piece, then at most ``CARRIED`` - 1 more pieces, each a message of its own.

A label opens a value when the message ends with it and a link ("my phone is", "卡号：") or is
that label alone ("phone", "手机", "my card", "phone number?": the customer answering the
bot's question), but not in a question about another's ("what is your phone number?", then
"800": the shop's). A phone's pieces may carry its "+" and country code, brackets, dots
("415.555") or a closing dash ("555-"); any piece may be spelled digit by digit (一三八,
"four one five": ``spelled.py``).

A whole value ends the chain: "my phone number is 13800138000" then "100482" is an order
number. The store keeps both a whole value and a part as a placeholder ("my card number is
[CARD_1]" either way), so the conversation's placeholders remember which stood for parts
(``Placeholders.pieces``); one they do not list was whole. A number the customer calls an
order number stays one (``labelled.py`` reads the labels), and a quantity (2) or a price
(25.99) has no piece's shape.
"""

from __future__ import annotations

import re
import string
from collections.abc import Collection, Sequence
from typing import Final

from . import locales
from .labelled import Labelled, find_labelled
from .labelspans import label_spans
from .normalise import normalise
from .pii import PII_KINDS
from .placeholders import PLACEHOLDER
from .spelled import spelled_value, spells_a_digit

# The messages after its label that a label carries over, each only a piece: a card number
# typed in its four printed groups, one a message, is the longest value customers send in
# pieces; a phone (415 555 2671, 138 0013 8000), a mainland ID (110101 19900307 7777) or an
# email (john, .smith, @gmail.com) takes three. Beyond that, digits alone are more likely an
# answer to something else than one more piece: the store keeps a piece as a placeholder,
# so how many digits came cannot be counted, only the messages.
_MOST_PIECES: Final = {"CARD": 4, "PHONE": 3, "CN_ID": 3, "SECRET": 3, "EMAIL": 3}
CARRIED: Final = max(_MOST_PIECES.values())  # the customer's messages read back
_TAIL: Final = 64  # characters read before a piece: a label and its linking words

# A value of each kind that a piece may belong to, whole: read after the end of a message, a
# label finds it only if the message ends with that kind's label and its links (a card's
# 16 digits are no phone's, a phone's 10 no card's, an ID's 18 no phone's).
_WHOLE: Final = (
    ("CARD", "4111111111111111"),
    ("PHONE", "4155552671"),
    ("CN_ID", "110101199003077777"),
    ("SECRET", "482913"),  # a one-time code or a PIN
)
_MOST_DIGITS: Final = {"CARD": 19, "PHONE": 15, "CN_ID": 18, "SECRET": 8}
# Digit groups set apart by spaces or dashes, three digits at least (a quantity has fewer); an
# ID's last group may end in its X, and a dash may close any ("555-": more to come). No dot or
# comma: "25.99" and "1,299" are prices.
_DIGITS: Final = re.compile(r"[0-9]+(?:[ -][0-9]+)*[Xx]?-?", re.ASCII)
# A phone's pieces also as a phone is written: "+1 415", "(415)", "415.555" (a dot only between
# groups of three digits or more, so a price's "25.99" never is one).
_PHONE_DIGITS: Final = re.compile(r"\+?[0-9(][0-9() .-]*", re.ASCII)
_LONE_DOT: Final = re.compile(r"(?<![0-9]{3})\.|\.(?![0-9]{3})", re.ASCII)
# What may stand before a label that is a message alone ("my card", 我的手机), and after it
# ("phone number", "card no.", 手机号码).
_MINE: Final = ("", "my", "我的", "我")
_LINK_WORD: Final = re.compile(r"number|num|no\.?|#|[号號][码碼]?|[码碼]")
_EMAIL_LABEL: Final = re.compile(  # read in the lower-cased text
    r"(?<![a-z])e-?mail(?:[ \t]+address)?(?:[ \t]+is|[ \t]*[:：])?"
    r"|(?:邮箱|郵箱|电邮|電郵|电子邮件|電子郵件)(?:地址)?(?:是|为|為|[:：])?"
)
_LOCAL: Final = re.compile(r"[A-Za-z0-9._+-]*[._+0-9][A-Za-z0-9._+-]*", re.ASCII)  # john.smith
_AT_DOMAIN: Final = re.compile(r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", re.ASCII)
_DOMAIN: Final = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", re.ASCII)
# A piece is read only after a label that a linking word or sign ends ("my phone is", "卡号：",
# 身份证号是, "call me at"): "I paid with my card" then "199" is an amount, not a card's start.
_LINKED: Final = re.compile(
    r"(?:[:：=#是为為系号號码碼]|(?<![a-z])(?:is|are|was|number|num|no\.?|code|at|on))\Z"
    f"|(?:{'|'.join(locales.LINK_PARTICLES)})\\Z"
    f"|(?<![^\\W\\d_])(?:{'|'.join(locales.LINK_WORDS)})\\Z"
)
# What a message may end with after a label: a piece of its value (as stored, a placeholder;
# digits or an email's name, "john.smith" or "john.smith@"), then spaces and a full stop.
_END: Final = r"[ \t]*[.。]?[ \t]*\Z"
_LAST_DIGIT: Final = frozenset("0123456789Xx")  # what _TRAILING[0] ends its value with
_AFTER_VALUE: Final = "(?<![0-9A-Za-z@._+-])"  # a piece starts no word
_TRAILING: Final = (
    re.compile(f"{_AFTER_VALUE}[0-9]+(?:[ -][0-9]+)*[Xx]?{_END}", re.ASCII),
    re.compile(f"{_AFTER_VALUE}[A-Za-z0-9._+-]+@?{_END}", re.ASCII),
    re.compile(rf"\[([A-Z][A-Z_]*)_[0-9]+\]@?{_END}", re.ASCII),
)
# What each of _TRAILING's values is made of. A match's value runs to the text's end but for an
# "@", spaces and a full stop, so it starts inside the run of these characters that ends the
# text (without them): each is searched from that run's start, not through the last _TAIL
# characters (3.4 us of a 60-word message for the name's), and finds the same match.
_MADE_OF: Final = (
    "0123456789 -Xx",
    string.ascii_letters + string.digits + "._+-",
    string.ascii_uppercase + string.digits + "_[]",
)


def find_pieces(
    text: str, previous: Sequence[str], labelled: Labelled, pieces: Collection[str] = ()
) -> list[tuple[int, int, str]]:
    """The piece of a value in normalised ``text``, with its kind: one after its label at the
    end of ``text``, or ``text`` itself after ``previous`` messages (the customer's last ones,
    as stored, the newest last) that leave its label open; ``labelled``: ``text``'s values
    found whole, which are no pieces; ``pieces``: the placeholders that stood for pieces."""
    whole = {start for start, _, _ in labelled.found}
    found = _partial_value(text, whole)
    if found is None and previous:
        found = _piece_alone(text, previous, pieces)
    return [] if found is None or found[0] in whole else [found]


def _partial_value(text: str, whole: set[int]) -> tuple[int, int, str] | None:
    """The value ``text`` ends with, right after its label, if too short to be whole."""
    # Digits end the text but for the spaces and full stop _END allows, so a text that does
    # not end so (most: "... if you need it.") skips their search, which tries each of the
    # last 64 characters (1.7 us of a 60-word message).
    last = _value_end(text, len(text))
    digits_end = text[last - 1 : last] in _LAST_DIGIT
    for which in (0, 1) if digits_end else (1,):  # digits, else a name
        found = _trailing(which, text, last)
        if found is None or found.start() == 0 or found.start() in whole:
            continue
        start, end = found.start(), _value_end(text, found.end())
        end -= text.startswith("@", end - 1)  # "john.smith@": the "@" stays, saying what comes
        if not _may_be_piece(text[start:end]):
            continue  # most messages end with a word: no label is read before it
        kind = label_kind(text[:start])
        if kind is not None and _piece_of(kind, text[start:end], opened=False, at=False):
            return start, end, kind
    return None


def _piece_alone(
    text: str, previous: Sequence[str], pieces: Collection[str]
) -> tuple[int, int, str] | None:
    """``text``, without the spaces around it, when it is only a piece of the value that
    ``previous`` leaves open (``pieces``: as for :func:`open_value`)."""
    start = len(text) - len(text.lstrip())
    end = _value_end(text, len(text))
    end -= end - 1 > start and text.startswith("@", end - 1)  # "john.smith@", as above
    if not _may_be_piece(text[start:end]) or (opened := open_value(previous, pieces)) is None:
        return None  # the shape first: most messages are no piece, and cost no reading back
    kind, sent, at = opened
    if not _piece_of(kind, text[start:end], opened=sent, at=at):
        return None
    return start, end, kind


def _trailing(which: int, text: str, last: int | None = None) -> re.Match[str] | None:
    """``_TRAILING[which]``'s match in the last ``_TAIL`` characters of ``text``: searched from
    the start of the run of its value's characters (``_MADE_OF``) that ends ``text``; ``last``:
    where a value ending it ends (``_value_end``), if known."""
    last = _value_end(text, len(text)) if last is None else last
    run = text[:last].removesuffix("@").rstrip(_MADE_OF[which])
    return _TRAILING[which].search(text, max(0, len(text) - _TAIL, len(run)))


def _value_end(text: str, end: int) -> int:
    """Where a value that runs to ``end`` ends: before the spaces and full stop after it."""
    value = text[:end].rstrip()
    value = value[:-1].rstrip() if value.endswith((".", "。")) else value
    return len(value)


def _may_be_piece(piece: str) -> bool:
    """Whether ``piece`` has the shape of a piece of some value (see :func:`_piece_of`)."""
    if piece.isalpha() and not spells_a_digit(piece.lower()):
        # A word ("it": most messages end with one) has no digit, "+", "(", "@", "." or "_",
        # one of which every shape below needs but a number word's ("four").
        return False
    digits = _digits_of("PHONE", piece)  # a phone's pieces have every shape digits may take
    if digits is not None:
        return len(digits) >= 3
    return any(shape.fullmatch(piece) for shape in (_AT_DOMAIN, _DOMAIN, _LOCAL))


def _digits_of(kind: str, piece: str) -> str | None:
    """The digits (and an ID's X) of ``piece`` when it is digit groups as a value of ``kind``
    is typed, or digits spelled one by one (一三八, "four one five"); None if it is not."""
    if spells_a_digit(lowered := piece.lower()):
        spelled = spelled_value(lowered, 0)
        return spelled[1] if spelled is not None and spelled[0] == len(piece) else None
    if _DIGITS.fullmatch(piece) is None and (
        kind != "PHONE" or not _PHONE_DIGITS.fullmatch(piece) or _LONE_DOT.search(piece)
    ):
        return None
    return "".join(c for c in piece if c.isdigit() or c in "Xx")


def _piece_of(kind: str, piece: str, *, opened: bool, at: bool) -> bool:
    """Whether ``piece`` can be part of a value of ``kind``: digit groups of three digits at
    least and no more than a whole one has, an email's name or ``@domain`` (its domain after
    an ``@``). ``opened``: a piece was sent already, so an email's name is no longer one;
    ``at``: the pieces sent end with the ``@`` of an email."""
    if kind == "EMAIL":
        if at:
            return _DOMAIN.fullmatch(piece) is not None
        return bool(_AT_DOMAIN.fullmatch(piece) or (not opened and _LOCAL.fullmatch(piece)))
    digits = _digits_of(kind, piece)
    if digits is None or (digits[-1:] in ("X", "x") and kind != "CN_ID"):
        return False
    return 3 <= sum(map(str.isdigit, digits)) <= _MOST_DIGITS[kind]


def open_value(
    previous: Sequence[str], marked: Collection[str] = ()
) -> tuple[str, bool, bool] | None:
    """The kind of value the customer's ``previous`` messages (as stored, the newest last)
    leave open, whether a piece of it was sent, and whether the pieces end with an ``@``: the
    last ``CARRIED`` messages are read back to one that ends with its label, all those after
    it only pieces of that kind (as stored: its placeholders, each one of ``marked``, those
    that stood for a piece; any other was a whole value), fewer than its kind's most."""
    pieces: list[str] = []
    at = False  # whether the newest piece ends with an email's "@"
    for message in reversed(previous[-CARRIED:]):
        opened = _label_then_piece(message, marked)
        if opened is not None:
            kind, sent, at_label = opened
            if len(pieces) >= _MOST_PIECES[kind] or any(each != kind for each in pieces):
                return None
            return kind, sent or bool(pieces), at if pieces else at_label
        stripped = message.strip()
        kinds = {match[1] for match in PLACEHOLDER.finditer(stripped)}
        if len(kinds) != 1 or PLACEHOLDER.sub("", stripped).removesuffix("@").strip():
            return None  # not a piece: the value is no longer being typed
        if any(match[0] not in marked for match in PLACEHOLDER.finditer(stripped)):
            return None  # a whole value ("my phone is", then "13800138000"): it ends the chain
        at = at or (not pieces and stripped.endswith("@"))
        pieces.append(kinds.pop())
    return None


def _label_then_piece(message: str, marked: Collection[str]) -> tuple[str, bool, bool] | None:
    """The kind of label ``message`` ends with, followed by nothing or by a piece of its
    value (a placeholder of its kind that ``marked`` lists, as stored; digits or an email's
    name too short to be whole, as a turn stored unmasked has them); whether a piece follows
    it, and whether that piece ends with ``@``. A question opens none unless it is the label
    alone: "what is your phone number?" asks for the shop's."""
    if message.rstrip().endswith(("?", "？")):
        return None if (kind := _bare_label_kind(message)) is None else (kind, False, False)
    kind = label_kind(message) or _bare_label_kind(message)
    if kind is not None:
        return kind, False, False
    for which in range(len(_TRAILING)):
        found = _trailing(which, message)
        kind = label_kind(message[: found.start()]) if found and found.start() else None
        if kind is None or found is None:
            continue
        piece = found[0].rstrip(" \t.。")
        at = piece.endswith("@")
        if found.lastindex:  # a placeholder, as stored
            if found[1] == kind and found[0].strip(" \t.。@") in marked:
                return kind, True, at
        elif _piece_of(kind, piece.removesuffix("@"), opened=False, at=False) and not any(
            start == found.start() for start, _, _ in find_labelled(message, PII_KINDS).found
        ):  # unmasked (pii: allow or flag), a whole value found after its label ends the chain
            return kind, True, at
    return None


def _bare_label_kind(message: str) -> str | None:
    """The kind of label that ``message`` is alone, after at most a "my" or 我的 and before
    at most a linking word: "phone", "手机", "my card", "phone number?" (a customer answering
    the bot's question); None for a message that says more ("I paid with my card": then
    "199" is an amount)."""
    tail = label_end(message)
    lowered = tail.lower()
    spans = label_spans(lowered)
    if len(tail) > len(message) or not spans:
        return None
    start, end = spans[-1]
    after = lowered[end:].strip()
    if lowered[:start].strip() not in _MINE or (after and not _LINK_WORD.fullmatch(after)):
        return None
    return label_kind(f"{tail}:")


def label_kind(head: str) -> str | None:
    """The kind of value whose label and links ``head`` ends with: one of ``_WHOLE``'s kinds,
    or EMAIL; None if it ends with none, with a label and no link, or a reference's label."""
    tail = label_end(head)
    if not _LINKED.search(tail.lower()):
        return None
    if _ends_email_label(tail):
        return "EMAIL"
    for kind, value in _WHOLE:
        joined = f"{tail} {value}"
        found = find_labelled(joined, PII_KINDS).found
        if any(start == len(tail) + 1 and each == kind for start, _, each in found):
            return kind
    return None


def _ends_email_label(tail: str) -> bool:
    """Whether ``tail`` ends with an email's label: "my email is", "email:", "邮箱是"."""
    lowered = tail.lower()
    return any(match.end() == len(lowered) for match in _EMAIL_LABEL.finditer(lowered))


def label_end(previous: str) -> str:
    """The end of ``previous``, normalised, where a label would stand: its last ``_TAIL``
    characters from a word's start, without the spaces and question mark after them."""
    tail = previous[-_TAIL:]
    if len(previous) > _TAIL and " " in tail:  # "discard" cut to "card" would be a label
        tail = tail[tail.index(" ") :]
    return normalise(tail).text.rstrip().rstrip("?？").rstrip()
