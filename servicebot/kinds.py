"""Kinds of value as an operator names them ("a number", "a text"), and the TypeErrors
Python words with its type names, in those words and with what to write instead.

Owns :func:`type_failure_message`, which :func:`servicebot.renderfailure.failure_message`
uses for a render that failed on a value of the wrong kind: ``{{ count + ' orders' }}``,
``{% if orders > 3 %}`` with a text for ``orders``, ``{% for i in 3 %}``, ``{{ bot.name()
}}``, ``{{ orders|length }}`` with a number; or on a method or a filter given the wrong
values.
"""

from __future__ import annotations

import inspect
import re

from jinja2.filters import FILTERS

from .validation import closest

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
# "str.upper() takes no arguments (2 given)", "replace expected at least 2 arguments, got 0"
_ARGUMENTS = re.compile(
    r"(?:\w+\.)?(\w+)(?:\(\) takes| expected) ((?:no|exactly one|at least \d+|at most \d+|\d+)"
    r" arguments?)(?: \((\d+) given\)|, got (\d+))"
)
# A Jinja filter given the wrong values, named by its function: "do_truncate() takes from 2 to
# 6 positional arguments but 8 were given", "do_replace() missing 1 required positional
# argument: 'new'", "sync_do_join() got an unexpected keyword argument 'sep'".
_FILTER_CALL = re.compile(
    r"(?:sync_)?do_(\w+)\(\) (?:takes .* but (\d+) (?:was|were) given|missing .*"
    r"|got an unexpected keyword argument '(.*)')"
)
_KIND = r"'(?P<kind>[\w.]+)'"
# TypeErrors about one value, and what to say, formatted with the value's kind (and any
# other named group): what is always said, and what is added when the value is a number.
_ONE_VALUE = {
    rf"{_KIND} object is not iterable": (
        "{kind} has no items to loop over (in a {{% for %}}, or a filter such as |join): loop "
        "over a list instead",
        ", or count with range, as in {{% for i in range(count) %}}",
    ),
    rf"{_KIND} object is not callable": (
        "( ) calls {kind} as if it were a function: a value takes no ( ) after it, as in "
        "{{{{ bot.name }}}} rather than {{{{ bot.name() }}}}",
        "",
    ),
    rf"argument of type {_KIND} is not iterable": (
        "'in' looks for a value inside a list, a text or a mapping, and {kind} has nothing "
        "inside: look inside one of those, as in {{% if 'fr' in bot.languages %}}",
        "; to compare two numbers, write ==, as in {{% if count == 3 %}}",
    ),
    rf"object of type {_KIND} has no len\(\)": (
        "|length counts the items of a list, a text or a mapping, and {kind} has none: count "
        "one of those instead",
        "; a number is a count already: print it as it is, as in {{{{ orders }}}}",
    ),
    rf"bad operand type for unary (?P<sign>[-+]): {_KIND}": (
        "'{sign}' before a value needs a number, and this is {kind}: turn it into a number "
        "with |int or |float first, as in {{{{ {sign}(refund|float) }}}}",
        "",
    ),
    rf"can't multiply sequence by non-int of type {_KIND}": (
        "'*' multiplies two numbers, or repeats a text or a list a whole number of times, and "
        "here it got {kind} where that whole number goes: to multiply, turn the text into a "
        "number with |int or |float (as in {{{{ price|float * 2 }}}}); to repeat, give a whole "
        "number (as in {{{{ '-' * width|int }}}})",
        "",
    ),
    rf"{_KIND} object cannot be interpreted as an integer": (
        "{kind} is given where a whole number is needed: turn it into one with |int, as in "
        "{{% for i in range(count|int) %}}",
        "",
    ),
    r"'in <string>' requires string as left operand, not (?P<kind>[\w.]+)": (
        "'in' looks for a text inside a text, and here it looks for {kind}: turn that into "
        "text with |string first, as in {{% if code|string in bot.name %}}",
        "",
    ),
    rf"bad operand type for abs\(\): {_KIND}": (
        "|abs needs a number, and this is {kind}: turn it into a number with |int or |float "
        "first, as in {{{{ refund|float|abs }}}}",
        "",
    ),
    r"type (?P<kind>[\w.]+) doesn't define __round__ method": (
        "|round needs a number, and this is {kind}: turn it into a number with |float first, "
        "as in {{{{ price|float|round(2) }}}}",
        "",
    ),
    r"(?:%\w format: an? [\w ]+ is required|must be real number), not (?P<kind>[\w.]+)": (
        "a % code in a text ('%d', '%.2f') fills in a number, and was given {kind}: turn it "
        "into a number with |int or |float first, as in {{{{ '%.2f'|format(price|float) }}}}",
        "",
    ),
    # '%s %s' % ('a',), '%s %s'|format('a'): more %s than values
    r"not enough arguments for format string": (
        "the text has more % codes (%s, %d, ...) than values to fill them: give one value for "
        "each, in order, as in {{{{ '%s has %d orders' % (name, count) }}}}",
        "",
    ),
    # 'a' % 3, or orders % 2 with a text for orders: % fills in a text's %s
    r"not all arguments converted during string formatting": (
        "'%' with a text on its left fills in that text (as in {{{{ '%s orders' % count }}}}) "
        "rather than divides it: to take the remainder of a division, turn the text into a "
        "number with |int first, as in {{{{ orders|int % 2 }}}}",
        "",
    ),
}
_ONE_VALUE_PATTERNS = [(re.compile(said), say) for said, say in _ONE_VALUE.items()]


def type_failure_message(said: str, within: str | None = None) -> str | None:
    """Python's TypeError ``said`` for a value of the wrong kind ("unsupported operand
    type(s) for +: 'int' and 'str'"), in plain words; None for one of a kind not in
    :data:`_KINDS`, or another TypeError. ``within``: the filter (``sum``, ``sort``) that
    added or compared the items of a list, if it was one, rather than a ``+`` or a ``<``."""
    if found := _OPERANDS.fullmatch(said) or _JOINED.fullmatch(said) or _COMPARED.fullmatch(said):
        if not (kinds := _kinds(*found.groups()[-2:])):
            return None
        if within:
            return _filter_message(within, *kinds)
        if found.re is _COMPARED:
            return _comparison_message(found[1], *kinds)
        return _operand_message(found[1] if found.re is _OPERANDS else "+", *kinds)
    if found := _ARGUMENTS.fullmatch(said):
        return _arguments_message(found[1], found[2], int(found[3] or found[4]))
    if (found := _FILTER_CALL.fullmatch(said)) and found[1] in FILTERS:
        return _filter_call_message(found[1], found[2], found[3])
    return _one_value_message(said)


def _one_value_message(said: str) -> str | None:
    """``said`` about one value of the wrong kind, by :data:`_ONE_VALUE`."""
    for pattern, (always, for_a_number) in _ONE_VALUE_PATTERNS:
        if found := pattern.fullmatch(said):
            groups = found.groupdict()
            kind = _KINDS.get(groups.pop("kind", None) or "", "")
            if "kind" in pattern.groupindex and not kind:
                return None  # a type an operator has no word for
            message = always + for_a_number * (kind == "a number")
            return message.format(kind=kind, **groups)
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


def _filter_message(name: str, left: str, right: str) -> str:
    """``{{ prices|sum }}`` or ``{{ tags|sort }}`` over a list that mixes kinds of value:
    the list's items, not two values the template wrote, are what to change."""
    if name == "sum":  # left: the total so far, a number; right: the item it failed on
        write = "turn its items into numbers first, as in {{ prices|map('float')|sum }}"
        write += " (to join texts, write |join)"
        if right != "a text":
            write = "sum a list of numbers only"
        return f"|sum adds up numbers, and the list holds {right}: {write}"
    if {left, right} == {"a number", "a text"}:
        return (
            f"|{name} compares the list's items, and it holds both texts and numbers: turn "
            f"them into numbers first, as in {{{{ values|map('int')|{name} }}}}"
        )
    return (
        f"|{name} compares the list's items, and {left} does not compare with {right}: it "
        "compares numbers, texts or dates, all of one kind"
    )


def _arguments_message(name: str, takes: str, given: int) -> str:
    """``{{ bot.name.upper(1, 2) }}``: how many values ``name`` takes between its ( )."""
    takes = takes.replace("argument", "value").replace("exactly one", "one")
    takes = "nothing" if takes == "no values" else takes
    write = f"{name}()" if takes == "nothing" else f"{takes} between the ( )"
    return f"{name}() takes {takes} between its ( ), and was given {given or 'none'}: write {write}"


def _filter_call_message(name: str, given: str | None, named: str | None) -> str:
    """``{{ bot.name|truncate(1, 2, 3, 4, 5, 6) }}``, ``{{ text|replace('a') }}``: the values
    filter ``name`` takes between its ( ), as it is written in a template; ``given``: how
    many it was given, if too many; ``named``: a value it has no name for, if one. Python
    counts the value before the | (and the environment Jinja passes some filters) among them."""
    values = filter_values(name)
    write = f"write {filter_usage(name)}" if values else f"write |{name} with no ( )"
    if given:
        takes = f"at most {counted_values(len(values))}" if values else "nothing"
        passed = len(inspect.signature(FILTERS[name]).parameters) - len(values)
        given_values = counted_values(int(given) - passed)
        return f"|{name} takes {takes} between its ( ), and was given {given_values}: {write}"
    if named is None:  # missing a value
        return f"|{name} needs more values between its ( ): {write}"
    meant = closest(named, [value.name for value in values])
    return f"|{name} has no value named '{named}'" + (
        f" (did you mean '{meant}'?): {write}" if meant else f": {write}"
    )


def filter_values(name: str) -> list[inspect.Parameter]:
    """The values Jinja's filter ``name`` takes between its ( ): Python counts the value
    before the | (and the environment Jinja passes some filters) among its parameters. A
    filter with an async variant (|slice, |join) is marked as passed one whether or not its
    own function takes it: its own function says."""
    function = inspect.unwrap(FILTERS[name])  # the async variant's own function
    passed = 2 if getattr(function, "jinja_pass_arg", None) else 1
    return list(inspect.signature(function).parameters.values())[passed:]


def filter_usage(name: str) -> str:
    """Filter ``name`` as a template writes it with all its values: ``|wordwrap(width=79,
    ...)``."""
    values = filter_values(name)
    usage = ", ".join(v.name if v.default is v.empty else f"{v.name}={v.default!r}" for v in values)
    return f"|{name}({usage})"


def counted_values(count: int) -> str:
    """``count`` values in words: "1 value", "3 values"."""
    return f"{count} value{'s' * (count != 1)}"
