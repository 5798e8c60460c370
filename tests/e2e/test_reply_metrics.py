"""The application's observer (``Bot(on_turn=...)``, see servicebot/turnmetrics.py): every
finished turn, in every call form, reaches it once with its action, intent, why it fell
back, whether it was stored, its times and its tokens, and never the customer's text."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from servicebot import Bot, TurnMetrics
from servicebot.errors import StorageError
from servicebot.store import TurnRecord
from servicebot.store.memory import MemoryStore
from tests.conftest import REPO
from tests.e2e.conftest import REFUNDS
from tests.openai_server import Fault, OpenAIServer

PHONE = "415 555 2671"


class _BrokenStore(MemoryStore):
    def append_turn(self, turn: TurnRecord) -> TurnRecord:
        raise StorageError("redis: connection refused")


def observed_bot(make_bot: Any, **kwargs: Any) -> tuple[Any, list[TurnMetrics]]:
    """A bot on the local server, and the list its observer appends each turn's metrics to."""
    seen: list[TurnMetrics] = []
    bot = make_bot(**kwargs)
    bot.on_turn = seen.append
    return bot, seen


def test_an_answered_turn_reports_its_action_intent_times_and_tokens(make_bot: Any) -> None:
    bot, seen = observed_bot(make_bot)
    reply = bot.reply(f"{REFUNDS} Call me on {PHONE}.", conversation_id="m-1")
    [metrics] = seen
    assert (metrics.conversation_id, metrics.turn, metrics.action) == ("m-1", 1, "answer")
    assert (
        metrics.intent == reply.intent == "refund_status" and metrics.bot == "Maple Market support"
    )
    assert metrics.stored and not metrics.repeated and metrics.failure is None
    assert metrics.model == "gpt-4o-mini" and metrics.attempts == 1
    assert metrics.prompt_tokens > 0 and metrics.completion_tokens > 0
    assert {"prefilter", "routing", "prompt", "model", "postfilter", "store"} <= set(metrics.stages)
    assert metrics.ms >= metrics.stages["model"] > 0
    logged = json.dumps(dataclasses.asdict(metrics))  # the README's line per turn
    assert PHONE not in logged and "refund take" not in logged  # safe to log
    assert json.loads(logged)["stages"]["model"] == metrics.stages["model"]


def test_a_fallback_reports_its_cause_and_a_paused_model_says_paused(
    make_bot: Any, server: OpenAIServer
) -> None:
    bot, seen = observed_bot(make_bot, breaker_failures=1, breaker_pause=60)
    server.fail(Fault.status(503))
    bot.reply(REFUNDS)
    bot.reply(REFUNDS)
    causes = [(m.action, m.failed_stage, m.failure, m.attempts) for m in seen]
    assert causes == [("fallback", "model", "server_error", 1), ("fallback", "model", "paused", 0)]
    assert seen[0].fallback is not None


def test_a_turn_the_store_lost_is_reported_unstored(make_bot: Any) -> None:
    bot, seen = observed_bot(make_bot, store=_BrokenStore())
    bot.reply(REFUNDS)
    assert [(m.action, m.stored, m.turn) for m in seen] == [("answer", False, None)]


def test_every_call_form_and_a_repeated_delivery_reports_once(make_bot: Any) -> None:
    bot, seen = observed_bot(make_bot)

    async def in_loop() -> None:
        await bot.areply(REFUNDS, conversation_id="c")
        async for _ in bot.astream(REFUNDS + " Thanks.", conversation_id="c"):
            pass

    bot.reply(REFUNDS, conversation_id="c", message_id="m1")
    list(bot.stream(REFUNDS + " Really?", conversation_id="c"))
    asyncio.run(in_loop())
    bot.reply(REFUNDS, conversation_id="c", message_id="m1")  # the platform sent it again
    turns = [(m.turn, m.repeated) for m in seen]
    assert turns == [(1, False), (2, False), (3, False), (4, False), (1, True)]


def test_an_observer_that_raises_costs_the_turn_nothing(
    make_bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    bot = make_bot()

    def broken(metrics: TurnMetrics) -> None:
        raise RuntimeError("the metrics backend is down")

    bot.on_turn = broken
    with caplog.at_level(logging.ERROR, logger="servicebot"):
        reply = bot.reply(REFUNDS, conversation_id="c")
    assert reply.action == "answer" and reply.turn == 1
    assert "conversation c: the on_turn observer raised" in caplog.text
    assert "the metrics backend is down" in caplog.text  # its traceback


def test_bot_load_takes_the_observer(tmp_path: Path) -> None:
    seen: list[TurnMetrics] = []
    bot = Bot.load(REPO, offline=True, store=MemoryStore(), on_turn=seen.append)
    bot.reply("thanks!")
    assert [(m.action, m.intent, m.model, m.attempts) for m in seen] == [
        ("direct", "thanks", None, 0)
    ]
