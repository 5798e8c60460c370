"""Why a stored turn went to a person or fell back, from what the store keeps of it
(store/__init__.py's TurnRecord: its action, intent, fallback kind and filter events): the
reasons and causes ``servicebot report`` counts (report.py) and ``export`` writes in its
``why`` column (export.py).
"""

from __future__ import annotations

from collections.abc import Collection

from .store import TurnRecord

# Why a turn went to a person, as handoff_reason names it.
ASKED = "asked_for_person"  # routed to a ``handoff: true`` intent
MISSED = "missed_in_a_row"  # the routing.handoff_after-th out-of-scope message in a row
UNSURE = "unsure_no_model"  # no model to ask, and routing not sure enough to answer as written
MODEL_FAILED = "model_failed"  # the model failed (an outage, a timeout), and its fallback hands off
POSTFILTER = "postfilter"  # the post-filter refused the model's answer: outcome handoff
GONE = "intent_not_in_bot"  # routed to an intent the bot no longer has: renamed since?


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
