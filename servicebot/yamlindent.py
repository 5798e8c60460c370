"""Indentation mistakes in a YAML file, at the line an operator has to fix.

PyYAML stops where a mistaken indentation makes a line unreadable, which is often below the
line that was moved: a list item indented unlike the other items of its key
(:func:`misplaced_item`), a key moved back to its parent's place (:func:`dedented_child`),
or a line that ends the block text above it (:func:`after_block_text`). ``yamlsyntax.py``
asks these when its error is one of indentation.
"""

from __future__ import annotations

import re

from .errors import Problem
from .source import SourceFile

COMMENT = re.compile(r"(?:^|(?<=\s))#.*", re.DOTALL)
BLOCK_OPENERS = (">", ">-", ">+", "|", "|-", "|+")
_ITEM_KEY = re.compile(r" *(-) +([A-Za-z_][\w.-]*):(?:\s|$)")  # "  - name: x"


def misplaced_item(document: SourceFile, number: int) -> Problem | None:
    """A list item indented unlike every other item of its key (``- name:``), when it is line
    ``number`` or the item above it, which is the mistake to fix.

    An item one space off the others' ``  - name:`` is reported there, or, when it stays in
    its list (the first item, say), at the line below, whose key is where the others' keys
    are and not where this item's is. The item is blamed only if no other item of its key
    in the file shares its place: a file may indent one intent's ``- user:`` items and not
    another's, and either is sound.
    """
    lines = document.lines
    indent = _indent(lines[number])
    below = None  # the indentation the line below the item has, when that line is the error's
    if (item := _ITEM_KEY.match(lines[number])) is None:
        number = next((n for n in range(number - 1, -1, -1) if lines[n].strip()), -1)
        item = _ITEM_KEY.match(lines[number]) if number >= 0 else None
        if item is None or indent in (item.start(2), *range(item.start(1) + 1)):
            return None
        below = indent
    others = [
        (n, other)
        for n, line in enumerate(lines)
        if n != number and (other := _ITEM_KEY.match(line)) and other[2] == item[2]
    ]
    if any(other.start(1) == item.start(1) for _, other in others):
        return None  # placed as another is: not the odd one out
    like = next((n for n, other in others if below in (None, other.start(2))), None)
    if like is None:
        return None
    message = (
        f"this list item is indented differently from the one on line {like + 1}: "
        "line its '- ' up with that one's"
    )
    return document.problem(message, number + 1, item.start(1) + 1)


def dedented_child(document: SourceFile, number: int) -> Problem | None:
    """The first line under an empty key (``answer:``) indented as that key, when it makes
    line ``number`` unreadable: ``en: >-`` moved back to ``answer:``'s place leaves
    ``answer`` empty, and the ``zh:`` below it, still where ``en:`` was, at no key's
    indentation. PyYAML stops at ``zh:``; the line to fix is ``en:``."""
    lines = document.lines
    indent = _indent(lines[number])
    above = [n for n in range(number - 1, -1, -1) if lines[n].strip()]
    # The key this line's indentation falls under, past the text of any block above it.
    key = next((n for n in above if _indent(lines[n]) < indent), None)
    if key is None:
        return None
    # A key that opens what follows it (``en: >-``, ``zh:``); not one with its value inline.
    opener = COMMENT.sub("", lines[key]).rstrip()
    if not _KEY.match(lines[key]) or not opener.endswith((":", *BLOCK_OPENERS)):
        return None
    parent = next((n for n in above if n < key), None)
    if parent is None or _indent(lines[parent]) != _indent(lines[key]):
        return None
    if not _EMPTY_KEY.match(COMMENT.sub("", lines[parent]).rstrip()):
        return None
    name = _KEY.match(lines[parent])
    message = (
        f"this line is indented as '{name[1] if name else 'the key'}:' on line {parent + 1}, "
        f"which it belongs under, so that key is left empty and line {number + 1} below "
        f"matches no key: indent this line as line {number + 1} is"
    )
    return document.problem(message, key + 1, _indent(lines[key]) + 1)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


_KEY = re.compile(r" *(?:- +)?([A-Za-z_][\w.-]*):(?:\s|$)")  # "  answer:", "  - name: x"
_EMPTY_KEY = re.compile(r" *(?:- +)?[A-Za-z_][\w.-]*:$")  # "    answer:", nothing after it


def after_block_text(lines: list[str], number: int) -> bool:
    """Whether line ``number`` comes right after the text of a block (``answer: |`` and the
    more indented lines under it), indented no further than the block's key."""
    indent = _indent(lines[number])
    above = number - 1
    while above >= 0 and (not lines[above].strip() or _indent(lines[above]) > indent):
        above -= 1
    key = COMMENT.sub("", lines[above]).rstrip() if above >= 0 else ""
    return above < number - 1 and key.endswith(BLOCK_OPENERS)
