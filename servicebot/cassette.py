"""Recorded model replies ("cassettes"), so that a bot's tests run offline and repeatably.

A cassette is one YAML file that a reviewer can read and diff: one entry per request, as it
was sent, and what the model answered. The format, and :class:`Entry`, are in
``cassetteformat.py``.

This module owns that file: reading it (a mistake is ConfigError with file:line), writing
it atomically and refusing anything that looks like an API key, and the error for a request
with no entry, with a diff against the closest one.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import shlex
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .cassetteformat import Entry, dump_entries, entry_data, plain_data, read_entries, request_key
from .errors import ConfigError, Problem, ServicebotError
from .filters.pii import holds_key
from .model import ModelRequest
from .privatefiles import PRIVATE_FILE, make_private_folder
from .yamlfile import read_yaml

HEADER = (  # a conversation's cassette; the bot's own says what writes it
    "# Recorded model replies: `servicebot test` answers from them instead of a live model.\n"
    "# `servicebot record` rewrites this file; an entry written by hand may leave out `key`.\n"
)
_RECORD_HINT = (  # a conversation's cassette; the bot's own says how it is recorded
    "record it with `servicebot record{script}` (or, when no live model is reachable, write it "
    "with `servicebot record --by-hand{script}`, which records each turn's model_reply as "
    "written: update it first if the FAQ's answer changed)"
)
RECORD_HINT = _RECORD_HINT.format(script="")


def record_hint(script: Path) -> str:
    """How to record the one conversation script at ``script`` (as its path was given): the
    commands for it alone, since recording every script would replace cassettes that need
    no change, and hand-written ones with the live model's answers."""
    return _RECORD_HINT.format(script=" " + shlex.quote(str(script)))


_MAX_DIFF_LINES = 80
_WRITE_LOCK = threading.Lock()  # one recording at a time rewrites a cassette file


class ReplayMissError(ServicebotError):
    """No recorded reply for a request: a test changed the prompt, or needs a new recording.

    Not a :class:`ModelError`: the pipeline must not hide a miss behind a fallback reply.
    ``brief`` is the miss in one line, without the diff: for a chat, where the message was
    simply never recorded and a diff against another request says nothing useful.
    """

    def __init__(self, message: str, brief: str | None = None) -> None:
        super().__init__(message)
        self.brief = brief or message


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
        entries = read_entries(document, problems) if document is not None else {}
        if problems:
            raise ConfigError(problems)
        return cls(path, entries, header)

    def get(self, request: ModelRequest) -> Entry | None:
        return self.entries.get(request_key(request))

    def put(self, entry: Entry) -> None:
        """Add ``entry``; one for the same request is replaced where it stands."""
        self.entries[entry.key] = entry

    def dumps(self) -> str:
        return self.header + dump_entries(self.entries.values())

    def save(self) -> None:
        _write_atomically(self.path, self.dumps())

    def miss(self, request: ModelRequest, hint: str = RECORD_HINT) -> ReplayMissError:
        """The error for a request with no entry, with a diff against the closest one;
        ``hint`` says how this cassette is recorded (``record it with ...``)."""
        head = f"no recorded reply in {self.path} for this request (key {request_key(request)})"
        if not self.entries:
            state = "has no entries" if self.path.exists() else "does not exist"
            return ReplayMissError(f"{head}: the cassette {state}; {hint}")
        brief = f"{head}; {hint}"
        wanted = _render(request)
        closest = max(self.entries.values(), key=lambda entry: _likeness(entry.request, wanted))
        where = f"{self.path}:{closest.line}" if closest.line else f"key {closest.key}"
        diff = _diff(_render(closest.request), wanted)
        return ReplayMissError(
            f"{head}.\nThe closest recorded request ({where}) differs:\n{diff}\n"
            f"If the change is intended, {hint}.",
            brief,
        )


def store_entry(path: Path, entry: Entry, header: str = HEADER) -> Cassette:
    """Add ``entry`` to the file as it is now on disk (another client may have written it),
    which begins with ``header``."""
    _refuse_secrets(entry_data(entry), path)
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
    for name, value in sorted(plain_data(request.params, canonical=True).items()):
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


def _write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path``, then rename it over ``path``. A new file
    (and any folder made for it) is its owner's alone, as the SQLite store's is: a recording
    keeps every prompt, with the customer details given to the templates unmasked. A file
    that exists keeps its mode."""
    try:
        make_private_folder(path.parent)
        mode = path.stat().st_mode & 0o777 if path.exists() else PRIVATE_FILE
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
