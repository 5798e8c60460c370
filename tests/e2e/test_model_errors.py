"""OpenAIClient end to end: setup mistakes (a ConfigError) and outages (a ModelError), as the
real openai SDK meets them from tests/openai_server.py."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from servicebot.errors import ConfigError
from servicebot.model import ModelError, request_for
from servicebot.model.failures import retry_after_seconds
from tests.e2e.conftest import KEY_ENV
from tests.e2e.modelcalls import MESSAGES, MODEL, MakeModel, check_answer, collect, run
from tests.openai_server import Fault, OpenAIServer

# --- setup mistakes: ConfigError ------------------------------------------------------------


def test_a_missing_key_variable_is_a_config_error_naming_it(
    server: OpenAIServer, make_model: MakeModel, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    model = make_model()
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(ConfigError) as caught:
        model.complete(request_for(model.settings, MESSAGES))
    where = f"{tmp_path / 'servicebot.yaml'}: model.api_key_env"
    assert str(caught.value).startswith(f"{where}: the environment variable {KEY_ENV} is not set")
    assert server.requests == []


def test_a_server_that_takes_no_key_is_answered_without_one(
    server: OpenAIServer, make_model: MakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``api_key_env: null``: no variable is read, and no key is sent: not even the OpenAI key
    the SDK reads from the environment when it is given none."""
    monkeypatch.delenv(KEY_ENV)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-the-operators-real-openai-key")
    model = make_model(api_key_env=None)
    check_answer(model.complete(request_for(model.settings, MESSAGES)))
    check_answer(list(model.stream(request_for(model.settings, MESSAGES)))[-1])
    sent = [request.headers.get("authorization", "") for request in server.requests]
    assert sent == ["Bearer no-key"] * 2  # the SDK needs a key; the server ignores it


def test_a_server_that_wants_a_key_after_all_says_where_to_name_it(
    server: OpenAIServer, make_model: MakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = make_model(api_key_env=None)
    server.fail(Fault.status(401))
    with pytest.raises(ConfigError) as caught:
        model.complete(request_for(model.settings, MESSAGES))
    assert str(caught.value).endswith(
        f"model: the server at {server.url} wants an API key (401), and model.api_key_env is "
        "null (no key): name the environment variable that holds its key there"
    )


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_key_is_a_config_error_and_not_retried(
    server: OpenAIServer, make_model: MakeModel, status: int
) -> None:
    model = make_model(max_retries=2)
    server.fail(Fault.status(status))
    with pytest.raises(ConfigError, match=f"rejected the API key in {KEY_ENV} \\({status}\\)"):
        model.complete(request_for(model.settings, MESSAGES))
    assert len(server.requests) == 1


def test_an_unknown_model_is_a_config_error(server: OpenAIServer, make_model: MakeModel) -> None:
    model = make_model(max_retries=2)
    server.fail(Fault.status(404))
    with pytest.raises(ConfigError, match=f"no model '{MODEL}' at {server.url} \\(404\\)"):
        model.complete(request_for(model.settings, MESSAGES))
    assert len(server.requests) == 1


DEEPSEEK_402 = (
    '{"error": {"message": "Insufficient Balance", "type": "unknown_error", "param": null, '
    '"code": "invalid_request_error"}}'
)


def test_a_402_is_an_account_to_top_up_not_retried(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    # DeepSeek's answer to every request once the balance is spent: the operator's to fix.
    for said in _setup_errors(server, make_model, 402, DEEPSEEK_402):
        assert said.endswith(
            f"model: the server at {server.url} wants payment (402: 'Insufficient Balance'); "
            f"top up the account behind the key in {KEY_ENV}"
        )
    assert len(server.requests) == 2  # once a call: the SDK does not retry a 402


def _setup_errors(server: OpenAIServer, make_model: MakeModel, status: int, body: str) -> list[str]:
    """What the ConfigError says when the server answers a complete and a stream call (a
    model allowed two retries) with ``status`` and ``body``."""
    model = make_model(max_retries=2)
    server.fail(Fault.status(status, body=body), Fault.status(status, body=body))
    said = []
    for call in (model.complete, lambda request: list(model.stream(request))):
        with pytest.raises(ConfigError) as caught:
            call(request_for(model.settings, MESSAGES))
        said.append(str(caught.value))
    return said


def test_a_setup_errors_quote_of_the_server_keeps_no_customer_text(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    """The server's words were quoted up to 80 characters, in the error and the turn's log
    line at ERROR: a gateway that repeated the request put the customer's words there."""
    body = (
        '{"error": {"message": "Insufficient Balance for: Hi, I am Alice Smith of 12 Baker '
        'Street, call me", "type": "unknown_error"}}'
    )
    for said in _setup_errors(server, make_model, 402, body):
        assert "wants payment (402: 'Insufficient Balance for … [" in said
        assert "Alice" not in said and "Baker" not in said


# Setup errors some servers send as a 400: DeepSeek's missing model, DashScope's unpaid account.
DEEPSEEK_400_MODEL = (
    '{"error": {"message": "Model Not Exist", "type": "invalid_request_error", "param": null, '
    '"code": "invalid_request_error"}}'
)
DASHSCOPE_400_ARREARAGE = (
    '{"error": {"code": "Arrearage", "param": null, "message": "Access denied, please make '
    'sure your account is in good standing.", "type": "Arrearage"}, "request_id": "8f3c"}'
)
# 400s that are one turn's: a prompt over the context, a content filter.
TURN_400S = [
    '{"error": {"message": "This model\'s maximum context length is 65536 tokens. However, you '
    'requested 70000 tokens. Please reduce the length of the messages.", "type": '
    '"invalid_request_error", "param": null, "code": "invalid_request_error"}}',
    '{"error": {"code": "data_inspection_failed", "param": null, "message": "Input data may '
    'contain inappropriate content.", "type": "data_inspection_failed"}}',
]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (DEEPSEEK_400_MODEL, f"has no model '{MODEL}' at {{url}} (400: 'Model Not Exist'); check"),
        (DASHSCOPE_400_ARREARAGE, "wants payment (400: 'Access denied, please make sure your"),
    ],
)
def test_a_400_in_a_servers_words_for_a_setup_error_is_a_config_error(
    server: OpenAIServer, make_model: MakeModel, body: str, says: str
) -> None:
    # No turn gets past either until servicebot.yaml or the account is fixed.
    for said in _setup_errors(server, make_model, 400, body):
        assert says.format(url=server.url) in said
    assert len(server.requests) == 2


@pytest.mark.parametrize("body", TURN_400S)
def test_a_400_for_one_turns_prompt_stays_rejected(
    server: OpenAIServer, make_model: MakeModel, body: str
) -> None:
    model = make_model()
    server.fail(Fault.status(400, body=body))
    with pytest.raises(ModelError) as caught:
        model.complete(request_for(model.settings, MESSAGES))
    assert caught.value.kind == "rejected"


# A 404 from a server that has the route but not the model, as OpenAI, Ollama and vLLM word it.
MODEL_404S = [
    "",  # OpenAI's: "code": "model_not_found"
    '{"error": "model \'llama3.1:8b\' not found, try pulling it first"}',
    '{"object": "error", "message": "The model `Qwen/Qwen2.5-7B` does not exist.", "code": 404}',
    # Azure OpenAI's, for a deployment (model.name) the resource does not have
    '{"error": {"code": "DeploymentNotFound", "message": "The API deployment for this resource'
    " does not exist. If you created the deployment within the last 5 minutes, please wait a"
    ' moment and try again."}}',
]
# A 404 from a server that has no such route: vLLM's FastAPI, Ollama's Go router, llama.cpp.
ROUTE_404S = [
    ('{"detail":"Not Found"}', "application/json", "'Not Found'"),
    ("404 page not found", "text/plain", "'404 page not found'"),
    (
        '{"error": {"code": 404, "message": "File Not Found", "type": "not_found_error"}}',
        "",
        "'File Not Found'",
    ),
]


@pytest.mark.parametrize("body", MODEL_404S)
def test_a_404_naming_the_model_is_an_unknown_model(
    server: OpenAIServer, make_model: MakeModel, body: str
) -> None:
    model = make_model()
    server.fail(Fault.status(404, body=body))
    with pytest.raises(ConfigError, match=f"no model '{MODEL}' at {server.url} \\(404\\)"):
        model.complete(request_for(model.settings, MESSAGES))


@pytest.mark.parametrize(("body", "content_type", "quoted"), ROUTE_404S)
def test_a_404_naming_no_model_is_a_wrong_address(
    server: OpenAIServer, make_model: MakeModel, body: str, content_type: str, quoted: str
) -> None:
    # A vLLM serves /v1/... only: a base_url without /v1 gets its router's 404, not the model's.
    model = make_model()
    server.fail(Fault.status(404, body=body, content_type=content_type))
    with pytest.raises(ConfigError) as caught:
        model.complete(request_for(model.settings, MESSAGES))
    said = str(caught.value)
    assert f"no chat-completions endpoint at {server.url}/chat/completions (404: " in said
    assert quoted in said and "no model" not in said


def test_a_base_url_without_v1_says_it_may_need_it(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    # vLLM serves /v1/... only: its router answers any other path with a 404 naming no model.
    base_url = server.url.removesuffix("/v1") + "/api"
    model = make_model(base_url=base_url, max_retries=2)
    for call in (model.complete, lambda request: list(model.stream(request))):
        with pytest.raises(ConfigError) as caught:
            call(request_for(model.settings, MESSAGES))
        assert str(caught.value).endswith(
            f"model: the server has no chat-completions endpoint at {base_url}/chat/completions "
            "(404: 'Not Found'); does model.base_url need /v1 at its end (vLLM, Ollama, "
            "llama.cpp serve /v1/...)?"
        )
    assert len(server.requests) == 2  # a 404 is not retried


# --- outages: ModelError --------------------------------------------------------------------


def test_a_429_is_retried_after_the_servers_delay(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    model = make_model(max_retries=2)
    server.fail(Fault.status(429, retry_after=0.01))
    check_answer(model.complete(request_for(model.settings, MESSAGES)))
    first, retry = server.requests
    assert first.body == retry.body
    assert retry.headers["x-stainless-retry-count"] == "1"


def test_a_429_past_the_retries_is_a_rate_limit_error(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    model = make_model(max_retries=1)
    server.fail(*[Fault.status(429, retry_after=0.01)] * 2)
    with pytest.raises(ModelError) as caught:
        model.complete(request_for(model.settings, MESSAGES))
    assert caught.value.kind == "rate_limit" and len(server.requests) == 2


def test_a_server_asking_for_a_longer_wait_than_max_retry_after_gets_no_retry(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    model = make_model(max_retries=2, max_retry_after=0.5)
    server.fail(Fault.status(429, retry_after=2), Fault.status(503, retry_after=2))
    with pytest.raises(ModelError) as caught:
        model.complete(request_for(model.settings, MESSAGES))
    assert caught.value.kind == "rate_limit" and len(server.requests) == 1
    with pytest.raises(ModelError) as caught:  # streamed and async: the same client hook
        run(model, lambda: collect(model.astream(request_for(model.settings, MESSAGES))))
    assert caught.value.kind == "server_error" and len(server.requests) == 2
    check_answer(model.complete(request_for(model.settings, MESSAGES)))  # the faults are spent


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"retry-after": "2.5"}, 2.5),
        ({"retry-after-ms": "1500", "retry-after": "60"}, 1.5),  # milliseconds first, as the SDK
        ({"retry-after": "soon"}, None),
        ({"retry-after": "Fri, 31 Dec 9999 23:59:59 GMT"}, "far"),
        ({"retry-after": "Fri, 31 Dec 99999999 23:59:59 GMT"}, None),
        ({}, None),
    ],
)
def test_retry_after_is_read_in_every_form_the_sdk_reads(
    headers: dict[str, str], wait: float | str | None
) -> None:
    read = retry_after_seconds(headers)
    if wait == "far":
        assert read is not None and read > 120
    else:
        assert read == wait


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_past_the_retries_are_server_errors(
    server: OpenAIServer, make_model: MakeModel, status: int
) -> None:
    model = make_model(max_retries=2)
    server.fail(*[Fault.status(status, retry_after=0.01)] * 3)
    with pytest.raises(ModelError) as caught:
        model.complete(request_for(model.settings, MESSAGES))
    assert caught.value.kind == "server_error" and f"HTTP {status}" in str(caught.value)
    assert len(server.requests) == 3


@pytest.mark.parametrize("status", [400, 413, 422])
def test_a_request_the_server_refuses_is_rejected_and_says_why(
    server: OpenAIServer, make_model: MakeModel, status: int
) -> None:
    """Often a setting the model does not take, or a prompt over its context: not an outage."""
    model = make_model(max_retries=2)
    server.fail(Fault.status(status))
    with pytest.raises(ModelError) as caught:
        model.complete(request_for(model.settings, MESSAGES))
    assert caught.value.kind == "rejected" and f"HTTP {status}" in str(caught.value)
    # The server's own words, up to where they may quote the prompt (see model/echoes.py).
    assert "injected fault … [10 characters withheld]" in str(caught.value)
    assert len(server.requests) == 1  # the same request would be refused again


def test_a_408_past_the_retries_is_a_timeout(server: OpenAIServer, make_model: MakeModel) -> None:
    """The SDK retries a 408 (the server's request timeout), which was then called rejected,
    as a request the server refuses; an error event with code 408 was a timeout already."""
    model = make_model(max_retries=1)
    server.fail(*[Fault.status(408, retry_after=0.01)] * 2)
    with pytest.raises(ModelError) as caught:
        model.complete(request_for(model.settings, MESSAGES))
    assert caught.value.kind == "timeout" and len(server.requests) == 2


def test_a_409_past_the_retries_is_a_server_error(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    """The SDK retries a 409 (a lock timeout on the server's side), which was then called
    rejected, as a request the server refuses whatever the wait."""
    model = make_model(max_retries=1)
    server.fail(*[Fault.status(409, retry_after=0.01)] * 2)
    with pytest.raises(ModelError) as caught:
        model.complete(request_for(model.settings, MESSAGES))
    assert caught.value.kind == "server_error" and len(server.requests) == 2


def test_a_slow_answer_is_a_timeout(server: OpenAIServer, make_model: MakeModel) -> None:
    model = make_model(timeout=0.2)
    server.fail(Fault.slow(1.0))
    with pytest.raises(ModelError) as caught:  # not the answer, which comes after 1 s
        model.complete(request_for(model.settings, MESSAGES))
    assert caught.value.kind == "timeout"


def test_a_reset_connection_is_a_connection_error(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    model = make_model()
    server.fail(Fault.reset())
    with pytest.raises(ModelError) as caught:
        model.complete(request_for(model.settings, MESSAGES))
    assert caught.value.kind == "connection"


def test_a_connection_error_says_what_failed(make_model: MakeModel) -> None:
    """The SDK says only "Connection error."; the engineer reading the log needs the cause."""
    with socket.socket() as closed:  # a loopback port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    model = make_model(base_url=f"http://127.0.0.1:{port}/v1")
    with pytest.raises(ModelError) as caught:
        model.complete(request_for(model.settings, MESSAGES))
    assert caught.value.kind == "connection"
    assert "Connection refused" in str(caught.value), caught.value


def test_malformed_json_is_a_broken_response(server: OpenAIServer, make_model: MakeModel) -> None:
    model = make_model()
    server.fail(Fault.malformed())
    with pytest.raises(ModelError) as caught:
        model.complete(request_for(model.settings, MESSAGES))
    assert caught.value.kind == "broken_response"
