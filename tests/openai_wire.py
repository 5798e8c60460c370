"""What tests/openai_server.py says on the wire: the faults it can be told to commit, the
request schema it checks bodies against (``CreateChatCompletionRequest`` in the OpenAI OpenAPI
spec kept in ../shared), and the answers it builds: a JSON ``chat.completion``, the
``chat.completion.chunk`` events of a stream, and OpenAI-style error bodies.
"""

from __future__ import annotations

import functools
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from servicebot.budget.tokens import counter_for

REPO = Path(__file__).resolve().parent.parent
OPENAPI_SPEC = REPO.parent / "shared" / "evaldata" / "openai_openapi" / "openapi.yaml"
# counter_for() caches, but does not lock: the first requests of a burst would each load the
# encoding (about 50 MB and 0.3 s apiece) at the same time.
_COUNTER_LOCK = threading.Lock()


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
        "thought",
        "tool_call",
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
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def status(
        cls,
        code: int,
        *,
        retry_after: float | None = None,
        body: str = "",
        content_type: str = "",
        headers: dict[str, str] | None = None,
    ) -> Fault:
        """HTTP ``code`` with an OpenAI-style error body (and ``retry-after`` if given), or with
        ``body`` labelled ``content_type`` (JSON unless given): another server's error; with
        ``headers`` too (Azure's ``retry-after-ms``, ``x-ratelimit-*``)."""
        return cls(
            "status",
            code=code,
            retry_after=retry_after,
            text=body,
            content_type=content_type,
            headers=tuple((headers or {}).items()),
        )

    @classmethod
    def azure_filtered(cls) -> Fault:
        """Azure OpenAI's content filter refusing the prompt: HTTP 400, its error naming the
        filter and the category it flagged (violence, medium)."""
        return cls.status(400, body=json.dumps(AZURE_FILTERED))

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
    def thought(cls, content: str | None = None) -> Fault:
        """A reasoning model that used up ``max_tokens`` thinking: the reply is its
        ``reasoning_content``, ``content`` is ``content`` (null by default, or ""), and the
        finish reason is "length", as vLLM with a reasoning parser and DeepSeek send it."""
        return cls("thought", finish_reason="length", text="" if content is None else content)

    @classmethod
    def tool_call(cls) -> Fault:
        """The model calls a tool nobody offered: ``tool_calls``, with ``content`` null."""
        return cls("tool_call", finish_reason="tool_calls")

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


# Azure OpenAI's answer to a prompt its content filter flags (HTTP 400), as it sends it.
AZURE_FILTERED = {
    "error": {
        "message": "The response was filtered due to the prompt triggering Azure OpenAI's "
        "content management policy. Please modify your prompt and retry.",
        "type": None,
        "param": "prompt",
        "code": "content_filter",
        "status": 400,
        "innererror": {
            "code": "ResponsibleAIPolicyViolation",
            "content_filter_result": {
                "hate": {"filtered": False, "severity": "safe"},
                "jailbreak": {"filtered": False, "detected": False},
                "self_harm": {"filtered": False, "severity": "safe"},
                "sexual": {"filtered": False, "severity": "safe"},
                "violence": {"filtered": True, "severity": "medium"},
            },
        },
    }
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
    errors = chat_request_validator().iter_errors(body)
    return sorted(f"{error.json_path}: {error.message}"[:300] for error in errors)


@functools.lru_cache(maxsize=1)
def chat_request_validator() -> Any:
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


# --- the wire format ------------------------------------------------------------------------


def completion_json(
    id: str, body: dict[str, Any], reply: str, fault: Fault | None = None
) -> dict[str, Any]:
    message = {"role": "assistant", "content": _content(reply, fault), "refusal": None}
    if fault and fault.kind == "refusal":
        message.update(content=None, refusal=reply)
    if fault and fault.kind == "thought":
        message.update(content=fault.text or None, reasoning_content=reply)
    if fault and fault.kind == "tool_call":
        message.update(content=None, tool_calls=[_TOOL_CALL])
    finish = fault.finish_reason if fault else "stop"
    choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
    return {
        **_envelope(id, body, "chat.completion"),
        "choices": [choice],
        "usage": _usage(body, reply, fault),
    }


def chunk_events(
    id: str, body: dict[str, Any], reply: str, fault: Fault | None = None
) -> Iterator[dict[str, Any]]:
    """A streamed answer: the role, the text in word-sized pieces, the finish, the usage."""
    envelope = _envelope(id, body, "chat.completion.chunk")

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return {**envelope, "choices": [choice]}

    refused = fault is not None and fault.kind == "refusal"
    yield chunk({"role": "assistant", "content": None if refused else ""})
    if fault and fault.kind == "tool_call":
        yield chunk({"content": None, "tool_calls": [{"index": 0, **_TOOL_CALL}]})
    said = "" if fault and fault.kind == "tool_call" else reply
    for piece in re.findall(r"\S+\s*|\s+", said):
        yield chunk(_delta(piece, fault))
    yield chunk({}, fault.finish_reason if fault else "stop")
    if (body.get("stream_options") or {}).get("include_usage"):
        yield {**envelope, "choices": [], "usage": _usage(body, reply, fault)}


_TOOL_CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "lookup_order", "arguments": '{"order": "123"}'},
}


def _delta(piece: str, fault: Fault | None) -> dict[str, Any]:
    """One piece of a streamed reply: its content, or what a fault sends it as instead."""
    if fault and fault.kind == "refusal":
        return {"refusal": piece}
    if fault and fault.kind == "thought":
        return {"content": None, "reasoning_content": piece}
    return {"content": _content(piece, fault)}


def _envelope(id: str, body: dict[str, Any], kind: str) -> dict[str, Any]:
    return {"id": id, "object": kind, "created": int(time.time()), "model": body.get("model")}


def _usage(body: dict[str, Any], reply: str, fault: Fault | None = None) -> Any:
    """Tokens counted as servicebot's budget counts them, so the two can be compared."""
    if fault and fault.kind == "usage":
        return fault.usage
    with _COUNTER_LOCK:
        counter = counter_for(str(body.get("model") or ""), None)
    messages = body.get("messages") or []
    prompt = counter.count_messages(
        (m.get("role", ""), text_of(m.get("content"))) for m in messages
    )
    completion = counter.count(reply)
    total = prompt + completion
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}


def _content(text: str, fault: Fault | None) -> str | list[dict[str, str]]:
    return [{"type": "text", "text": text}] if fault and fault.kind == "parts" else text


def text_of(content: Any) -> str:
    """A message's text, whether plain or a list of content parts."""
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def http_chunk(data: bytes) -> bytes:
    """One piece of a ``transfer-encoding: chunked`` body; empty data ends the body."""
    return b"%x\r\n%s\r\n" % (len(data), data)


def sse(event: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(event).encode() + b"\n\n"
