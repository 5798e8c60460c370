"""Reading a Rasa project's YAML files as nodes (``yaml.compose``), so that each thing
:mod:`servicebot.rasaimport` notes can say its file and line; and the small lookups it makes
in them, each of which gives nothing, rather than raising, for a node of another shape.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import ConfigError, Problem
from .source import read_text
from .yamlsyntax import control_character_problem


def compose(path: Path) -> Node | None:
    """The node tree of ``path``, or None for an empty file. It is read as the bot's own
    files are (:func:`~servicebot.source.read_text`): a device, a pipe, a link out of its
    folder (``data/x.yml`` -> /dev/zero ran out of memory), a file over 5 MB or one not in
    UTF-8 is refused at its file and line, as is a character YAML does not allow."""
    problems: list[Problem] = []
    if (source := read_text(path, problems)) is None:
        raise ConfigError(problems)
    try:
        return yaml.compose(source.text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        raise ConfigError([Problem(path, f"not YAML: {exc.problem}", line)]) from exc
    except yaml.reader.ReaderError as exc:
        raise ConfigError([control_character_problem(source, exc)]) from exc
    except yaml.YAMLError as exc:
        raise ConfigError.at(path, f"cannot read it as YAML: {exc}") from exc


def note_at(path: Path, node: Node, message: str, *, above: bool = False) -> Problem:
    """``message`` at the line of ``node`` (with ``above``, the line before it: a response's
    name, whose variants ``node`` is)."""
    return Problem(path, message, line_of(node) - (1 if above else 0))


def line_of(node: Node) -> int:
    """The 1-based line ``node`` starts on."""
    return node.start_mark.line + 1


def value_of(node: Node | None, key: str) -> Node | None:
    """The value of ``key`` in the mapping ``node``; None for no such key, or no mapping."""
    return next((value for name, value in pairs(node) if name.value == key), None)


def pairs(node: Node | None) -> list[tuple[ScalarNode, Node]]:
    """The (key, value) pairs of the mapping ``node`` whose keys are text; none for others."""
    if not isinstance(node, MappingNode):
        return []
    return [(key, value) for key, value in node.value if isinstance(key, ScalarNode)]


def items(node: Node | None) -> list[Node]:
    """The items of the sequence ``node``; none for anything else."""
    return list(node.value) if isinstance(node, SequenceNode) else []


def text_of(node: Node | None) -> str:
    """The text of the scalar ``node``, stripped; empty for anything else."""
    return str(node.value).strip() if isinstance(node, ScalarNode) else ""
