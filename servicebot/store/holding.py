"""Which conversations hold a customer's value: the way in to an erasure or access request
that names the customer by an email address or phone number (``servicebot history
--holding``, ``servicebot purge --holding``).

A store keeps no value the pre-filter replaced (see ``filters/placeholders.py``): each
conversation's state holds a salt of its own and an HMAC digest per value. So a value is
looked for as the pre-filter would have digested it in each conversation: read with the
pre-filter's own PII detector (each kind's alone, on the value normalised as a message is),
each value found put in its kind's one form (``filters/values.py``), digested with that
conversation's salt and ``SERVICEBOT_PII_KEY`` if set, and compared with its digests. Every
conversation that issued a placeholder of the value's kind is read (the store lists them
without reading a turn: ``conversations_with_placeholders``, then ``load_state`` each), so a
look-up takes longer as such conversations grow in number; it works alike on SQLite and Redis.

It finds each conversation where the customer typed the value in a message the pre-filter
masked or blocked, in any form with the same canonical one: "138 0013 8000" and
"+86 13800138000", "Alice@Example.org" and "alice@example.org". A value read only after
its label (a passport number, a password) is looked for with its label: "passport E12345678".

It cannot find:

- a value the customer never typed: given only as customer details (``Bot.reply(...,
  metadata=...)``), or written by the bot alone (one a person typed, in
  ``Bot.add_person_turn``, is masked as the customer's, and found);
- a value typed in a form the detector does not read as that kind, or of a kind the bot
  lets through (``prefilter.pii`` or ``pii_kinds``: ``allow`` or ``flag``), which is stored
  as typed and never digested: search the turns' text for it;
- anything masked under a key other than ``SERVICEBOT_PII_KEY`` here, or
  ``SERVICEBOT_PII_KEY_PREVIOUS`` if set (a digest made with no key is read with any, its
  salt being in the state): a digest made with another key matches nothing
  (``conversations_keyed_otherwise`` names the conversations masked under another, so that a
  look-up does not pass for proof);
- a conversation already removed. (One whose state was saved but no turn stored, the store
  having failed, is found, with no turn to show.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import NoPIIError
from ..filters.normalise import normalise
from ..filters.pii import PII_KINDS, find_pii
from ..filters.placeholders import Placeholders, readable_marks
from ..filters.values import canonical
from . import Store


@dataclass(frozen=True)
class Holding:
    """A conversation holding one or more of the values looked for."""

    conversation_id: str
    placeholders: tuple[str, ...]  # what its turns show for the values, as they were given
    by_id: bool = False  # its id is one of the values (its turns may hold none)


def lookups(value: str) -> list[tuple[str, str]]:
    """The (kind, value as found) pairs the pre-filter would digest if a customer typed
    ``value``. Each kind's detector reads it alone, so a number that two kinds' detectors
    read (the one ranked first wins in a message) is looked for as both. NoPIIError if none."""
    text = normalise(value).text
    found = {(f.kind, text[f.start : f.end]) for kind in PII_KINDS for f in find_pii(text, (kind,))}
    if not found:
        raise NoPIIError(value, PII_KINDS)
    return sorted(found)


def conversations_holding(store: Store, values: Iterable[str]) -> list[Holding]:
    """The conversations in ``store`` where the customer typed any of ``values``, in the order
    of their first stored turn, then those whose id is one of them (a WhatsApp number), which
    the turns do not hold. Each value is read before the store is: NoPIIError for one
    holding no PII; StorageError if the store fails."""
    wanted = [pair for value in values for pair in lookups(value)]
    ids = store.conversations_with_placeholders({kind for kind, _ in wanted})
    found = [(cid, _placeholders_in(store.load_state(cid), wanted)) for cid in ids]
    named = set(_ids_naming(store.conversation_ids(), wanted))
    holding = [Holding(cid, held, cid in named) for cid, held in found if held]
    typed = {found.conversation_id for found in holding}
    return holding + [Holding(cid, (), by_id=True) for cid in sorted(named - typed)]


def _ids_naming(ids: Iterable[str], wanted: list[tuple[str, str]]) -> Iterator[str]:
    """The ids that are one of the ``wanted`` values, in any of its forms ("+14155552671",
    "whatsapp:+1 415 555 2671" for "415-555-2671"): read as a message would be, and compared
    in each kind's one form. Only ids with an ``@`` or seven digits are read."""
    forms = {(kind, canonical(kind, value)) for kind, value in wanted}
    for cid in ids:
        if "@" not in cid and sum(c.isdigit() for c in cid) < 7:
            continue
        try:
            read = lookups(cid)
        except NoPIIError:
            continue
        if any((kind, canonical(kind, value)) in forms for kind, value in read):
            yield cid


def _placeholders_in(
    state: dict[str, Any] | None, wanted: list[tuple[str, str]]
) -> tuple[str, ...]:
    """The placeholders the ``wanted`` values have in a conversation's ``state``, if any."""
    if not state:
        return ()
    placeholders = Placeholders.from_state(state)
    issued = (placeholders.placeholder_of(kind, value) for kind, value in wanted)
    return tuple(dict.fromkeys(p for p in issued if p is not None))


def conversations_keyed_otherwise(store: Store, values: Iterable[str]) -> list[str]:
    """The conversations that issued a placeholder of a kind ``values`` hold but do not hold
    them as digested here, with a digest made under another ``SERVICEBOT_PII_KEY`` than the
    one set here (or the previous one given): a key rotated or lost since. This key cannot
    tell whether the customer typed the values in them, so a look-up names them rather than
    report nothing.
    A state kept before keys were marked names no key, and is not among them."""
    wanted = [pair for value in values for pair in lookups(value)]
    marks, unread = readable_marks(), []
    for cid in store.conversations_with_placeholders({kind for kind, _ in wanted}):
        state = store.load_state(cid)
        keys = set((state or {}).get("keys") or ())
        if keys - marks and not _placeholders_in(state, wanted):
            unread.append(cid)
    return unread
