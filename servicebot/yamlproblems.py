"""The problems a YAML value can have however it is built (from libyaml's events, see
:mod:`.yamlvalues`, or from the node tree, see :mod:`.yamlnodes`): tags that safe loading does
not allow, scalars that are not valid values of their kind, duplicate keys; and
:class:`RefusedError`, for a file shaped so that reading on would be unsafe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from .errors import Problem, shorten

if TYPE_CHECKING:
    from .yamlfile import YamlFile

CORE = "tag:yaml.org,2002:"
STR = CORE + "str"
_SCALAR_TAGS = {CORE + name for name in ("null", "bool", "int", "float", "timestamp", "str")}
COLLECTION_TAGS = {None, "!", CORE + "map", CORE + "seq"}
_SCALARS = yaml.SafeLoader("")  # builds the few values that are not text (numbers, dates)


class RefusedError(Exception):
    """The file is shaped so that reading it further would be unsafe."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def scalar_value(node: yaml.ScalarNode) -> Any:
    """The value YAML reads a composed scalar node as (``null`` is None, ``2024-01-01`` a
    date), or its text if that is not a valid value of its kind."""
    return node.value if node.tag == STR else construct_scalar(node.tag, node.value)[1]


def construct_scalar(tag: str, value: str) -> tuple[str | None, Any]:
    """The value for a tagged scalar, or a problem and the text as written."""
    if tag not in _SCALAR_TAGS:
        return unsafe_tag(tag), value
    try:
        return None, _SCALARS.yaml_constructors[tag](_SCALARS, yaml.ScalarNode(tag, value))
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        kind = _KIND_NAMES.get(tag.removeprefix(CORE), "value")
        message = f"'{shorten(value)}' is not a valid {kind}; put it in quotes to keep it as text"
        return message, value


_KIND_NAMES = {"timestamp": "date", "int": "whole number", "float": "number", "bool": "true/false"}


def unsafe_tag(tag: str | None) -> str:
    shown = shorten((tag or "").replace(CORE, "!!"))
    return f"tag '{shown}' is not allowed: bot files are plain YAML (safe loading only)"


def duplicate_key(
    document: YamlFile,
    key: Any,
    mark: Any,
    in_list: bool = False,
    first: tuple[str, int] | None = None,
) -> Problem:
    """A key written a second time in one mapping, named as written; or one that is not text
    and reads as the same key as ``first`` (as written, and where): ``1:`` and ``yes:`` are
    one key, as true is 1."""
    message = f"duplicate key '{shorten(str(key))}': the later value would silently win"
    if first is not None and first[0] != key:
        line = document.position(first[1])[0] + 1
        message = (
            f"key '{shorten(key)}' reads as the same key as '{shorten(first[0])}' on line {line}, "
            "so the later value would silently win: put the keys in quotes to keep them apart"
        )
    if key == "name" and in_list:
        message += " (is a '- ' missing before the next intent?)"
    return document.problem_at_offset(message, mark.index)
