"""A turn up to the model call, the work of :meth:`~servicebot.pipeline.Bot.prepare`
(:func:`prepared_turn`): the pre-filter (the customer details screened with the message),
routing, and then the reply of a turn no model answers (:func:`canned_reply`) or the fitted
prompt of one a model does (:func:`fitted_prompt`, which lets customer details give way to
the FAQ's facts); and the :class:`Clock` that times each stage of the turn.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from .actions import canned_action
from .budget import Fitted, Part, fit_prompt
from .customer import ScreenedDetails
from .errors import BudgetError, TemplateError
from .filters.pieces import CARRIED
from .filters.placeholders import Placeholders
from .prompt import (
    Context,
    Exchange,
    customer_details_failed,
    faq_answer,
    few_shot,
    script_of,
    with_unanswered,
)
from .routing import (
    FOLLOW_UP_CHAIN,
    Routing,
    detect_language,
    is_blank,
    locale_language,
    previous_message,
)
from .turn import Prepared

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


def prepared_turn(
    bot: Bot,
    text: str,
    history: Sequence[Exchange],
    customer: Mapping[str, Any] | None,
    placeholders: Placeholders | None,
    misses: int,
    explain: bool,
    said_before: str | Sequence[str] | None,
) -> Prepared:
    """:meth:`~servicebot.pipeline.Bot.prepare`'s work, whose docstring says what each
    argument does: the pre-filter, routing, and then the canned reply or the fitted prompt."""
    clock = Clock()
    if said_before is None:  # they may end with this value's label, or pieces after it
        said_before = [exchange.user for exchange in history[-CARRIED:]]
    placeholders = placeholders or Placeholders()
    filtered = clock.time("prefilter", bot.prefilter.run, text, placeholders, said_before)
    details: ScreenedDetails | None = None  # after the message: its values come first
    if customer is not None:
        details = clock.time("prefilter", _screened, bot, customer, placeholders)
        values = {**filtered.values, **details.masked_values}  # restored in the answer
        filtered = dataclasses.replace(filtered, values=values)
    previous = previous_message([x.user for x in history[-1 - FOLLOW_UP_CHAIN :]])
    # A first message of masked insults alone ("****") is in the language they were in.
    said = text[: bot.spec.settings.prefilter.max_chars]  # as the pre-filter reads it
    # A first message with no words ("👍") is in the customer's locale, if the application
    # gives it (``customer["locale"]``): the application's value, read before screening.
    locale = locale_language(_locale_of(customer), bot.spec.settings.languages)
    if filtered.verdict == "block":  # read what the pre-filter kept: a paste may be huge
        languages = bot.spec.settings.languages
        language = detect_language(filtered.text, languages, previous, said, default=locale)
        script = script_of(filtered.text, language, previous, bot.renderer.written)
        context = Context(language, flags=filtered.flags, customer=details, script=script)
        blocked = bot.renderer.reply("blocked.j2", context)
        return Prepared(
            filtered,
            None,
            language,
            blocked,
            timings=clock.laps,
            script=script,
            customer=details,
        )
    replied = history[-1].assistant if history else None  # the question it may answer
    route = bot.router.route
    routing = clock.time(
        "routing",
        route,
        filtered.text,
        previous,
        misses,
        said=said,
        replied=replied,
        default_language=locale,
    )
    context = Context(
        routing.language,
        routing.matches if routing.route != "out_of_scope" else (),
        routing.route == "out_of_scope",
        filtered.flags,
        details,
        script_of(filtered.text, routing.language, previous, bot.renderer.written),
        routing.unspoken,
    )
    # Direct answers, handoffs and blank messages never reach a model; with no model
    # named, nothing does, and ``explain`` fits the prompt a model would have been sent.
    canned = routing.route in ("direct", "handoff") or (
        routing.route == "out_of_scope" and is_blank(filtered.text)
    )
    reply: str | None = None
    if canned or bot.model is None:
        reply = clock.time("prompt", canned_reply, bot, routing, context)
        if canned or not explain:
            return Prepared(
                filtered,
                routing,
                routing.language,
                reply,
                timings=clock.laps,
                script=context.script,
                customer=details,
            )
    # A message the customer saw no answer to (a stream stopped before its first sentence
    # was cleared, one left to a person) informs routing above as it is, and reaches the
    # model with the next message (see with_unanswered).
    answered, said = with_unanswered(history, filtered.text)
    fitted = clock.time("prompt", fitted_prompt, bot, context, answered, said, explain)
    return Prepared(
        filtered, routing, routing.language, reply, fitted, clock.laps, context.script, details
    )


def _screened(bot: Bot, customer: Mapping[str, Any], placeholders: Placeholders) -> ScreenedDetails:
    """The customer details through the pre-filter, with the conversation's placeholders:
    a customer may choose their own name (see :class:`~servicebot.customer.ScreenedDetails`)."""
    return ScreenedDetails(
        customer, functools.partial(bot.prefilter.run, placeholders=placeholders)
    )


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


def _locale_of(customer: Mapping[str, Any] | None) -> object:
    """The ``locale`` the application gives in the customer's details, or None; None too for
    details that cannot be read (a lazy session whose backend is gone), which screening
    leaves out and logs once (customer.py): the turn goes on without them."""
    try:
        return None if customer is None else customer.get("locale")
    except Exception:  # the application's mapping: any error it raises
        return None
