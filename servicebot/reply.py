"""What a turn becomes: the :class:`Reply` the customer gets, and the :class:`Step` of the
trace that each stage left on the way.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .filters import FilterEvent
from .model import Usage

Action = Literal[
    "answer", "direct", "handoff", "blocked", "fallback", "out_of_scope", "person", "with_person"
]
# person: a turn a person answered (Bot.add_person_turn); with_person: a customer's message
# while a person has the conversation, left for them to answer (see handover.py)
Fallback = Literal["answer", "handoff"]  # what a fallback sent: an intent's answer, or a person


@dataclass(frozen=True)
class Step:
    """One stage's part in a turn: what it decided, how long it took, and why."""

    stage: str  # prefilter | routing | prompt | cache | model | postfilter | store
    decision: str  # "pass", "model", "answer", "fallback (timeout)", "turn 3", ...
    ms: float = 0.0
    detail: Mapping[str, Any] = field(default_factory=dict)  # never the customer's text


@dataclass(frozen=True)
class Reply:
    """The bot's answer to one customer message, and how it came about."""

    text: str  # what the customer reads, their own details restored
    action: Action
    conversation_id: str
    intent: str | None = None  # the best-matching intent, or the handoff intent that handed off
    score: float | None = None
    usage: Usage | None = None  # what the model reported, when it was called
    trace: tuple[Step, ...] = ()
    turn: int | None = None  # the turn's number in the conversation; None if it was not stored
    events: tuple[FilterEvent, ...] = ()  # what the pre- and post-filter found and did
    # For a fallback: "answer" (the best intent's answer, routing being sure of it) or
    # "handoff" (handoff.j2: the customer was told a person takes over). None otherwise.
    fallback: Fallback | None = None
    # True for a message the conversation had answered already (the same ``message_id``, a
    # platform's retried delivery): this is that turn's reply again, and nothing was stored.
    repeated: bool = False

    @property
    def handed_off(self) -> bool:
        """Whether the customer was told a person takes over: a handoff, or a fallback that
        sent ``handoff.j2``. An application that queues a person checks this, not the action
        alone: during a model outage a handoff comes as action ``fallback``."""
        return self.action == "handoff" or self.fallback == "handoff"

    def step(self, stage: str) -> Step | None:
        """The trace step of ``stage``, if it ran."""
        return next((step for step in self.trace if step.stage == stage), None)


def elapsed_ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)
