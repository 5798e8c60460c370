"""The YAML syntax mistakes after the first, which PyYAML never reaches.

PyYAML stops at a file's first syntax error. Owns reading on past it (:func:`syntax_problems`):
the line blamed is blanked, or a full-width colon mended, and the rest read again from an
outline of the lines it is nested in, so that an operator fixes every mistake in one go. Each
mistake is worded by :func:`~servicebot.yamlsyntax.syntax_problem`.
"""

from __future__ import annotations

import re

import yaml

from .errors import Problem
from .source import SourceFile
from .yamlsyntax import FULL_WIDTH_COLON, SAFE_LOADER, syntax_problem


def syntax_problems(document: SourceFile, first: yaml.MarkedYAMLError) -> list[Problem]:
    """The file's first syntax mistake, and the ones after it, so that an operator fixes them
    in one go. PyYAML stops at the first: each line blamed is blanked and the file read again,
    while that line holds nothing below it (a key's block, a quote's next lines), since then
    what follows reads as it would once the line is fixed (a full-width colon is mended
    instead, as its key's block is below it). At most ``_MOST_SYNTAX`` are listed, each on a
    later line than the one before."""
    problems = [syntax_problem(document, first)]
    if not isinstance(first, yaml.scanner.ScannerError | yaml.parser.ParserError):
        return problems  # a key that is a list, an alias to no anchor: the file parses
    lines = document.lines.copy()
    parents = _parents(lines)
    while len(problems) < _MOST_SYNTAX and (blamed := problems[-1].line):
        if problems[-1].message.startswith(FULL_WIDTH_COLON):
            lines[blamed - 1] = lines[blamed - 1].replace("：", ": ", 1)
        elif _holds_nothing(lines, blamed - 1):
            lines[blamed - 1] = ""
        else:
            break
        if (outline := _from(lines, blamed - 1, parents)) is None:
            break
        rest = SourceFile(document.path, "\n".join(outline))
        try:
            for _ in yaml.parse(rest.text, Loader=SAFE_LOADER):
                pass
        except yaml.MarkedYAMLError as exc:
            problem = syntax_problem(rest, exc)
            if problem.line is None or problem.line <= blamed:
                break
            problems.append(problem)
        else:
            break
    return problems


_MOST_SYNTAX = 20
_OPENS = re.compile(r"[\[{][^\]}]*$")  # a [ or { that its line leaves open


def _holds_nothing(lines: list[str], number: int) -> bool:
    """Whether no line after ``lines[number]`` is indented under it (blank lines and comments
    aside): a key's block, a list item's keys, a quoted text's next lines."""
    below = (line for line in lines[number + 1 :] if _holds_yaml(line))
    after = next(below, None)
    return after is None or _indent(after) <= _indent(lines[number])


def _from(lines: list[str], number: int, parents: list[int]) -> list[str] | None:
    """``lines`` from ``number`` on, after only the lines above that its first line of YAML is
    nested in (its keys and list items: see :func:`_parents`), the rest left blank: YAML reads
    on from there as it would in the whole file, at the same line numbers, without reading
    all of it again. (The lines any later line is nested in are among those.) None when one
    of those opens a ``[`` or ``{`` that a later line closes."""
    kept = [""] * number + lines[number:]
    first = next((n for n in range(number, len(lines)) if _holds_yaml(lines[n])), None)
    above = parents[first] if first is not None else -1
    while above >= 0:
        if _OPENS.search(lines[above]):  # a [ or { closed on a later line: not kept whole
            return None
        kept[above], above = lines[above], parents[above]
    return kept


def _parents(lines: list[str]) -> list[int]:
    """For each line of YAML, the nearest line above it that is less indented (-1 if none);
    for other lines, -1."""
    parents = [-1] * len(lines)
    open_lines: list[tuple[float, int]] = []  # (indent, line): indents rising
    for number, line in enumerate(lines):
        if not _holds_yaml(line):
            continue
        indent = _indent(line)
        while open_lines and open_lines[-1][0] >= indent:
            open_lines.pop()
        parents[number] = open_lines[-1][1] if open_lines else -1
        open_lines.append((indent, number))
    return parents


def _holds_yaml(line: str) -> bool:
    """Whether a line has more than spaces or a comment."""
    return bool(line.strip()) and not line.lstrip().startswith("#")


def _indent(line: str) -> float:
    """How far a line is indented, a tab counted as far as most editors show it; a list item
    half a space further, as it is nested in a key at its own indentation (``examples:``
    over ``- when are you open``, as many write lists)."""
    line = line.expandtabs()
    item = line.lstrip()[:2] in ("- ", "-")
    return len(line) - len(line.lstrip()) + (0.5 if item else 0)
