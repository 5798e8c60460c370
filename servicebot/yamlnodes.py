"""The node tree: files that use anchors and aliases (or merge keys, or hold several
documents), built by PyYAML's safe constructor from the composed nodes, its silent mistakes
recorded instead of stopping, and refused if its aliases expand it too far (alias bombs).
:mod:`.yamlvalues` builds every other file from libyaml's events, which is ten times quicker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from .errors import Problem
from .source import MAX_FILE_BYTES
from .yamlproblems import (
    COLLECTION_TAGS,
    CORE,
    STR,
    RefusedError,
    construct_scalar,
    duplicate_key,
    unsafe_tag,
)
from .yamlsyntax import SAFE_LOADER

if TYPE_CHECKING:
    from .yamlfile import YamlFile

MAX_EXPANDED_SIZE = 10 * MAX_FILE_BYTES
"""Anchors and aliases may not expand a file beyond this many characters (alias bombs)."""


def construct_from_nodes(document: YamlFile, problems: list[Problem]) -> Any:
    root = document.root  # raises MarkedYAMLError on a syntax error
    if root is None:
        return None
    if _expanded_size(root) > MAX_EXPANDED_SIZE:
        message = (
            f"anchors and aliases expand this file beyond {MAX_EXPANDED_SIZE:,} characters; "
            "write the values out instead"
        )
        raise RefusedError(document.problem_at(root, message))
    loader = _Loader("", document, problems)
    try:
        return loader.construct_document(root)
    finally:
        loader.dispose()


def _expanded_size(root: yaml.Node) -> int:
    """The file's size once every alias is expanded (memoised per node, so it is quick)."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        if id(node) not in sizes:
            if isinstance(node, yaml.ScalarNode):
                sizes[id(node)] = 1 + len(node.value)
            elif isinstance(node, yaml.SequenceNode):
                sizes[id(node)] = 1 + sum(size(item) for item in node.value)
            else:
                sizes[id(node)] = 1 + sum(size(key) + size(value) for key, value in node.value)
        return sizes[id(node)]

    return size(root)


class _Loader(SAFE_LOADER):  # type: ignore[misc, valid-type]
    """PyYAML's safe constructor, recording duplicate keys and bad values instead of stopping."""

    def __init__(self, text: str, document: YamlFile, problems: list[Problem]) -> None:
        super().__init__(text)
        self._document = document
        self._problems = problems

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.tag not in (STR, CORE + "merge"):
            problem, value = construct_scalar(node.tag, node.value)
            if problem:
                self._problems.append(self._document.problem_at(node, problem))
            return value
        if not isinstance(node, yaml.ScalarNode) and node.tag not in COLLECTION_TAGS:
            self._problems.append(self._document.problem_at(node, unsafe_tag(node.tag)))
            node.tag = CORE + ("seq" if isinstance(node, yaml.SequenceNode) else "map")
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != CORE + "merge":
                if key_node.value in seen:
                    self._problems.append(
                        duplicate_key(self._document, key_node.value, key_node.start_mark)
                    )
                seen.add(key_node.value)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping
