"""A period's stored turns as rows, one a turn, for a spreadsheet or a script (``servicebot
export``): each with the customer's previous message, what the bot did and why.

The columns ``text``, ``previous`` and ``intent`` are those a labelled file has
(evaluation/files.py), so that an analyst can correct the ``intent`` column and run
``servicebot eval`` on the file as it is. Texts are as the store keeps them: a customer's
values are placeholders ([EMAIL_1]), never the values.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime

from .report import fallback_cause, handoff_reason
from .store import TurnRecord, stamp

COLUMNS = (
    "conversation", "turn", "time", "previous", "text", "action", "intent", "score", "why",
    "reply",
)  # fmt: skip
_WHY = {
    "answer": "the model answered",
    "direct": "the intent's answer as written",
    "out_of_scope": "no intent matched",
}
_FORMULA = ("=", "+", "-", "@")  # what a spreadsheet reads as a formula at a cell's start
_TYPED = ("conversation", "previous", "text", "reply")  # the columns anyone may have typed


def export_rows(
    conversations: Sequence[Sequence[TurnRecord]],
    since: datetime,
    handoff_intents: Collection[str],
    known_intents: Collection[str],
) -> Iterator[dict[str, str]]:
    """One row per turn at or after ``since`` of ``conversations`` (each all its turns, oldest
    first, as Store.conversations_since gives them), keyed by ``COLUMNS``."""
    for turns in conversations:
        previous = ""
        for turn in turns:
            if turn.at >= since:
                yield _row(turn, previous, why(turn, handoff_intents, known_intents))
            previous = turn.customer_text


def _row(turn: TurnRecord, previous: str, reason: str) -> dict[str, str]:
    score = "" if turn.score is None else f"{turn.score:.3f}"
    values = (
        turn.conversation_id, str(turn.number), stamp(turn.at), previous, turn.customer_text,
        turn.action, turn.intent or "", score, reason, turn.reply_text,
    )  # fmt: skip
    return dict(zip(COLUMNS, values, strict=True))


def why(turn: TurnRecord, handoff_intents: Collection[str], known_intents: Collection[str]) -> str:
    """Why the turn ended as it did, in a few words: a handoff's reason, a fallback's cause
    and what the customer got, a block's detectors."""
    if turn.action == "fallback":
        got = {"handoff": ", handed off", "answer": ", the FAQ's answer"}.get(turn.fallback or "")
        return f"{fallback_cause(turn)}{got or ''}"
    if turn.action == "handoff":
        return handoff_reason(turn, handoff_intents, known_intents) or ""
    if turn.action == "blocked":
        found = [f"{e.detector} {e.kind}" for e in turn.events if e.action == "block"]
        return ", ".join(dict.fromkeys(found)) or "blocked"
    return _WHY.get(turn.action, "")


def spreadsheet_safe(row: dict[str, str]) -> dict[str, str]:
    """``row`` with each value a spreadsheet would run as a formula (``=HYPERLINK(...)`` typed
    by a customer) made text by a leading apostrophe, as Excel itself writes it."""
    return {
        key: f"'{value}" if key in _TYPED and value.startswith(_FORMULA) else value
        for key, value in row.items()
    }
