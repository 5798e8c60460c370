"""One cassette entry and its YAML form: what :mod:`servicebot.cassette` files hold.

A cassette is one YAML file that a reviewer can read and diff. Each entry is one request, as
it was sent, and what the model answered::

    entries:
      - key: 12002183401a8d4b        # sha256 of the request; may be left out by hand
        origin:                       # or  origin: {written_by_hand: <why>}
          recorded_from: gpt-4o-mini-2024-07-18
          'on': 2024-05-01                # `on:` unquoted is read the same
        request:                      # exactly as sent (already redacted by the pipeline)
          model: gpt-4o-mini
          params:
            temperature: 0.2
            max_tokens: 500
          messages:
            - role: system
              content: |-
                You are the help desk of Shop.
                Be brief.
            - role: user
              content: Where is my order?
        response:                     # or  error: rate_limit  (a recorded outage)
          content: It left our warehouse yesterday.
          finish_reason: stop
          usage:                      # or null
            prompt_tokens: 120
            completion_tokens: 9
          model: gpt-4o-mini-2024-07-18
          # refusal: I can't help with that.   (a model that declined; content is then '')
          # reasoning: 1840   (characters of reasoning removed from the answer, or all of it)

This module owns an entry (:class:`Entry`, keyed by :func:`request_key`) and the file's
format: the schema an entry is read against (a mistake is a Problem with file:line), and
the block-style YAML it is written as. Loading, saving and the miss error are the
cassette's (``cassette.py``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

import yaml
from pydantic import Field, model_validator

from .errors import Problem
from .model import Completion, ErrorKind, ModelRequest, Usage
from .prompt import Message, Role
from .settings import Frozen
from .validation import validate
from .yamlfile import YamlFile


@dataclass(frozen=True)
class Entry:
    """One recorded request and its outcome: a completion, or the kind of a recorded outage."""

    key: str
    origin: Mapping[str, Any]  # {recorded_from, on} or {written_by_hand}
    request: ModelRequest
    completion: Completion | None = None
    error: ErrorKind | None = None
    line: int | None = field(default=None, compare=False)  # where it is in the file


def request_key(request: ModelRequest) -> str:
    """The entry key: sha256 of the model, messages and params as canonical JSON."""
    body = {
        "model": request.model,
        "messages": [message.as_dict() for message in request.messages],
        "params": request.params,
    }
    text = json.dumps(
        plain_data(body, canonical=True),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def plain_data(value: Any, *, canonical: bool = False) -> Any:
    """Only the types the safe YAML dumper and JSON write: dicts and lists, not mappings and
    tuples. ``canonical`` also makes 1.0 the same number as 1, for comparing requests."""
    if isinstance(value, Mapping):
        return {str(key): plain_data(item, canonical=canonical) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain_data(item, canonical=canonical) for item in value]
    if canonical and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --- the file format --------------------------------------------------------------------------


class _OriginSpec(Frozen):
    recorded_from: str | None = None
    on: date | None = None
    written_by_hand: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> _OriginSpec:
        recorded = self.recorded_from is not None and self.on is not None
        by_hand = self.written_by_hand is not None
        if recorded == by_hand or (by_hand and (self.recorded_from or self.on)):
            raise ValueError("needs either 'recorded_from' and 'on', or 'written_by_hand'")
        return self


class _MessageSpec(Frozen):
    role: Role
    content: str


class _RequestSpec(Frozen):
    model: str
    params: dict[str, Any] = Field(default_factory=dict)
    messages: Annotated[tuple[_MessageSpec, ...], Field(min_length=1)]


class _UsageSpec(Frozen):
    prompt_tokens: int
    completion_tokens: int


class _ResponseSpec(Frozen):
    content: str
    finish_reason: str | None = "stop"
    usage: _UsageSpec | None = None
    model: str = ""
    refusal: str | None = None
    reasoning: Annotated[int, Field(ge=0)] = 0


class _EntrySpec(Frozen):
    key: str | None = None
    origin: _OriginSpec
    request: _RequestSpec
    response: _ResponseSpec | None = None
    error: ErrorKind | None = None

    @model_validator(mode="after")
    def _one_outcome(self) -> _EntrySpec:
        if (self.response is None) == (self.error is None):
            raise ValueError("needs either a 'response' or an 'error', and not both")
        return self


class _CassetteSpec(Frozen):
    entries: tuple[_EntrySpec, ...] = ()


def read_entries(document: YamlFile, problems: list[Problem]) -> dict[str, Entry]:
    """A parsed cassette file's entries by key; each mistake, with its line, in ``problems``."""
    if document.data is None:
        return {}  # an empty file is an empty cassette
    _unquoted_on(document.data)
    spec = validate(document, _CassetteSpec, problems)
    entries: dict[str, Entry] = {}
    for i, item in enumerate(spec.entries if spec else ()):
        entry = _entry(item, _line(document, ("entries", i)))
        if item.key is not None and item.key != entry.key:
            message = "key does not match the request; delete the key line to recompute it"
            problems.append(_problem(document, ("entries", i, "key"), message))
        elif entry.key in entries:
            first = entries[entry.key].line
            message = f"the same request is recorded at line {first} already; delete one of them"
            problems.append(_problem(document, ("entries", i), message))
        entries[entry.key] = entry
    return entries


def _unquoted_on(data: Any) -> None:
    """``on:`` unquoted is YAML 1.1's true; read it as the key it looks like."""
    items = data.get("entries") if isinstance(data, dict) else None
    for item in items if isinstance(items, list) else ():
        origin = item.get("origin") if isinstance(item, dict) else None
        if isinstance(origin, dict) and True in origin:
            item["origin"] = {"on" if key is True else key: value for key, value in origin.items()}


def _entry(spec: _EntrySpec, line: int | None) -> Entry:
    messages = tuple(Message(message.role, message.content) for message in spec.request.messages)
    request = ModelRequest(spec.request.model, messages, dict(spec.request.params))
    origin = spec.origin.model_dump(exclude_none=True)
    completion = None
    if spec.response is not None:
        reply, usage = spec.response, spec.response.usage
        counted = Usage(usage.prompt_tokens, usage.completion_tokens) if usage else None
        model = reply.model or request.model
        completion = Completion(
            reply.content, reply.finish_reason, counted, model, reply.refusal,
            reasoning=reply.reasoning,
        )  # fmt: skip
    return Entry(request_key(request), origin, request, completion, spec.error, line)


def _line(document: YamlFile, loc: tuple[str | int, ...]) -> int | None:
    node = document.node_at(loc)
    return node.start_mark.line + 1 if node is not None else None


def _problem(document: YamlFile, loc: tuple[str | int, ...], message: str) -> Problem:
    node = document.node_at(loc)
    return document.problem_at(node, message) if node is not None else document.problem(message)


def entry_data(entry: Entry) -> dict[str, Any]:
    """``entry`` as the plain data its YAML is written from."""
    request = entry.request
    data: dict[str, Any] = {
        "key": entry.key,
        "origin": dict(entry.origin),
        "request": {
            "model": request.model,
            "params": plain_data(request.params),
            "messages": [message.as_dict() for message in request.messages],
        },
    }
    if entry.error is not None:
        data["error"] = entry.error
    elif (reply := entry.completion) is not None:
        usage = reply.usage
        data["response"] = {
            "content": reply.text,
            "finish_reason": reply.finish_reason,
            "usage": None
            if usage is None
            else {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
            },
            "model": reply.model,
        }
        if reply.refusal is not None:
            data["response"]["refusal"] = reply.refusal
        if reply.reasoning:  # how much, never what: an answer all reasoning replays as one
            data["response"]["reasoning"] = reply.reasoning
    return data


def dump_entries(entries: Iterable[Entry]) -> str:
    """The entries as the cassette file's YAML: block style, each list indented."""
    return yaml.dump(
        {"entries": [entry_data(entry) for entry in entries]},
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=2**31 - 1,  # never fold a line: a one-word change stays a one-line diff
    )


class _Dumper(yaml.SafeDumper):
    """The pure-Python dumper (the same bytes with or without libyaml); lists indented."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # Line breaks other than \n would not survive a | block; escaped in double quotes they do.
    style = '"' if re.search("[\r\x85\u2028\u2029]", text) else "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)
