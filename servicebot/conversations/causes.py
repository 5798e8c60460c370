"""Why a turn's action is not the one its script expects, said on the line under the action
the turn got: the filter events that decided it (a post-filter fallback or handoff, a blocked
message), or the model error a fallback followed. And why a turn that expects no model call
(direct, handoff, blocked, out of scope) made one: where routing sent its message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..faq import Intent
from ..filters import FilterEvent
from ..postfilter import SHINGLE
from ..reply import Action, Reply
from ..settings import RoutingSettings

BECAUSE = "because "  # opens the line under a check's one-line "got" that says why
NO_MODEL = ("direct", "handoff", "blocked", "out_of_scope")  # actions of turns no model answers

# The event action that makes each reply action, when filter events make it.
_MADE_BY = {"fallback": "fallback", "handoff": "handoff", "blocked": "block"}
# What each post-filter check found in the model's answer, in plain words.
_FOUND = {
    "leakage": f"the model's answer copies {SHINGLE} words in a row of the system prompt",
    "contact": "the model's answer gives a contact or link that no file of the bot gives",
    "amount": "the model's answer gives an amount or percentage that neither a file of the bot "
    "nor the conversation gives",
    "pii": "the model's answer holds personal data the bot was never given",
    "profanity": "the model's answer holds a word of the profanity list",
    "length": "the model's answer is longer than postfilter.max_chars (or max_bytes)",
    "empty": "the model's answer is empty",
    "markup": "the model's answer holds HTML that the bot's files do not use",
}
# The leakage check counts a Chinese character as half a word: a Chinese answer's run is
# twice as many characters.
_LEAKED_CHINESE = (
    f"the model's answer copies {2 * SHINGLE} characters in a row of the system prompt"
)
_DECLINED = {
    "content_filter": "the provider's content filter stopped the model's answer",
    "refusal": "the model refused to answer",
    "reasoning_only": "the model spent its tokens reasoning and gave no answer",
    "tool_calls": "the model asked to call a tool instead of answering",
}


def action_cause(reply: Reply) -> str | None:
    """The line that says what made ``reply``'s action, when filter events made it rather than
    routing: ``because the model's answer copies 8 words in a row of the system prompt
    (postfilter leakage system_prompt)``, ``because the model call failed (timeout)``."""
    made_by = _MADE_BY.get(reply.action)
    deciding = [event for event in reply.events if made_by and event.action == made_by]
    if not deciding:
        return None
    routing = reply.step("routing")
    language = str(routing.detail.get("language", "")) if routing else ""
    return BECAUSE + "; ".join(_said(event, language) for event in deciding)


def _said(event: FilterEvent, language: str) -> str:
    """One deciding event in plain words, and as the event names it, for ``expect: events``;
    in the units of the turn's ``language`` (a Chinese answer's copied run is in characters)."""
    if event.stage == "model":  # the call failed: its kind is the whole story
        return f"the model call failed ({event.kind})"
    if event.stage == "prefilter":
        plain = "the pre-filter blocks the message"
    elif event.detector == "model":
        plain = _DECLINED.get(event.kind, f"the model declined to answer ({event.kind})")
    elif event.detector == "leakage" and language.partition("-")[0] == "zh":
        plain = _LEAKED_CHINESE
    else:
        plain = _FOUND.get(event.detector, f"the post-filter's {event.detector} check failed")
    return f"{plain} ({event.stage} {event.detector} {event.kind})"


def model_cause(
    expected: Action, reply: Reply, intents: Sequence[Intent], settings: RoutingSettings
) -> str | None:
    """The line that says why ``reply``'s message went to the model, which answered it from
    the turn's recording, when the turn expects action ``expected`` with no model call:
    ``because routing sends this message to the model (order_status 0.620, which is not a
    direct intent)``. None for a turn that expects the model, or that routing kept from it."""
    asked = any(step.stage in ("cache", "model") for step in reply.trace)
    if expected not in NO_MODEL or not asked:
        return None
    cause = routing_cause(expected, reply, intents, settings)
    return BECAUSE + cause if cause else None


def routing_cause(
    expected: Action, reply: Reply, intents: Sequence[Intent], settings: RoutingSettings
) -> str | None:
    """Why ``reply``'s message, which the turn expects to get action ``expected`` with no
    model call, went to the model: ``routing sends this message to the model (order_status
    0.620, below direct_threshold 0.7)``. None when routing did as expected (a message out of
    scope is answered by the model): then the turn lacks its recording, no more."""
    prefilter, routing = reply.step("prefilter"), reply.step("routing")
    if routing is None or prefilter is None:
        return None
    found: Mapping[str, Any] = routing.detail
    matches: dict[str, float] = dict(found.get("intents", {}))
    if routing.decision == "out_of_scope":
        if expected == "out_of_scope":
            return None
        closest = dict(found.get("closest", {}))
        near = "".join(f"; the closest is {n} {s:.3f}" for n, s in list(closest.items())[:1])
        why = found.get("why") or f"no intent at or above min_score {settings.min_score}{near}"
        sends = f"routing sends this message to the model as out of scope ({why})"
    elif found.get("follow_up"):
        sends = "routing reads this message as a follow-up of the one before and sends both "
        sends += "to the model (a follow-up is never answered direct)"
    else:
        why = _why_model(expected, matches, {i.name: i for i in intents}, settings)
        sends = f"routing sends this message to the model ({why})"
    if expected == "blocked":
        return f"the pre-filter lets this message through ({prefilter.decision}), and {sends}"
    return sends


def _why_model(
    expected: Action,
    matches: dict[str, float],
    intents: Mapping[str, Intent],
    settings: RoutingSettings,
) -> str:
    """Why routing chose the model over the route ``expected`` for the intents ``matches``
    (best first, at or above min_score)."""
    (name, score), *others = matches.items()
    best, intent = f"{name} {score:.3f}", intents.get(name)
    if expected == "blocked":  # the pre-filter's part: any route would do
        return best
    if expected == "out_of_scope":
        return f"{best}, at or above min_score {settings.min_score}"
    if expected == "handoff":  # a handoff intent below the threshold is no match at all
        return (
            f"{best}; no handoff intent at or above handoff_threshold {settings.handoff_threshold}"
        )
    if intent is not None and not intent.direct:
        return f"{best}, which is not a direct intent"
    if score < settings.direct_threshold:
        return f"{best}, below direct_threshold {settings.direct_threshold}"
    second = f" ({others[0][0]} {others[0][1]:.3f})" if others else ""
    return f"{best}, less than direct_margin {settings.direct_margin} ahead of the next{second}"
