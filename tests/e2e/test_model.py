"""OpenAIClient end to end: the real openai SDK over real HTTP against tests/openai_server.py."""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import threading
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from servicebot.budget.tokens import counter_for
from servicebot.errors import ConfigError
from servicebot.model import Completion, ModelError, OpenAIClient, request_for
from servicebot.model.failures import retry_after_seconds
from servicebot.prompt import Message
from servicebot.settings import ModelSettings
from tests.openai_server import OPENAPI_SPEC, Fault, OpenAIServer, validate_chat_request

KEY_ENV = "SERVICEBOT_E2E_KEY"
KEY = "sk-e2e-not-a-real-key"
MODEL = "gpt-4o-mini"
MESSAGES = (
    Message("system", "You are Maple Shop's support bot. Answer briefly and politely."),
    Message("user", "Hi"),
    Message("assistant", "Hello! How can I help?"),
    Message("user", "Where is my order #1234?"),
)
ANSWER = "You asked: Where is my order #1234?"
T = TypeVar("T")
MakeModel = Callable[..., OpenAIClient]
needs_spec = pytest.mark.skipif(
    not OPENAPI_SPEC.exists(),
    reason=f"{OPENAPI_SPEC} not found: the shared eval data belongs in ../shared",
)


@pytest.fixture
def make_model(
    server: OpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MakeModel]:
    """OpenAIClients for the server; no retries and a 2 s timeout unless a test says otherwise."""
    monkeypatch.setenv(KEY_ENV, KEY)
    made: list[OpenAIClient] = []

    def make(**settings: Any) -> OpenAIClient:
        base: dict[str, Any] = {"name": MODEL, "base_url": server.url, "api_key_env": KEY_ENV}
        base |= {"timeout": 2.0, "max_retries": 0}
        model = OpenAIClient(ModelSettings(**(base | settings)), tmp_path / "servicebot.yaml")
        made.append(model)
        return model

    yield make
    for model in made:
        model.close()


def run(model: OpenAIClient, work: Callable[[], Awaitable[T]]) -> T:
    """``work()`` in a new event loop, closing the loop's SDK client before the loop ends."""

    async def main() -> T:
        try:
            return await work()
        finally:
            await model.aclose()

    return asyncio.run(main())


async def collect(parts: AsyncIterator[str | Completion]) -> list[str | Completion]:
    return [part async for part in parts]


def prompt_tokens() -> int:
    """What servicebot's own budget counts for MESSAGES."""
    return counter_for(MODEL, None).count_messages((m.role, m.content) for m in MESSAGES)


def check_answer(completion: str | Completion) -> None:
    assert isinstance(completion, Completion)
    assert (completion.text, completion.finish_reason, completion.model) == (ANSWER, "stop", MODEL)
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == prompt_tokens()
    assert completion.usage.completion_tokens == counter_for(MODEL, None).count(ANSWER)


def check_stream(parts: list[str | Completion]) -> None:
    *deltas, final = parts
    assert len(deltas) > 1 and all(isinstance(delta, str) for delta in deltas)
    check_answer(final)
    assert isinstance(final, Completion) and "".join(map(str, deltas)) == final.text


# --- answers --------------------------------------------------------------------------------


def test_complete_returns_the_answer_with_usage(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    model = make_model()
    request = request_for(model.settings, MESSAGES)
    check_answer(model.complete(request))
    [sent] = server.requests
    assert (sent.method, sent.path, sent.body) == ("POST", "/v1/chat/completions", request.body())


def test_stream_yields_the_deltas_then_the_completion(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    model = make_model()
    check_stream(list(model.stream(request_for(model.settings, MESSAGES))))
    [sent] = server.requests
    assert sent.body["stream"] is True and sent.body["stream_options"] == {"include_usage": True}


def test_acomplete_returns_the_answer_with_usage(make_model: MakeModel) -> None:
    model = make_model()
    check_answer(run(model, lambda: model.acomplete(request_for(model.settings, MESSAGES))))


def test_the_async_client_is_made_while_the_loops_other_turns_go_on(
    make_model: MakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Importing the SDK takes about 0.4 s: made on the loop, the first areply held up every
    # other conversation for that long.
    model = make_model()
    other_turn = threading.Event()
    make_client = model._new_async_client
    others_ran: list[bool] = []

    def made_after_the_other_turn() -> Any:
        others_ran.append(other_turn.wait(5))  # on the loop, this would wait the 5 s out
        return make_client()

    monkeypatch.setattr(model, "_new_async_client", made_after_the_other_turn)

    async def both() -> Completion:
        async def meanwhile() -> None:
            other_turn.set()

        answer, _ = await asyncio.gather(
            model.acomplete(request_for(model.settings, MESSAGES)), meanwhile()
        )
        return answer

    check_answer(asyncio.run(both()))
    assert others_ran == [True]


def test_a_burst_of_turns_on_a_new_loop_makes_one_client_and_a_cancelled_one_leaves_it(
    make_model: MakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each waiting turn made a client of its own: 300 clients for 300 turns at a worker's start.
    model = make_model()
    make_client = model._new_async_client
    made: list[object] = []

    def counted() -> Any:
        time.sleep(0.2)  # long enough for every turn to ask for it meanwhile
        made.append(client := make_client())
        return client

    monkeypatch.setattr(model, "_new_async_client", counted)

    async def burst() -> list[Completion]:
        request = request_for(model.settings, MESSAGES)
        cancelled = asyncio.ensure_future(model.acomplete(request))
        turns = [model.acomplete(request) for _ in range(20)]
        await asyncio.sleep(0.05)
        cancelled.cancel()
        return await asyncio.gather(*turns)

    for answer in asyncio.run(burst()):
        check_answer(answer)
    assert len(made) == 1


def test_astream_yields_the_deltas_then_the_completion(make_model: MakeModel) -> None:
    model = make_model()
    check_stream(run(model, lambda: collect(model.astream(request_for(model.settings, MESSAGES)))))


def test_an_event_loop_per_call_leaves_no_client_or_socket_behind(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    """asyncio.run(bot.areply(...)) per request, as a sync view or a task queue does it,
    without aclose(): each finished loop's client and its sockets are let go."""
    model = make_model()
    request = request_for(model.settings, MESSAGES)

    def client_sockets() -> int:  # the server runs in this process: count our side only
        gc.collect()
        port = int(server.url.rsplit(":", 1)[1].split("/")[0])
        return sum(
            isinstance(o, socket.socket) and o.fileno() >= 0 and _peer_port(o) == port
            for o in gc.get_objects()
        )

    for _ in range(30):
        asyncio.run(model.acomplete(request))
    assert client_sockets() <= 1  # was one a call
    assert len(model._async) <= 1


def test_a_model_never_closed_closes_its_sockets_when_collected(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    """An application that builds a bot per request and never closes it leaks no socket,
    and an SDK client taken from ``.client`` keeps working after its wrapper is gone."""
    settings = make_model().settings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for _ in range(5):
            check_answer(OpenAIClient(settings, Path("servicebot.yaml")).complete(
                request_for(settings, MESSAGES)
            ))  # fmt: skip
            gc.collect()
        kept = OpenAIClient(settings, Path("servicebot.yaml")).client
        gc.collect()
        answer = kept.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "Hi"}]
        )
        assert answer.choices[0].message.content == "You asked: Hi"
        del kept, answer
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def _peer_port(sock: socket.socket) -> int | None:
    try:
        return int(sock.getpeername()[1])
    except OSError:
        return None


def test_any_reply_text_arrives_whole_both_ways(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    reply = "Your parcel left Leeds.\n\n  您的包裹已发出 — track it at https://maple.example.com "
    server.responder = lambda body: reply
    model = make_model()
    request = request_for(model.settings, MESSAGES)
    assert model.complete(request).text == reply
    *deltas, final = model.stream(request)
    assert "".join(map(str, deltas)) == reply and isinstance(final, Completion)
    assert final.text == reply and final.usage is not None
    assert final.usage.completion_tokens == counter_for(MODEL, None).count(reply)


def test_the_key_is_sent_as_a_bearer_token_from_the_named_variable(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    model = make_model()
    model.complete(request_for(model.settings, MESSAGES))
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_one_connection_serves_one_request_after_another(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    model = make_model()
    request = request_for(model.settings, MESSAGES)
    for _ in range(3):
        model.complete(request)
    assert len({sent.client_port for sent in server.requests}) == 1


def test_hundreds_of_concurrent_requests_are_answered_at_once(make_model: MakeModel) -> None:
    with OpenAIServer(latency=1.0, validate=False) as server:
        model = make_model(base_url=server.url)
        request = request_for(model.settings, MESSAGES)

        async def many() -> list[Completion]:
            return await asyncio.gather(*(model.acomplete(request) for _ in range(200)))

        completions = run(model, many)
        assert {c.text for c in completions} == {ANSWER} and len(server.requests) == 200
        assert server.most_waiting >= 100  # in flight together, not one after another


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
    assert f"injected fault: HTTP {status}" in str(caught.value)  # the server's own words
    assert len(server.requests) == 1  # the same request would be refused again


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


def stream_until_it_breaks(model: OpenAIClient) -> tuple[list[str | Completion], ModelError]:
    parts: list[str | Completion] = []
    with pytest.raises(ModelError) as caught:
        for part in model.stream(request_for(model.settings, MESSAGES)):
            parts.append(part)
    return parts, caught.value


@pytest.mark.parametrize("streamed", ["stream", "astream"])
def test_a_stream_that_stalls_mid_answer_is_a_timeout(
    server: OpenAIServer, make_model: MakeModel, streamed: str
) -> None:
    model = make_model(timeout=0.3)
    server.fail(Fault.cut(2, stall=3.0))  # two chunks, then silence past the read timeout
    parts: list[str | Completion] = []

    async def until_it_breaks() -> None:
        async for part in model.astream(request_for(model.settings, MESSAGES)):
            parts.append(part)

    with pytest.raises(ModelError) as caught:
        if streamed == "stream":
            for part in model.stream(request_for(model.settings, MESSAGES)):
                parts.append(part)
        else:
            run(model, until_it_breaks)
    assert parts == ["You ", "asked: "] and caught.value.kind == "timeout", caught.value


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_worker_opens_connections_of_its_own(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    """A prefork server (gunicorn --preload, Celery) forks after the parent has answered: its
    kept-alive connection, shared, crossed the children's answers."""
    model = make_model()
    model.complete(request_for(model.settings, MESSAGES))  # the parent's pool keeps a socket
    child = os.fork()
    if child == 0:  # the worker: answer, then leave without running the parent's cleanup
        try:
            answer = model.complete(request_for(model.settings, MESSAGES)).text
            os._exit(0 if answer.startswith("You asked") else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    parent, worker = server.requests
    assert worker.client_port != parent.client_port  # not the parent's connection
    model.complete(request_for(model.settings, MESSAGES))  # the parent's own still works
    assert server.requests[-1].client_port == parent.client_port


CALLS = ["complete", "acomplete", "stream", "astream"]


def call(model: OpenAIClient, form: str) -> list[str | Completion]:
    """One request, made with the client's method ``form``: what it returned or yielded."""
    request = request_for(model.settings, MESSAGES)

    async def collect() -> list[str | Completion]:
        if form == "acomplete":
            return [await model.acomplete(request)]
        return [part async for part in model.astream(request)]

    if form == "complete":
        return [model.complete(request)]
    if form == "stream":
        return list(model.stream(request))
    return run(model, collect)


@pytest.mark.parametrize("form", CALLS)
def test_a_server_that_only_keeps_the_connection_alive_is_a_timeout(
    server: OpenAIServer, make_model: MakeModel, form: str
) -> None:
    """Spaces before a JSON body, or SSE comments: each read is quick, but no answer comes.
    The customer waits ``timeout`` for it, not as long as the server keeps sending."""
    model = make_model(timeout=0.5)
    server.fail(Fault.trickle(4.0, every=0.1))  # the answer comes after 4 s
    with pytest.raises(ModelError) as caught:
        call(model, form)
    assert caught.value.kind == "timeout", caught.value
    assert len(server.requests) == 1


@pytest.mark.parametrize("form", CALLS)
def test_a_keep_alive_only_attempt_is_retried_the_same_by_every_form(
    server: OpenAIServer, make_model: MakeModel, form: str
) -> None:
    """The SDK retries ``complete``'s timeout; a stream that brought no text was asked once."""
    model = make_model(timeout=0.5, max_retries=1)
    server.fail(Fault.trickle(4.0, every=0.1))  # the first attempt times out; the second answers
    parts = call(model, form)
    check_answer(parts[-1])
    assert len(server.requests) == 2


@pytest.mark.parametrize("form", CALLS)
def test_a_broken_json_body_falls_back_without_a_retry_in_every_form(
    server: OpenAIServer, make_model: MakeModel, form: str
) -> None:
    """The SDK does not retry a 200 it cannot read; a stream given one asked again."""
    model = make_model(max_retries=1)
    server.fail(Fault.malformed())
    with pytest.raises(ModelError) as caught:
        call(model, form)
    assert caught.value.kind == "broken_response", caught.value
    assert len(server.requests) == 1


@pytest.mark.parametrize("form", ["stream", "astream"])
@pytest.mark.parametrize(
    ("fault", "pieces"),
    [(Fault.mislabelled(), 4), (Fault.unstreamed(), 1)],
    ids=["events_labelled_json", "one_json_answer"],
)
def test_a_stream_answered_as_json_is_read_as_the_answer(
    server: OpenAIServer, make_model: MakeModel, form: str, fault: Fault, pieces: int
) -> None:
    """Events a gateway labels ``application/json`` are read as a stream; one JSON answer (a
    server or proxy that ignores ``"stream": true``) as one piece."""
    server.responder = lambda body: "Refunds take 2 days."
    server.fail(fault)
    parts = call(make_model(max_retries=1), form)
    assert "".join(p for p in parts if isinstance(p, str)) == "Refunds take 2 days."
    assert len(parts) - 1 == pieces
    assert isinstance(parts[-1], Completion) and parts[-1].finish_reason == "stop"
    assert parts[-1].text == "Refunds take 2 days." and parts[-1].usage is not None
    assert len(server.requests) == 1


@pytest.mark.parametrize("form", ["stream", "astream"])
def test_a_stream_longer_than_the_timeout_is_not_cut_while_text_keeps_coming(
    server: OpenAIServer, make_model: MakeModel, form: str
) -> None:
    model = make_model(timeout=0.5)
    server.responder = lambda body: "one two three four five six seven eight"
    server.fail(Fault.drip(every=0.15))  # 11 events: 1.6 s in all
    parts = call(model, form)
    assert "".join(p for p in parts if isinstance(p, str)) == (
        "one two three four five six seven eight"
    )
    assert isinstance(parts[-1], Completion) and parts[-1].finish_reason == "stop"


def test_a_stream_that_ends_mid_answer_is_a_broken_response(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    model = make_model()
    server.fail(Fault.cut(2, abrupt=False))  # the HTTP body ends; the answer has no finish
    parts, error = stream_until_it_breaks(model)
    assert parts == ["You ", "asked: "] and error.kind == "broken_response"


def test_a_stream_whose_connection_drops_mid_answer_is_a_broken_response(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    model = make_model()
    server.fail(Fault.cut(2))  # the connection closes mid-body
    parts, error = stream_until_it_breaks(model)
    assert parts == ["You ", "asked: "] and error.kind == "broken_response"


def test_a_stream_whose_connection_drops_before_any_text_is_a_connection_error(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    model = make_model(max_retries=1)
    server.fail(Fault.cut(0), Fault.cut(0))  # only the role chunk came, twice
    parts, error = stream_until_it_breaks(model)
    assert parts == [] and error.kind == "connection" and len(server.requests) == 2


@pytest.mark.parametrize("streamed", ["stream", "astream"])
@pytest.mark.parametrize("abrupt", [True, False])  # False: as a connection-close body ends
def test_a_stream_dropped_before_any_text_is_asked_for_again(
    server: OpenAIServer, make_model: MakeModel, streamed: str, abrupt: bool
) -> None:
    model = make_model(max_retries=1)
    server.fail(Fault.cut(0, abrupt=abrupt))
    request = request_for(model.settings, MESSAGES)
    if streamed == "stream":
        parts = list(model.stream(request))
    else:
        parts = run(model, lambda: collect(model.astream(request)))
    check_stream(parts)  # the customer sees one whole answer, nothing twice
    first, retry = server.requests
    assert first.body == retry.body
    assert retry.at - first.at >= 0.5 * 0.75  # the SDK's first pause, less its jitter


def test_a_stream_dropped_after_its_finish_keeps_the_whole_answer(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    reply = "Refunds take 2 days. Thanks for waiting!"
    server.responder = lambda body: reply
    model = make_model()
    request = request_for(model.settings, MESSAGES)
    finished = len(reply.split()) + 1  # a chunk a word, then the finish; no usage, no [DONE]
    server.fail(Fault.cut(finished))
    *deltas, final = model.stream(request)
    assert "".join(map(str, deltas)) == reply
    assert isinstance(final, Completion) and (final.finish_reason, final.usage) == ("stop", None)

    async def streamed() -> list[str | Completion]:
        return [part async for part in model.astream(request)]

    server.fail(Fault.cut(finished))
    *deltas, final = run(model, streamed)
    assert isinstance(final, Completion) and final.text == reply


@pytest.mark.parametrize("abrupt", [True, False], ids=["dropped", "ended"])
def test_an_async_stream_cut_mid_answer_is_a_broken_response(
    server: OpenAIServer, make_model: MakeModel, abrupt: bool
) -> None:
    model = make_model()
    server.fail(Fault.cut(1, abrupt=abrupt))
    parts: list[str | Completion] = []

    async def until_it_breaks() -> None:
        async for part in model.astream(request_for(model.settings, MESSAGES)):
            parts.append(part)

    with pytest.raises(ModelError) as caught:
        run(model, until_it_breaks)
    assert parts == ["You "] and caught.value.kind == "broken_response"


# --- the wire format: what servicebot sends is a valid CreateChatCompletionRequest ----------


@needs_spec
@pytest.mark.parametrize(
    "settings",
    [{}, {"top_p": 0.9}, {"stop": ("\n\nCustomer:", "###")}, {"seed": 42}],
    ids=["defaults", "top_p", "stop", "seed"],
)
def test_every_request_body_matches_the_openapi_schema(
    server: OpenAIServer, make_model: MakeModel, settings: dict[str, Any]
) -> None:
    model = make_model(**settings)  # the sampling defaults of servicebot.yaml, and these
    request = request_for(model.settings, MESSAGES)
    assert set(settings) <= set(request.body())
    model.complete(request)
    list(model.stream(request))
    assert [sent.body for sent in server.requests] == [request.body(), request.body(stream=True)]
    assert [sent.schema_errors for sent in server.requests] == [[], []]


@needs_spec
def test_the_schema_check_catches_a_broken_body() -> None:
    body = {"model": MODEL, "messages": [{"role": "customer", "content": "hi"}], "top_p": 2}
    errors = validate_chat_request(body)
    assert [error.split(":")[0] for error in errors] == ["$.messages[0]", "$.top_p"]
    assert validate_chat_request({"model": MODEL, "messages": []}) != []


@pytest.mark.parametrize(
    "usage",
    [
        {"prompt_tokens": "n/a", "completion_tokens": 5, "total_tokens": 5},
        {"prompt_tokens": {"cached": 3}, "completion_tokens": None, "total_tokens": 0},
        {"prompt_tokens": -1, "completion_tokens": 5, "total_tokens": 4},
        {"prompt_tokens": 1e30, "completion_tokens": 5.5, "total_tokens": 1e30},
        "lots",
    ],
    ids=["text", "object", "negative", "too large", "not an object"],
)
def test_an_answer_with_odd_token_counts_is_kept_without_them(
    server: OpenAIServer, make_model: MakeModel, usage: Any
) -> None:
    model = make_model()
    request = request_for(model.settings, MESSAGES)
    server.fail(Fault.odd_usage(usage), Fault.odd_usage(usage))
    answered = model.complete(request)
    *_, streamed = model.stream(request)
    for completion in (answered, streamed):
        assert isinstance(completion, Completion) and completion.usage is None
        assert completion.text == ANSWER
