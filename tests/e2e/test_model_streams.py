"""OpenAIClient end to end: a server that stalls, trickles, answers in the wrong form or drops
the connection, met the same by each of complete, acomplete, stream and astream."""

from __future__ import annotations

import json

import pytest

from servicebot.model import Completion, ModelError, OpenAIClient, request_for
from tests.e2e.modelcalls import MESSAGES, MakeModel, check_answer, check_stream, collect, run
from tests.openai_server import Fault, OpenAIServer


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


@pytest.mark.parametrize("form", CALLS)
def test_a_page_that_is_not_json_is_a_broken_response_that_says_what_came_in_every_form(
    server: OpenAIServer, make_model: MakeModel, form: str
) -> None:
    """A proxy's error page with a 200: the SDK returns its text to ``complete``, and a stream
    of it has no events, which read as a drop was asked for again. Neither is retried."""
    model = make_model(max_retries=2)
    server.fail(Fault.page("<html>\n<h1>502 Bad\tGateway</h1>\n</html>" + "x" * 200))
    with pytest.raises(ModelError) as caught:
        call(model, form)
    assert caught.value.kind == "broken_response", caught.value
    said = "the server answered 200 with text/html, not JSON: '<html> <h1>502 Bad Gateway</h1>"
    assert str(caught.value).startswith(f"broken_response: {said}"), caught.value
    assert len(str(caught.value)) < 200 and str(caught.value).endswith("…'")
    assert len(server.requests) == 1


@pytest.mark.parametrize("form", CALLS)
def test_json_that_is_not_an_answer_says_what_came_in_json_words(
    server: OpenAIServer, make_model: MakeModel, form: str
) -> None:
    """It said "a JSON NoneType", Python's name for JSON's null."""
    server.fail(Fault.page("null", "application/json"))
    with pytest.raises(ModelError) as caught:
        call(make_model(), form)
    said = "broken_response: the server answered 200 with null in JSON, not an answer"
    assert str(caught.value) == said


@pytest.mark.parametrize("form", CALLS)
def test_an_answer_labelled_as_text_is_read_as_json(
    server: OpenAIServer, make_model: MakeModel, form: str
) -> None:
    """A server that labels its JSON answer ``text/plain``: the SDK reads it as JSON, and so
    is a stream answered with it."""
    model = make_model()
    answer = {"model": "m", "choices": [{"message": {"content": "Hi."}, "finish_reason": "stop"}]}
    server.fail(Fault.page(json.dumps(answer), "text/plain"))
    parts = call(model, form)
    assert isinstance(parts[-1], Completion) and parts[-1].text == "Hi."
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
@pytest.mark.parametrize("label", ["text/plain", "application/json", "TEXT/EVENT-STREAM"])
def test_events_labelled_otherwise_come_as_they_are_sent(
    server: OpenAIServer, make_model: MakeModel, form: str, label: str
) -> None:
    """Events labelled as text or JSON (or in capitals) are told by their start, and each
    piece comes as it is sent: the body was read whole first, so the customer saw nothing
    until the last word had come."""
    model = make_model()
    server.responder = lambda body: "one two three four five six"
    server.fail(Fault.drip(every=0.1, content_type=label))
    request = request_for(model.settings, MESSAGES)
    sent: list[int] = []  # how many events the server had sent as each piece came
    parts: list[str | Completion] = []

    def came(part: str | Completion) -> None:
        sent.append(server.requests[-1].events_sent)
        parts.append(part)

    async def each() -> None:
        async for part in model.astream(request):
            came(part)

    if form == "stream":
        for part in model.stream(request):
            came(part)
    else:
        run(model, each)
    assert "".join(p for p in parts if isinstance(p, str)) == "one two three four five six"
    assert sent[0] < sent[-1], sent


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
