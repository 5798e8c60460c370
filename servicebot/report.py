"""A period of stored conversations, summed up for the people who improve the bot week by week
(``servicebot report``): turns per action, handoffs per reason, fallbacks per cause, the
intents asked most, the messages that matched no intent, the messages that matched an
intent only weakly (routing unsure: FAQ candidates as much as those that matched none), the
messages that say an answer did not help, and what customers rated (``Bot.rate``): the
share of rated answers found helpful, and the intents with the most answers rated not
helpful. Why a turn handed off or fell back: turnoutcomes.py.

Everything is read from what the store keeps of a turn (store/__init__.py's TurnRecord): its
action, intent, fallback kind and events, and the customer's text as the pre-filter left it,
placeholders for values ([PHONE_1]), never a raw value. Which intents hand off, and which take
complaints (``complaint: true``), comes from the bot's FAQ as it is now.

The lists follow routing, the stored intent, not whether the model was up: a message that
matched no intent is one whether the model answered it (out_of_scope), failed on it (a
fallback with no intent) or it was the missed message that handed off.

Matched weakly: "do you do gift wrapping" routed to gift_cards at 0.44, under the bot's
``routing.direct_threshold``, sent to the model or, with none, handed off (UNSURE): the FAQ
has a neighbour of the question, not its answer (see ``matched_weakly``).

After an answer: a message that matched no intent, asked for a person (a ``handoff: true``
intent) or complained (a ``complaint: true`` intent), right after a turn that answered from
an intent (the model's answer, the answer as written, or the FAQ's answer as a fallback), is
counted against that answer's intent. A complaint keeps the answer before it open: in
"answer, that didn't help, talk to a human" both later messages are counted against the
answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .store import Rating, TurnRecord, stamp
from .turnoutcomes import ASKED, MISSED, UNSURE, fallback_cause, handoff_reason

ACTIONS = (
    "answer",
    "direct",
    "out_of_scope",
    "handoff",
    "fallback",
    "blocked",
    "person",
    "with_person",
)
ANSWERED = ("answer", "direct")  # the turns whose reply answered a question
OUT = "out_of_scope"
COMPLAINED = "complaint"  # routed to a ``complaint: true`` intent
# --by-day: each day's figures; a rating counts on its turn's day, as in the period's figures
DAILY = (
    "turns", "handoffs", "fallbacks", "complaints", "matched_no_intent", "rated", "not_helpful",
)  # fmt: skip
RATED = "rated answers"  # the headline figure of turns a customer rated (Bot.rate)
# A period's ratings, by the rated turn: (conversation, turn number) -> its rating.
Ratings = Mapping[tuple[str, int], Rating]


@dataclass(frozen=True)
class Intents:
    """What the bot's FAQ says of its intents, as it is now: which hand off, which take
    complaints, and all their names."""

    handoff: Collection[str]
    known: Collection[str]
    complaint: Collection[str] = ()
    # routing.direct_threshold: a score under it matched weakly; None: only UNSURE did
    direct_threshold: float | None = None


@dataclass(frozen=True)
class AfterAnswer:
    """Messages right after an answer that may not have helped, of one text, one outcome and
    one answered intent; ``first``: where the first of them is (conversation, turn)."""

    text: str  # as stored: placeholders for values
    answered: str  # the intent of the answer before it
    outcome: str  # out_of_scope, complaint, or the handoff reason (ASKED, MISSED)
    turns: int
    first: tuple[str, int]

    def as_data(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "answered_intent": self.answered,
            "outcome": self.outcome,
            "turns": self.turns,
            "first": {"conversation_id": self.first[0], "turn": self.first[1]},
        }


@dataclass
class Report:
    """The figures of one period: every turn at or after ``since`` (and before ``until``)."""

    since: datetime
    until: datetime | None = None
    conversations: int = 0
    turns: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    handoffs: Counter[str] = field(default_factory=Counter)  # reason -> turns
    fallbacks: Counter[str] = field(default_factory=Counter)  # cause -> turns
    intents: Counter[str] = field(default_factory=Counter)
    out_of_scope: Counter[str] = field(default_factory=Counter)  # customer text -> turns
    weakly: Counter[tuple[str, str]] = field(default_factory=Counter)  # (text, intent) -> turns
    complaints: int = 0  # turns routed to a ``complaint: true`` intent
    # (day in UTC as YYYY-MM-DD, one of DAILY) -> turns
    per_day: Counter[tuple[str, str]] = field(default_factory=Counter)
    # (text, answered intent, outcome) -> turns, and where the first of them is
    after: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    after_first: dict[tuple[str, str, str], tuple[str, int]] = field(default_factory=dict)
    # Turns of the period a customer rated (Bot.rate), and those rated helpful, by the
    # turn's intent ("" for none)
    rated: Counter[str] = field(default_factory=Counter)
    helpful: Counter[str] = field(default_factory=Counter)

    def helpful_share(self, intent: str | None = None) -> float | None:
        """The share of the rated turns (of ``intent``, or all) rated helpful; None if none
        was rated."""
        rated = self.rated.total() if intent is None else self.rated[intent]
        helpful = self.helpful.total() if intent is None else self.helpful[intent]
        return helpful / rated if rated else None

    def least_helpful(self, top: int) -> list[tuple[str, int, int]]:
        """The ``top`` intents with the most ratings not helpful, as (intent, rated, not
        helpful): most first, then by name; none of an intent without such a rating."""
        unhelpful = Counter({i: n - self.helpful[i] for i, n in self.rated.items()})
        return [(i, self.rated[i], n) for i, n in ranked(+unhelpful, top)]

    def matched_weakly(self, top: int) -> list[tuple[str, str, int]]:
        """The ``top`` messages that matched an intent only weakly, as (text, intent, turns):
        most turns first, then by text and intent."""
        keys = sorted(self.weakly, key=lambda key: (-self.weakly[key], key))[:top]
        return [(text, intent, self.weakly[text, intent]) for text, intent in keys]

    def after_answers(self, top: int) -> list[AfterAnswer]:
        """The ``top`` most frequent messages after an answer, grouped by text, answered
        intent and outcome: most turns first, then by text, intent and outcome."""
        keys = sorted(self.after, key=lambda key: (-self.after[key], key))[:top]
        return [AfterAnswer(*key, self.after[key], self.after_first[key]) for key in keys]

    def headline(self) -> list[tuple[str, str | None, int]]:
        """The figures a period is compared on, in the order shown: (figure, kind or None
        for a total, turns): turns, answered (direct, by the model), handoffs and each
        reason, fallbacks and each cause, complaints, messages that matched no intent, rated
        answers and those rated helpful."""
        answered = sum(self.actions[action] for action in ANSWERED)
        figures: list[tuple[str, str | None, int]] = [
            ("turns", None, self.turns),
            ("answered", None, answered),
            ("answered", "direct", self.actions["direct"]),
            ("answered", "model", self.actions["answer"]),
        ]
        for name, counts in (("handoffs", self.handoffs), ("fallbacks", self.fallbacks)):
            figures.append((name, None, counts.total()))
            figures += [(name, kind, n) for kind, n in sorted(counts.items())]
        figures.append(("complaints", None, self.complaints))
        figures.append(("matched no intent", None, self.out_of_scope.total()))
        figures.append((RATED, None, self.rated.total()))
        figures.append((RATED, "helpful", self.helpful.total()))
        return figures

    def by_day(self, end: datetime) -> list[dict[str, Any]]:
        """A row per day (UTC, as ``--since`` and the times shown are) from ``since``'s to
        ``end``'s, days with no turn too: its ``DAILY`` figures."""
        first, last = self.since.astimezone(UTC).date(), end.astimezone(UTC).date()
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        return [
            {"day": day.isoformat()} | {name: self.per_day[day.isoformat(), name] for name in DAILY}
            for day in days
        ]

    def as_data(self, top: int) -> dict[str, Any]:
        """The report as JSON-ready values; ``top``: how many intents and texts are listed."""
        return {
            "since": stamp(self.since),
            "conversations": self.conversations,
            "turns": self.turns,
            "actions": {action: self.actions[action] for action in ACTIONS},
            "handoffs": dict(ranked(self.handoffs)),
            "fallbacks": dict(ranked(self.fallbacks)),
            "top_intents": _listed(self.intents, top, "intent"),
            "top_out_of_scope": _listed(self.out_of_scope, top, "text"),
            "top_matched_weakly": [
                {"text": text, "intent": intent, "turns": n}
                for text, intent, n in self.matched_weakly(top)
            ],
            "after_answers": [found.as_data() for found in self.after_answers(top)],
            "complaints": self.complaints,
            "matched_no_intent": self.out_of_scope.total(),
            "ratings": self.ratings_data(top),
        }

    def ratings_data(self, top: int | None = None) -> dict[str, Any]:
        """The rated turns, those rated helpful and their share; with ``top``, the intents
        with the most ratings not helpful too."""
        data: dict[str, Any] = {
            "rated": self.rated.total(),
            "helpful": self.helpful.total(),
            "helpful_share": _rounded(self.helpful_share()),
        }
        if top is not None:
            data["least_helpful_intents"] = [
                {"intent": intent or None, "rated": rated, "not_helpful": unhelpful,
                 "helpful_share": _rounded(self.helpful_share(intent))}
                for intent, rated, unhelpful in self.least_helpful(top)
            ]  # fmt: skip
        return data


def _rounded(share: float | None) -> float | None:
    return None if share is None else round(share, 3)


def intents_from_turns(
    conversations: Iterable[Sequence[TurnRecord]], direct_threshold: float | None = None
) -> Intents:
    """What the stored turns say of the intents, for a report whose bot folder does not load:
    every intent routed to is known (so none is told as renamed, GONE), and one whose every
    turn handed off, not for the post-filter, is taken for a ``handoff: true`` intent (an
    intent that hands off when routing is unsure also answers when it is sure). Which
    intents take complaints no turn says: none. ``direct_threshold``: as Intents has it."""
    known: set[str] = set()
    answered: set[str] = set()
    for turn in (turn for kept in conversations for turn in kept):  # read once, held never
        if turn.intent is None:
            continue
        known.add(turn.intent)
        if turn.action != "handoff" or any(e.stage == "postfilter" for e in turn.events):
            answered.add(turn.intent)
    return Intents(handoff=known - answered, known=known, direct_threshold=direct_threshold)


def ranked(counts: Counter[str], top: int | None = None) -> list[tuple[str, int]]:
    """``counts`` most first, ties by name (most_common keeps them in the order seen, which
    differs from store to store); the first ``top`` of them, or all."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]


def _listed(counts: Counter[str], top: int, name: str) -> list[dict[str, Any]]:
    return [{name: key, "turns": n} for key, n in ranked(counts, top)]


def build_report(
    conversations: Sequence[Sequence[TurnRecord]],
    since: datetime,
    intents: Intents,
    until: datetime | None = None,
    ratings: Ratings | None = None,
) -> Report:
    """The figures of the turns at or after ``since`` (and before ``until``, if given) in
    ``conversations`` (each all its turns, oldest first, as Store.conversations_since gives
    them): one read from the start of the previous period serves both periods. ``ratings``:
    the customers' ratings of those turns (Store.ratings_since), counted with their turn."""
    report, rated = Report(since, until), ratings or {}
    for turns in conversations:
        answered: str | None = None  # the intent of the answer a next message may fault
        counted = False
        for turn in turns:
            outcome = after_outcome(turn, intents)
            if turn.at >= since and (until is None or turn.at < until):
                counted = True
                _count(report, turn, intents)
                _count_rating(report, turn, rated.get((turn.conversation_id, turn.number)))
                if answered is not None and outcome is not None:
                    _count_after(report, turn, answered, outcome)
            answered = _open_answer(turn, answered, outcome)
        report.conversations += counted
    return report


def _count(report: Report, turn: TurnRecord, intents: Intents) -> None:
    """Add one turn of the period to ``report``, and to its day's figures."""
    report.turns += 1
    report.actions[turn.action] += 1
    counted = ["turns"]
    if turn.intent:
        report.intents[turn.intent] += 1
    if turn.action == "fallback":
        report.fallbacks[fallback_cause(turn)] += 1
        counted.append("fallbacks")
    reason = handoff_reason(turn, intents.handoff, intents.known)
    if reason is not None:
        report.handoffs[reason] += 1
        counted.append("handoffs")
    if matched_no_intent(turn):
        report.out_of_scope[turn.customer_text.strip()] += 1
        counted.append("matched_no_intent")
    if matched_weakly(turn, intents):
        report.weakly[turn.customer_text.strip(), turn.intent or ""] += 1
    if turn.intent is not None and turn.intent in intents.complaint:
        report.complaints += 1
        counted.append("complaints")
    report.per_day.update((_day(turn), name) for name in counted)


def _day(turn: TurnRecord) -> str:
    """The turn's day in UTC, as YYYY-MM-DD: its row of ``--by-day``."""
    return turn.at.astimezone(UTC).date().isoformat()


def _count_rating(report: Report, turn: TurnRecord, rating: Rating | None) -> None:
    if rating is not None:
        report.rated[turn.intent or ""] += 1
        report.helpful[turn.intent or ""] += rating.helpful
        report.per_day[_day(turn), "rated"] += 1
        report.per_day[_day(turn), "not_helpful"] += not rating.helpful


def _count_after(report: Report, turn: TurnRecord, answered: str, outcome: str) -> None:
    key = (turn.customer_text.strip(), answered, outcome)
    report.after[key] += 1
    report.after_first.setdefault(key, (turn.conversation_id, turn.number))


def matched_no_intent(turn: TurnRecord) -> bool:
    """Whether routing matched no intent for ``turn``: stored with none, and not blocked (a
    blocked message is never routed). Whether the model then answered it, failed, or
    routing handed off after one miss too many. Not a person's turn, nor a message left to
    a person: neither was routed (see handover.py)."""
    return turn.intent is None and turn.action not in ("blocked", "person", "with_person")


def matched_weakly(turn: TurnRecord, intents: Intents) -> bool:
    """Whether routing matched ``turn``'s intent, not a handoff or complaint intent (asked for
    as such), too weakly to answer from it as written: handed off for that with no model
    (UNSURE), or scoring under ``intents.direct_threshold`` (sent to the model, whatever it
    then did: answered, failed, or had its answer refused)."""
    if turn.intent is None or turn.intent in intents.handoff or turn.intent in intents.complaint:
        return False
    if handoff_reason(turn, intents.handoff, intents.known) == UNSURE:
        return True
    threshold = intents.direct_threshold
    return threshold is not None and turn.score is not None and turn.score < threshold


def after_outcome(turn: TurnRecord, intents: Intents) -> str | None:
    """What ``turn`` says of an answer right before it: MISSED or OUT (it matched no intent),
    ASKED (a ``handoff: true`` intent sent it to a person), COMPLAINED (it routed to a
    ``complaint: true`` intent); None: nothing (a question of its own, a block)."""
    reason = handoff_reason(turn, intents.handoff, intents.known)
    if matched_no_intent(turn):
        return MISSED if reason == MISSED else OUT
    if turn.intent in intents.complaint:
        return COMPLAINED
    return ASKED if reason == ASKED else None


def _open_answer(turn: TurnRecord, answered: str | None, outcome: str | None) -> str | None:
    """The intent of the answer that the message after ``turn`` may fault: ``turn``'s own,
    if it answered from an intent; still ``answered`` after a complaint; else None."""
    if outcome == COMPLAINED:
        return answered
    gave_faq = turn.action == "fallback" and turn.fallback == "answer"
    if turn.intent is not None and (turn.action in ANSWERED or gave_faq):
        return turn.intent
    return None
