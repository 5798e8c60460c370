"""Safe YAML for operator files, with every value's line and column still findable.

Owns :class:`YamlFile`, a parsed file whose node tree is composed only when a mistake must
be located in it, and :func:`read_yaml`, which reports what stops a file being read (syntax
errors, worded by :mod:`.yamlsyntax`, the later ones found by :mod:`.yamlrecovery`;
characters YAML forbids; a file refused as unsafe) as a :class:`~servicebot.errors.Problem`.
Nothing here raises for a bad file. The values themselves, and the mistakes PyYAML lets
through silently, are built by :mod:`.yamlvalues`.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, shorten
from .source import SourceFile, read_text
from .yamlproblems import RefusedError, scalar_value
from .yamlrecovery import syntax_problems
from .yamlsyntax import FULL_WIDTH_COLON, SAFE_LOADER, control_character_problem
from .yamlvalues import construct


@dataclass
class YamlFile(SourceFile):
    """A parsed YAML file: plain Python data, and its node tree to locate values in.

    ``mended`` holds the lines (1-based) read with full-width colons mended to ``: ``, and
    the columns of those colons as written, left to right (``{en： hi, zh： 是}`` has two):
    see :func:`read_yaml`. ``same_keys`` holds where the keys are that were reported as
    reading as the same key as one above them (``yes:`` after ``1:``), which that report
    tells to put in quotes already."""

    data: Any = None
    mended: dict[int, tuple[int, ...]] = field(default_factory=dict)
    same_keys: set[int] = field(default_factory=set)  # character offsets

    def problem(self, message: str, line: int | None = None, column: int | None = None) -> Problem:
        """A problem at 1-based ``line``/``column``; on a mended line, placed and quoted as the
        operator wrote it (each mend ``: `` is one character longer than ``：``)."""
        found = super().problem(message, line, column)
        if line is None or not (colons := self.at_mends(line)) or not found.source_line:
            return found
        written = found.source_line
        for colon in reversed(colons):  # from the right, so that the left ones stay put
            written = written[: colon - 1] + "：" + written[colon + 1 :]
        if column is not None:
            column -= sum(column > colon for colon in colons)
        return replace(found, column=column, source_line=written)

    def at_mends(self, line: int) -> list[int]:
        """The columns of line ``line``'s mended colons in the text as read (each ``: ``
        before one moves it one further right than it was written)."""
        return [colon + i for i, colon in enumerate(self.mended.get(line, ()))]

    @cached_property
    def root(self) -> yaml.Node | None:
        """The node tree, composed only when a mistake must be located (it is slow to build)."""
        loader = SAFE_LOADER(self.text)
        try:
            node: yaml.Node | None = loader.get_single_node()
            return node
        finally:
            loader.dispose()

    def problem_at(self, node: yaml.Node, message: str, near: str | None = None) -> Problem:
        """A problem at a YAML node's start, or where ``near`` is first written inside it (a
        figure on the fourth line of a ``>-`` block)."""
        start, end = node.start_mark.index, node.end_mark.index
        found = _find_folded(self.text[start:end], near) if near else -1
        return self.problem_at_offset(message, start + max(found, 0))

    def node_at(self, loc: Sequence[str | int], *, key: bool = False) -> yaml.Node | None:
        """The node at ``loc`` (a pydantic error location); its key node if ``key``.

        Falls back to the deepest node that exists, so a missing field points at its parent.
        A place inside a value written as an alias (``*name``) is the alias: the value is
        copied there, and a mistake in the copy is the alias's (its parts, at the anchor, are
        another place's: the copied phrasings of ``examples: *gc`` were each blamed on the
        anchored list they repeat, as if repeating themselves).
        """
        node, found = self.root, self.root
        for i, part in enumerate(loc):
            if _at_alias(found):
                break
            node = _child(node, part, key=key and i == len(loc) - 1, text=self.text)
            if node is None:
                break
            found = node
        return found

    def alias_at(self, loc: Sequence[str | int]) -> str | None:
        """The alias (``*name``) the value at ``loc`` is written as, if it is one."""
        node = self.node_at(loc)
        if node is None or not _at_alias(node):
            return None
        found = _ALIAS.match(self.text, node.start_mark.index)
        return found.group() if found else None


def read_yaml(path: Path, problems: list[Problem]) -> YamlFile | None:
    """Safely parse one YAML file; on a mistake that stops parsing, report it and return None.

    A file whose only syntax mistakes are full-width colons after keys is returned as read
    with them mended (:attr:`YamlFile.mended`), the colons still reported: so that the
    mistakes in what it says are found in the same run. So is a file that YAML reads despite
    them (``en： yes`` under ``answer:`` is text to YAML)."""
    source = read_text(path, problems)
    if source is None:
        return None
    document = YamlFile(path, source.text)
    found: list[Problem] = []
    try:
        document.data = construct(document, found)
    except yaml.MarkedYAMLError as exc:
        found = syntax_problems(document, exc)
        problems += found
        return _mended(document, found, problems)
    except yaml.reader.ReaderError as exc:  # a character YAML forbids, such as NUL
        problems.append(control_character_problem(document, exc))
        return None
    except RefusedError as exc:
        problems.append(exc.problem)
        return None
    return _silent_colons_mended(document, found, problems)


def _mended(document: YamlFile, found: list[Problem], problems: list[Problem]) -> YamlFile | None:
    """``document`` read with the full-width colons ``found`` blames mended, when they are all
    it blames and the whole file then reads cleanly: then it reads as surely meant (the
    message says a plain ':' goes there), so its content can be checked. None otherwise: a
    line set aside to read on past it leaves the content unknown."""
    if not all(_is_full_width_colon(problem) for problem in found):
        return None
    read = _mend(document, found)
    try:
        silent: list[Problem] = []
        read.data = construct(read, silent)
    except (yaml.YAMLError, RefusedError):
        return None
    return _silent_colons_mended(read, silent, problems)


def _silent_colons_mended(
    document: YamlFile, found: list[Problem], problems: list[Problem]
) -> YamlFile | None:
    """``document``, read without a syntax error, its silent mistakes ``found`` added to
    ``problems``; read again with the full-width colons among them mended, if there are any
    and it then reads (``en： yes`` and ``zh： 是`` under ``answer:`` then are the mapping
    they were meant to be, so its languages are checked). None when the mend leaves a syntax
    mistake, which is reported too: ``description： Note: see below`` is a key
    ``description： Note`` to YAML, and with a plain ':' its text needs quotes."""
    colons = [problem for problem in found if _is_full_width_colon(problem)]
    if colons:
        read = _mend(document, colons)
        silent: list[Problem] = []
        try:
            read.data = construct(read, silent)
        except yaml.MarkedYAMLError as exc:
            problems += found + [_quoted(read, p) for p in syntax_problems(read, exc)]
            return None
        except (yaml.YAMLError, RefusedError):
            pass  # the file as YAML reads it: its colons are reported all the same
        else:
            document, found = read, colons + silent
    problems += found
    return document


def _quoted(document: YamlFile, problem: Problem) -> Problem:
    """``problem`` on a line with a full-width colon mended, when it is that the key's text
    has a ': ' of its own: what to type then (quotes around it), as YAML's own message
    speaks of indentation. Only for a key that starts its line: inside ``{ }`` a value ends at
    a ',' or '}', and quotes around the rest of the line would not fit."""
    if problem.line is None or not (colons := document.at_mends(problem.line)):
        return problem
    line = document.lines[problem.line - 1]
    key = line[: colons[0] - 1].strip().lstrip("- ")  # "- name： x" is a list item's key
    text = _COMMENT.sub("", line[colons[0] + 1 :]).strip()
    if ": " not in text or text.startswith(("'", '"')) or not _PLAIN_KEY.fullmatch(key):
        return problem
    key, quoted = shorten(key), json.dumps(shorten(text), ensure_ascii=False)
    message = f"the text after '{key}' contains ': ', so it must be in quotes: {key}: {quoted}"
    return replace(problem, message=message)


_PLAIN_KEY = re.compile(r"[^\s\[\]{},]+")  # a key written alone at its line's start
# Starts only where a run of blanks starts, so a long run is read once, not once per blank in
# it (a line of 100,000 spaces took 10 s).
_COMMENT = re.compile(r"(?<![ \t])[ \t]+#.*")


def _is_full_width_colon(problem: Problem) -> bool:
    return problem.message.startswith(FULL_WIDTH_COLON)


def _mend(document: YamlFile, colons: list[Problem]) -> YamlFile:
    """``document`` with each full-width colon ``colons`` blames (at its column as written)
    replaced by ``: ``."""
    text, mended = document.text, dict(document.mended)
    # Last first, so that the offsets of the ones before it still hold.
    for problem in sorted(colons, key=lambda problem: (problem.line, problem.column), reverse=True):
        line, column = problem.line, problem.column
        assert line is not None and column is not None  # see syntax_problem
        before = document.mended.get(line, ())
        offset = document.offset(line - 1, column - 1 + sum(colon < column for colon in before))
        text = text[:offset] + ": " + text[offset + 1 :]
        mended[line] = tuple(sorted((*mended.get(line, ()), column)))
    return YamlFile(document.path, text, mended=mended)


def _is_key(node: yaml.ScalarNode, part: str | int) -> bool:
    """Whether a key node is ``part`` of a pydantic error location: as written, or as YAML
    reads it ("no" is the key False, which the location shows as 0; ``null`` is None, shown
    as 'None'; ``2024-01-01`` a date, shown as its repr)."""
    written = node.value
    if written == str(part):
        return True
    if isinstance(part, int) and part in (0, 1) and written.lower() in _BOOLEANS[bool(part)]:
        return True
    value = scalar_value(node)
    return part == value if isinstance(part, int) else part in (str(value), repr(value))


_BOOLEANS = {True: ("yes", "true", "on", "y"), False: ("no", "false", "off", "n")}


def _child(node: yaml.Node | None, part: str | int, *, key: bool, text: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):  # the last of duplicate keys: its value is kept
        for key_node, value_node in reversed(node.value):
            if isinstance(key_node, yaml.ScalarNode) and _is_key(key_node, part):
                return key_node if key else _as_written(value_node, key_node.end_mark, text)
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        after = node.value[part - 1].end_mark if part else node.start_mark
        return _as_written(node.value[part], after, text)
    return None


def _as_written(node: yaml.Node, after: Any, text: str) -> yaml.Node:
    """``node`` where it is written: after the mark ``after`` (its key's end, the end of the
    item before it, its list's start). In the node tree an alias (``*name``) is the node it
    names, anchored earlier, so a problem with it would point at the anchor: a copy points
    at the alias instead."""
    if node.start_mark.index >= after.index or (star := text.find("*", after.index)) < 0:
        return node
    here = copy.copy(node)
    here.start_mark = yaml.Mark(_AT_ALIAS, star, 0, 0, None, 0)  # problem_at reads its index
    return here


_AT_ALIAS = "*alias"  # the name of the marks _as_written places at an alias
_ALIAS = re.compile(r"\*[^\s,\[\]{}]+")


def _at_alias(node: yaml.Node | None) -> bool:
    """Whether ``node`` is a value placed at the alias it is written as (see _as_written)."""
    return node is not None and node.start_mark.name == _AT_ALIAS


def _find_folded(text: str, near: str) -> int:
    """Where ``near`` is first written in ``text``, or -1: as written, or in NFKC form (a
    figure read as "4.99" written "４.９９"), character by character so that an offset in
    the folded text maps back to the character it came from."""
    if (found := text.find(near)) >= 0:
        return found
    folded, origin = [], []
    for offset, char in enumerate(text):
        same = unicodedata.normalize("NFKC", char)
        folded.append(same)
        origin += [offset] * len(same)
    found = "".join(folded).find(near)
    return origin[found] if found >= 0 else -1
