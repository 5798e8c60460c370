"""Reading operator files safely, keeping every value's line and column.

Owns: the size cap, UTF-8 decoding, safe YAML loading (libyaml when present), and the
mistakes PyYAML lets through silently (duplicate keys) or raises one at a time (unsafe
tags). Every mistake becomes a :class:`~servicebot.errors.Problem` with ``file:line:column``;
nothing here raises for a bad file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem

MAX_FILE_BYTES = 5 * 1024 * 1024
"""Operator files larger than this are refused: a FAQ file is text a person edits."""

MAX_EXPANDED_NODES = 1_000_000
"""Anchors and aliases may not expand a document beyond this many nodes (alias bombs)."""

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# PyYAML's wording (libyaml's and pure Python's), made into advice an operator can act on.
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
    """A parsed YAML file: plain Python data, and its node tree to locate values in."""

    data: Any = None

    @cached_property
    def root(self) -> yaml.Node | None:
        """The node tree, composed only when a mistake must be located (it is slow to build)."""
        loader = _SafeLoader(self.text)
        try:
            node: yaml.Node | None = loader.get_single_node()
            return node
        finally:
            loader.dispose()

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
    try:
        document.data = _construct(document, problems)
    except yaml.MarkedYAMLError as exc:
        problems.append(_syntax_problem(document, exc))
        return None
    except yaml.reader.ReaderError as exc:  # a character YAML forbids, such as NUL
        problems.append(_character_problem(document, exc))
        return None
    return None if document.data is _REFUSED else document


def _construct(document: YamlFile, problems: list[Problem]) -> Any:
    if "&" not in document.text:  # without anchors, the fast path almost always applies
        found: list[Problem] = []
        try:
            data = _EventBuilder(document, found).build()
        except _NeedsNodes:
            pass
        else:
            problems += found
            return data
    return _construct_from_nodes(document, problems)


def _construct_from_nodes(document: YamlFile, problems: list[Problem]) -> Any:
    root = document.root  # raises MarkedYAMLError on a syntax error
    if root is None:
        return None
    if _expanded_size(root) > MAX_EXPANDED_NODES:
        problems.append(document.problem_at(root, _ALIAS_BOMB))
        return _REFUSED
    loader = _Loader("", document, problems)
    try:
        return loader.construct_document(root)
    finally:
        loader.dispose()


_REFUSED = object()
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


def _character_problem(document: YamlFile, exc: yaml.reader.ReaderError) -> Problem:
    line = document.text.count("\n", 0, exc.position) + 1
    column = exc.position - (document.text.rfind("\n", 0, exc.position) + 1) + 1
    code = exc.character if isinstance(exc.character, int) else ord(exc.character)
    message = f"control character U+{code:04X} is not allowed in YAML; remove it"
    return document.problem(message, line, column)


def _tab_before(document: YamlFile, mark: yaml.Mark) -> bool:
    line = document.lines[mark.line] if mark.line < len(document.lines) else ""
    return "\t" in line[: mark.column + 1]


def _child(node: yaml.Node | None, part: str | int, *, key: bool) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                return key_node if key else value_node
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
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


class _NeedsNodes(Exception):
    """The event builder met something only the node composer handles (aliases, merge keys)."""


_STR = "tag:yaml.org,2002:str"
_COLLECTION_TAGS = {None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_RESOLVER = yaml.resolver.Resolver()
_MAY_BE_NOT_TEXT = frozenset(_RESOLVER.yaml_implicit_resolvers)  # first characters of non-text


class _EventBuilder:
    """Builds Python data straight from libyaml's events, without a node tree.

    Why by hand: PyYAML composes a node and two marks per value before constructing it, which
    makes a 10,000-intent FAQ take over 3 s; its event stream alone takes a tenth of that.
    Locating a mistake later composes the tree lazily (:attr:`YamlFile.root`).
    """

    def __init__(self, document: YamlFile, problems: list[Problem]) -> None:
        self._document, self._problems = document, problems
        self._events = iter(yaml.parse(document.text, Loader=_SafeLoader))

    def build(self) -> Any:
        data, documents = None, 0
        for event in self._events:
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise _NeedsNodes  # the composer reports "expected a single document"
                data = self._value(next(self._events))
        return data

    def _value(self, event: yaml.Event) -> Any:
        if isinstance(event, yaml.ScalarEvent):
            return self._scalar(event)
        if (
            isinstance(event, yaml.AliasEvent)
            or getattr(event, "tag", None) not in _COLLECTION_TAGS
        ):
            raise _NeedsNodes
        if isinstance(event, yaml.SequenceStartEvent):
            items = []
            while not isinstance(event := next(self._events), yaml.SequenceEndEvent):
                items.append(self._value(event))
            return items
        return self._mapping()

    def _mapping(self) -> dict[Any, Any]:
        mapping: dict[Any, Any] = {}
        while not isinstance(key_event := next(self._events), yaml.MappingEndEvent):
            key = self._value(key_event)
            if isinstance(key, list | dict) or key == "<<":
                raise _NeedsNodes  # unhashable keys and merge keys
            if key in mapping:
                self._problems.append(_duplicate_key(self._document, key, key_event.start_mark))
            mapping[key] = self._value(next(self._events))
        return mapping

    def _scalar(self, event: yaml.ScalarEvent) -> Any:
        value, tag = event.value, event.tag
        if tag is None or tag == "!":
            if event.style or not event.implicit[0]:
                return value  # quoted or block text (libyaml gives plain values style '')
            if value and value[0] not in _MAY_BE_NOT_TEXT:
                return value
            tag = _RESOLVER.resolve(yaml.ScalarNode, value, event.implicit)  # type: ignore[no-untyped-call]
        if tag == _STR:
            return value
        construct = yaml.SafeLoader.yaml_constructors.get(tag)
        if construct is None:
            raise _NeedsNodes  # an unknown tag: reported by the node path
        return construct(_SCALARS, yaml.ScalarNode(tag, value))


def _duplicate_key(document: YamlFile, key: Any, mark: Any) -> Problem:
    message = f"duplicate key '{key}': the later value would silently win"
    return document.problem(message, mark.line + 1, mark.column + 1)


_SCALARS = yaml.SafeLoader("")  # constructs the rare non-text scalars (numbers, dates)


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
                self._problems.append(_duplicate_key(self._document, key, key_node.start_mark))
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
