"""A method or a filter that failed on the values a template gave it, in the operator's words
rather than Python's: ``{{ bot.name.index('zz') }}`` said "substring not found", ``{{ bot.name
|wordwrap(0) }}`` "invalid width 0 (must be > 0)".

Owns :func:`call_failure_message`, which :func:`servicebot.renderfailure.failure_message`
asks about a failure that it and :mod:`servicebot.kinds` have no words for. The rule is
general: the traceback names the method or the filter the template called, and the values it
was given; the message names it as the template writes it (``index()``, ``|wordwrap``), says
which value it could not work with when one is 0 or an empty text, and what to write. Only
the commonest failures get words of their own: a search that finds nothing, and a text with
places that ``format()`` cannot fill.
"""

from __future__ import annotations

import dataclasses
import re
from types import TracebackType
from typing import Any

from jinja2.filters import FILTERS

from .fillfailure import in_template
from .kinds import counted_values, filter_usage, filter_values


@dataclasses.dataclass(frozen=True)
class _Call:
    """A method or a filter (``is_filter``) a template called: ``owner``: the value a method
    belongs to; ``values``: what it was given between its ( )."""

    name: str
    is_filter: bool
    owner: object
    values: tuple[Any, ...]

    @property
    def written(self) -> str:
        """The call as the template writes it: ``index()``, ``|wordwrap``."""
        return f"|{self.name}" if self.is_filter else f"{self.name}()"


def call_failure_message(exc: Exception, line: str) -> str | None:
    """``exc``, raised inside a method or a filter the template called on ``line``, in plain
    words: which one failed, on which value, and what to write. None if no method or filter
    of the template's raised it (a ``/`` in the template, or a macro's own failure)."""
    if (call := _failed_call(exc.__traceback__)) is None:
        return None
    if call.written == "format()" and isinstance(exc, LookupError | ValueError):
        return _format_message(exc, len(call.values))
    plain = [v for v in call.values if isinstance(v, str | int | float) and not isinstance(v, bool)]
    if (
        isinstance(exc, ValueError)
        and call.name in _SEARCHES
        and plain
        and plain[0] is call.values[0]
    ):
        return _not_found_message(call, line)
    # Only plain values are compared: an undefined value fails when compared.
    edge = next((v for v in plain if v in (0, "")), None)
    if edge is not None and isinstance(exc, ValueError | ZeroDivisionError | AssertionError):
        return _edge_message(call, edge)
    return f"{call.written} could not work with the values it was given at this turn: " + (
        f"write {filter_usage(call.name)}"
        if call.is_filter
        else "check the values between its ( ) and the value before it"
    )


def _failed_call(trace: TracebackType | None) -> _Call | None:
    """The method or filter the template called that raised, if one did: the innermost
    call after the innermost template frame (a macro's own failure is in a template frame;
    ``|slice(0)`` fails inside the ``|list`` after it, which reads what it gives)."""
    found = None
    while trace is not None:
        frame = trace.tb_frame
        module = frame.f_globals.get("__name__")
        if in_template(frame):
            found = None
        elif module == "servicebot.sandbox" and frame.f_code.co_name == "call":
            found = _method_call(frame.f_locals) or found
        elif module == "jinja2.filters":
            found = _filter_call(frame.f_code.co_name, frame.f_locals) or found
        trace = trace.tb_next
    return found


def _method_call(local: dict[str, Any]) -> _Call | None:
    """The call the sandbox made with ``local`` (its ``obj``, ``args`` and ``kwargs``), if it
    called a method of a value (not a macro, whose failure is the template's own)."""
    obj = local.get("obj")
    name = getattr(obj, "__name__", None)
    if name is None or not callable(obj) or getattr(obj, "__module__", "") == "jinja2.runtime":
        return None
    owner = getattr(obj, "__self__", None)
    values = (*local.get("args", ()), *local.get("kwargs", {}).values())
    name = name.removeprefix("safe_")  # the sandbox's range() is safe_range
    return _Call(name, False, owner, values)


def _filter_call(function: str, local: dict[str, Any]) -> _Call | None:
    """The filter whose function (``do_wordwrap``, ``sync_do_join``) ran with ``local``."""
    found = re.fullmatch(r"(?:sync_)?do_(\w+)", function)
    if not found or found[1] not in FILTERS:
        return None
    name = found[1]
    values = tuple(local[v.name] for v in filter_values(name) if v.name in local)
    return _Call(name, True, local.get("value", local.get("s")), values)


# Methods that fail when what they look for is not there, and the one that gives -1 instead.
_SEARCHES = {"index": "find", "rindex": "rfind"}


def _not_found_message(call: _Call, line: str) -> str:
    """``{{ bot.name.index('zz') }}`` with no 'zz' in the name: what it looked for and where,
    as ``line`` writes it, and how to look only when it is there."""
    wanted = call.values[0]
    written = {m[1] for m in re.finditer(rf"({PATH})\.{call.name}\(", line)}
    owner = written.pop() if len(written) == 1 else None
    guard = f"{{% if {wanted!r} in {owner or _kind(call.owner)} %}}...{{% endif %}}"
    instead = ""
    if isinstance(call.owner, str):
        instead = f"write {_SEARCHES[call.name]}() instead, which gives -1 then, or "
    return (
        f"{call.written}: {wanted!r} is not in {owner or 'the ' + _kind(call.owner)} at this "
        f"turn, and {call.written} fails when it finds nothing: {instead}look only when it is "
        f"there, as in {guard}"
    )


def _edge_message(call: _Call, edge: object) -> str:
    """``|wordwrap(0)``, ``'a,b'.split('')``: a count of 0 or an empty text, which leaves a
    method or a filter nothing to work with."""
    given, needs = (
        ("0", "a number above 0")
        if edge == 0
        else ("an empty text ('')", "a text that is not empty")
    )
    message = f"{call.written} cannot work with {given}: give it {needs}"
    return message + (f"; it is written {filter_usage(call.name)}" if call.is_filter else "")


def _format_message(exc: LookupError | ValueError, given: int) -> str:
    """``{{ '{0} {1}'.format('a') }}``: a place in the text that format() has no value for
    (``{1}``, ``{name}``), or cannot read (``{`` alone, ``{:q}``)."""
    if isinstance(exc, KeyError):
        return (
            f"format() has no value named {exc.args[0]!r} to fill {{{exc.args[0]}}} in the text: "
            f"give it one between the ( ), as in format({exc.args[0]}=...)"
        )
    if isinstance(exc, IndexError):
        count = counted_values(given) if given else "none"
        return (
            "format() fills {0}, {1}, ... (or each {}) with the values between its ( ), in "
            f"order, and was given {count}, fewer than the text has places: give one value "
            "for each place"
        )
    return (
        "format() could not read a { } place in the text: write {} for a value, {:.2f} for a "
        "number with 2 decimals, and {{ or }} for a brace itself"
    )


def _kind(value: object) -> str:
    return "text" if isinstance(value, str) else "list"


# customer, customer.address, intents[0]: a variable as the template writes it
PATH = r"[A-Za-z_](?:[\w.]|\[-?\d+\])*"
