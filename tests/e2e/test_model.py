"""OpenAIClient end to end: the real openai SDK over real HTTP against tests/openai_server.py.

Answers in every form, connections, and the wire format; setup mistakes and outages are
test_model_errors.py's, streams and every call form failing are test_model_streams.py's."""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

from servicebot.budget.tokens import counter_for
from servicebot.model import Completion, OpenAIClient, request_for
from tests.e2e.modelcalls import (
    ANSWER,
    KEY,
    MESSAGES,
    MODEL,
    MakeModel,
    check_answer,
    check_stream,
    collect,
    run,
)
from tests.openai_server import Fault, OpenAIServer
from tests.openai_wire import OPENAPI_SPEC, validate_chat_request

needs_spec = pytest.mark.skipif(
    not OPENAPI_SPEC.exists(),
    reason=f"{OPENAPI_SPEC} not found: the shared eval data belongs in ../shared",
)


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
        # A long timeout: on a loaded machine 200 answers of 1 s can take over 2 s to read,
        # and what this asserts is that they are in flight together, not how fast.
        model = make_model(base_url=server.url, timeout=20.0)
        request = request_for(model.settings, MESSAGES)

        async def many() -> list[Completion]:
            return await asyncio.gather(*(model.acomplete(request) for _ in range(200)))

        completions = run(model, many)
        assert {c.text for c in completions} == {ANSWER} and len(server.requests) == 200
        assert server.most_waiting >= 100  # in flight together, not one after another


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


def _tls_context(client: Any) -> object:
    """The TLS context an SDK client's connections are opened with."""
    return client._client._transport._pool._ssl_context


def test_every_client_of_the_process_shares_one_tls_context(make_model: MakeModel) -> None:
    """A process hosting many shops' bots builds a client per bot and per event loop: each
    loaded the CA certificates anew (about 0.85 MB and 50 ms), 340 MB for 200 shops."""
    shops = [make_model(api_key=f"key-{n}") for n in range(2)]

    async def loop_client(model: OpenAIClient) -> object:
        return _tls_context(await model.async_client())

    contexts = [_tls_context(model.client) for model in shops]
    contexts += [asyncio.run(loop_client(model)) for model in shops]
    assert all(each is contexts[0] for each in contexts)
    check_answer(shops[1].complete(request_for(shops[1].settings, MESSAGES)))
