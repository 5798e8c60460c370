"""A conversation handed to a person: whether a person has it now, and marking it so.

After a handoff the customer waits for a member of the team, who answers through the
application (:meth:`~servicebot.pipeline.Bot.add_person_turn`). With
``routing.with_person_minutes`` set, the conversation is with a person from a handoff turn
(``reply.handed_off``), or from a person's message with none before it, until
:meth:`~servicebot.pipeline.Bot.release`, a person turn marked ``final``, or that many
minutes after the handoff or the person's last message: meanwhile
``reply`` answers nothing (action ``with_person``), stores the customer's message, and calls
no model. The mark is kept in the conversation's placeholder state (``store.load_state``,
``swap_state``), so that it survives a restart, is shared by every process on the store, and
is deleted with the conversation; it holds a time, never text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .errors import StorageError
from .filters import FilterEvent, FilterResult
from .filters.placeholders import Placeholders
from .reply import Reply
from .store import Store, now, parse_stamp, stamp

PERSON = "person"  # the state's key: {"since": stamp} while a person has the conversation
_TRIES = 16  # compare-and-swap tries while other turns of the conversation change its state


def with_person(state: dict[str, Any] | None, minutes: int, at: datetime | None = None) -> bool:
    """Whether a person has the conversation whose state is ``state``: marked, and within
    ``minutes`` of the mark (0: never, the bot answers after a handoff as before)."""
    mark = (state or {}).get(PERSON)
    if not minutes or not isinstance(mark, dict) or "since" not in mark:
        return False
    return (at or now()) - parse_stamp(mark["since"]) < timedelta(minutes=minutes)


def kept_mark(after: dict[str, Any], before: dict[str, Any] | None) -> dict[str, Any]:
    """``after`` (a turn's new placeholder state) with the mark ``before`` had: placeholders
    kept by a turn never hand the conversation back to the bot."""
    mark = (before or {}).get(PERSON)
    return after if mark is None else {**after, PERSON: mark}


def mark(store: Store, conversation_id: str, since: datetime | None) -> None:
    """Mark the conversation as with a person since ``since`` (None: with the bot again),
    by compare-and-swap, keeping its placeholders as they are. Raises StorageError."""
    for _ in range(_TRIES):
        before = store.load_state(conversation_id)
        after = _marked(before, since)
        if after is None or store.swap_state(conversation_id, before, after):
            return
    raise StorageError("other turns of the conversation kept changing its state first")


def _marked(state: dict[str, Any] | None, since: datetime | None) -> dict[str, Any] | None:
    """``state`` marked since ``since``, or unmarked; None when nothing changes. A
    conversation with no state yet gets new placeholders with its mark: a state is read as
    placeholders by every turn."""
    if since is None:
        if state is None or PERSON not in state:
            return None
        return {key: value for key, value in state.items() if key != PERSON}
    return {**(state or Placeholders().to_state()), PERSON: {"since": stamp(since)}}


@dataclass(frozen=True)
class Spoken:
    """What a person wrote to the customer (:meth:`~servicebot.pipeline.Bot.add_person_turn`),
    and whether it hands the conversation back to the bot."""

    text: str
    final: bool = False


def cut_events(written: FilterResult | None) -> tuple[FilterEvent, ...]:
    """The ``length too_long cut`` event of a person's text cut at ``prefilter.max_chars``
    (``written``: it masked and cut, by :meth:`~servicebot.prefilter.Prefilter.mask_pii`),
    for their turn's events and trace, as a customer's message cut has; none when it fit.
    Only that event: their text's masks were never among a turn's events, which are the
    customer's message's."""
    events = written.events if written is not None else ()
    return tuple(event for event in events if event.detector == "length")


def marks(reply: Reply, person: Spoken | None, minutes: int) -> tuple[bool, datetime | None]:
    """Whether a stored turn marks its conversation, and how: with a person from now (a
    handoff, or a person's message), or with the bot again (None: a person's final message).
    No mark is kept while ``routing.with_person_minutes`` is 0.

    A person's message marks a conversation never handed off too: an agent who joins on
    their own takes the conversation, as one answering a handoff does. The customer's answer
    is meant for them, and the bot answering it as well would speak over them, perhaps
    against what they just said. An agent who only adds a note passes ``final``."""
    if person is not None and person.final:
        return True, None
    return bool(minutes and (person is not None or reply.handed_off)), now()
