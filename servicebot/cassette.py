"""Recorded model replies ("cassettes"), so that a bot's tests run offline and repeatably.

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

This module owns that file: reading it (a mistake is ConfigError with file:line), writing
it atomically and refusing anything that looks like an API key, and the error for a request
with no entry, with a diff against the closest one.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field, model_validator

from .errors import ConfigError, Problem, ServicebotError
from .filters.pii import holds_key
from .model import Completion, ErrorKind, ModelRequest, Usage
from .prompt import Message, Role
from .settings import Frozen
from .validation import validate
from .yamlfile import YamlFile, read_yaml

HEADER = (  # a conversation's cassette; the bot's own says what writes it
    "# Recorded model replies: `servicebot test` answers from them instead of a live model.\n"
    "# `servicebot record` rewrites this file; an entry written by hand may leave out `key`.\n"
)
RECORD_HINT = (  # a conversation's cassette; the bot's own says how it is recorded
    "record it with `servicebot record` (or, when no live model is reachable, write it with "
    "`servicebot record --by-hand`, which records each turn's model_reply as written: update "
    "it first if the FAQ's answer changed)"
)
_MAX_DIFF_LINES = 80
_WRITE_LOCK = threading.Lock()  # one recording at a time rewrites a cassette file


class ReplayMissError(ServicebotError):
    """No recorded reply for a request: a test changed the prompt, or needs a new recording.

    Not a :class:`ModelError`: the pipeline must not hide a miss behind a fallback reply.
    """


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
        _plain(body, canonical=True),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _plain(value: Any, *, canonical: bool = False) -> Any:
    """Only the types the safe YAML dumper and JSON write: dicts and lists, not mappings and
    tuples. ``canonical`` also makes 1.0 the same number as 1, for comparing requests."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item, canonical=canonical) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item, canonical=canonical) for item in value]
    if canonical and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class Cassette:
    """One cassette file's entries, by key, in file order."""

    def __init__(
        self, path: Path, entries: Mapping[str, Entry] | None = None, header: str = HEADER
    ) -> None:
        """``header``: the comment the file begins with, saying what answers from it and
        what writes it."""
        self.path, self.header = path, header
        self.entries: dict[str, Entry] = dict(entries or {})

    @classmethod
    def load(cls, path: Path, header: str = HEADER) -> Cassette:
        """Read ``path`` (a missing file is an empty cassette); ConfigError with file:line."""
        if not path.exists() and not path.is_symlink():
            return cls(path, header=header)
        problems: list[Problem] = []
        document = read_yaml(path, problems)
        entries = _read_entries(document, problems) if document is not None else {}
        if problems:
            raise ConfigError(problems)
        return cls(path, entries, header)

    def get(self, request: ModelRequest) -> Entry | None:
        return self.entries.get(request_key(request))

    def put(self, entry: Entry) -> None:
        """Add ``entry``; one for the same request is replaced where it stands."""
        self.entries[entry.key] = entry

    def dumps(self) -> str:
        entries = [_entry_data(entry) for entry in self.entries.values()]
        return self.header + yaml.dump(
            {"entries": entries},
            Dumper=_Dumper,
            allow_unicode=True,
            sort_keys=False,
            default_flow_style=False,
            width=2**31 - 1,  # never fold a line: a one-word change stays a one-line diff
        )

    def save(self) -> None:
        _write_atomically(self.path, self.dumps())

    def miss(self, request: ModelRequest, hint: str = RECORD_HINT) -> ReplayMissError:
        """The error for a request with no entry, with a diff against the closest one;
        ``hint`` says how this cassette is recorded (``record it with ...``)."""
        head = f"no recorded reply in {self.path} for this request (key {request_key(request)})"
        if not self.entries:
            state = "has no entries" if self.path.exists() else "does not exist"
            return ReplayMissError(f"{head}: the cassette {state}; {hint}")
        wanted = _render(request)
        closest = max(self.entries.values(), key=lambda entry: _likeness(entry.request, wanted))
        where = f"{self.path}:{closest.line}" if closest.line else f"key {closest.key}"
        diff = _diff(_render(closest.request), wanted)
        return ReplayMissError(
            f"{head}.\nThe closest recorded request ({where}) differs:\n{diff}\n"
            f"If the change is intended, {hint}."
        )


def store_entry(path: Path, entry: Entry, header: str = HEADER) -> Cassette:
    """Add ``entry`` to the file as it is now on disk (another client may have written it),
    which begins with ``header``."""
    _refuse_secrets(_entry_data(entry), path)
    with _WRITE_LOCK:
        cassette = Cassette.load(path, header)
        cassette.put(entry)
        cassette.save()
    return cassette


def _refuse_secrets(value: Any, path: Path, where: str = "entry") -> None:
    """A cassette is kept with the code: no API key or token may go in one, as the pre-filter
    finds them ("Bearer bonds" in an answer is none). A password or PIN that the FAQ or an
    answer gives may be recorded: the bot's own files hold it already."""
    if isinstance(value, str) and holds_key(value):
        raise ServicebotError(
            f"refusing to write {path}: {where} looks like an API key or token; a cassette "
            "is kept with the code, so take it out of the request or the answer first"
        )
    if isinstance(value, Mapping):
        for key, item in value.items():
            _refuse_secrets(key, path, f"{where}.{key}")
            _refuse_secrets(item, path, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _refuse_secrets(item, path, f"{where}[{i}]")


# --- the miss diff ---------------------------------------------------------------------------


def _render(request: ModelRequest) -> list[str]:
    """A request as lines to diff: model, one line per param, then each message's text."""
    lines = [f"model: {request.model}"]
    for name, value in sorted(_plain(request.params, canonical=True).items()):
        lines.append(f"params.{name}: {json.dumps(value, ensure_ascii=False, default=str)}")
    for message in request.messages:
        lines += [f"--- {message.role} ---", *message.content.splitlines()]
    return lines


def _likeness(recorded: ModelRequest, wanted: list[str]) -> tuple[float, float]:
    lines = _render(recorded)
    by_line = difflib.SequenceMatcher(None, lines, wanted, autojunk=False).ratio()
    by_text = difflib.SequenceMatcher(None, "\n".join(lines), "\n".join(wanted)).quick_ratio()
    return by_line, by_text


def _diff(recorded: list[str], wanted: list[str]) -> str:
    lines = list(difflib.unified_diff(recorded, wanted, "recorded", "requested", lineterm=""))
    if len(lines) > _MAX_DIFF_LINES:
        more = len(lines) - _MAX_DIFF_LINES
        lines = [*lines[:_MAX_DIFF_LINES], f"... and {more} more lines of differences"]
    return "\n".join(lines)


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


def _read_entries(document: YamlFile, problems: list[Problem]) -> dict[str, Entry]:
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
        completion = Completion(reply.content, reply.finish_reason, counted, model, reply.refusal)
    return Entry(request_key(request), origin, request, completion, spec.error, line)


def _line(document: YamlFile, loc: tuple[str | int, ...]) -> int | None:
    node = document.node_at(loc)
    return node.start_mark.line + 1 if node is not None else None


def _problem(document: YamlFile, loc: tuple[str | int, ...], message: str) -> Problem:
    node = document.node_at(loc)
    return document.problem_at(node, message) if node is not None else document.problem(message)


def _entry_data(entry: Entry) -> dict[str, Any]:
    request = entry.request
    data: dict[str, Any] = {
        "key": entry.key,
        "origin": dict(entry.origin),
        "request": {
            "model": request.model,
            "params": _plain(request.params),
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
    return data


class _Dumper(yaml.SafeDumper):
    """The pure-Python dumper (the same bytes with or without libyaml); lists indented."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # Line breaks other than \n would not survive a | block; escaped in double quotes they do.
    style = '"' if re.search("[\r\x85\u2028\u2029]", text) else "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)


def _write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path``, then rename it over ``path``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, mode)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as exc:
        raise ServicebotError(f"cannot write {path}: {exc.strerror or exc}") from exc
