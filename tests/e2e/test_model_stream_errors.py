"""OpenAIClient end to end: a 200 stream that sends an error as an event
(``data: {"error": {"type": "server_error", ...}}``), as OpenAI does when a model fails
after the headers went out, met as the HTTP error it stands for."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from servicebot.model import Completion, ModelError, OpenAIClient, request_for
from tests.e2e.conftest import REFUNDS
from tests.e2e.modelcalls import MESSAGES, MakeModel, check_stream, collect, run
from tests.openai_server import Fault, OpenAIServer


def streamed(model: OpenAIClient, how: str) -> list[str | Completion]:
    """Every part of a stream of MESSAGES, read by ``stream`` or ``astream``."""
    request = request_for(model.settings, MESSAGES)
    if how == "stream":
        return list(model.stream(request))
    return run(model, lambda: collect(model.astream(request)))


@pytest.mark.parametrize("how", ["stream", "astream"])
@pytest.mark.parametrize("error_type", ["server_error", "rate_limit_exceeded", "overloaded_error"])
def test_an_error_event_before_the_first_word_is_asked_for_again(
    server: OpenAIServer, make_model: MakeModel, how: str, error_type: str
) -> None:
    """As a 500 or a 429 is: it was a broken response, never retried."""
    model = make_model(max_retries=1)
    server.fail(Fault.error_event(error_type))
    check_stream(streamed(model, how))  # the customer sees one whole answer
    first, retry = server.requests
    assert first.body == retry.body
    assert retry.at - first.at >= 0.5 * 0.75  # the SDK's first pause, less its jitter


@pytest.mark.parametrize("how", ["stream", "astream"])
@pytest.mark.parametrize(
    ("error_type", "kind"),
    [("server_error", "server_error"), ("rate_limit_exceeded", "rate_limit")],
)
def test_error_events_past_the_retries_are_labelled_by_their_kind(
    server: OpenAIServer, make_model: MakeModel, how: str, error_type: str, kind: str
) -> None:
    model = make_model(max_retries=2)
    server.fail(*[Fault.error_event(error_type)] * 3)
    with pytest.raises(ModelError) as caught:
        streamed(model, how)
    assert caught.value.kind == kind and len(server.requests) == 3
    assert str(caught.value) == (
        f"{kind}: the stream sent an error before the first word ({error_type}): "
        "The server is overloaded"
    )


def test_an_error_event_the_sdk_would_not_retry_is_not_asked_for_again(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    model = make_model(max_retries=2)
    server.fail(Fault.error_event("invalid_request_error", text="max_tokens is too large"))
    with pytest.raises(ModelError) as caught:
        streamed(model, "stream")
    assert caught.value.kind == "rejected" and "max_tokens is too large" in str(caught.value)
    assert len(server.requests) == 1


@pytest.mark.parametrize("how", ["stream", "astream"])
def test_an_error_event_mid_answer_is_not_retried_but_labelled_by_its_kind(
    server: OpenAIServer, make_model: MakeModel, how: str
) -> None:
    """The customer saw the start of an answer: it cannot be asked for again."""
    model = make_model(max_retries=2)
    server.fail(Fault.error_event(chunks=2))
    parts: list[str | Completion] = []
    with pytest.raises(ModelError) as caught:
        if how == "stream":
            parts.extend(model.stream(request_for(model.settings, MESSAGES)))
        else:

            async def read() -> None:
                async for part in model.astream(request_for(model.settings, MESSAGES)):
                    parts.append(part)

            run(model, read)
    assert parts == ["You ", "asked: "]
    assert str(caught.value) == (
        "server_error: the stream sent an error mid-answer (server_error): The server is overloaded"
    )
    assert len(server.requests) == 1


def test_a_turn_whose_stream_keeps_sending_errors_logs_a_server_error(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    """It logged ``broken_response: APIError: The server is overloaded``, after 1 request."""
    bot = make_bot(max_retries=1)
    server.fail(*[Fault.error_event()] * 2)
    with caplog.at_level(logging.WARNING, logger="servicebot"):
        stream = bot.stream(REFUNDS, conversation_id="c")
        "".join(stream)
    assert stream.reply is not None and stream.reply.action == "fallback"
    assert stream.reply.step("model").decision == "failed (server_error)"  # type: ignore[union-attr]
    logged = [line for line in caplog.messages if "the model did not answer" in line]
    assert logged == [
        "conversation c: the model did not answer: server_error: the stream sent an error "
        "before the first word (server_error): The server is overloaded (2 attempts)"
    ]
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        ({"type": "BadRequestError", "code": 400}, "rejected"),  # vLLM: the status as its code
        ({"type": "InternalServerError", "code": 500}, "server_error"),
        ({"type": "conflict", "code": 409}, "server_error"),  # the SDK retries a 409
        ({"type": "server_error", "code": None}, "server_error"),  # OpenAI
        ({"type": "tokens", "code": "rate_limit_exceeded"}, "rate_limit"),
        ({"type": "api_error"}, "server_error"),  # Anthropic-style
        ({"type": "something_new"}, "broken_response"),
        ({"message": "failed", "code": 500.0}, "server_error"),  # a status written as a float
        ({"message": "failed", "code": 429.0}, "rate_limit"),
        ({"message": "failed", "code": 500.5}, "broken_response"),  # no status
        ({"message": "failed", "code": "abc"}, "broken_response"),
    ],
)
def test_an_error_events_kind_is_read_from_its_type_or_code(error: Any, kind: str) -> None:
    import httpx2
    import openai

    from servicebot.model.failures import event_kind

    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    assert event_kind(openai.APIError("failed", request, body=error)) == kind


@pytest.mark.parametrize("how", ["stream", "astream"])
def test_an_error_event_with_code_409_is_asked_for_again_as_the_sdk_retries_a_409(
    server: OpenAIServer, make_model: MakeModel, how: str
) -> None:
    """It was ``rejected`` after one request, though the SDK retries an HTTP 409."""
    model = make_model(max_retries=1)
    event = {"error": {"message": "lock timeout", "type": "conflict", "code": 409}}
    server.fail(Fault.page(f"data: {json.dumps(event)}\n\n", "text/event-stream"))
    check_stream(streamed(model, how))
    assert len(server.requests) == 2


@pytest.mark.parametrize("how", ["stream", "astream"])
def test_an_error_event_with_a_float_code_is_asked_for_again_as_its_status_is(
    server: OpenAIServer, make_model: MakeModel, how: str
) -> None:
    """``"code": 500.0`` is the 500 it stands for: it was a broken response, never retried."""
    model = make_model(max_retries=1)
    event = {"error": {"message": "The server is overloaded", "code": 500.0}}
    server.fail(Fault.page(f"data: {json.dumps(event)}\n\n", "text/event-stream"))
    check_stream(streamed(model, how))
    assert len(server.requests) == 2


def test_every_status_the_sdk_retries_is_of_a_kind_asked_for_again() -> None:
    """An error event or error body is retried when its kind is in RETRIED_KINDS: the same
    statuses as the SDK's own ``_should_retry``, so either way a fault meets one rule."""
    import httpx2
    import openai

    from servicebot.model.failures import RETRIED_KINDS, _status_kind, sdk_retries

    client = openai.OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1")
    request = httpx2.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
    for status in range(400, 600):
        retried = client._should_retry(httpx2.Response(status, request=request))
        assert sdk_retries(status) == retried, status
        assert (_status_kind(status) in RETRIED_KINDS) == retried, status
    client.close()
