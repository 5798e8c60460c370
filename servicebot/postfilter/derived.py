"""Amounts an answer may give though no file of the bot nor this turn's messages write them
out: those that follow from the ones they do.

- Zero: "Your order total was $0.00", "a $0 charge is only a pre-authorization" promise
  nothing.
- A sum or difference of two given amounts, or twice or three times one: "both together come
  to $20.98" ($9.99 and $10.99), "two orders are $11.98" (2 × $5.99), "Express is $9.00
  more than standard" ($14.99 − $5.99), "$91.98 in total" for a customer charged $45.99
  twice. Only amounts in the same currency add up (or with a number of none: see below).
- A number the customer wrote without a currency ("I paid 45.99 for the blender"): the
  answer may say it back as money, "$45.99". These, and a number after a price's label
  (``#1000``, see ``amounts.py``), are numbers of no stated currency, and stand beside
  every currency.
- An amount inside a link ("https://maple.example.com/sale/50%-off") is the link's: the
  contact check owns links, and passes the bot's own.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal

from ..filters import Finding
from .amounts import amount_value, find_amounts
from .links import find_links

NO_CURRENCY = "#"  # the sign of a number of no stated currency: "#45.99"
_BARE_ONLY = ""  # no amount's sign: the key of those numbers alone in :func:`_numbers`

_VALUE = re.compile(r"(?P<sign>[^0-9]*?)(?P<number>[0-9]+(?:\.[0-9]+)?)(?P<percent>%?)")
# A number the customer wrote: digits, thousands by commas, cents (not a piece of a larger one).
_BARE = re.compile(r"(?<![0-9.,])[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?(?![0-9])")


def bare_numbers(said: str) -> frozenset[str]:
    """The numbers ``said`` (the customer's messages, normalised) gives with no currency
    beside them, as numbers of no stated currency (``#45.99``): a customer who paid "45.99"
    may be told "$45.99"; one charged "$45.99" was not charged €45.99."""
    amounts = [(f.start, f.end) for f in find_amounts(said)]
    return frozenset(
        f"{NO_CURRENCY}{_plain(m.group())}"
        for m in _BARE.finditer(said)
        if not any(start <= m.start() < end for start, end in amounts)
    )


def not_given_amounts(text: str, found: Sequence[Finding], known: frozenset[str]) -> list[Finding]:
    """The amounts ``found`` in ``text`` that ``known`` (amount values: ``$5.99``, ``10%``,
    ``#45.99``) neither gives nor lets follow (see :func:`given_amount`)."""
    return [f for f in found if not given_amount(amount_value(text[f.start : f.end]), known)]


def outside_links(text: str, found: list[Finding]) -> list[Finding]:
    """``found`` without the amounts inside a link in ``text``: the link check reads links."""
    if not found or not (links := [m.span() for m in find_links(text)]):
        return found
    return [f for f in found if not any(s <= f.start and f.end <= e for s, e in links)]


def given_amount(value: str, known: frozenset[str]) -> bool:
    """Whether the amount ``value`` is in ``known`` or follows from it: zero money; a number
    of no stated currency that ``known`` has in any; a sum, difference or small multiple of
    ``known`` amounts in its currency."""
    if value in known:
        return True
    parts = _VALUE.fullmatch(value)
    if parts is None:
        return False
    number, numbers = Decimal(parts["number"]), _numbers(known)
    if parts["percent"]:  # a percentage the customer wrote as a number ("20 off?")
        return number in numbers[_BARE_ONLY]
    base = numbers.get(parts["sign"], numbers[_BARE_ONLY])
    return number == 0 or number in base or _follows(number, base)


def _follows(number: Decimal, base: frozenset[Decimal]) -> bool:
    """Whether ``number`` is a + b, a − b, 2a or 3a for amounts a, b of ``base``. Each a is
    read once and its partner looked up in the set, so the work is linear in ``base`` (a few
    dozen FAQ prices and this turn's amounts), not quadratic: no sums are built."""
    return any(
        number in (a + a, 3 * a) or (number - a) in base or (a - number) in base for a in base
    )


@functools.lru_cache(maxsize=64)  # the bot's files' set, and each turn's, once
def _numbers(known: frozenset[str]) -> Mapping[str, frozenset[Decimal]]:
    """The money in ``known`` by currency sign, each with the numbers of no stated currency
    beside it; under ``#``, those numbers with every currency's; under ``""``, those alone."""
    by_sign: dict[str, set[Decimal]] = {}
    for value in known:  # a contact's value has no sign: 8005550199
        parts = _VALUE.fullmatch(value)
        if parts is not None and parts["sign"] and not parts["percent"]:
            by_sign.setdefault(parts["sign"], set()).add(Decimal(parts["number"]))
    bare = frozenset(by_sign.pop(NO_CURRENCY, set()))
    numbers = {sign: frozenset(values) | bare for sign, values in by_sign.items()}
    numbers[NO_CURRENCY] = bare.union(*numbers.values())
    numbers[_BARE_ONLY] = bare  # for a currency ``known`` has no amount in
    return numbers


def _plain(written: str) -> str:
    """``written`` (digits, commas, cents) as :func:`.amounts.amount_value` writes a number."""
    return format(Decimal(written.replace(",", "")).normalize(), "f")
