"""A message delivered again after its first delivery was stopped before any answer (a
webhook's deadline passed while the model was still thinking): the stored turn showed the
customer nothing, so it is no answer to repeat. The retry is answered as a turn of its own,
and the stopped turn stays stored (its tokens were spent) but is read back no more: its
message is read once, with the retry's answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from .store import TurnRecord


def stopped_unanswered(turn: TurnRecord) -> bool:
    """Whether the customer saw nothing of ``turn``: its caller stopped it (a webhook's
    deadline) before any text. No answer to repeat: a retry of its message is answered, as
    a turn of its own. A message left to a person has no text by design: it is repeated."""
    stopped = any(e.stage == "model" and e.detector == "caller" for e in turn.events)
    return stopped and not turn.reply_text and turn.action != "with_person"


def delivered_once(turns: Sequence[TurnRecord], message_id: str | None) -> list[TurnRecord]:
    """``turns`` without those stopped unanswered whose message was delivered again (a
    later turn, or this one, has its ``message_id``): the message is read once, answered."""
    if message_id is None and all(turn.message_id is None for turn in turns):
        return list(turns)  # no message delivered again (no ids at all): every turn is kept
    later = {message_id} - {None}
    kept: list[TurnRecord] = []
    for turn in reversed(turns):
        if not (turn.message_id in later and stopped_unanswered(turn)):
            kept.append(turn)
        if turn.message_id is not None:
            later.add(turn.message_id)
    return kept[::-1]
