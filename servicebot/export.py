"""A period's stored turns as rows, one a turn, for a spreadsheet or a script (``servicebot
export``): each with the customer's previous message, what the bot did and why.

The columns ``text``, ``previous`` and ``intent`` are those a labelled file has
(evaluation/files.py), so that an analyst can correct the ``intent`` column and run
``servicebot eval`` on the file as it is; eval passes over the rows of a person's messages
alone (``persons_own``), whose ``text`` is empty. Texts are as the store keeps them: a customer's
values are placeholders ([EMAIL_1]), never the values.

A row's values are typed as JSON has them (``turn`` a number, ``score`` a number or null, an
empty ``intent`` null, ``rating`` true, false or null); CSV writes them as text (``csv_row``),
a missing value as an empty cell, a rating as ``helpful`` or ``not helpful``, a ``time`` as
``2026-11-16 13:01:36`` (UTC, as every time servicebot writes), which a spreadsheet reads as a
date and time, where JSON keeps ISO 8601 (``2026-11-16T13:01:36.779370Z``). ``rating`` and
``rating_comment`` are the customer's rating of the turn (``Bot.rate``), its comment masked.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime

from .report import Intents, Ratings
from .store import Rating, TurnRecord, parse_stamp, stamp
from .turnoutcomes import fallback_cause, handoff_reason

Row = dict[str, str | int | float | bool | None]

COLUMNS = (
    "conversation", "turn", "time", "previous", "text", "action", "intent", "score", "why",
    "reply", "rating", "rating_comment",
)  # fmt: skip
_WHY = {
    "answer": "the model answered",
    "direct": "the intent's answer as written",
    "out_of_scope": "no intent matched",
}
# What a spreadsheet reads as a formula at a cell's start: = + - @, and a tab or carriage
# return before one (a known CSV-injection path: some programs drop the blank, then run it).
FORMULA = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"  # put before such a cell; evaluation/files.py takes exactly it away again
# A time as Excel (and LibreOffice, Google Sheets) reads a date and time, whatever its locale:
# ISO 8601's "T" and "Z" (and six decimals) leave it text that sorts and filters as text.
SPREADSHEET_TIME = "%Y-%m-%d %H:%M:%S"
# the columns anyone may have typed
_TYPED = ("conversation", "previous", "text", "reply", "rating_comment")


def export_rows(
    conversations: Iterable[Sequence[TurnRecord]],
    since: datetime,
    intents: Intents,
    ratings: Ratings | None = None,
) -> Iterator[Row]:
    """One row per turn at or after ``since`` of ``conversations`` (each all its turns, oldest
    first, as Store.iter_conversations_since gives them), keyed by ``COLUMNS``; each row as
    its conversation is read, so that a period is written out without being held.
    ``ratings``: the customers' ratings of the turns (Store.ratings_since), by turn."""
    rated = ratings or {}
    for turns in conversations:
        previous: str | None = None
        for turn in turns:
            if turn.at >= since:
                rating = rated.get((turn.conversation_id, turn.number))
                yield _row(turn, previous, why(turn, intents.handoff, intents.known), rating)
            previous = turn.customer_text


def _row(turn: TurnRecord, previous: str | None, reason: str, rating: Rating | None) -> Row:
    score = None if turn.score is None else round(turn.score, 3)
    helpful, comment = (None, None) if rating is None else (rating.helpful, rating.comment)
    values = (
        turn.conversation_id, turn.number, stamp(turn.at), previous, turn.customer_text,
        turn.action, turn.intent or None, score, reason or None, turn.reply_text, helpful,
        comment,
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


def persons_own(text: object, action: object) -> bool:
    """Whether a row (its ``text`` and ``action``) is one this module wrote for a person's
    message that answered no customer message (``add_person_turn`` with no ``customer=``):
    no text, action ``person``. ``servicebot eval`` passes such a row over rather than refuse
    the file: an export is evaluated as it is, relabelled, and the row has nothing to route."""
    return action == "person" and (text is None or (isinstance(text, str) and not text.strip()))


def csv_row(row: Row) -> dict[str, str]:
    """``row`` as CSV cells: a score with 3 decimals, the time as a spreadsheet's date and
    time (``SPREADSHEET_TIME``, UTC), a missing value empty, and each value a spreadsheet
    would run as a formula made safe (``spreadsheet_safe``)."""
    cells = {key: "" if value is None else str(value) for key, value in row.items()}
    if isinstance(at := row.get("time"), str):
        cells["time"] = parse_stamp(at).strftime(SPREADSHEET_TIME)
    if isinstance(score := row["score"], float):
        cells["score"] = f"{score:.3f}"
    if (helpful := row.get("rating")) is not None:
        cells["rating"] = "helpful" if helpful else "not helpful"
    return {key: spreadsheet_safe(v) if key in _TYPED else v for key, v in cells.items()}


def spreadsheet_safe(value: str) -> str:
    """``value`` made text by a leading apostrophe (as Excel itself writes it) when a
    spreadsheet would run it as a formula (``=HYPERLINK(...)`` typed by a customer), or when
    it already starts with an apostrophe before one, so that taking the guard away
    (evaluation/files.py's ``without_guard``) gives back every text as typed."""
    guarded_already = value.startswith(GUARD) and value[1:].startswith(FORMULA)
    return GUARD + value if value.startswith(FORMULA) or guarded_already else value
