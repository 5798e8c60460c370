"""What the log says of a model error whose message echoes the prompt, end to end against the
local server: the status, the error's type, code and param, and the request id, never the
customer's words (a 400's message quoting the prompt was logged word for word at WARNING)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.openai_server import Fault, OpenAIServer

CUSTOMER = "I am Alice Smith of 12 Baker Street, phone +44 20 7946 0018, my refund please"
ECHO = "Invalid content: I am Alice Smith of 12 Baker Street, phone [PHONE_1], my refund please"
WORDS = ("Alice", "Smith", "Baker", "refund please")


def _error(**fields: Any) -> str:
    error = {"message": ECHO, "type": "invalid_request_error", "param": "messages"} | fields
    return json.dumps({"error": error})


def _logged(bot: Any, caplog: pytest.LogCaptureFixture, stream: bool = False) -> str:
    """Everything the ``servicebot`` logger said while ``bot`` answered the customer."""
    with caplog.at_level(logging.DEBUG, logger="servicebot"):
        if stream:
            list(bot.stream(CUSTOMER, conversation_id="c"))
        else:
            bot.reply(CUSTOMER, conversation_id="c")
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("servicebot"))


@pytest.mark.parametrize("stream", [False, True])
def test_a_400_echoing_the_prompt_logs_its_code_and_not_the_customers_words(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture, stream: bool
) -> None:
    server.fail(Fault.status(400, body=_error(code="invalid_prompt")))
    logged = _logged(make_bot(), caplog, stream)
    assert "BadRequestError (HTTP 400" in logged
    assert "type invalid_request_error, code invalid_prompt, param messages" in logged
    assert "Invalid content" in logged  # the server's own words before its quote
    assert not [word for word in WORDS if word in logged], logged


def test_a_stream_error_event_echoing_the_prompt_is_not_logged_word_for_word(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.fail(Fault.error_event("invalid_request_error", text=ECHO))
    logged = _logged(make_bot(), caplog, stream=True)
    assert "invalid_request_error" in logged and "Invalid content" in logged
    assert not [word for word in WORDS if word in logged], logged


def test_a_200_error_body_echoing_the_prompt_is_not_logged_word_for_word(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.fail(Fault.page(_error(), content_type="application/json"))
    logged = _logged(make_bot(), caplog)
    assert "invalid_request_error" in logged and "Invalid content" in logged
    assert not [word for word in WORDS if word in logged], logged


def test_a_message_with_no_quote_is_kept_short_and_its_pii_masked(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A server that quotes without a colon: only the start is kept, its PII masked."""
    said = "call alice@example.com back " + "then the rest of the prompt " * 9
    server.fail(Fault.status(400, body=json.dumps({"error": {"message": said}})))
    logged = _logged(make_bot(), caplog)
    assert "alice@example.com" not in logged and "[EMAIL]" in logged
    assert "then the rest of the prompt " * 3 not in logged
