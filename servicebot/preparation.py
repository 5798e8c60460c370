"""The parts of :meth:`~servicebot.pipeline.Bot.prepare` past routing: the reply of a turn no
model answers (:func:`canned_reply`), the fitted prompt of one a model does
(:func:`fitted_prompt`, which lets customer details give way to the FAQ's facts), and the
:class:`Clock` that times each stage of the turn.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from .actions import canned_action
from .budget import Fitted, Part, fit_prompt
from .errors import BudgetError, TemplateError
from .prompt import Context, Exchange, customer_details_failed, faq_answer, few_shot
from .routing import Routing

if TYPE_CHECKING:
    from .pipeline import Bot

P = ParamSpec("P")
T = TypeVar("T")


def canned_reply(bot: Bot, routing: Routing, context: Context) -> str:
    """The reply for a turn no model answers (direct, handoff, or offline), as its action
    (see :func:`~servicebot.actions.canned_action`) has it."""
    action = canned_action(routing, bot.spec.settings.routing)
    if action == "direct" and routing.best is not None:
        return faq_answer(routing.best.intent, context, bot.renderer.written)
    if action == "out_of_scope":
        return bot.renderer.reply("out_of_scope.j2", context)
    return bot.renderer.reply("handoff.j2", context)


def fitted_prompt(
    bot: Bot, context: Context, history: Sequence[Exchange], text: str, itemise: bool = False
) -> Fitted:
    """The turn's prompt, fitted. Customer details (the application's metadata) give way
    to the FAQ's facts: when they overflow the budget, push out a fact or part of the
    customer's message, or break the system template, the turn goes without them, and
    the fitted parts say so."""
    try:
        fitted: Fitted | None = _fit_with(bot, context, history, text, itemise)
    except (BudgetError, TemplateError) as error:
        if not context.customer:
            raise  # the templates alone: servicebot check reports that before any turn
        if isinstance(error, TemplateError):
            customer_details_failed(error)
        fitted = None
    if fitted is not None and not (context.customer and _squeezed(fitted)):
        return fitted
    without = _fit_with(bot, dataclasses.replace(context, customer=None), history, text, itemise)
    if fitted is not None and _squeezed(without):
        return fitted  # the details are not what squeezed it
    left_out = Part("system", "customer details", None, kept=False)
    return dataclasses.replace(without, parts=(left_out, *without.parts))


def _fit_with(
    bot: Bot, context: Context, history: Sequence[Exchange], text: str, itemise: bool
) -> Fitted:
    return fit_prompt(
        bot.counter,
        bot.spec.settings.budget,
        lambda n: bot.renderer.system(context, n),
        [match.intent.name for match in context.matches],
        few_shot(context.matches, context.language, bot.spec.settings.languages),
        history,
        text,
        itemise=itemise,
    )


def _squeezed(fitted: Fitted) -> bool:
    """Whether an FAQ fact or part of the customer's message was left out to fit."""
    return fitted.truncated or any(part.kind == "faq" and not part.kept for part in fitted.parts)


class Clock:
    """Times each stage of one turn, in milliseconds."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}

    def time(self, stage: str, run: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        start = time.perf_counter()
        try:
            return run(*args, **kwargs)
        finally:
            self.laps[stage] = self.laps.get(stage, 0.0) + (time.perf_counter() - start) * 1000
