"""A model outage against the local server: after ``model.breaker_failures`` outages in a row
the model is paused, and turns get their fallback without a request; after the pause one
turn probes it. ``model.turn_timeout`` ends a turn's model call, retries and all, with a
fallback. Counts of requests and outcomes are asserted; times only within generous bounds."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import pytest

from servicebot.filters import FilterEvent
from servicebot.model import BreakerState
from tests.e2e.conftest import REFUNDS
from tests.openai_server import Fault, OpenAIServer

PAUSED = FilterEvent("model", "model", "paused", "fallback")


def test_after_outages_in_a_row_a_turn_falls_back_paused_without_asking(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    bot = make_bot(breaker_failures=2, breaker_pause=60)
    server.fail(Fault.status(503), Fault.status(503))
    with caplog.at_level(logging.INFO, logger="servicebot"):
        for _ in range(2):
            assert bot.reply(REFUNDS, conversation_id="c").events[0].kind == "server_error"
        paused = [bot.reply(REFUNDS, conversation_id="c") for _ in range(3)]
    assert len(server.requests) == 2  # the paused turns sent none
    for reply in paused:
        assert reply.action == "fallback" and reply.events == (PAUSED,)
        step = reply.step("model")
        assert step is not None and step.decision == "failed (paused)"
    assert bot.store.history("c")[-1].events == (PAUSED,)
    opened = [m for m in caplog.messages if "it is paused for 60 s" in m]
    assert len(opened) == 1  # once, as it opened, not per turn
    assert not [m for m in caplog.messages if "did not answer: paused" in m]


def test_the_first_turn_after_the_pause_probes_and_an_answer_closes_the_breaker(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    bot = make_bot(breaker_failures=1, breaker_pause=0.2)
    server.fail(Fault.status(500), Fault.reset())
    bot.reply(REFUNDS)  # opens it
    time.sleep(0.3)
    assert bot.reply(REFUNDS).events[0].kind == "connection"  # the probe fails: paused again
    assert bot.reply(REFUNDS).events == (PAUSED,)
    assert len(server.requests) == 2
    time.sleep(0.3)
    with caplog.at_level(logging.WARNING, logger="servicebot"):
        probe = bot.reply(REFUNDS)
        after = bot.reply(REFUNDS + " I paid by card.")  # not an answer cached
    assert probe.action == after.action == "answer" and len(server.requests) == 4
    assert [m for m in caplog.messages if "the breaker is closed" in m] != []


def test_a_request_the_server_refuses_is_no_outage(make_bot: Any, server: OpenAIServer) -> None:
    bot = make_bot(breaker_failures=1)
    server.fail(Fault.status(400))
    assert bot.reply(REFUNDS).events[0].kind == "rejected"
    assert bot.reply(REFUNDS).action == "answer"
    assert len(server.requests) == 2


def test_streams_and_async_turns_are_paused_alike(make_bot: Any, server: OpenAIServer) -> None:
    bot = make_bot(breaker_failures=1, breaker_pause=60)
    server.fail(Fault.status(429, retry_after=0))
    stream = bot.stream(REFUNDS)
    "".join(stream)
    assert stream.reply is not None and stream.reply.events[0].kind == "rate_limit"

    async def turns() -> list[Any]:
        streamed = bot.astream(REFUNDS)
        assert [piece async for piece in streamed]  # the fallback's text
        return [await bot.areply(REFUNDS), streamed.reply]

    for reply in [*asyncio.run(turns()), bot.reply(REFUNDS)]:
        assert reply.events == (PAUSED,)
    assert len(server.requests) == 1


def test_breaker_failures_0_never_pauses(make_bot: Any, server: OpenAIServer) -> None:
    bot = make_bot(breaker_failures=0)
    server.fail(*[Fault.status(500)] * 6)
    assert {bot.reply(REFUNDS).events[0].kind for _ in range(6)} == {"server_error"}
    assert len(server.requests) == 6


# A server that hangs: without turn_timeout each turn waited its three attempts of
# model.timeout (5 s), 15 s and more; with it, about 1 s: 6 s is a generous bound on a noisy
# machine (test_reply_deadline.py bounds it closer, however the retries fall).


def test_a_hung_model_ends_the_turn_at_its_deadline_with_a_fallback(
    make_bot: Any, server: OpenAIServer
) -> None:
    bot = make_bot(timeout=5, max_retries=2, turn_timeout=1, breaker_failures=0)
    server.fail(*[Fault.slow(8)] * 3)
    began = time.monotonic()
    reply = bot.reply(REFUNDS)
    assert time.monotonic() - began < 6
    assert reply.action == "fallback" and reply.events[0].kind == "timeout"
    assert len(server.requests) <= 2  # the attempt past the deadline is never sent


def test_a_hung_model_ends_an_async_turn_and_a_stream_at_the_deadline(
    make_bot: Any, server: OpenAIServer
) -> None:
    bot = make_bot(timeout=5, max_retries=2, turn_timeout=1, breaker_failures=0)
    server.fail(*[Fault.slow(8)] * 9)

    async def turns() -> list[Any]:
        streamed = bot.astream(REFUNDS)
        assert [piece async for piece in streamed]
        return [await bot.areply(REFUNDS), streamed.reply]

    began = time.monotonic()
    stream = bot.stream(REFUNDS)
    "".join(stream)
    replies = [*asyncio.run(turns()), stream.reply]
    assert time.monotonic() - began < 3 * 6
    for reply in replies:
        assert reply.action == "fallback" and reply.events[0].kind == "timeout"


def test_a_slow_answer_within_the_deadline_is_kept(make_bot: Any, server: OpenAIServer) -> None:
    bot = make_bot(timeout=5, turn_timeout=5)
    server.fail(Fault.slow(0.3), Fault.slow(0.3))
    assert bot.reply(REFUNDS).action == "answer"
    stream = bot.stream(REFUNDS)
    "".join(stream)
    assert stream.reply is not None and stream.reply.action == "answer"


# A burst against a provider returning 503s, with two retries a turn: before, the breaker
# counted only turns that had ended, all 20 turns retried before the first ended, and 60
# requests went out. Each retry now counts, and none is sent while the breaker is open: the
# 20 first requests, and the 2 retries before the third failure opened it.


def test_a_burst_of_turns_sends_no_retries_once_the_breaker_opens(
    make_bot: Any, server: OpenAIServer
) -> None:
    bot = make_bot(max_retries=2, breaker_failures=3, breaker_pause=60)
    server.fail(*[Fault.status(503)] * 60)

    async def burst() -> list[Any]:
        return await asyncio.gather(*[bot.areply(REFUNDS, f"c{i}") for i in range(20)])

    replies = asyncio.run(burst())
    assert 20 <= len(server.requests) <= 25
    assert {reply.action for reply in replies} == {"fallback"}
    kinds = [reply.events[0].kind for reply in replies]
    assert kinds.count("paused") >= 15  # their retries refused
    assert bot.reply(REFUNDS).events == (PAUSED,) and len(server.requests) <= 25


def test_the_breaker_state_is_readable_for_a_health_check(
    make_bot: Any, server: OpenAIServer
) -> None:
    bot = make_bot(breaker_failures=1, breaker_pause=0.5)
    assert bot.model_breaker == BreakerState(open=False, seconds_left=0.0, failures=0)
    server.fail(Fault.status(503))
    bot.reply(REFUNDS)
    state = bot.model_breaker
    assert state.open and 0 < state.seconds_left <= 0.5 and state.failures == 1
    time.sleep(0.6)
    assert bot.model_breaker.seconds_left == 0  # a probe may go
    bot.reply(REFUNDS)  # the probe, answered
    assert not bot.model_breaker.open


def test_a_failed_probe_is_logged_as_it_pauses_the_model_again(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    bot = make_bot(breaker_failures=1, breaker_pause=0.2)
    server.fail(*[Fault.status(503)] * 3)
    with caplog.at_level(logging.WARNING, logger="servicebot"):
        bot.reply(REFUNDS)  # opens it
        for _ in range(2):
            time.sleep(0.3)
            assert bot.reply(REFUNDS).events[0].kind == "server_error"  # a probe, failed
            assert bot.reply(REFUNDS).events == (PAUSED,)
    again = [m for m in caplog.messages if "failed again after its pause" in m]
    assert len(again) == 2  # once per failed probe, not per turn paused
    assert len(server.requests) == 3


def test_a_retry_refused_for_the_deadline_counts_its_failed_attempt_once(
    make_bot: Any, server: OpenAIServer
) -> None:
    bot = make_bot(max_retries=2, turn_timeout=0.3, breaker_failures=2, breaker_pause=60)
    bot.reply(REFUNDS + " I paid by card.")  # the SDK imported, its client built
    server.fail(Fault.status(503, retry_after=0.6))  # its retry would start past the deadline
    assert bot.reply(REFUNDS).events[0].kind == "timeout"
    assert len(server.requests) == 2
    assert bot.model_breaker.failures == 1 and not bot.model_breaker.open


# A turn's retry refused while the breaker is open (its first request sent before it opened)
# pushed the pause on from the refusal: the model stayed paused 3 s past breaker_pause.


def test_a_retry_refused_while_paused_does_not_lengthen_the_pause(
    make_bot: Any, server: OpenAIServer
) -> None:
    bot = make_bot(max_retries=1, breaker_failures=1, breaker_pause=3)
    bot.reply(REFUNDS + " I paid by card.")  # the SDK imported, its client built
    server.reset()
    server.fail(Fault.status(503, retry_after=3), Fault.status(503, retry_after=0.1))
    began = time.monotonic()
    slow = threading.Thread(target=bot.reply, args=(REFUNDS, "slow"))
    slow.start()  # its retry is due in 3 s, the breaker open by then: refused
    while not server.requests:
        time.sleep(0.01)
    assert bot.reply(REFUNDS, "quick").events == (PAUSED,)  # its retry opens the breaker
    opened = time.monotonic()
    slow.join()
    assert len(server.requests) == 2  # neither retry was sent
    time.sleep(max(0.0, opened + 3 + 1.0 - time.monotonic()))  # the pause, and 1 s to spare
    assert time.monotonic() - began < 6  # the refusal (at 3 s) would push the pause to 6 s
    assert not bot.model_breaker.seconds_left
    assert bot.reply(REFUNDS, "probe").action == "answer"  # the probe, answered


# A paused turn's trace said `failed (paused)` and no more: the 503s that paused the model were
# only in the breaker's one log line, which an on-call engineer reading one turn never saw.


def test_a_paused_turn_says_what_paused_the_model(make_bot: Any, server: OpenAIServer) -> None:
    bot = make_bot(breaker_failures=2, breaker_pause=60)
    server.fail(Fault.status(500), Fault.status(503))
    for _ in range(2):
        bot.reply(REFUNDS)
    model = bot.reply(REFUNDS).step("model")
    assert model is not None and model.detail["error"] == "paused"
    assert model.detail["paused_by"] == "server_error (HTTP 503)"


def test_a_turn_whose_retry_is_refused_says_what_paused_the_model(
    make_bot: Any, server: OpenAIServer
) -> None:
    bot = make_bot(max_retries=1, breaker_failures=1, breaker_pause=60)
    server.fail(Fault.status(429, retry_after=0.01))
    for _ in range(2):  # its retry refused as the breaker opens; then not asked at all
        model = bot.reply(REFUNDS).step("model")
        assert model is not None and model.detail["error"] == "paused"
        assert model.detail["paused_by"] == "rate_limit (HTTP 429)"
    assert len(server.requests) == 1


def test_health_reads_the_paused_model_without_asking_it(
    make_bot: Any, server: OpenAIServer
) -> None:
    """A model call costs money: health() reports what the turns met, and sends nothing."""
    bot = make_bot(breaker_failures=5, breaker_pause=60)
    health = bot.health()
    assert (health.ok, health.model, health.model_last_failure) == (True, "ok", None)
    server.fail(*[Fault.status(503)] * 5)
    for _ in range(5):
        bot.reply(REFUNDS, conversation_id="c")
    health = bot.health()
    assert (health.ok, health.store, health.model) == (True, "ok", "paused")  # fallbacks serve
    assert 55 < health.model_retry_in <= 60
    assert (health.model_failures, health.model_last_failure) == (5, "server_error (HTTP 503)")
    assert asyncio.run(bot.ahealth()).model == "paused"
    assert len(server.requests) == 5  # the health checks sent none
