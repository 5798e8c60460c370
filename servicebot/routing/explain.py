"""Why a message took its route, for an operator reading it (``servicebot render``, ``chat``
and each turn's trace): the handoff intent that is not the best, what kept a direct intent's
answer from going out as written, and what left a message that reached ``min_score`` out of
scope. Pure functions of a :class:`~servicebot.routing.Routing` and the thresholds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..settings import RoutingSettings
from .decisions import sure

if TYPE_CHECKING:
    from . import Routing

__all__ = ["handed_off_by", "why_not_direct", "why_out_of_scope"]


def handed_off_by(routing: Routing) -> str | None:
    """The handoff intent that sent the turn to a person and the best intent, when the two
    differ: "repair_blender 0.53 (top: return_item 0.58)". An operator reading only the best
    would take return_item for the intent that hands off."""
    handoff, best = routing.handoff, routing.best
    if handoff is None or best is None or handoff.intent.name == best.intent.name:
        return None
    return f"{handoff.intent.name} {handoff.score:.2f} (top: {best.intent.name} {best.score:.2f})"


def why_not_direct(routing: Routing, settings: RoutingSettings) -> str | None:
    """Why a ``direct: true`` intent at or above ``direct_threshold`` was sent to the model and
    not answered as written, for an operator reading the route ("not direct: leads
    international_shipping by 0.18, direct_margin is 0.25"); None when the route says enough
    (a handoff, a follow-up, an intent that is not direct or scores below the threshold)."""
    best = routing.best
    if routing.route != "model" or routing.follow_up or best is None or not best.intent.direct:
        return None
    if best.score < settings.direct_threshold:
        return None
    if sure(routing.matches, settings, routing.runner_up):
        return _unspoken(routing)
    if routing.runner_up_intent == best.intent.name:  # the one above it was left out: see decide
        return (
            f"not direct: a handoff intent below handoff_threshold {settings.handoff_threshold}"
            " scores above it"
        )
    lead = _short(best.score - routing.runner_up, settings.direct_margin)
    if not routing.runner_up_intent:  # the bot's only intent
        return f"not direct: scores {lead} alone, less than direct_margin {settings.direct_margin}"
    return (
        f"not direct: leads {routing.runner_up_intent} by {lead}, direct_margin is "
        f"{settings.direct_margin}"
    )


def why_out_of_scope(routing: Routing, settings: RoutingSettings) -> str | None:
    """Why a message out of scope, whose best intent reached ``min_score``, is out of scope
    anyway, for an operator reading the route: that intent hands off and scores under
    ``handoff_threshold``, so it is left out (see :func:`decide`): "talk_to_human 0.34
    reached min_score 0.22 but is a handoff intent under handoff_threshold 0.35". None when
    nothing reached ``min_score``: "none reached min_score" says it all then."""
    if routing.route != "out_of_scope" or routing.matches:
        return None
    held = [m for m in routing.closest if m.score >= settings.min_score and m.intent.handoff]
    if not held:
        return None
    named = ", ".join(f"{m.intent.name} {m.score:.2f}" for m in held)
    kind = "is a handoff intent" if len(held) == 1 else "are handoff intents"
    return (
        f"{named} reached min_score {settings.min_score} but {kind} under handoff_threshold "
        f"{settings.handoff_threshold}"
    )


def _unspoken(routing: Routing) -> str | None:
    """Why a message routing is sure of went to the model: its letters (see
    :meth:`Router.route`)."""
    if routing.unspoken is None:
        return None
    return f"not direct: written in {routing.unspoken}, which none of the bot's languages is"


def _short(lead: float, margin: float) -> str:
    """``lead`` to two decimals, or more when two would round it up to ``margin``: a lead of
    0.2496 is not "0.25" beside a margin of 0.25."""
    for places in (2, 3, 4):
        shown = f"{lead:.{places}f}"
        if float(shown) < margin:
            return shown
    return f"{lead:.6f}"
