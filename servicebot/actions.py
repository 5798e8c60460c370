"""The action a turn ends with when its reply is not the model's answer as it came: a canned
reply's (:func:`canned_action`: blocked, direct, out of scope or handoff), a model answer's
(:func:`answered_action`), and the fallback for a model that could not answer
(:func:`fallback_reply`: the FAQ's answer when routing is :func:`confident`, else a handoff).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .prompt import Context, faq_answer
from .reply import Action, Fallback
from .routing import Routing, sure
from .settings import RoutingSettings

if TYPE_CHECKING:
    from .pipeline import Bot


def answered_action(routing: Routing | None) -> Action:
    """The action of a turn the model answered: out of scope if routing found no intent."""
    return "out_of_scope" if routing and routing.route == "out_of_scope" else "answer"


def canned_action(routing: Routing | None, settings: RoutingSettings) -> Action:
    """The action of a turn no model answers: blocked, direct (an intent's answer as written,
    also offline when routing is sure of it), out of scope, or a handoff."""
    if routing is None:
        return "blocked"
    if routing.route == "direct" or (routing.route == "model" and confident(routing, settings)):
        return "direct"
    if routing.route == "out_of_scope":
        return "out_of_scope"
    return "handoff"  # a handoff intent, or no model to ask


def fallback_reply(bot: Bot, routing: Routing | None, context: Context) -> tuple[str, Fallback]:
    """When the model cannot answer: the top intent's answer if routing was confident,
    otherwise a handoff to a person; and which of the two it is."""
    if routing is not None and routing.best and confident(routing, bot.spec.settings.routing):
        return faq_answer(routing.best.intent, context, bot.renderer.written), "answer"
    return bot.renderer.reply("handoff.j2", context), "handoff"


def confident(routing: Routing | None, settings: RoutingSettings) -> bool:
    """Whether routing is sure enough of its best intent to send that answer as written.

    Never for a follow-up: its intent came from the previous message, whose answer the
    customer has; sent again, it would ignore what this message asks.
    """
    if routing is None or routing.follow_up:
        return False
    return sure(routing.matches, settings, routing.runner_up)
