"""Kinds of value as an operator names them ("a number", "a text"), and the TypeErrors
Python words with its type names, in those words and with what to write instead.

Owns :func:`type_failure_message`, which :func:`servicebot.sandbox.failure_message` uses for
a render that failed on a value of the wrong kind: ``{{ count + ' orders' }}``, ``{% if
orders > 3 %}`` with a text for ``orders``, ``{% for i in 3 %}``, ``{{ bot.name() }}``.
"""

from __future__ import annotations

import re

# The types Python names in its TypeErrors, as an operator calls them: a customer detail
# may be any number, a date or a time (datetime.date is Python's name for a date).
_KINDS = dict.fromkeys(("int", "float", "decimal.Decimal", "Fraction"), "a number") | {
    "bool": "a true/false value",
    "str": "a text",
    "list": "a list",
    "tuple": "a list",
    "dict": "a mapping",
    "NoneType": "none",
    "datetime.date": "a date",
    "datetime.datetime": "a date and time",
    "datetime.time": "a time",
}
_TYPE = r"'([\w.]+)'"
_OPERANDS = re.compile(rf"unsupported operand type\(s\) for (\S+).*: {_TYPE} and {_TYPE}")
_JOINED = re.compile(r'can only concatenate ([\w.]+) \(not "([\w.]+)"\) to [\w.]+')
_COMPARED = re.compile(rf"'(\S+)' not supported between instances of {_TYPE} and {_TYPE}")
_NOT_ITERABLE = re.compile(rf"{_TYPE} object is not iterable")
_NOT_CALLABLE = re.compile(rf"{_TYPE} object is not callable")


def type_failure_message(said: str) -> str | None:
    """Python's TypeError ``said`` for a value of the wrong kind ("unsupported operand
    type(s) for +: 'int' and 'str'"), in plain words; None for one of a kind not in
    :data:`_KINDS`, or another TypeError."""
    if found := _OPERANDS.fullmatch(said) or _JOINED.fullmatch(said):
        operator = found[1] if found.re is _OPERANDS else "+"
        kinds = _kinds(*found.groups()[-2:])
        return kinds and _operand_message(operator, *kinds)
    if found := _COMPARED.fullmatch(said):
        kinds = _kinds(found[2], found[3])
        return kinds and _comparison_message(found[1], *kinds)
    if (found := _NOT_ITERABLE.fullmatch(said)) and (kind := _KINDS.get(found[1])):
        count = ", or count with range, as in {% for i in range(count) %}"
        return (
            f"{kind} has no items to loop over (in a {{% for %}}, or a filter such as |join): "
            f"loop over a list instead{count if kind == 'a number' else ''}"
        )
    if (found := _NOT_CALLABLE.fullmatch(said)) and (kind := _KINDS.get(found[1])):
        return (
            f"( ) calls {kind} as if it were a function: a value takes no ( ) after it, as in "
            "{{ bot.name }} rather than {{ bot.name() }}"
        )
    return None


def _kinds(left: str, right: str) -> tuple[str, str] | None:
    """Both types in an operator's words, or None if either is not in :data:`_KINDS`."""
    kinds = _KINDS.get(left), _KINDS.get(right)
    return (kinds[0], kinds[1]) if kinds[0] and kinds[1] else None


def _operand_message(operator: str, left: str, right: str) -> str:
    """``{{ count + ' orders' }}``: what to write to join, or to compute, a number and a text."""
    if {left, right} != {"a number", "a text"}:
        works = "adds two numbers or joins two texts or two lists"
        return f"'{operator}' cannot combine {left} and {right}: it " + (
            works if operator == "+" else "works on two numbers"
        )
    if operator == "+":
        return (
            "'+' adds a number and a text: to join them as text, write ~ instead of + (as in "
            "{{ count ~ ' orders' }}); to add them as numbers, turn the text into a number "
            "with |int or |float (as in {{ orders|int + 1 }})"
        )
    return (
        f"'{operator}' needs two numbers, and one of them is a text: turn it into a number "
        f"with |int or |float, as in {{{{ total|float {operator} 2 }}}}"
    )


def _comparison_message(operator: str, left: str, right: str) -> str:
    """``{% if orders > 3 %}`` with a text for ``orders``: what to write to compare them."""
    if {left, right} != {"a number", "a text"}:
        return (
            f"'{operator}' cannot compare {left} with {right}: it compares two numbers, two "
            "texts or two dates"
        )
    return (
        f"'{operator}' compares a text with a number: turn the text into a number with |int "
        f"or |float first, as in {{% if orders|int {operator} 3 %}}"
    )
