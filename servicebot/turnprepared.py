"""A turn made ready for the model: :class:`Prepared` holds what the stages before it decided
(the work of ``preparation.py``), and :class:`TurnPrepared` takes it onto the
:class:`~servicebot.turn.Turn`: a trace step for the pre-filter, routing and prompt each, and
the request the model is sent. What the turn then makes of the answer is in ``turn.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .actions import confident
from .budget import Fitted
from .customer import ScreenedDetails
from .filters import FilterResult
from .model import ModelRequest, request_for
from .reply import Step
from .routing import Routing, handed_off_by, why_not_direct, why_out_of_scope
from .settings import Script

if TYPE_CHECKING:
    from .pipeline import Bot


@dataclass(frozen=True)
class Prepared:
    """A turn made ready for the model: a reply that needs none, or the messages to send."""

    filtered: FilterResult  # what the pre-filter made of the customer's text
    routing: Routing | None  # None when the pre-filter blocked the message
    language: str  # the language the customer writes and is answered in
    reply: str | None = None  # the answer when no model is needed (blocked, direct, handoff)
    fitted: Fitted | None = None  # the prompt, when the model answers (or, explained, would)
    timings: Mapping[str, float] = field(default_factory=dict)  # ms per stage
    script: Script = "simplified"  # the Chinese script the customer writes
    customer: ScreenedDetails | None = None  # the customer details as templates got them


class TurnPrepared:
    """The prepared side of a :class:`~servicebot.turn.Turn`, which sets what it reads."""

    bot: Bot
    trace: list[Step]
    prep: Prepared
    request: ModelRequest | None

    def prepared(self, prepared: Prepared) -> None:
        """Take what the stages before the model decided: a trace step for each that ran,
        and, when a prompt was fitted, the request the model is sent."""
        self.prep = prepared
        laps, filtered, routing = prepared.timings, prepared.filtered, prepared.routing
        self.trace.append(
            Step(
                "prefilter",
                filtered.verdict,
                laps.get("prefilter", 0.0),
                {
                    "events": [str(event) for event in filtered.events],
                    "flags": sorted(filtered.flags),
                    **(prepared.customer.trace() if prepared.customer is not None else {}),
                },
            )
        )
        if routing is not None:
            intents = {m.intent.name: m.score for m in routing.matches}
            by = handed_off_by(routing)
            found = {
                **({"by": by} if by else {}),  # first: the trace line leads with who hands off
                "intents": intents,
                "language": routing.language,
                "follow_up": routing.follow_up,
                "misses": routing.misses,
            }
            if routing.closest:
                found["closest"] = {m.intent.name: m.score for m in routing.closest}
            settings = self.bot.spec.settings.routing
            if why := why_not_direct(routing, settings) or why_out_of_scope(routing, settings):
                found["why"] = why
            self.trace.append(Step("routing", routing.route, laps.get("routing", 0.0), found))
        if prepared.reply is not None and routing is not None and routing.route == "model":
            sure = confident(routing, self.bot.spec.settings.routing)
            decision = "no model: the FAQ's answer" if sure else "no model: a handoff"
            self.trace.append(Step("prompt", decision, laps.get("prompt", 0.0)))
        fitted = prepared.fitted
        if fitted is not None:
            dropped = [f"{p.kind} {p.label}" for p in fitted.dropped]
            sizes = {"tokens": fitted.used, "budget": fitted.budget, "dropped": dropped}
            decision = "fitted, message truncated" if fitted.truncated else "fitted"
            self.trace.append(Step("prompt", decision, laps.get("prompt", 0.0), sizes))
            self.request = request_for(self.bot.spec.settings.model, fitted.messages)
