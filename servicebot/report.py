"""A period of stored conversations, summed up for the people who improve the bot week by week
(``servicebot report``): turns per action, handoffs per reason, fallbacks per cause, the
intents asked most, the messages no intent matched, and the messages that came right after an
answer and were out of scope or asked for a person (the answer may not have helped).

Everything is read from what the store keeps of a turn (store/__init__.py's TurnRecord): its
action, intent, fallback kind and events, and the customer's text as the pre-filter left it,
placeholders for values ([PHONE_1]), never a raw value. Which intents hand off comes from the
bot's FAQ as it is now (``handoff: true``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .store import TurnRecord, stamp

ACTIONS = ("answer", "direct", "out_of_scope", "handoff", "fallback", "blocked")
ANSWERED = ("answer", "direct")  # the turns whose reply answered a question
OUT = "out_of_scope"
# Why a turn went to a person, as handoff_reason names it.
ASKED = "asked_for_person"  # routed to a ``handoff: true`` intent
MISSED = "missed_in_a_row"  # the routing.handoff_after-th out-of-scope message in a row
UNSURE = "unsure_no_model"  # no model to ask, and routing not sure enough to answer as written
MODEL_FAILED = "model_failed"  # the model failed (an outage, a timeout), and its fallback hands off
POSTFILTER = "postfilter"  # the post-filter refused the model's answer: outcome handoff
GONE = "intent_not_in_bot"  # routed to an intent the bot no longer has: renamed since?


@dataclass(frozen=True)
class AfterAnswer:
    """A message right after an answer that was out of scope or asked for a person."""

    conversation_id: str
    number: int
    text: str  # as stored: placeholders for values
    outcome: str  # out_of_scope, or the handoff reason (ASKED, MISSED)
    answered: str | None  # the intent of the answer before it

    def as_data(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "turn": self.number,
            "text": self.text,
            "outcome": self.outcome,
            "answered_intent": self.answered,
        }


@dataclass
class Report:
    """The figures of one period: every turn at or after ``since``."""

    since: datetime
    conversations: int = 0
    turns: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    handoffs: Counter[str] = field(default_factory=Counter)  # reason -> turns
    fallbacks: Counter[str] = field(default_factory=Counter)  # cause -> turns
    intents: Counter[str] = field(default_factory=Counter)
    unanswered: Counter[str] = field(default_factory=Counter)  # customer text -> turns
    after_answers: list[AfterAnswer] = field(default_factory=list)

    def as_data(self, top: int) -> dict[str, Any]:
        """The report as JSON-ready values; ``top``: how many intents and texts are listed."""
        return {
            "since": stamp(self.since),
            "conversations": self.conversations,
            "turns": self.turns,
            "actions": {action: self.actions[action] for action in ACTIONS},
            "handoffs": dict(self.handoffs.most_common()),
            "fallbacks": dict(self.fallbacks.most_common()),
            "top_intents": _listed(self.intents, top, "intent"),
            "top_unanswered": _listed(self.unanswered, top, "text"),
            "after_answers": [found.as_data() for found in self.after_answers],
        }


def _listed(counts: Counter[str], top: int, name: str) -> list[dict[str, Any]]:
    return [{name: key, "turns": n} for key, n in counts.most_common(top)]


def build_report(
    conversations: Sequence[Sequence[TurnRecord]],
    since: datetime,
    handoff_intents: Collection[str],
    known_intents: Collection[str],
) -> Report:
    """The figures of the turns at or after ``since`` in ``conversations`` (each all its
    turns, oldest first, as Store.conversations_since gives them); ``handoff_intents``: the
    bot's ``handoff: true`` intents, ``known_intents`` all of its intents."""
    report = Report(since)
    for turns in conversations:
        previous: TurnRecord | None = None
        counted = False
        for turn in turns:
            if turn.at >= since:
                counted = True
                _count(report, turn, previous, handoff_intents, known_intents)
            previous = turn
        report.conversations += counted
    return report


def _count(
    report: Report, turn: TurnRecord, previous: TurnRecord | None,
    handoff_intents: Collection[str], known_intents: Collection[str],
) -> None:  # fmt: skip
    """Add one turn of the period to ``report``; ``previous``: the turn before it, if any."""
    report.turns += 1
    report.actions[turn.action] += 1
    if turn.intent:
        report.intents[turn.intent] += 1
    if turn.action == "fallback":
        report.fallbacks[fallback_cause(turn)] += 1
    reason = handoff_reason(turn, handoff_intents, known_intents)
    if reason is not None:
        report.handoffs[reason] += 1
    if turn.action == OUT or reason == MISSED:
        report.unanswered[turn.customer_text.strip()] += 1
    outcome = OUT if turn.action == OUT else reason
    if previous is not None and previous.action in ANSWERED and outcome in (OUT, ASKED, MISSED):
        found = (turn.conversation_id, turn.number, turn.customer_text, outcome)
        report.after_answers.append(AfterAnswer(*found, previous.intent))


def handoff_reason(
    turn: TurnRecord, handoff_intents: Collection[str], known_intents: Collection[str]
) -> str | None:
    """Why ``turn`` sent the customer to a person, from the fields the store keeps; None if
    it did not.

    - a ``fallback`` whose ``fallback`` kind is ``handoff`` (the model could not answer, and
      routing was not sure enough to send the FAQ's answer): MODEL_FAILED when its ``events``
      hold the model's failure (stage ``model``), else POSTFILTER (the post-filter refused
      the answer, or the provider's filter declined it: a postfilter event, action
      ``fallback``). A fallback stored before its kind was kept is not counted.
    - a ``handoff`` whose ``events`` hold a postfilter event with action ``handoff``:
      POSTFILTER (its outcome for a check is ``handoff``).
    - a ``handoff`` with no ``intent``: MISSED. Routing hands off with no intent only at the
      ``routing.handoff_after``-th out-of-scope message in a row.
    - a ``handoff`` whose ``intent`` is a ``handoff: true`` intent: ASKED. The turn's intent
      is the handoff intent that sent it, even when another matched better.
    - a ``handoff`` whose ``intent`` is another of the bot's: UNSURE. With no model (none
      configured, no key), a message routing is not sure of is handed off.
    """
    if turn.action == "fallback":
        if turn.fallback != "handoff":
            return None
        return MODEL_FAILED if any(e.stage == "model" for e in turn.events) else POSTFILTER
    if turn.action != "handoff":
        return None
    if any(e.stage == "postfilter" and e.action == "handoff" for e in turn.events):
        return POSTFILTER
    if turn.intent is None:
        return MISSED
    if turn.intent in handoff_intents:
        return ASKED
    return UNSURE if turn.intent in known_intents else GONE


def fallback_cause(turn: TurnRecord) -> str:
    """What made a ``fallback`` turn fall back, from its ``events``: ``model timeout`` (the
    model's failure: stage ``model``, its kind), ``postfilter contact EMAIL`` (a post-filter
    check whose outcome is ``fallback``, or the provider's filter: detector ``model``), or
    ``unknown`` for a turn stored with neither."""
    for event in turn.events:
        if event.stage == "model" and event.detector != "caller":
            return f"model {event.kind}"
    for event in turn.events:
        if event.stage == "postfilter" and event.action == "fallback":
            return f"postfilter {event.detector} {event.kind}"
    return "unknown"
