"""Reading operator files safely, keeping every value's line and column.

Owns: the size cap, UTF-8 decoding, safe YAML loading (libyaml when present), and the
mistakes PyYAML lets through silently (duplicate keys) or raises one at a time (unsafe
tags). Every mistake becomes a :class:`~servicebot.errors.Problem` with ``file:line:column``;
nothing here raises for a bad file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem

MAX_FILE_BYTES = 5 * 1024 * 1024
"""Operator files larger than this are refused: a FAQ file is text a person edits."""

MAX_EXPANDED_NODES = 1_000_000
"""Anchors and aliases may not expand a document beyond this many nodes (alias bombs)."""

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# PyYAML's wording (libyaml's and the pure-Python parser's), made into advice an operator can act on.
_BAD_INDENT = "bad indentation: this line does not line up with the lines above it"
_YAML_HINTS = {
    "mapping values are not allowed": (
        "unexpected ':' here: check this line's indentation, or put quotes around a value "
        "that contains ': '"
    ),
    "did not find expected key": _BAD_INDENT,
    "expected <block end>, but found": _BAD_INDENT,
    "did not find expected '-' indicator": _BAD_INDENT,
}


@dataclass
class SourceFile:
    """One operator file's text, split into lines for error messages."""

    path: Path
    text: str
    lines: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.lines = self.text.splitlines()

    def problem(self, message: str, line: int | None = None, column: int | None = None) -> Problem:
        """A problem at 1-based ``line``/``column``, quoting the line itself."""
        source = self.lines[line - 1] if line and 0 < line <= len(self.lines) else None
        return Problem(self.path, message, line, column, source)

    def problem_at(self, node: yaml.Node, message: str) -> Problem:
        """A problem at a YAML node's start."""
        mark = node.start_mark
        return self.problem(message, mark.line + 1, mark.column + 1)


@dataclass
class YamlFile(SourceFile):
    """A parsed YAML file: plain Python data plus the node tree to locate values in."""

    data: Any = None
    root: yaml.Node | None = None

    def node_at(self, loc: Sequence[str | int], *, key: bool = False) -> yaml.Node | None:
        """The node at ``loc`` (a pydantic error location); its key node if ``key``.

        Falls back to the deepest node that exists, so a missing field points at its parent.
        """
        node, found = self.root, self.root
        for part in loc:
            node = _child(node, part, key=key and part == loc[-1])
            if node is None:
                break
            found = node
        return found


def read_text(path: Path, problems: list[Problem]) -> SourceFile | None:
    """Read an operator file as UTF-8, refusing oversized and undecodable files."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.append(
                Problem(path, f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes")
            )
            return None
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(path, f"cannot read file: {exc.strerror}"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        source = SourceFile(path, raw.decode("utf-8", errors="replace"))
        byte = raw[exc.start]
        problems.append(
            source.problem(f"not UTF-8 (byte 0x{byte:02x}); save the file as UTF-8", line, column)
        )
        return None
    return SourceFile(path, text.removeprefix("\ufeff"))


def read_yaml(path: Path, problems: list[Problem]) -> YamlFile | None:
    """Safely parse one YAML file; on a syntax error add it to ``problems`` and return None."""
    source = read_text(path, problems)
    if source is None:
        return None
    document = YamlFile(path, source.text)
    loader = _Loader(source.text, document, problems)
    try:
        document.root = loader.get_single_node()
        if document.root is not None:
            if "&" in source.text and _expanded_size(document.root) > MAX_EXPANDED_NODES:
                problems.append(document.problem_at(document.root, _ALIAS_BOMB))
                return None
            document.data = loader.construct_document(document.root)
    except yaml.MarkedYAMLError as exc:
        problems.append(_syntax_problem(document, exc))
        return None
    finally:
        loader.dispose()
    return document


_ALIAS_BOMB = (
    f"anchors and aliases expand this file beyond {MAX_EXPANDED_NODES:,} values; "
    "write the values out instead"
)


def _syntax_problem(document: YamlFile, exc: yaml.MarkedYAMLError) -> Problem:
    problem = exc.problem or str(exc)
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return document.problem(f"YAML syntax error: {problem}")
    if "end of stream" in problem and exc.context_mark is not None:
        mark = exc.context_mark  # the unclosed quote or bracket, not the end of the file
        what = (exc.context or "").removeprefix("while scanning ").replace("scalar", "value")
        message = f"YAML syntax error: {what} that starts here is never closed"
    elif _tab_before(document, mark):
        message = "tab character: YAML indentation must use spaces, not tabs"
    else:
        hint = next((hint for text, hint in _YAML_HINTS.items() if text in problem), None)
        context = f"{exc.context}, " if exc.context else ""
        message = hint or f"YAML syntax error: {context}{problem}"
    return document.problem(message, mark.line + 1, mark.column + 1)


def _tab_before(document: YamlFile, mark: yaml.Mark) -> bool:
    line = document.lines[mark.line] if mark.line < len(document.lines) else ""
    return "\t" in line[: mark.column + 1]


def _child(node: yaml.Node | None, part: str | int, *, key: bool) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                return key_node if key else value_node
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            item: yaml.Node = node.value[part]
            return item
    return None


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes the document has once every alias is expanded (memoised per node)."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        if id(node) not in sizes:
            children: list[yaml.Node] = []
            if isinstance(node, yaml.SequenceNode):
                children = node.value
            elif isinstance(node, yaml.MappingNode):
                children = [part for pair in node.value for part in pair]
            sizes[id(node)] = 1 + sum(size(child) for child in children)
        return sizes[id(node)]

    return size(root)


class _Loader(_SafeLoader):  # type: ignore[misc, valid-type]
    """Safe loading that records duplicate keys and unsafe tags instead of stopping."""

    def __init__(self, text: str, document: YamlFile, problems: list[Problem]) -> None:
        super().__init__(text)
        self._document = document
        self._problems = problems

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                continue  # SafeConstructor reports unhashable keys itself
            if key in seen:
                message = f"duplicate key '{key}': the later value would silently win"
                self._problems.append(self._document.problem_at(key_node, message))
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping

    def construct_unsafe(self, node: yaml.Node) -> Any:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        message = f"tag '{tag}' is not allowed: bot files are plain YAML (safe loading only)"
        self._problems.append(self._document.problem_at(node, message))
        if isinstance(node, yaml.MappingNode):
            return self.construct_mapping(node)
        if isinstance(node, yaml.SequenceNode):
            return self.construct_sequence(node)
        return self.construct_scalar(node)


_Loader.add_constructor(None, _Loader.construct_unsafe)
