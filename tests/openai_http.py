"""The HTTP side of tests/openai_server.py: a threading HTTP/1.1 server with keep-alive that
tracks its connections (to drop the idle ones at close), and the handler that records each
request (:class:`Recorded`), checks its route and body, and answers it, or commits the next
fault the server was told to (built in tests/openai_wire.py).
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from tests.openai_wire import (
    Fault,
    chunk_events,
    completion_json,
    error_body,
    http_chunk,
    sse,
    validate_chat_request,
)

if TYPE_CHECKING:
    from tests.openai_server import OpenAIServer


PATHS = ("/v1/chat/completions", "/chat/completions", "/openai/v1/chat/completions")


# Azure OpenAI's classic route: a deployment, and the API version in the query.
AZURE_DEPLOYMENT = re.compile(r"/openai/deployments/[^/]+/chat/completions\?(.*&)?api-version=")


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


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # joined in server_close() all the same (block_on_close)
    request_queue_size = 1024  # hundreds of clients connect at once in the bench
    app: OpenAIServer

    def __init__(self, address: tuple[str, int], handler: type[Handler]) -> None:
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


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # no 40 ms stalls between header and body writes
    server: HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        app = self.server.app
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        body, request = self._parse(raw)
        app._record(request)
        if not _served(self.path):
            self._send_json(404, {"detail": "Not Found"})  # as vLLM's FastAPI router says it
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
                "thought",
                "tool_call",
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
            for event in chunk_events(self.server.app._next_id(), body, reply, fault):
                self._send_chunk(sse(event))  # a client gone away: it raises, and we stop
                request.events_sent += 1
                if fault is not None and fault.kind == "drip":
                    self.wfile.flush()
                    self.server.app._wait(fault.every)
            self._send_chunk(b"data: [DONE]\n\n")
            self._send_chunk(b"")
        else:
            self._send_json(200, completion_json(self.server.app._next_id(), body, reply, fault))

    def _trickle(self, fault: Fault, body: dict[str, Any]) -> None:
        """Keep-alive bytes for ``fault.delay`` seconds, then the normal answer."""
        app = self.server.app
        reply = app.responder(body)
        events = [sse(e) for e in chunk_events(app._next_id(), body, reply)] + [b"data: [DONE]\n\n"]
        if body.get("stream"):
            self._start_stream()
            self._send_chunk(events.pop(0))  # the role chunk: the stream has begun
            keep_alive = b": keep-alive\n\n"
        else:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            events = [json.dumps(completion_json(app._next_id(), body, reply)).encode()]
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
            retry.update(fault.headers)
            if fault.text:  # another server's error, as it words it
                retry["content-type"] = fault.content_type or "application/json"
                self._send(fault.code, fault.text.encode(), retry)
            else:
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
            data = json.dumps(completion_json("chatcmpl-cut", body, reply)).encode()
            self._send(200, data[: len(data) // 2], {"content-length": str(len(data))})
            self._reset()

    def _cut_stream(self, fault: Fault, body: dict[str, Any]) -> None:
        reply = self.server.app.responder(body)
        self._start_stream()
        events = list(chunk_events("chatcmpl-cut", body, reply))[: 1 + fault.chunks]  # role, chunks
        for event in events:
            self._send_chunk(sse(event))
        self.wfile.flush()
        self.server.app._wait(fault.stall)
        if fault.abrupt:
            self.close_connection = True  # the connection ends before the body does
        else:
            self._send_chunk(b"")  # the HTTP body ends properly; the answer does not

    def _error_event(self, fault: Fault, body: dict[str, Any]) -> None:
        reply = self.server.app.responder(body)
        self._start_stream()
        events = list(chunk_events("chatcmpl-err", body, reply))[: 1 + fault.chunks]  # role, chunks
        for event in events if fault.chunks else ():
            self._send_chunk(sse(event))
        message = fault.text or "The server is overloaded"
        error = {"message": message, "type": fault.error_type, "param": None, "code": None}
        self._send_chunk(sse({"error": error}))
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
        self.wfile.write(http_chunk(data))

    def _reset(self) -> None:
        """Close with SO_LINGER 0: the client sees a reset, not an orderly end."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # the file holds a reference that would keep the socket open
        self.connection.close()
        self.close_connection = True


def _served(path: str) -> bool:
    """Whether ``path`` (its query too) is a chat-completions route: OpenAI's, and Azure
    OpenAI's two (its v1 endpoint, and a deployment's with an ``api-version``)."""
    return path.partition("?")[0].rstrip("/") in PATHS or bool(AZURE_DEPLOYMENT.match(path))
