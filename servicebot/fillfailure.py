"""A text filled by ``%`` or ``|format`` that failed, in the operator's words rather than
Python's: ``{{ '%(a)s' % {'b': 1} }}`` said "KeyError: 'a'", ``{{ '%(a)s' % 1 }}`` "format
requires a mapping", and ``{{ bot.name|format(1, 2) }}`` was told that ``%`` takes a
remainder, which that template never asked for.

Owns :func:`fill_failure_message`, which :func:`servicebot.renderfailure.failure_message`
asks first. The rule is callfailure's: the message names what failed as the template writes
it (``'%'``, ``|format``), the value it could not work with, and what to write. ``|format``
is ``%`` inside Jinja's ``do_format``, so the traceback tells the two apart: a failure of
``%`` itself is raised in the template's own frame (:func:`last_frame`, which
renderfailure reads too).
"""

from __future__ import annotations

import re
import sys
from types import FrameType
from typing import Any

from .kinds import counted_values

# Python's words for a % in a text that starts no code it knows: '%q', a % at the end.
_PERCENT_CODE = re.compile(r"unsupported format character .*|incomplete format")
_NEEDS_MAPPING = "format requires a mapping"
_TOO_MANY = "not all arguments converted during string formatting"


def fill_failure_message(exc: Exception) -> str | None:
    """``exc``, raised while ``%`` or ``|format`` filled a text, in plain words; None for
    any other failure (and for the ones ``kinds.py`` words already, such as a ``%d`` given a
    text, or a ``%`` meant as a remainder)."""
    if isinstance(exc, ValueError) and _PERCENT_CODE.fullmatch(str(exc)):
        return (  # '%q' % 1, '100%'|format(1): a % that starts no code Python knows
            "a % in a text filled by % or |format starts a code (%s for a value, %d for a whole "
            "number, %.2f for a number with 2 decimals): write %% for a % sign itself"
        )
    frame = last_frame(exc)
    format_values = _format_values(frame)
    if isinstance(exc, KeyError) and (format_values is not None or in_template(frame)):
        return _no_key_message(str(exc.args[0]), format_values is not None)
    if isinstance(exc, TypeError) and str(exc) == _NEEDS_MAPPING:
        return _needs_mapping_message(format_values is not None)
    if isinstance(exc, TypeError) and str(exc) == _TOO_MANY and format_values is not None:
        given = counted_values(len(format_values))
        return (
            "|format fills the % codes of the text before it (%s, %d, ...), one value each, "
            f"and was given {given}, more than the text has codes: give one value for each "
            "code, in order, as in {{ '%s has %d orders'|format(name, count) }}"
        )
    return None


def _no_key_message(key: str, in_format: bool) -> str:
    """``{{ '%(a)s' % {'b': 1} }}``: a ``%(a)s`` code with no value of that name."""
    if in_format:
        return (
            f"|format fills %({key})s in the text from the values named between its ( ), and "
            f"none is named '{key}' at this turn: name one, as in |format({key}=value)"
        )
    return (
        f"'%' fills %({key})s in the text on its left from the mapping on its right, which has "
        f"no key '{key}' at this turn: give it one, as in {{{{ '%({key})s' % {{'{key}': value}} "
        "}}"
    )


def _needs_mapping_message(in_format: bool) -> str:
    """``{{ '%(a)s' % 1 }}``: ``%(name)s`` codes filled from values that have no names."""
    if in_format:
        return (
            "|format fills %(name)s codes in the text from values named between its ( ), and "
            "was given values without names: name each, as in |format(name=value)"
        )
    return (
        "'%' fills %(name)s codes in the text on its left from a mapping on its right, and "
        "was given something else: give a mapping, as in {{ '%(name)s' % {'name': value} }}"
    )


def _format_values(frame: FrameType | None) -> tuple[Any, ...] | dict[str, Any] | None:
    """The values ``|format`` was given, if ``frame``, where the failure was raised, is
    Jinja's ``do_format`` (whose ``%`` is the last line that ran); else None."""
    module = frame.f_globals.get("__name__") if frame else None
    if frame is None or (module, frame.f_code.co_name) != ("jinja2.filters", "do_format"):
        return None
    values: tuple[Any, ...] | dict[str, Any] = frame.f_locals.get("kwargs") or ()
    return values or frame.f_locals.get("args", ())


def in_template(frame: FrameType | None) -> bool:
    """Whether ``frame`` (of a failure's traceback) is a template's own code: Jinja names
    its frames after the template, never after an imported module. callfailure reads it too."""
    return frame is not None and frame.f_globals.get("__name__") not in sys.modules


def last_frame(exc: Exception) -> FrameType | None:
    """The frame ``exc`` was raised in: the innermost of its traceback."""
    last = exc.__traceback__
    while last is not None and last.tb_next is not None:
        last = last.tb_next
    return last.tb_frame if last is not None else None
