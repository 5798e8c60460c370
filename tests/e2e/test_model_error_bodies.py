"""OpenAIClient end to end: a 200 whose whole JSON body is an error, ``{"error": {...}}``, as
some OpenAI-compatible proxies answer when their model is overloaded, met as the HTTP error
it stands for (as a stream's error event is, see test_model_stream_errors.py)."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest

from servicebot.model import Completion, ModelError, OpenAIClient, request_for
from tests.e2e.modelcalls import MESSAGES, MakeModel, check_answer, collect, run
from tests.openai_server import Fault, OpenAIServer

HOW = ["complete", "acomplete", "stream", "astream"]


def error_answer(**error: Any) -> Fault:
    """A 200 ``application/json`` whose body is ``{"error": error}``, to any request."""
    return Fault.page(json.dumps({"error": error}), "application/json")


OVERLOADED = error_answer(message="Model is overloaded", type="server_error", code=503)


def answered(model: OpenAIClient, how: str) -> Completion:
    """The answer to MESSAGES, asked for by ``how`` (the whole answer of a stream)."""
    request = request_for(model.settings, MESSAGES)
    if how == "complete":
        return model.complete(request)
    if how == "acomplete":
        return run(model, lambda: model.acomplete(request))
    parts = list(model.stream(request)) if how == "stream" else None
    if parts is None:
        parts = run(model, lambda: collect(model.astream(request)))
    final = parts[-1]
    assert isinstance(final, Completion)
    return final


@pytest.mark.parametrize("how", HOW)
def test_an_error_body_the_sdk_would_retry_is_asked_for_again(
    server: OpenAIServer, make_model: MakeModel, how: str
) -> None:
    """It was ``broken_response: the response has no choices``, after one request."""
    model = make_model(max_retries=1)
    server.fail(OVERLOADED)
    answer = answered(model, how)
    check_answer(answer)
    assert answer.attempts == 2
    first, retry = server.requests
    assert first.body == retry.body
    assert retry.at - first.at >= 0.5 * 0.75  # the SDK's first pause, less its jitter


@pytest.mark.parametrize("how", HOW)
def test_error_bodies_past_the_retries_are_labelled_by_their_kind(
    server: OpenAIServer, make_model: MakeModel, how: str
) -> None:
    model = make_model(max_retries=2)
    server.fail(*[OVERLOADED] * 3)
    with pytest.raises(ModelError) as caught:
        answered(model, how)
    assert str(caught.value) == (
        "server_error: the server answered 200 with an error (server_error): Model is overloaded"
    )
    assert caught.value.attempts == 3 and len(server.requests) == 3


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        ({"code": 429, "message": "Too many requests"}, "rate_limit"),
        ({"status": "RESOURCE_EXHAUSTED", "message": "quota"}, "rate_limit"),  # Google-style
        ({"status": 503, "message": "try later"}, "server_error"),
        ({"code": 500.0, "message": "try later"}, "server_error"),  # a status as a float
    ],
)
def test_an_error_bodys_kind_is_read_from_its_code_status_or_type(
    server: OpenAIServer, make_model: MakeModel, error: dict[str, Any], kind: str
) -> None:
    model = make_model(max_retries=1)
    server.fail(*[error_answer(**error)] * 2)
    with pytest.raises(ModelError) as caught:
        answered(model, "complete")
    assert caught.value.kind == kind and len(server.requests) == 2


@pytest.mark.parametrize("how", ["complete", "stream"])
def test_an_error_body_the_sdk_would_not_retry_is_not_asked_for_again(
    server: OpenAIServer, make_model: MakeModel, how: str
) -> None:
    model = make_model(max_retries=2)
    server.fail(error_answer(message="max_tokens is too large", type="invalid_request_error"))
    with pytest.raises(ModelError) as caught:
        answered(model, how)
    assert caught.value.kind == "rejected" and "max_tokens is too large" in str(caught.value)
    assert len(server.requests) == 1


def test_error_bodies_and_the_sdks_retries_share_max_retries(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    """A 503 the SDK retried, then error bodies: at most ``max_retries`` + 1 requests."""
    model = make_model(max_retries=2)
    server.fail(Fault.status(503, retry_after=0.01), *[OVERLOADED] * 4)
    with pytest.raises(ModelError) as caught:
        answered(model, "complete")
    assert len(server.requests) == 3 and caught.value.attempts == 3


def test_an_error_body_asked_for_again_is_logged_at_info_with_why(
    server: OpenAIServer, make_model: MakeModel, caplog: pytest.LogCaptureFixture
) -> None:
    model = make_model(max_retries=1)
    server.fail(OVERLOADED)
    with caplog.at_level(logging.INFO, logger="servicebot"):
        check_answer(answered(model, "complete"))
    said = [r.getMessage() for r in caplog.records if r.name == "servicebot"]
    assert len(said) == 1 and re.fullmatch(
        r"Retrying the request in [\d.]+ seconds \(retry 1 of 1\): server_error: the server "
        r"answered 200 with an error \(server_error\): Model is overloaded",
        said[0],
    )
