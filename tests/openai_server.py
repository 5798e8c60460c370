"""An OpenAI-compatible chat-completions server on 127.0.0.1, for end-to-end tests and benches.

It speaks the real wire format over real HTTP/1.1 with keep-alive: a JSON ``chat.completion``,
or, for ``"stream": true``, server-sent ``chat.completion.chunk`` events ending in
``data: [DONE]``. Every request is recorded (path, headers, body) and its body checked against
``CreateChatCompletionRequest`` in the OpenAI OpenAPI spec kept in ../shared::

    with OpenAIServer() as server:
        client = openai.OpenAI(base_url=server.url, api_key="sk-test")
        server.responder = lambda body: "Hello."
        server.fail(Fault.status(429, retry_after=0.01), Fault.reset())
        ...
        assert server.requests[0].headers["authorization"] == "Bearer sk-test"

Faults are used up one per request, first in first out; then the server answers normally.

The bench runs it in a process of its own, so that it does not share a GIL with the client::

    python -m tests.openai_server --latency 0.05    # prints its base URL, serves until killed
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import functools
import itertools
import json
import re
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

import yaml

from servicebot.budget.tokens import counter_for

REPO = Path(__file__).resolve().parent.parent
OPENAPI_SPEC = REPO.parent / "shared" / "evaldata" / "openai_openapi" / "openapi.yaml"
PATHS = ("/v1/chat/completions", "/chat/completions")

Responder = Callable[[dict[str, Any]], str]
# counter_for() caches, but does not lock: the first requests of a burst would each load the
# encoding (about 50 MB and 0.3 s apiece) at the same time.
_COUNTER_LOCK = threading.Lock()


def echo(body: dict[str, Any]) -> str:
    """The default reply: repeats the last user message, so every answer is predictable."""
    users = [m.get("content") for m in body.get("messages", []) if m.get("role") == "user"]
    return f"You asked: {_text(users[-1]) if users else ''}"


# --- faults ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One misbehaviour, for one request. Build with the class methods."""

    kind: Literal[
        "status",
        "slow",
        "reset",
        "malformed",
        "cut",
        "finish",
        "parts",
        "usage",
        "refusal",
        "trickle",
        "drip",
        "mislabelled",
        "unstreamed",
        "page",
        "error_event",
    ]
    code: int = 200
    finish_reason: str = "stop"
    retry_after: float | None = None
    delay: float = 0.0
    chunks: int = 2
    abrupt: bool = True
    stall: float = 0.0
    usage: Any = None
    every: float = 0.0
    text: str = ""
    content_type: str = ""
    error_type: str = "server_error"

    @classmethod
    def status(cls, code: int, *, retry_after: float | None = None) -> Fault:
        """HTTP ``code`` with an OpenAI-style error body (and ``retry-after`` if given)."""
        return cls("status", code=code, retry_after=retry_after)

    @classmethod
    def slow(cls, delay: float) -> Fault:
        """The normal answer, after ``delay`` seconds."""
        return cls("slow", delay=delay)

    @classmethod
    def reset(cls) -> Fault:
        """The connection reset (TCP RST) without a byte of response."""
        return cls("reset")

    @classmethod
    def malformed(cls) -> Fault:
        """200 and ``application/json``, but the JSON breaks off."""
        return cls("malformed")

    @classmethod
    def page(
        cls, text: str = "<html>502 Bad Gateway</html>", content_type: str = "text/html"
    ) -> Fault:
        """200 with ``text`` labelled ``content_type``, to any request: a proxy's error page."""
        return cls("page", text=text, content_type=content_type)

    @classmethod
    def mislabelled(cls) -> Fault:
        """The normal answer, a stream's events labelled ``application/json`` (some gateways)."""
        return cls("mislabelled")

    @classmethod
    def unstreamed(cls) -> Fault:
        """The normal answer as one JSON completion, even to a streamed request (a server or
        proxy that ignores ``"stream": true``)."""
        return cls("unstreamed")

    @classmethod
    def cut(cls, chunks: int = 2, *, abrupt: bool = True, stall: float = 0.0) -> Fault:
        """A stream cut after ``chunks`` content chunks: no finish_reason and no [DONE].

        ``abrupt`` closes the connection mid-body; otherwise the HTTP body ends properly and
        only the answer is missing its end. ``stall``: seconds of silence before the cut.
        A JSON answer is cut halfway through its body.
        """
        return cls("cut", chunks=chunks, abrupt=abrupt, stall=stall)

    @classmethod
    def finish(cls, reason: str) -> Fault:
        """The normal answer, ended with ``finish_reason`` ``reason`` ("content_filter")."""
        return cls("finish", finish_reason=reason)

    @classmethod
    def parts(cls) -> Fault:
        """The answer's content as a list of content parts, as some compatible servers send."""
        return cls("parts")

    @classmethod
    def refusal(cls) -> Fault:
        """The model declines: the reply comes as ``refusal``, and ``content`` is null."""
        return cls("refusal")

    @classmethod
    def trickle(cls, seconds: float, every: float) -> Fault:
        """The normal answer after ``seconds`` of keep-alive bytes, one each ``every`` seconds:
        SSE comment lines after a stream's first event, or spaces before a JSON body (which
        JSON allows). The connection never falls silent for long, though no answer comes."""
        return cls("trickle", delay=seconds, every=every)

    @classmethod
    def drip(cls, every: float, content_type: str = "") -> Fault:
        """The normal answer, streamed with ``every`` seconds between its events, labelled
        ``content_type`` if given (``text/plain``, as some servers label events)."""
        return cls("drip", every=every, content_type=content_type)

    @classmethod
    def error_event(
        cls, error_type: str = "server_error", *, chunks: int = 0, text: str = ""
    ) -> Fault:
        """A 200 stream whose event after ``chunks`` content chunks (the first event, if 0) is
        an error, ``{"error": {"message": ..., "type": error_type}}``, as OpenAI sends when a
        model fails mid-stream; then the body ends. For streamed requests only."""
        return cls("error_event", chunks=chunks, error_type=error_type, text=text)

    @classmethod
    def odd_usage(cls, usage: Any) -> Fault:
        """The normal answer, with ``usage`` as its token counts ({"prompt_tokens": "n/a"})."""
        return cls("usage", usage=usage)


_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_denied", None),
    404: ("invalid_request_error", "model_not_found"),
    429: ("rate_limit_exceeded", "rate_limit_exceeded"),
}


def error_body(status: int, message: str | None = None) -> dict[str, Any]:
    """The JSON body OpenAI sends with an error status."""
    kind, code = _ERROR_TYPES.get(status, ("server_error", None))
    message = message or f"injected fault: HTTP {status}"
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


# --- the request schema ---------------------------------------------------------------------


def validate_chat_request(body: Any) -> list[str]:
    """Every way ``body`` breaks ``CreateChatCompletionRequest``; empty when it is valid.

    Raises FileNotFoundError when ../shared/evaldata/openai_openapi/openapi.yaml is missing.
    """
    errors = _chat_request_validator().iter_errors(body)
    return sorted(f"{error.json_path}: {error.message}"[:300] for error in errors)


@functools.lru_cache(maxsize=1)
def _chat_request_validator() -> Any:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with OPENAPI_SPEC.open("rb") as file:
        spec = yaml.load(file, Loader=loader)  # a safe loader
    _allow_nulls(spec)
    uri = "urn:openai:openapi"
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(uri, resource)
    ref = {"$ref": f"{uri}#/components/schemas/CreateChatCompletionRequest"}
    return Draft202012Validator(ref, registry=registry)


def _allow_nulls(node: Any) -> None:
    """OpenAPI 3.0's ``nullable: true`` (still used by this 3.1 spec) as JSON Schema says it."""
    if isinstance(node, dict):
        if node.get("nullable") is True:
            if isinstance(node.get("type"), str):
                node["type"] = [node["type"], "null"]
            if isinstance(node.get("enum"), list) and None not in node["enum"]:
                node["enum"].append(None)
        for value in node.values():
            _allow_nulls(value)
    elif isinstance(node, list):
        for value in node:
            _allow_nulls(value)


# --- the server -----------------------------------------------------------------------------


@dataclass
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: Any  # the parsed JSON, or None if it was not JSON
    client_port: int  # the same port for two requests: one kept-alive connection
    at: float = field(default_factory=time.monotonic)  # when it arrived
    events_sent: int = 0  # of a streamed answer: the SSE events written before it ended
    schema_errors: list[str] | None = field(default=None)  # None: not checked


class OpenAIServer:
    """A chat-completions server on a thread pool; use it as a context manager."""

    def __init__(
        self,
        latency: float = 0.0,
        *,
        responder: Responder = echo,
        validate: bool = True,
        reject_invalid: bool = False,
        keep: int | None = None,
        port: int = 0,
    ) -> None:
        self.latency, self.responder = latency, responder
        self.validate = validate and OPENAPI_SPEC.exists()
        self.reject_invalid = reject_invalid  # answer 400 to a body that breaks the schema
        self._requests: collections.deque[Recorded] = collections.deque(maxlen=keep)
        self._faults: collections.deque[Fault] = collections.deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._ids = itertools.count(1)
        self._waiting = 0
        self.most_waiting = 0  # the most requests held for their latency at one time
        self._http = _HTTPServer(("127.0.0.1", port), _Handler)
        self._http.app = self
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.05,))

    @property
    def url(self) -> str:
        """The base URL an SDK client takes, ending in ``/v1``."""
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    @property
    def schema_errors(self) -> list[str]:
        """Every schema error in every recorded request, each prefixed with its request index."""
        return [f"#{i}: {e}" for i, r in enumerate(self.requests) for e in r.schema_errors or ()]

    def fail(self, *faults: Fault) -> None:
        """Queue ``faults``: the next requests meet them, one each, in order."""
        with self._lock:
            self._faults.extend(faults)

    def reset(self) -> None:
        """Forget requests and queued faults, and answer with :func:`echo` again."""
        with self._lock:
            self._requests.clear()
            self._faults.clear()
        self.responder = echo

    def start(self) -> OpenAIServer:
        if self.validate:
            _chat_request_validator()  # load the spec now, not in the first request
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, end every open connection, and wait for the handler threads."""
        self._closing.set()
        if self._thread.is_alive():
            self._http.shutdown()
            self._thread.join()
        self._http.drop_connections()
        self._http.server_close()

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _record(self, request: Recorded) -> None:
        with self._lock:
            self._requests.append(request)

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._lock:
            self._waiting += 1
            self.most_waiting = max(self.most_waiting, self._waiting)
        try:
            self._closing.wait(seconds)  # cut short when the server closes
        finally:
            with self._lock:
                self._waiting -= 1

    def _next_id(self) -> str:
        return f"chatcmpl-{next(self._ids)}"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # joined in server_close() all the same (block_on_close)
    request_queue_size = 1024  # hundreds of clients connect at once in the bench
    app: OpenAIServer

    def __init__(self, address: tuple[str, int], handler: type[_Handler]) -> None:
        super().__init__(address, handler)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """End idle keep-alive connections, so that their threads can finish."""
        with self._open_lock:
            for connection in self._open:
                with contextlib.suppress(OSError):  # already gone
                    connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client gave up: normal
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # no 40 ms stalls between header and body writes
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        app = self.server.app
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        body, request = self._parse(raw)
        app._record(request)
        if self.path.partition("?")[0].rstrip("/") not in PATHS:
            self._send_json(404, error_body(404, f"no route {self.path}"))
        elif body is None or (request.schema_errors and app.reject_invalid):
            errors = "; ".join(request.schema_errors or ["the body is not a JSON object"])
            self._send_json(400, error_body(400, errors))
        else:
            fault = app._next_fault()
            trickling = fault is not None and fault.kind == "trickle"
            app._wait(app.latency + (fault.delay if fault and not trickling else 0.0))
            if fault is None or fault.kind in (
                "slow",
                "finish",
                "parts",
                "usage",
                "refusal",
                "drip",
                "mislabelled",
                "unstreamed",
            ):
                self._answer(body, fault, request)
            else:
                self._misbehave(fault, body)

    def _parse(self, raw: bytes) -> tuple[dict[str, Any] | None, Recorded]:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Recorded(self.command, self.path, headers, body, self.client_address[1])
        if self.server.app.validate and body is not None:
            request.schema_errors = validate_chat_request(body)
        return (body if isinstance(body, dict) else None), request

    def _answer(self, body: dict[str, Any], fault: Fault | None, request: Recorded) -> None:
        reply = self.server.app.responder(body)
        if body.get("stream") and not (fault is not None and fault.kind == "unstreamed"):
            mislabelled = fault is not None and fault.kind == "mislabelled"
            label = fault.content_type if fault is not None and fault.kind == "drip" else ""
            self._start_stream("application/json" if mislabelled else label or None)
            for event in _events(self.server.app._next_id(), body, reply, fault):
                self._send_chunk(_sse(event))  # a client gone away: it raises, and we stop
                request.events_sent += 1
                if fault is not None and fault.kind == "drip":
                    self.wfile.flush()
                    self.server.app._wait(fault.every)
            self._send_chunk(b"data: [DONE]\n\n")
            self._send_chunk(b"")
        else:
            self._send_json(200, _completion(self.server.app._next_id(), body, reply, fault))

    def _trickle(self, fault: Fault, body: dict[str, Any]) -> None:
        """Keep-alive bytes for ``fault.delay`` seconds, then the normal answer."""
        app = self.server.app
        reply = app.responder(body)
        events = [_sse(e) for e in _events(app._next_id(), body, reply)] + [b"data: [DONE]\n\n"]
        if body.get("stream"):
            self._start_stream()
            self._send_chunk(events.pop(0))  # the role chunk: the stream has begun
            keep_alive = b": keep-alive\n\n"
        else:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            events = [json.dumps(_completion(app._next_id(), body, reply)).encode()]
            keep_alive = b" "
        for _ in range(max(1, round(fault.delay / fault.every))):
            self._send_chunk(keep_alive)
            self.wfile.flush()
            app._wait(fault.every)
        for event in events:
            self._send_chunk(event)
        self._send_chunk(b"")

    def _misbehave(self, fault: Fault, body: dict[str, Any]) -> None:
        if fault.kind == "status":
            retry = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
            self._send_json(fault.code, error_body(fault.code), retry)
        elif fault.kind == "reset":
            self._reset()
        elif fault.kind == "trickle":
            self._trickle(fault, body)
        elif fault.kind == "malformed":
            self._send(200, b'{"id": "chatcmpl-broken", "choices": [{"message": ', {})
        elif fault.kind == "page":
            self._send(200, fault.text.encode(), {"content-type": fault.content_type})
        elif fault.kind == "error_event" and body.get("stream"):
            self._error_event(fault, body)
        elif body.get("stream"):
            self._cut_stream(fault, body)
        else:
            reply = self.server.app.responder(body)
            data = json.dumps(_completion("chatcmpl-cut", body, reply)).encode()
            self._send(200, data[: len(data) // 2], {"content-length": str(len(data))})
            self._reset()

    def _cut_stream(self, fault: Fault, body: dict[str, Any]) -> None:
        reply = self.server.app.responder(body)
        self._start_stream()
        events = list(_events("chatcmpl-cut", body, reply))[: 1 + fault.chunks]  # role, chunks
        for event in events:
            self._send_chunk(_sse(event))
        self.wfile.flush()
        self.server.app._wait(fault.stall)
        if fault.abrupt:
            self.close_connection = True  # the connection ends before the body does
        else:
            self._send_chunk(b"")  # the HTTP body ends properly; the answer does not

    def _error_event(self, fault: Fault, body: dict[str, Any]) -> None:
        reply = self.server.app.responder(body)
        self._start_stream()
        events = list(_events("chatcmpl-err", body, reply))[: 1 + fault.chunks]  # role, chunks
        for event in events if fault.chunks else ():
            self._send_chunk(_sse(event))
        message = fault.text or "The server is overloaded"
        error = {"message": message, "type": fault.error_type, "param": None, "code": None}
        self._send_chunk(_sse({"error": error}))
        self._send_chunk(b"")

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), headers or {})

    def _send(self, status: int, data: bytes, headers: dict[str, str]) -> None:
        head = {"content-type": "application/json", "content-length": str(len(data)), **headers}
        self.send_response(status)
        for name, value in head.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _start_stream(self, content_type: str | None = None) -> None:
        self.send_response(200)
        self.send_header("content-type", content_type or "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

    def _send_chunk(self, data: bytes) -> None:
        self.wfile.write(_chunk(data))

    def _reset(self) -> None:
        """Close with SO_LINGER 0: the client sees a reset, not an orderly end."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # the file holds a reference that would keep the socket open
        self.connection.close()
        self.close_connection = True


# --- the wire format ------------------------------------------------------------------------


def _completion(
    id: str, body: dict[str, Any], reply: str, fault: Fault | None = None
) -> dict[str, Any]:
    message = {"role": "assistant", "content": _content(reply, fault), "refusal": None}
    if fault and fault.kind == "refusal":
        message.update(content=None, refusal=reply)
    finish = fault.finish_reason if fault else "stop"
    choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
    return {
        **_envelope(id, body, "chat.completion"),
        "choices": [choice],
        "usage": _usage(body, reply, fault),
    }


def _events(
    id: str, body: dict[str, Any], reply: str, fault: Fault | None = None
) -> Iterator[dict[str, Any]]:
    """A streamed answer: the role, the text in word-sized pieces, the finish, the usage."""
    envelope = _envelope(id, body, "chat.completion.chunk")

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return {**envelope, "choices": [choice]}

    refused = fault is not None and fault.kind == "refusal"
    yield chunk({"role": "assistant", "content": None if refused else ""})
    for piece in re.findall(r"\S+\s*|\s+", reply):
        yield chunk({"refusal": piece} if refused else {"content": _content(piece, fault)})
    yield chunk({}, fault.finish_reason if fault else "stop")
    if (body.get("stream_options") or {}).get("include_usage"):
        yield {**envelope, "choices": [], "usage": _usage(body, reply, fault)}


def _envelope(id: str, body: dict[str, Any], kind: str) -> dict[str, Any]:
    return {"id": id, "object": kind, "created": int(time.time()), "model": body.get("model")}


def _usage(body: dict[str, Any], reply: str, fault: Fault | None = None) -> Any:
    """Tokens counted as servicebot's budget counts them, so the two can be compared."""
    if fault and fault.kind == "usage":
        return fault.usage
    with _COUNTER_LOCK:
        counter = counter_for(str(body.get("model") or ""), None)
    messages = body.get("messages") or []
    prompt = counter.count_messages((m.get("role", ""), _text(m.get("content"))) for m in messages)
    completion = counter.count(reply)
    total = prompt + completion
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}


def _content(text: str, fault: Fault | None) -> str | list[dict[str, str]]:
    return [{"type": "text", "text": text}] if fault and fault.kind == "parts" else text


def _text(content: Any) -> str:
    """A message's text, whether plain or a list of content parts."""
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def _chunk(data: bytes) -> bytes:
    """One piece of a ``transfer-encoding: chunked`` body; empty data ends the body."""
    return b"%x\r\n%s\r\n" % (len(data), data)


def _sse(event: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(event).encode() + b"\n\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each answer")
    parser.add_argument("--port", type=int, default=0, help="default: any free port")
    parser.add_argument(
        "--validate", action="store_true", help="answer 400 to bodies that break the OpenAPI spec"
    )
    args = parser.parse_args(argv)
    server = OpenAIServer(
        args.latency, validate=args.validate, reject_invalid=True, keep=100, port=args.port
    )
    with server:
        print(server.url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()  # until killed


if __name__ == "__main__":
    main()
