"""The text of a labelled JSON file, decoded: :func:`decode_json` (nesting too deep for
Python's decoder is a JSONDecodeError at the level it passes 50), :func:`is_one_document`
(one array, not JSON Lines) and :func:`item_lines` (the line each item of an array starts
on). Reading its rows is ``evaluation/files.py``'s.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from ..yamlsyntax import JSON_BRACKETS

_NEXT_ITEM = re.compile(r"[^\s,]")  # where a JSON array's next item starts
_SHOWN_DEPTH = 50  # JSON too deep for Python's decoder is reported where it passes this depth


def decode_json(text: str) -> object:
    """``json.loads``; a value nested too deeply for Python's decoder is a JSONDecodeError
    too (json raises RecursionError), at its 51st level."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, _too_deep(text)) from None


def _too_deep(text: str) -> int:
    """Where ``text`` first opens a bracket deeper than ``_SHOWN_DEPTH`` (0 if it does not)."""
    depth = 0
    for token in JSON_BRACKETS.finditer(text):
        if token[0] in "[{":
            depth += 1
            if depth > _SHOWN_DEPTH:
                return token.start()
        elif token[0] in "]}":
            depth -= 1
    return 0


def is_one_document(text: str) -> bool:
    """Whether ``text`` opens a JSON array that its first line does not close, as a file
    holding one array does; a JSON Lines file's first line is a whole value."""
    first = text.lstrip().split("\n", 1)[0]
    if not first.startswith("["):
        return False
    try:
        decode_json(first)
    except json.JSONDecodeError:
        return True
    return "\n" not in text.strip()  # "[...]" alone: one array either way


def item_lines(array: str, count: int) -> Iterator[int]:
    """The line each of the ``count`` items of a valid JSON array starts on."""
    decoder, position = json.JSONDecoder(), array.index("[") + 1
    line = 1 + array.count("\n", 0, position)
    for _ in range(count):
        item = _NEXT_ITEM.search(array, position)
        assert item is not None  # the array was parsed: it has ``count`` items
        line += array.count("\n", position, item.start())
        yield line
        _, end = decoder.raw_decode(array, item.start())
        line += array.count("\n", item.start(), end)
        position = end
