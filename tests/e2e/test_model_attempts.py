"""What the log and the trace say about a model call's attempts, end to end against the local
server: why a call was not retried, each time a stream is asked for again, and how many
requests a turn's answer (or its failure) took."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import pytest

from servicebot.config import BotSpec
from servicebot.model import ModelError, request_for
from tests.e2e.conftest import REFUNDS, with_settings
from tests.e2e.modelcalls import MESSAGES, MakeModel, check_stream
from tests.openai_server import Fault, OpenAIServer

REFUSED = (
    "rate_limit: RateLimitError (HTTP 429; type rate_limit_exceeded, code rate_limit_exceeded): "
    "injected fault … [10 characters withheld]; not retried: the server asked for a 30 s "
    "wait, and model.max_retry_after is 10 s"
)


def failures_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [line for line in caplog.messages if "the model did not answer" in line]


def test_a_wait_longer_than_max_retry_after_is_logged_as_why_there_was_no_retry(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    """It logged only ``rate_limit: RateLimitError (HTTP 429): Error code: 429 - ...``."""
    bot = make_bot(max_retries=2, max_retry_after=10)
    server.fail(Fault.status(429, retry_after=30))
    with caplog.at_level(logging.WARNING, logger="servicebot"):
        reply = bot.reply(REFUNDS, conversation_id="c")
    assert failures_logged(caplog) == [
        f"conversation c: the model did not answer: {REFUSED} (1 attempt)"
    ]
    model = reply.step("model")
    assert model is not None
    assert dict(model.detail) == {"error": "rate_limit", "attempts": 1, "fallback": "handoff"}
    assert len(server.requests) == 1


def test_a_long_wait_asked_for_after_the_last_retry_is_not_blamed(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    """Out of retries, the call would not have been retried whatever the wait."""
    model = make_model(max_retries=1, max_retry_after=10)
    server.fail(Fault.status(429, retry_after=0.01), Fault.status(429, retry_after=30))
    with pytest.raises(ModelError) as caught:
        model.complete(request_for(model.settings, MESSAGES))
    assert "not retried" not in str(caught.value) and caught.value.attempts == 2


@pytest.mark.parametrize(
    ("fault", "why"),
    [
        (Fault.cut(0, abrupt=False), "the stream ended with no answer"),
        (Fault.cut(0), "the connection dropped"),
        (Fault.cut(0, stall=1.0), "no event came within model.timeout"),
        (
            Fault.error_event(),
            "the stream sent an error before the first word (server_error): "
            "The server is overloaded",
        ),
    ],
)
def test_a_stream_asked_for_again_is_logged_at_info_with_why(
    server: OpenAIServer,
    make_model: MakeModel,
    caplog: pytest.LogCaptureFixture,
    fault: Fault,
    why: str,
) -> None:
    """The SDK logs its own retries ("Retrying request in ..."); these wrote no line at all."""
    model = make_model(max_retries=1, timeout=0.3)
    server.fail(fault)
    with caplog.at_level(logging.INFO, logger="servicebot"):
        parts = list(model.stream(request_for(model.settings, MESSAGES)))
    check_stream(parts)
    said = [r.getMessage() for r in caplog.records if r.name == "servicebot"]
    assert len(said) == 1 and caplog.records[0].levelno == logging.INFO
    assert re.fullmatch(r"Retrying the stream in [\d.]+ seconds \(retry 1 of 1\): (.*)", said[0])
    assert said[0].endswith(f": {why}")


def test_the_trace_says_how_many_requests_an_answer_took(
    make_bot: Any, server: OpenAIServer, spec: BotSpec
) -> None:
    bot = make_bot(spec=with_settings(spec, cache={"enabled": False}), max_retries=2)
    server.fail(Fault.status(500, retry_after=0.01))  # retried by the SDK
    retried = bot.reply(REFUNDS, conversation_id="a").step("model")
    server.fail(Fault.cut(0, abrupt=False))  # asked for again by the stream
    stream = bot.stream(REFUNDS, conversation_id="b")
    "".join(stream)
    assert stream.reply is not None
    asked_again = stream.reply.step("model")
    once = bot.reply(REFUNDS, conversation_id="c").step("model")
    attempts = [step.detail["attempts"] for step in (retried, asked_again, once) if step]
    assert attempts == [2, 2, 1]


def test_a_failure_says_how_many_requests_it_took(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    bot = make_bot(max_retries=2)
    server.fail(*[Fault.status(503, retry_after=0.01)] * 3)
    with caplog.at_level(logging.WARNING, logger="servicebot"):
        model = bot.reply(REFUNDS, conversation_id="c").step("model")
    assert model is not None
    assert dict(model.detail) == {"error": "server_error", "attempts": 3, "fallback": "handoff"}
    [logged] = failures_logged(caplog)
    assert logged.startswith("conversation c: the model did not answer: server_error: ")
    assert logged.endswith(" (3 attempts)")


@pytest.mark.parametrize("streamed", ["stream", "astream"])
def test_a_stream_sends_at_most_max_retries_plus_one_requests_in_all(
    server: OpenAIServer, make_model: MakeModel, streamed: str
) -> None:
    """The SDK's retries and a stream's own new attempts share ``max_retries``: a 503 the
    SDK retried, then streams that end before any word, took 4 requests with
    ``max_retries: 2`` (the stream was asked for twice more, each free to be retried)."""
    model = make_model(max_retries=2)
    server.fail(Fault.status(503, retry_after=0.01), *[Fault.cut(0, abrupt=False)] * 4)
    request = request_for(model.settings, MESSAGES)
    with pytest.raises(ModelError) as caught:
        if streamed == "stream":
            list(model.stream(request))
        else:
            asyncio.run(_drain(model.astream(request)))
    assert len(server.requests) == 3 and caught.value.attempts == 3


async def _drain(parts: Any) -> None:
    async for _ in parts:
        pass


def test_a_long_wait_asked_for_after_a_streams_last_attempt_is_not_blamed(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    """A stream asked for again shares max_retries with the SDK: out of them, the 429 would
    not have been retried whatever its wait, and the error said it was for the wait."""
    model = make_model(max_retries=2, max_retry_after=10)
    server.fail(
        Fault.cut(0, abrupt=False), Fault.cut(0, abrupt=False), Fault.status(429, retry_after=30)
    )
    with pytest.raises(ModelError) as caught:
        list(model.stream(request_for(model.settings, MESSAGES)))
    assert "not retried" not in str(caught.value) and caught.value.attempts == 3
    assert len(server.requests) == 3
