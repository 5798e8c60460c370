"""Render failures in the operator's words rather than Python's or Jinja's, with what to write
instead, at the template line they happened on.

Owns :func:`failure_message`, which :class:`~servicebot.prompt.Renderer` calls for every
render that failed, and the words of the undefined values' own failures that it reads back
(:func:`no_item`, :func:`no_key`): Jinja makes an UndefinedError from its message alone, so
what the message needs (a list's length, a mapping's keys) travels in its words, and the
template line names the list or mapping as the operator wrote it; so does a slice that
failed (``[1:2:0]``). TypeErrors are :mod:`servicebot.kinds`'s; a method or a filter that
could not work with the values it was given is :mod:`servicebot.callfailure`'s, and a text
that ``%`` or ``|format`` could not fill :mod:`servicebot.fillfailure`'s.
"""

from __future__ import annotations

import re

import jinja2
from jinja2.sandbox import MAX_RANGE

from .callfailure import PATH, call_failure_message
from .fillfailure import fill_failure_message, last_frame
from .kinds import type_failure_message
from .validation import closest


def no_key(name: str, keys: list[str]) -> str:
    """Jinja's "'dict object' has no attribute 'tier'", with the keys the mapping has at this
    turn: read back by :func:`failure_message`, which names the mapping as the template
    writes it (``customer.tier``)."""
    meant = closest(name, keys)
    shown = ", ".join(keys[:_KEYS_SHOWN]) + ", ..." * (len(keys) > _KEYS_SHOWN)
    has = f"has: {shown}" if keys else "is empty"
    return f"no key '{name}' at this turn ({f'did you mean {meant!r}? ' if meant else ''}it {has})"


_KEYS_SHOWN = 8  # a mapping's keys named in a missing key's message, at most


def no_item(size: int, index: int) -> str:
    """Jinja's "list object has no element 0", with the list's length at this turn: read
    back by :func:`failure_message`, which names the list as the template writes it."""
    return f"the list {_holds(size)} at this turn, so it has no item {index}"


def _holds(size: int) -> str:
    return "is empty" if size == 0 else f"has {size} item{'s' * (size != 1)}"


# no_item's and no_key's words, read back: Jinja makes the UndefinedError from the message
# alone, so the list's length and the index, or the key and the mapping's keys, travel in it.
_NO_ITEM = re.compile(
    r"the list (?:is empty|has (\d+) items?) at this turn, so it has no item (-?\d+)"
)
_NO_KEY = re.compile(
    r"no key '(.*)' at this turn \((?:did you mean '(.*)'\? )?it (.*)\)", re.DOTALL
)


def failure_message(exc: Exception, line: str) -> str | None:
    """A render failure that Python words for programmers, in the operator's words and with
    what to write instead; ``line``: the template line it failed on. None for the others."""
    if said := fill_failure_message(exc) or _slice_message(exc, line):
        return said
    if isinstance(exc, _CALL_FAILURES) and (said := call_failure_message(exc, line)):
        return said
    if isinstance(exc, ZeroDivisionError):
        return (
            "division by zero: the number after /, // or % is 0 at this turn (or 0 is raised "
            "to a negative power); divide only when it is not, as in {% if count %}"
            "{{ total / count }}{% endif %}"
        )
    if isinstance(exc, RecursionError):
        return (
            "the template calls itself without end: a macro that calls itself, or a recursive "
            "loop, needs an {% if %} that stops it"
        )
    if isinstance(exc, OverflowError) and str(exc).startswith("Range too big"):
        return (  # the sandbox's bound, not a number beyond Python's reach
            f"range() gives at most {MAX_RANGE:,} numbers in a template, and this asks for "
            f"more: keep its end under {MAX_RANGE:,}"
        )
    if isinstance(exc, OverflowError):
        return "a number is too large to compute (as 10.0 ** 400 is): keep the numbers smaller"
    if isinstance(exc, jinja2.UndefinedError) and (found := _NO_ITEM.fullmatch(str(exc))):
        return _no_item_message(int(found[1] or 0), int(found[2]), line)
    if isinstance(exc, jinja2.UndefinedError) and (found := _NO_KEY.fullmatch(str(exc))):
        return _no_key_message(found[1], found[2], found[3], line)
    if isinstance(exc, TypeError):
        said = type_failure_message(str(exc), _failed_filter(exc))
        return said or call_failure_message(exc, line)
    return None


# What a method or a filter raises when it cannot work with the values a template gave it
# (IndexError and KeyError are LookupErrors; |truncate asserts its length). A TypeError too,
# but kinds' words for it come first: see the end of failure_message.
_CALL_FAILURES = (ValueError, LookupError, ZeroDivisionError, AssertionError)


# Jinja's filters that add up or compare a list's items, by their function's name: a
# TypeError raised right in one is about the list's items, not a + or a < in the template.
# These are Jinja's private names (jinja2.filters' sync_do_sum, do_sort, and _min_or_max with
# its local `func`), which a Jinja release may rename; the message then falls back to one
# about a + or a <. test_a_render_failure_says_in_plain_words_what_to_write in
# tests/unit/test_render_failures.py fails if so, in its |sum, |sort and |max cases.
_LIST_FILTERS = {"sync_do_sum": "sum", "do_sort": "sort"}


def _failed_filter(exc: Exception) -> str | None:
    """The filter of :data:`_LIST_FILTERS` (or min or max) that ``exc`` was raised in."""
    last = last_frame(exc)
    if last is None or last.f_globals.get("__name__") != "jinja2.filters":
        return None
    if (name := last.f_code.co_name) == "_min_or_max":  # min or max, as it was given
        return getattr(last.f_locals.get("func"), "__name__", None)
    return _LIST_FILTERS.get(name)


def _slice_message(exc: Exception, line: str) -> str | None:
    """``{{ items[1:2:0] }}``, ``{{ bot.name[1:'a'] }}``: a slice whose step is 0, or whose
    start, end or step is no whole number; named as ``line`` writes it when it has one."""
    if str(exc) == "slice step cannot be zero":
        said = (
            "a slice's step (the number after its second :) cannot be 0: write 1 or more to "
            "go forwards, or -1 or less to go backwards, as in {{ items[::2] }}"
        )
    elif str(exc).startswith("slice indices must be integers or None"):
        said = (
            "a slice's start, end and step ([start:end:step]) are whole numbers, or left out, "
            "and one of them is not at this turn: turn it into one with |int, as in "
            "{{ items[:count|int] }}"
        )
    else:
        return None
    written = set(_SLICE.findall(line))
    return f"{written.pop()}: {said}" if len(written) == 1 else said


# [1:2:0], [:count]: a slice as the template writes it (an index holds no ':')
_SLICE = re.compile(r"\[[^\[\]{}]*:[^\[\]{}]*\]")


def _no_item_message(size: int, index: int, line: str) -> str:
    """``{{ intents[0] }}`` when no intent matched, naming the list as ``line`` writes it; a
    list indexed by a variable (``intents[i]``) is "the list"."""
    needed = index if index >= 0 else -index - 1  # items[-2] needs more than 1 item
    written = {m[1] for m in _SUBSCRIPT.finditer(line) if int(m[2]) == index}
    if len(written) != 1:  # none, or several lists with that index: which one failed is unknown
        return (
            f"{no_item(size, index)}; print it only inside an {{% if %}} on its length, as in "
            f"{{% if intents|length > {needed} %}}...{{% endif %}}"
        )
    (name,) = written
    why = " (no intent matched)" if name == "intents" and size == 0 else ""
    guard = name if size == 0 else f"{name}|length > {needed}"
    return (
        f"{name}[{index}]: {name} {_holds(size)} at this turn{why}, so it has no item "
        f"{index}; print it only inside {{% if {guard} %}}...{{% endif %}}"
    )


def _no_key_message(name: str, meant: str | None, has: str, line: str) -> str:
    """``{{ customer.tier }}`` when the application passed no such detail, naming the mapping
    as ``line`` writes it; ``meant``: a key close to ``name``, if any; ``has``: the mapping's
    keys (or "is empty"). A typo is not told to guard with ``is defined``, which would hide
    it for good."""
    key = re.escape(name)
    written = {m[1] for m in re.finditer(rf"({PATH})(?:\.{key}\b|\[\s*(['\"]){key}\2\s*\])", line)}
    if len(written) != 1:  # none, or several mappings with that key: which one failed is unknown
        guess = f"did you mean '{meant}'? " if meant else ""
        guard = "" if meant else "; guard optional values with `is defined`"
        return f"no key '{name}' at this turn ({guess}the mapping {has}){guard}"
    (owner,) = written
    if owner == "customer" and has == "is empty":
        has = "is empty: the application passed no customer details"
    if meant:
        guess = _item(owner, meant)
        return f"{_item(owner, name)} is not there (did you mean {guess}? {owner} {has})"
    return (
        f"{_item(owner, name)} is not there at this turn ({owner} {has}); print it only "
        f"inside {{% if {_item(owner, name)} is defined %}}...{{% endif %}}"
    )


def _item(owner: str, key: str) -> str:
    """The item ``key`` of ``owner`` as a template writes it: ``customer.tier``, or
    ``customer['first name']`` for a key that is no name."""
    return f"{owner}.{key}" if key.isidentifier() else f"{owner}[{key!r}]"


# intents[0], bot.languages[1]: a name then an index, as the template writes it
_SUBSCRIPT = re.compile(r"([A-Za-z_][\w.]*)\[\s*(-?\d+)\s*\]")
