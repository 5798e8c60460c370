"""Azure OpenAI, as the local server speaks it: its content filter refusing a prompt (HTTP
400), its two routes (the v1 endpoint, and a deployment's with an ``api-version`` and the key
in an ``api-key`` header), and its 429's ``retry-after-ms``."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from servicebot.filters import FilterEvent
from tests.e2e.conftest import REFUNDS
from tests.openai_server import Fault, OpenAIServer


def test_a_prompt_the_content_filter_refuses_is_not_retried_and_is_said_to_be_the_filter(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    # Azure's 400 "content_filter" was one turn's "rejected", as a bad sampling setting is:
    # the trace said "failed (rejected)", and the log a BadRequestError, as for a bug.
    bot = make_bot(max_retries=2)
    server.fail(Fault.azure_filtered(), Fault.azure_filtered())
    with caplog.at_level(logging.WARNING, logger="servicebot"):
        replied = bot.reply(REFUNDS, conversation_id="c")
        stream = bot.stream(REFUNDS, conversation_id="c")
        "".join(stream)
    assert len(server.requests) == 2  # one each: a refused prompt is refused again
    for answered in (replied, stream.reply):
        assert answered is not None and answered.action == "fallback"
        assert answered.step("model").decision == "failed (content_filter)"  # type: ignore[union-attr]
        assert answered.events == (FilterEvent("model", "model", "content_filter", "fallback"),)
    logged = [line for line in caplog.messages if "the model did not answer" in line]
    said = "content_filter: the provider's content filter refused the prompt (flagged: violence"
    assert len(logged) == 2 and all(f"did not answer: {said} (medium))" in line for line in logged)
    assert bot.model_breaker.failures == 0  # the model is up: no outage counted
