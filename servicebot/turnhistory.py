"""What a turn reads back of its conversation's stored turns: :func:`read_history` (the
recent exchanges the model sees), :func:`said_before` (the customer's last messages, for the
label of this message's value) and :func:`count_misses` (out-of-scope turns in a row), held
together in :class:`Loaded`. :class:`~servicebot.turnstorage.TurnStorage` loads the turns.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from .filters.pieces import CARRIED
from .filters.placeholders import Placeholders
from .prompt import Exchange, joined
from .redelivery import delivered_once
from .routing import counts_as_miss, is_blank
from .store import TurnRecord


class Loaded(NamedTuple):
    """A conversation as a turn starts: its recent exchanges, placeholders and misses."""

    history: list[Exchange]
    placeholders: Placeholders
    misses: int  # out-of-scope turns at its end, in a row
    # The customer's last messages (CARRIED at most, the newest last), even where
    # budget.history_turns reads no turn back: they may end with the label of this message's
    # value (see filters/followup.py), then pieces of it (filters/pieces.py).
    said_before: tuple[str, ...] = ()


def read_history(turns: Sequence[TurnRecord], kept: int, message_id: str | None) -> list[Exchange]:
    """The last ``kept`` of ``turns`` (each message once: see :func:`delivered_once`) that a
    later turn reads back, as the model's history."""
    recent = delivered_once(turns[max(len(turns) - kept, 0) :], message_id)
    return _exchanges(t for t in recent if _read_back(t))


def said_before(turns: Sequence[TurnRecord]) -> tuple[str, ...]:
    """The customer's last CARRIED messages that said something, the newest last."""
    # A blocked message is said all the same (as stored, masked): "the code is", then
    # "482913" (blocked), then "100482" is no code after its label.
    said = (t.customer_text for t in reversed(turns) if _said(t))  # newest first
    return tuple(itertools.islice(said, CARRIED))[::-1]  # the last CARRIED said


def _read_back(turn: TurnRecord) -> bool:
    """Whether a later turn reads ``turn`` back: a blocked message never reaches the model,
    and a blank one (an empty ping from a widget) asked nothing. A person's turn is read
    back, with or without a message: the model then knows what the person said."""
    return turn.action == "person" or (turn.action != "blocked" and _said(turn))


def _exchanges(turns: Iterable[TurnRecord]) -> list[Exchange]:
    """``turns`` as the model's history. Messages left to a person (``with_person``) go with
    the person's answer, as one message: the person answered these. Those the bot takes
    back (after a release or the timeout) are left unanswered here, for routing, and go
    with the next message in the prompt (see :func:`~servicebot.prompt.with_unanswered`)."""
    turns = list(turns)
    if not any(turn.action == "with_person" for turn in turns):
        # Nothing waits (nearly every conversation): the loop below makes each turn one
        # exchange, as it is.
        return [Exchange(turn.customer_text, turn.reply_text) for turn in turns]
    history: list[Exchange] = []
    waiting: list[str] = []
    for turn in turns:
        if turn.action == "with_person":
            waiting.append(turn.customer_text)
            continue
        if turn.action == "person" and waiting:
            history.append(Exchange(joined(waiting, turn.customer_text), turn.reply_text))
        else:
            history += [Exchange(text, "") for text in waiting]
            history.append(Exchange(turn.customer_text, turn.reply_text))
        waiting = []
    return history + [Exchange(text, "") for text in waiting]


def _said(turn: TurnRecord) -> bool:
    """Whether ``turn``'s message is one the pre-filter reads before the next for the label
    of its value or a piece of it: any but a blank one, which says nothing."""
    # The action first: is_blank normalises the whole message, and only these two actions
    # may come with a blank one (a person's turn may come with none); the result is the same.
    return not (turn.action in ("out_of_scope", "person") and is_blank(turn.customer_text))


def count_misses(turns: Sequence[TurnRecord]) -> int:
    """How many of the last turns were out of scope, in a row. Messages with no words (an
    empty ping from a chat widget, "👍", a mention alone: see ``routing/wordless.py``) and
    acknowledgements alone ("alright") are passed over, as routing passes them over
    (``routing.counts_as_miss``): they ask nothing the bot could miss."""
    missed = itertools.takewhile(lambda turn: turn.action == "out_of_scope", reversed(turns))
    return sum(1 for turn in missed if counts_as_miss(turn.customer_text))
