"""PII detection: emails, phones, payment cards and their security codes, CN resident IDs and
Taiwan IDs, Hong Kong IDs, passport numbers, IBANs, IPs, US SSNs, secrets, postal addresses,
dates of birth, messenger ids.

Owns :func:`find_pii` and the kind names in :data:`PII_KINDS` (placeholders such as
``[PHONE_1]`` are built from them). The caller passes text that is already normalised (NFKC,
full-width to half-width, zero-width characters removed); positions refer to that text.

Each kind is a cheap regex that proposes candidates plus a validator that decides (Luhn and
issuer ranges, ISO 7064 MOD 11-2 and birth date, Taiwan's and Hong Kong's ID check digits,
mod-97 and country length, ``ipaddress``, SSN ranges). Every regex is linear-time: no
quantified group can split the same characters two ways, and a pattern that scans an unbounded
run checks right after its first character that it is at the start of that run, so a failed
attempt is never retried from inside the run. Patterns begin with a plain character or set so
that ``re`` can skip ahead to candidates in C (a set, not a repeat or a look-ahead:
``[0-9][0-9]{2}``, not ``[0-9]{3}``); bounded patterns check the character before a match in
Python instead.

Card and ID numbers, windows of whole digit groups, are found by :mod:`.numbers`. Values the
customer names right before them (a card number typed wrong, a Hong Kong phone, a card's
security code, a passport number, an SSN in a range never issued, a one-time code, a
password) are found by
:mod:`.labelled`, and a number the customer calls an order, invoice, part or other reference
number is none of these (unless it is a mainland mobile, or grouped like a card).

Email addresses, as typed and as written out ("john dot smith at gmail dot com"), are in
:mod:`.emails`; postal addresses in :mod:`.addresses`; dates of birth, after their label, in
:mod:`.birthdates`; WeChat, QQ, LINE and Telegram ids, after theirs, in :mod:`.messengers`;
values spelled in words or Chinese numerals, or typed a character at a time ("1 3 8 0 0 1 3 8
0 0 0"), in :mod:`.spelled`; phone numbers in :mod:`.phones`; IP addresses in :mod:`.ips`; the
one form values are compared in (:func:`.values.canonical`) in :mod:`.values`; where a match may
begin and end, in :mod:`.boundaries`.

Overlapping detections: the longer wins, then the kind listed first in :data:`PII_KINDS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from itertools import pairwise
from typing import Final

from servicebot.filters import Finding, iban
from servicebot.filters.addresses import clipped, postal_data
from servicebot.filters.boundaries import (
    ASCII,
    Marked,
    Spans,
    blanked,
    shape,
    starts_free,
)
from servicebot.filters.emails import email_spans
from servicebot.filters.hkid import SHAPED as HKID_SHAPED
from servicebot.filters.hkid import hkid_spans
from servicebot.filters.ips import ip_spans
from servicebot.filters.labelled import Labelled, find_labelled
from servicebot.filters.messengers import messenger_spans, named_ids
from servicebot.filters.numbers import find_numbers
from servicebot.filters.phones import JP_KR_MOBILE, phone_spans
from servicebot.filters.spelled import spelled_spans

PII_KINDS: Final = (
    *("SECRET", "EMAIL", "IBAN", "CN_ID", "HK_ID", "PASSPORT", "CARD", "SSN", "PHONE", "IP"),
    # Last: where one ties with another kind, the other wins (a messenger id's label takes what
    # lies inside it from any other kind first: messengers.named_ids).
    *("ADDRESS", "DATE_OF_BIRTH", "MESSENGER_ID"),
)

_Found = Iterator[tuple[int, int, str]]


# --- IBAN -------------------------------------------------------------------------------------

_IBAN: Final = re.compile(iban.SHAPE, ASCII)


def _ibans(text: str) -> Spans:
    pos = 0
    while (match := _IBAN.search(text, pos)) is not None:
        if starts_free(text, match.start()) and iban.check_digits_ok(match[0]):
            yield match.span()
            pos = match.end()
        else:
            pos = match.start() + 1


# --- Taiwan IDs -------------------------------------------------------------------------------

# A Taiwan national ID (A123456789: a letter, 1 or 2, eight digits) or residence permit since
# 2021 (A800000014: 8 or 9 in second place), with its check digit right: the letter's code
# (A=10 ... Z=33, in this order) as two digits, weighted 1 and 9, then the digits 8 down to 1,
# and the check digit 1, sum to a multiple of 10. A product code of that shape passes one time
# in ten; one named as an order or part number is none (see _a_reference). An older residence
# permit (AB12345678) has a Taiwan invoice number's shape, so only its label finds it.
# Found from its second character, the letter checked behind it: a pattern that starts with
# a letter is tried at every letter of a message (4.8 us of a 60-word one), one that starts
# with [1289] at its few digits. The same matches: each is the letter before the nine digits.
_TW_ID: Final = re.compile(r"[1289](?<=[A-Za-z].)[0-9]{8}(?![0-9A-Za-z])", ASCII)
_TW_LETTERS: Final = "ABCDEFGHJKLMNPQRSTUVXYWZIO"  # the letters whose codes are 10, 11 ... 35
_TW_WEIGHTS: Final = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1)


def _tw_ids(text: str) -> Spans:
    for match in _TW_ID.finditer(text):
        start = match.start() - 1  # the letter
        if starts_free(text, start) and _tw_check_ok(text[start : match.end()]):
            yield start, match.end()


def _tw_check_ok(value: str) -> bool:
    code = 10 + _TW_LETTERS.index(value[0].upper())
    digits = (code // 10, code % 10, *map(int, value[1:]))
    return sum(d * w for d, w in zip(digits, _TW_WEIGHTS, strict=True)) % 10 == 0


# --- SSN --------------------------------------------------------------------------------------

_SSN: Final = re.compile(r"([0-9][0-9]{2})([ .-])([0-9]{2})\2([0-9]{4})(?![0-9A-Za-z])", ASCII)
# Presidio's rules: one kind of separator, no all-zero group, not all one digit, and not its
# published samples (Woolworth's wallet card, 123-45-6789, 987-65-432x). Area 9xx is an ITIN.
# These hold for a number nobody names; one the customer calls an SSN is one (labels.py).
_SSN_SAMPLES: Final = ("000", "666", "9", "123456789", "98765432", "078051120")


def _ssns(text: str) -> Spans:
    for match in _SSN.finditer(text):
        area, _, group, serial = match.groups()
        digits = area + group + serial
        if (
            starts_free(text, match.start())
            and group != "00"
            and serial != "0000"
            and digits.count(digits[0]) < 9
            and not digits.startswith(_SSN_SAMPLES)
        ):
            yield match.span()


# --- SECRET -----------------------------------------------------------------------------------

# Keys known by a documented prefix: the prefix and what follows it. Each pair is one regex (a
# plain first word lets ``re`` skip ahead in C), and the prefixes together are the one search
# that tells most messages they hold no key, so a key added here is always looked for.
_OPENAI_START, _AWS_START = "sk-", "A(?:KI|SI)A"  # their keys are checked further, below
_PREFIXED: Final = {  # private keys in PEM; GitHub, Stripe, Slack and Google keys
    "-----BEGIN ": r"[A-Z ]{0,24}PRIVATE KEY-----[A-Za-z0-9+/=\s]{0,8192}"
    r"(?:-----END [A-Z ]{0,24}PRIVATE KEY-----)?",
    "gh[pousr]_": "[A-Za-z0-9]{36}",
    "github_pat_": "[A-Za-z0-9_]{22,255}",
    "sk_(?:live|test)_": "[A-Za-z0-9]{16,255}",
    "rk_(?:live|test)_": "[A-Za-z0-9]{16,255}",
    "xox[abprs]-": "[A-Za-z0-9-]{10,255}",
    "AIza": "[0-9A-Za-z_-]{35}",
}
_PREFIXED_KEYS: Final = tuple(
    re.compile(f"{start}{rest}(?![A-Za-z0-9])", ASCII) for start, rest in _PREFIXED.items()
)
_KEY_START: Final = re.compile("|".join([_OPENAI_START, _AWS_START, *_PREFIXED]), ASCII)
_OPENAI_KEY: Final = re.compile(rf"{_OPENAI_START}(?<![A-Za-z0-9_-]sk-)[A-Za-z0-9_-]{{20,}}", ASCII)
_AWS_KEY: Final = re.compile(rf"{_AWS_START}[A-Z0-9]{{16}}(?![A-Za-z0-9])", ASCII)
_BEARER: Final = re.compile(r"[Bb]earer[ \t]+([A-Za-z0-9._~+/-]{8,}=*)", ASCII)


def _secrets(text: str) -> Spans:
    if "earer" in text:  # [Bb]earer: a set first costs a check per character, a word much less
        yield from _bearer_tokens(text)
    if not _may_start_key(text) or _KEY_START.search(text) is None:
        return
    for match in _OPENAI_KEY.finditer(text):
        body = match[0][3:]
        if any(c.isdigit() for c in body) and any(c.isalpha() for c in body):
            yield match.span()
    for match in _AWS_KEY.finditer(text):
        if starts_free(text, match.start()):
            yield match.span()
    for pattern in _PREFIXED_KEYS:
        for match in pattern.finditer(text):
            if starts_free(text, match.start()):
                yield match.span()


def _may_start_key(text: str) -> bool:
    """Whether ``text`` holds what each of ``_KEY_START``'s words holds: "sk-", AKIA or ASIA,
    "-----BEGIN ", AIza, xox, or an "_" (gh?_, github_pat_, sk_live_, rk_test_). Without one
    it has no key start, which these searches in C tell sooner than ``_KEY_START``'s (1.7 us
    of a 60-word message, where "s", "r", "g" and "x" start many words)."""
    return (
        "_" in text
        or "sk-" in text
        or "AKIA" in text
        or "ASIA" in text
        or "-----BEGIN " in text
        or "AIza" in text
        or "xox" in text
    )


def _bearer_tokens(text: str) -> Spans:
    for match in _BEARER.finditer(text):
        token = match[1]
        if starts_free(text, match.start()) and (
            any(c.isdigit() for c in token) or len(token) >= 20
        ):
            yield match.span(1)


# --- public -----------------------------------------------------------------------------------


def holds_key(text: str) -> bool:
    """Whether ``text`` holds an API key or token (``sk-``, AWS, GitHub, Stripe, Slack, Google,
    a private key, a bearer token): the SECRET findings that need no label before them."""
    return any(start < end for start, end in _secrets(text))


_DETECTORS: Final[dict[str, Callable[[str], Spans]]] = {
    "SECRET": _secrets,
    "EMAIL": email_spans,
    "IBAN": _ibans,
    "CN_ID": _tw_ids,
    "HK_ID": hkid_spans,
    "SSN": _ssns,
    "PHONE": phone_spans,
    "IP": ip_spans,
}
# What a detector's pattern needs in the text's shape (``boundaries.shape``): with none of
# these in it, the pattern cannot match, and the detector's scan is skipped. An IBAN starts
# with two letters and two digits; a Taiwan ID is a letter and nine digits; a Hong Kong one a
# letter, six digits and a bracketed check digit; an SSN is three,
# two and four digits, a space, dot or dash between each; an IPv4 address has a digit, a dot
# and a digit, an IPv6 one a colon. Most messages have none, and each scan took 1-2 us.
_SHAPED: Final = {
    "IBAN": (b"aa00",),
    "CN_ID": (b"a000000000",),
    "HK_ID": HKID_SHAPED,
    "SSN": (b"000 00 0000", b"000.00.0000", b"000-00-0000"),
    "IP": (b"0.0", b":"),
}
# A letter right before a digit, in the shape: every shape an IBAN, a Taiwan ID or a Hong Kong
# ID needs holds it. A shape without it (most messages) holds none of theirs, so their checks
# are skipped: in a Chinese message's shape (three "~" a character) the Hong Kong ones, which
# end in "~", took 1 us.
_LETTER_DIGIT: Final = b"a0"
# Each detector with what its text's shape needs (none: every text is scanned), and whether
# each of those holds _LETTER_DIGIT, read inline in find_pii's one loop: a call per kind to
# look them up took 1.5 us of a message.
_SHAPED_DETECTORS: Final = tuple(
    (kind, detect, needs, bool(needs) and all(_LETTER_DIGIT in need for need in needs))
    for kind, detect in _DETECTORS.items()
    for needs in [_SHAPED.get(kind, ())]
)
_NUMBER_DIGITS: Final = 13  # a card or a CN ID has as many digits or more (numbers.py)
_RANK: Final = {kind: rank for rank, kind in enumerate(PII_KINDS)}
_ALL_KINDS: Final = frozenset(PII_KINDS)
_BARE_NUMBER: Final = re.compile(r"[0-9]+", ASCII)
_CN_MOBILE_DIGITS: Final = re.compile(r"(?:86)?1[3-9][0-9]{9}", ASCII)


def _a_reference(text: str, finding: tuple[int, int, str]) -> bool:
    """Whether a finding the customer named as a reference (order, invoice, part...) number can
    be one: not a mainland, Japanese or Korean mobile (快递 13800138000 is the courier's phone,
    注文 09012345678 に電話して one to call), and a card only as bare digits (a card's grouping,
    "order: 4111 1111 1111 1111", says it is a card)."""
    value = text[finding[0] : finding[1]]
    if finding[2] not in ("CARD", "CN_ID", "HK_ID", "SSN", "PHONE"):
        return False  # "ref: a@b.example" is an email
    if _CN_MOBILE_DIGITS.fullmatch(re.sub(r"[^0-9]", "", value)) or JP_KR_MOBILE.fullmatch(value):
        return False
    return finding[2] != "CARD" or _BARE_NUMBER.fullmatch(value) is not None


def _named_no_pii(text: str, finding: tuple[int, int, str], labelled: Labelled) -> bool:
    """Whether the customer named ``finding`` as a reference number it can be, or as a code
    the shop issues and it has a phone's shape (a code may be a prepaid card's number)."""
    named = finding[0] in labelled.references or (
        finding[0] in labelled.codes and finding[2] == "PHONE"
    )
    return named and _a_reference(text, finding)


def find_pii(
    text: str, kinds: Collection[str] | None = None, labelled: Labelled | None = None
) -> list[Finding]:
    """Find PII of ``kinds`` (default: all of :data:`PII_KINDS`) in normalised ``text``;
    ``labelled``: what :func:`find_labelled` found in it of any kinds, if already read.

    Returns sorted, non-overlapping findings. Raises ``ValueError`` for an unknown kind.
    """
    wanted = _ALL_KINDS if kinds is None else frozenset(kinds)
    if unknown := sorted(wanted - _ALL_KINDS):
        raise ValueError(f"unknown PII kind(s) {unknown}; choose from {list(PII_KINDS)}")
    shaped = shape(text)  # one pass for the checks that skip detectors (see _SHAPED)
    # Without a letter before a digit, no shape that holds one can be in it: the same answer
    # as searching for each (see _LETTER_DIGIT).
    letter_digit = _LETTER_DIGIT in shaped
    found = [
        (start, end, kind)
        for kind, detect, needs, gated in _SHAPED_DETECTORS
        if kind in wanted
        and (not needs or ((letter_digit or not gated) and any(map(shaped.__contains__, needs))))
        for start, end in detect(text)
        if start < end
    ]
    ibans = [(start, end) for start, end, kind in found if kind == "IBAN"]
    if shaped.count(b"0") >= _NUMBER_DIGITS:  # blanking an IBAN only takes digits away
        found.extend(find_numbers(blanked(text, ibans) if ibans else text, wanted))
    found.extend(spelled_spans(text, wanted, shaped))  # 一三八零零一三八零零零, "j o h n @ ..."
    labelled = find_labelled(text, wanted) if labelled is None else labelled
    # An address or a date of birth has a number (a date may have it in Chinese numerals, with
    # 月: 一九九〇年三月七日), and an English one a word near it that labelled.py finds
    # (addresses.py, birthdates.py): most messages call nothing.
    read = (labelled.cues or not text.isascii()) and (b"0" in shaped or "月" in text)
    postal = postal_data(text, wanted, labelled.cues) if read else None
    if labelled.references or labelled.codes:
        found = [f for f in found if not _named_no_pii(text, f, labelled)]
    if labelled.found:  # "phone 212-555-0199" twice; with none, no set of thousands of spans
        spans = {(start, end) for start, end, _ in found}
        found.extend(f for f in labelled.found if f[2] in wanted and f[:2] not in spans)
    if labelled.cues and "MESSENGER_ID" in wanted:  # "QQ 13800138000": an id, no phone
        found = named_ids(found, list(messenger_spans(text, labelled.cues)))
    if postal:  # "ship to 12 Baker St, phone 020 7946 0958": two values
        found = clipped(text, found + postal)
    return resolve(found, len(text))


def resolve(found: list[tuple[int, int, str]], size: int) -> list[Finding]:
    """Keep the longest of overlapping findings (ties: kind rank, then position), in text
    order; ``size`` is the length of the text they were found in."""
    found.sort()
    if all(a[1] <= b[0] for a, b in pairwise(found)):  # the usual case: nothing overlaps
        return [Finding(start, end, kind) for start, end, kind in found]
    taken = Marked(size)
    kept = [
        Finding(start, end, kind)
        for start, end, kind in sorted(found, key=lambda f: (f[0] - f[1], _RANK[f[2]], f[0]))
        if taken.take(start, end)
    ]
    return sorted(kept, key=lambda f: f.start)
