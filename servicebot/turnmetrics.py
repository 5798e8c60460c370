"""What a finished turn tells the application's observer, for its metrics.

An application passes ``Bot(..., on_turn=observe)`` (or ``Bot.load``), and each turn the bot
finishes, whatever its form (``reply``, ``areply``, ``stream``, ``astream``, a stopped stream,
a person's turn, a webhook's repeated delivery), calls ``observe`` with a :class:`TurnMetrics`:
its action and intent, why a fallback was sent, whether it was stored, its time per stage and
in all, and the model's tokens and attempts. Counting turns by action, fallbacks by cause,
model latency and tokens then needs no dependency of servicebot's: the application feeds
whichever metrics library it has (the README has a Prometheus example).

Every field is read from what the turn already kept for its reply and trace, and none holds
the customer's or the bot's text, so a :class:`TurnMetrics` is safe to log whole (one line per
turn). The observer runs in the thread that stored the turn (for ``areply``, a worker thread
of the event loop's), after the store write: keep it quick. An observer that raises costs
the turn nothing; the ``servicebot`` logger says so, with a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from .reply import Action, Fallback, Reply

log = logging.getLogger("servicebot")


@dataclass(frozen=True)
class TurnMetrics:
    """One finished turn, as numbers and labels: never the customer's or the bot's text."""

    bot: str  # the bot's ``name`` in servicebot.yaml
    conversation_id: str
    turn: int | None  # its number in the conversation; None if it was not stored
    action: Action
    intent: str | None
    fallback: Fallback | None  # what a fallback sent: "answer" or "handoff"
    # Why the turn fell back (or a model call failed): the stage ("model", "postfilter") and
    # the kind, as the stored turn's event says: "timeout", "paused", "server_error",
    # "rate_limit", "connection", "rejected", "config_error", "content_filter", a post-filter
    # finding such as "unknown_url". None for a turn that did not fall back.
    failed_stage: str | None
    failure: str | None
    stored: bool  # False when the store could not keep it (the log says why)
    repeated: bool  # a message answered already (the same message_id): nothing was stored
    ms: float  # the whole turn, from the call to the reply
    stages: dict[str, float]  # ms per stage, as the trace has them (a stage's steps summed)
    model: str | None  # the model that answered, or was asked ("cache": the answer cache); None
    # when none was
    attempts: int  # requests sent to the model, retries included
    prompt_tokens: int
    completion_tokens: int


Observer = Callable[[TurnMetrics], None]


def metrics_of(reply: Reply, bot: str, ms: float, model: str | None) -> TurnMetrics:
    """The metrics of a finished turn's ``reply`` (its trace whole), of ``bot``, taking ``ms``,
    answered by (or asked of) ``model``."""
    stages: dict[str, float] = {}
    for each in reply.trace:
        stages[each.stage] = round(stages.get(each.stage, 0.0) + each.ms, 3)
    step = reply.step("model")
    why = next((event for event in reply.events if event.action == "fallback"), None)
    usage = reply.usage
    return TurnMetrics(
        bot=bot,
        conversation_id=reply.conversation_id,
        turn=reply.turn,
        action=reply.action,
        intent=reply.intent,
        fallback=reply.fallback,
        failed_stage=why.stage if why else None,
        failure=why.kind if why else None,
        stored=reply.turn is not None,
        repeated=reply.repeated,
        ms=round(ms, 3),
        stages=stages,
        model=model,
        attempts=int(step.detail.get("attempts", 0)) if step else 0,
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
    )


def observed(
    observer: Observer | None, reply: Reply, bot: str, ms: float, model: str | None
) -> None:
    """Give ``observer`` the finished turn's metrics. An observer that raises is the
    application's bug, not the turn's: logged, with its traceback, and the turn goes on."""
    if observer is None:
        return
    try:
        observer(metrics_of(reply, bot, ms, model))
    except Exception:
        log.exception("conversation %s: the on_turn observer raised", reply.conversation_id)
