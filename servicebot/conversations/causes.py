"""Why a turn's action is not the one its script expects, said on the line under the action
the turn got: the filter events that decided it (a post-filter fallback or handoff, a blocked
message), or the model error a fallback followed.
"""

from __future__ import annotations

from ..filters import FilterEvent
from ..postfilter import SHINGLE
from ..reply import Reply

BECAUSE = "because "  # opens the line under a check's one-line "got" that says why

# The event action that makes each reply action, when filter events make it.
_MADE_BY = {"fallback": "fallback", "handoff": "handoff", "blocked": "block"}
# What each post-filter check found in the model's answer, in plain words.
_FOUND = {
    "leakage": f"the model's answer copies {SHINGLE} words in a row of the system prompt",
    "contact": "the model's answer gives a contact or link that no file of the bot gives",
    "pii": "the model's answer holds personal data the bot was never given",
    "profanity": "the model's answer holds a word of the profanity list",
    "length": "the model's answer is longer than postfilter.max_chars",
    "empty": "the model's answer is empty",
    "markup": "the model's answer holds HTML that the bot's files do not use",
}
_DECLINED = {
    "content_filter": "the provider's content filter stopped the model's answer",
    "refusal": "the model refused to answer",
}


def action_cause(reply: Reply) -> str | None:
    """The line that says what made ``reply``'s action, when filter events made it rather than
    routing: ``because the model's answer copies 8 words in a row of the system prompt
    (postfilter leakage system_prompt)``, ``because the model call failed (timeout)``."""
    made_by = _MADE_BY.get(reply.action)
    deciding = [event for event in reply.events if made_by and event.action == made_by]
    if not deciding:
        return None
    return BECAUSE + "; ".join(_said(event) for event in deciding)


def _said(event: FilterEvent) -> str:
    """One deciding event in plain words, and as the event names it, for ``expect: events``."""
    if event.stage == "model":  # the call failed: its kind is the whole story
        return f"the model call failed ({event.kind})"
    if event.stage == "prefilter":
        plain = "the pre-filter blocks the message"
    elif event.detector == "model":
        plain = _DECLINED.get(event.kind, f"the model declined to answer ({event.kind})")
    else:
        plain = _FOUND.get(event.detector, f"the post-filter's {event.detector} check failed")
    return f"{plain} ({event.stage} {event.detector} {event.kind})"
