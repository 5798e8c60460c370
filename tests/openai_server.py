"""An OpenAI-compatible chat-completions server on 127.0.0.1, for end-to-end tests and benches.

It speaks the real wire format over real HTTP/1.1 with keep-alive: a JSON ``chat.completion``,
or, for ``"stream": true``, server-sent ``chat.completion.chunk`` events ending in
``data: [DONE]``. Every request is recorded (path, headers, body) and its body checked against
``CreateChatCompletionRequest`` in the OpenAI OpenAPI spec kept in ../shared. What it sends
(and the faults it commits) is built in tests/openai_wire.py, and served over HTTP by
tests/openai_http.py; this module holds the server's state and runs it::

    with OpenAIServer() as server:
        client = openai.OpenAI(base_url=server.url, api_key="sk-test")
        server.responder = lambda body: "Hello."
        server.fail(Fault.status(429, retry_after=0.01), Fault.reset())
        ...
        assert server.requests[0].headers["authorization"] == "Bearer sk-test"

It also serves Azure OpenAI's routes, ``/openai/v1/chat/completions`` and
``/openai/deployments/{deployment}/chat/completions?api-version=...``, at ``server.root``.

Faults are used up one per request, first in first out; then the server answers normally.

The bench runs it in a process of its own, so that it does not share a GIL with the client::

    python -m tests.openai_server --latency 0.05    # prints its base URL, serves until killed
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import itertools
import threading
from collections.abc import Callable
from typing import Any

from tests.openai_http import Handler, HTTPServer, Recorded
from tests.openai_wire import (
    OPENAPI_SPEC,
    Fault,
    chat_request_validator,
    text_of,
)

Responder = Callable[[dict[str, Any]], str]


def echo(body: dict[str, Any]) -> str:
    """The default reply: repeats the last user message, so every answer is predictable."""
    users = [m.get("content") for m in body.get("messages", []) if m.get("role") == "user"]
    return f"You asked: {text_of(users[-1]) if users else ''}"


# --- the server -----------------------------------------------------------------------------


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
        self._http = HTTPServer(("127.0.0.1", port), Handler)
        self._http.app = self
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.05,))

    @property
    def url(self) -> str:
        """The base URL an SDK client takes, ending in ``/v1``."""
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def root(self) -> str:
        """The server's address with no path: an Azure OpenAI resource's endpoint."""
        return self.url.removesuffix("/v1")

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
            chat_request_validator()  # load the spec now, not in the first request
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
