"""A template that fails while rendering says so in the operator's words, at its line
(``servicebot/renderfailure.py`` and ``kinds.py``): what Python words for programmers
("list object has no element 0", "division by zero", a value of the wrong kind) becomes
what to write instead."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from servicebot import ConfigError, load_bot
from servicebot.errors import TemplateError
from servicebot.pipeline import Bot
from servicebot.prompt import Context, Renderer
from tests.unit.botcopies import PREAMBLE, SYSTEM_J2, make_bot


def test_a_system_template_that_needs_top_k_facts_is_refused_at_start_up(tmp_path: Path) -> None:
    # Routing often matches fewer than top_k intents, and the budget may drop some: this
    # template broke those turns with a TemplateError, and passed `check`.
    payload = "{% if intents %}Runner-up: {{ intents[1].name }}{% endif %}"
    with pytest.raises(ConfigError) as raised:
        Bot(load_bot(make_bot(tmp_path, system=PREAMBLE + payload + "\n")))
    assert f"{SYSTEM_J2}:3: template failed while rendering: intents[1]: intents has 1 item" in (
        str(raised.value)
    )


ADDS_A_NUMBER_AND_A_TEXT = (
    "'+' adds a number and a text: to join them as text, write ~ instead of + (as in "
    "{{ count ~ ' orders' }}); to add them as numbers, turn the text into a number with |int "
    "or |float (as in {{ orders|int + 1 }})"
)
# Render-time failures Python words for programmers ("list object has no element 0",
# "division by zero"), in the operator's words with what to write instead.
PLAIN_RENDER_FAILURES = [
    (
        "{{ intents[0].answer }}",
        "intents[0]: intents is empty at this turn (no intent matched), so it has no item 0; "
        "print it only inside {% if intents %}...{% endif %}",
    ),
    (
        "{{ bot.languages[2] }}",
        "bot.languages[2]: bot.languages has 2 items at this turn, so it has no item 2; "
        "print it only inside {% if bot.languages|length > 2 %}...{% endif %}",
    ),
    (
        "{{ bot.languages[-3] }}",
        "bot.languages[-3]: bot.languages has 2 items at this turn, so it has no item -3; "
        "print it only inside {% if bot.languages|length > 2 %}...{% endif %}",
    ),
    (
        "{% set i = 0 %}{{ intents[i] }}",
        "the list is empty at this turn, so it has no item 0; print it only inside an "
        "{% if %} on its length, as in {% if intents|length > 0 %}...{% endif %}",
    ),
    (  # two lists with that index on the line: which one failed is not guessed
        "{{ bot.languages[0] }} {{ intents[0].name }}",
        "the list is empty at this turn, so it has no item 0; print it only inside an "
        "{% if %} on its length, as in {% if intents|length > 0 %}...{% endif %}",
    ),
    (
        "{{ 1/0 }}",
        "division by zero: the number after /, // or % is 0 at this turn (or 0 is raised to "
        "a negative power); divide only when it is not, as in {% if count %}{{ total / count "
        "}}{% endif %}",
    ),
    # A value of the wrong kind: Python said "unsupported operand type(s) for +: 'int' and
    # 'str'", "'<' not supported between instances of 'str' and 'int'", ...
    ("{{ 1 + ' orders' }}", ADDS_A_NUMBER_AND_A_TEXT),
    ("{% set n = 3 %}{{ 'orders: ' + n }}", ADDS_A_NUMBER_AND_A_TEXT),  # "can only concatenate"
    (
        "{{ 10 - '3' }}",
        "'-' needs two numbers, and one of them is a text: turn it into a number with |int or "
        "|float, as in {{ total|float - 2 }}",
    ),
    (
        "{{ bot.languages + 'fr' }}",
        "'+' cannot combine a list and a text: it adds two numbers or joins two texts or two lists",
    ),
    (
        "{% if bot.name < 3 %}x{% endif %}",
        "'<' compares a text with a number: turn the text into a number with |int or |float "
        "first, as in {% if orders|int < 3 %}",
    ),
    (
        "{% for i in 3 %}{{ i }}{% endfor %}",
        "a number has no items to loop over (in a {% for %}, or a filter such as |join): loop "
        "over a list instead, or count with range, as in {% for i in range(count) %}",
    ),
    (
        "{{ bot.name() }}",
        "( ) calls a text as if it were a function: a value takes no ( ) after it, as in "
        "{{ bot.name }} rather than {{ bot.name() }}",
    ),
    # Python said "argument of type 'int' is not iterable", "object of type 'int' has no
    # len()", "str.upper() takes no arguments (2 given)", ...
    (
        "{% if 1 in 3 %}x{% endif %}",
        "'in' looks for a value inside a list, a text or a mapping, and a number has nothing "
        "inside: look inside one of those, as in {% if 'fr' in bot.languages %}; to compare "
        "two numbers, write ==, as in {% if count == 3 %}",
    ),
    (
        "{{ 3|length }}",
        "|length counts the items of a list, a text or a mapping, and a number has none: count "
        "one of those instead; a number is a count already: print it as it is, as in "
        "{{ orders }}",
    ),
    (
        "{{ -bot.name }}",
        "'-' before a value needs a number, and this is a text: turn it into a number with "
        "|int or |float first, as in {{ -(refund|float) }}",
    ),
    (
        "{{ bot.name % 2 }}",  # a text on the left of % is filled in, not divided
        "'%' with a text on its left fills in that text (as in {{ '%s orders' % count }}) "
        "rather than divides it: to take the remainder of a division, turn the text into a "
        "number with |int first, as in {{ orders|int % 2 }}",
    ),
    (
        "{{ bot.name * '2' }}",
        "'*' multiplies two numbers, or repeats a text or a list a whole number of times, and "
        "here it got a text where that whole number goes: to multiply, turn the text into a "
        "number with |int or |float (as in {{ price|float * 2 }}); to repeat, give a whole "
        "number (as in {{ '-' * width|int }})",
    ),
    (
        "{% for i in range('3') %}{{ i }}{% endfor %}",
        "a text is given where a whole number is needed: turn it into one with |int, as in "
        "{% for i in range(count|int) %}",
    ),
    (
        "{{ bot.name.upper(1, 2) }}",
        "upper() takes nothing between its ( ), and was given 2: write upper()",
    ),
    (
        "{{ bot.name.zfill() }}",
        "zfill() takes one value between its ( ), and was given none: write one value between "
        "the ( )",
    ),
    (  # "replace expected at least 2 arguments, got 1"
        "{{ bot.name.replace('a') }}",
        "replace() takes at least 2 values between its ( ), and was given 1: write at least 2 "
        "values between the ( )",
    ),
    # A filter over a list that mixes kinds: the message is about the list, not a + or a <.
    (
        "{{ [3, '10']|sum }}",
        "|sum adds up numbers, and the list holds a text: turn its items into numbers first, "
        "as in {{ prices|map('float')|sum }} (to join texts, write |join)",
    ),
    (
        "{{ [3, '10']|sort|join(', ') }}",
        "|sort compares the list's items, and it holds both texts and numbers: turn them into "
        "numbers first, as in {{ values|map('int')|sort }}",
    ),
    (
        "{{ [3, '10']|max }}",
        "|max compares the list's items, and it holds both texts and numbers: turn them into "
        "numbers first, as in {{ values|map('int')|max }}",
    ),
    # A filter given the wrong values, by its own parameters (Python counted the value
    # before the | too): "do_truncate() takes from 2 to 6 positional arguments but 8 were
    # given", "do_replace() missing 1 required positional argument: 'new'", "do_truncate()
    # got an unexpected keyword argument 'lenght'".
    (
        "{{ bot.name|truncate(1, 2, 3, 4, 5, 6) }}",
        "|truncate takes at most 4 values between its ( ), and was given 6 values: write "
        "|truncate(length=255, killwords=False, end='...', leeway=None)",
    ),
    (  # |slice has an async variant, which Jinja marks as taking the eval context first
        "{{ bot.languages|slice(1, 2, 3)|list }}",
        "|slice takes at most 2 values between its ( ), and was given 3 values: write "
        "|slice(slices, fill_with=None)",
    ),
    (
        "{{ bot.name|upper(1) }}",
        "|upper takes nothing between its ( ), and was given 1 value: write |upper with no ( )",
    ),
    (
        "{{ bot.name|replace('a') }}",
        "|replace needs more values between its ( ): write |replace(old, new, count=None)",
    ),
    (
        "{{ bot.name|truncate(lenght=9) }}",
        "|truncate has no value named 'lenght' (did you mean 'length'?): write "
        "|truncate(length=255, killwords=False, end='...', leeway=None)",
    ),
    # One value of a kind a filter or an operator cannot take:
    (  # "'in <string>' requires string as left operand, not int"
        "{{ 1 in bot.name }}",
        "'in' looks for a text inside a text, and here it looks for a number: turn that into "
        "text with |string first, as in {% if code|string in bot.name %}",
    ),
    (  # "bad operand type for abs(): 'str'"
        "{{ bot.name|abs }}",
        "|abs needs a number, and this is a text: turn it into a number with |int or |float "
        "first, as in {{ refund|float|abs }}",
    ),
    (  # "type str doesn't define __round__ method"
        "{{ bot.name|round }}",
        "|round needs a number, and this is a text: turn it into a number with |float first, "
        "as in {{ price|float|round(2) }}",
    ),
    (  # "%d format: a real number is required, not str"; "%.2f": "must be real number, not str"
        "{{ '%d / %.2f' % (bot.name, 2) }}",
        "a % code in a text ('%d', '%.2f') fills in a number, and was given a text: turn it "
        "into a number with |int or |float first, as in {{ '%.2f'|format(price|float) }}",
    ),
    (
        "{{ '%.2f' % bot.name }}",
        "a % code in a text ('%d', '%.2f') fills in a number, and was given a text: turn it "
        "into a number with |int or |float first, as in {{ '%.2f'|format(price|float) }}",
    ),
    # A method or a filter that could not work with the values it was given, named as the
    # template writes it: Python said "substring not found", "invalid width 0 (must be > 0)".
    (
        "{{ bot.name.index('zz') }}",
        "index(): 'zz' is not in bot.name at this turn, and index() fails when it finds "
        "nothing: write find() instead, which gives -1 then, or look only when it is there, "
        "as in {% if 'zz' in bot.name %}...{% endif %}",
    ),
    (  # "'zz' is not in list"
        "{{ bot.languages.index('zz') }}",
        "index(): 'zz' is not in bot.languages at this turn, and index() fails when it finds "
        "nothing: look only when it is there, as in {% if 'zz' in bot.languages %}...{% endif %}",
    ),
    (
        "{{ bot.name|wordwrap(0) }}",
        "|wordwrap cannot work with 0: give it a number above 0; it is written |wordwrap("
        "width=79, break_long_words=True, wrapstring=None, break_on_hyphens=True)",
    ),
    (  # "empty separator"
        "{{ 'a,b'.split('') }}",
        "split() cannot work with an empty text (''): give it a text that is not empty",
    ),
    (  # said "division by zero: the number after /, // or % is 0", with no / in the template
        "{{ bot.languages|slice(0)|list }}",
        "|slice cannot work with 0: give it a number above 0; it is written |slice(slices, "
        "fill_with=None)",
    ),
    (  # "range() arg 3 must not be zero"
        "{{ range(1, 10, 0)|list }}",
        "range() cannot work with 0: give it a number above 0",
    ),
    (  # any other: "AssertionError: expected length >= 3, got -5"
        "{{ bot.name|truncate(-5) }}",
        "|truncate could not work with the values it was given at this turn: write "
        "|truncate(length=255, killwords=False, end='...', leeway=None)",
    ),
    (  # a macro's own failure is the template's, not a method's
        "{% macro m(x) %}{{ 1 / x }}{% endmacro %}{{ m(0) }}",
        "division by zero: the number after /, // or % is 0 at this turn (or 0 is raised to "
        "a negative power); divide only when it is not, as in {% if count %}{{ total / count "
        "}}{% endif %}",
    ),
    # A text with places to fill that its values do not fill: Python said "Replacement index 1
    # out of range", "KeyError: 'name'", "not enough arguments for format string".
    (
        "{{ '{0} {1}'.format('a') }}",
        "format() fills {0}, {1}, ... (or each {}) with the values between its ( ), in order, "
        "and was given 1 value, fewer than the text has places: give one value for each place",
    ),
    (
        "{{ 'Hi {name}'.format(nam='Ann') }}",
        "format() has no value named 'name' to fill {name} in the text: give it one between "
        "the ( ), as in format(name=...)",
    ),
    (  # "Single '{' encountered in format string"
        "{{ 'a { b'.format(1) }}",
        "format() could not read a { } place in the text: write {} for a value, {:.2f} for a "
        "number with 2 decimals, and {{ or }} for a brace itself",
    ),
    (
        "{{ '%s %s' % ('a',) }}",
        "the text has more % codes (%s, %d, ...) than values to fill them: give one value for "
        "each, in order, as in {{ '%s has %d orders' % (name, count) }}",
    ),
    (
        "{{ '%s and %s'|format(bot.name) }}",
        "the text has more % codes (%s, %d, ...) than values to fill them: give one value for "
        "each, in order, as in {{ '%s has %d orders' % (name, count) }}",
    ),
    (  # "ValueError: incomplete format"
        "{{ '%d%'|format(5) }}",
        "a % in a text filled by % or |format starts a code (%s for a value, %d for a whole "
        "number, %.2f for a number with 2 decimals): write %% for a % sign itself",
    ),
    (  # "KeyError: 'a'"
        "{{ '%(a)s' % {'b': 1} }}",
        "'%' fills %(a)s in the text on its left from the mapping on its right, which has no "
        "key 'a' at this turn: give it one, as in {{ '%(a)s' % {'a': value} }}",
    ),
    (  # "TypeError: format requires a mapping"
        "{{ '%(a)s' % 1 }}",
        "'%' fills %(name)s codes in the text on its left from a mapping on its right, and was "
        "given something else: give a mapping, as in {{ '%(name)s' % {'name': value} }}",
    ),
    (  # was told that '%' takes a remainder: "not all arguments converted ..."
        "{{ bot.name|format(1, 2) }}",
        "|format fills the % codes of the text before it (%s, %d, ...), one value each, and was "
        "given 2 values, more than the text has codes: give one value for each code, in order, "
        "as in {{ '%s has %d orders'|format(name, count) }}",
    ),
    (  # "ValueError: slice step cannot be zero"
        "{{ [1, 2, 3][1:2:0] }}",
        "[1:2:0]: a slice's step (the number after its second :) cannot be 0: write 1 or more "
        "to go forwards, or -1 or less to go backwards, as in {{ items[::2] }}",
    ),
    (  # "TypeError: slice indices must be integers or None or have an __index__ method"
        "{{ bot.name[1:'a'] }}",
        "[1:'a']: a slice's start, end and step ([start:end:step]) are whole numbers, or left "
        "out, and one of them is not at this turn: turn it into one with |int, as in "
        "{{ items[:count|int] }}",
    ),
    (  # "RecursionError: maximum recursion depth exceeded"
        "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
        "the template calls itself without end: a macro that calls itself, or a recursive "
        "loop, needs an {% if %} that stops it",
    ),
    (  # "OverflowError: (34, 'Numerical result out of range')"
        "{{ 10.0 ** 400 }}",
        "a number is too large to compute (as 10.0 ** 400 is): keep the numbers smaller",
    ),
    (  # "OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000)."
        "{% for i in range(200000) %}{% endfor %}",
        "range() gives at most 100,000 numbers in a template, and this asks for more: keep "
        "its end under 100,000",
    ),
]


@pytest.mark.parametrize(("payload", "said"), PLAIN_RENDER_FAILURES)
def test_a_render_failure_says_in_plain_words_what_to_write(
    tmp_path: Path, payload: str, said: str
) -> None:
    spec = load_bot(make_bot(tmp_path, system=PREAMBLE + payload + "\n"))
    renderer = Renderer(spec)
    with pytest.raises(TemplateError) as raised:
        renderer.render("system.j2", Context("en"))
    assert str(raised.value) == (
        f"{spec.root / SYSTEM_J2}:3: template failed while rendering: {said}\n    {payload}"
    )
    words = re.sub(r"\{[{%].*?[}%]\}", "", said)  # outside its examples, none of Python's words
    assert not re.search(r"Error|'(int|str|float|list|dict|NoneType)'|argument", words)


@pytest.mark.parametrize(
    ("payload", "orders", "said"),
    [
        ("{{ customer.orders + ' orders' }}", 3, ADDS_A_NUMBER_AND_A_TEXT),
        (  # `servicebot render --customer orders=5` passes a text
            "{% if customer.orders > 3 %}Loyal.{% endif %}",
            "5",
            "'>' compares a text with a number: turn the text into a number with |int or "
            "|float first, as in {% if orders|int > 3 %}",
        ),
        (
            "{{ customer.orders|length }} orders",
            3,
            "|length counts the items of a list, a text or a mapping, and a number has none: "
            "count one of those instead; a number is a count already: print it as it is, as in "
            "{{ orders }}",
        ),
        (
            "{% for i in range(customer.orders) %}*{% endfor %}",
            "5",
            "a text is given where a whole number is needed: turn it into one with |int, as in "
            "{% for i in range(count|int) %}",
        ),
    ],
)
def test_a_customer_detail_of_the_wrong_kind_says_in_plain_words_what_to_write(
    tmp_path: Path, payload: str, orders: object, said: str
) -> None:
    spec = load_bot(make_bot(tmp_path, system=PREAMBLE + payload + "\n"))
    with pytest.raises(TemplateError) as raised:
        Renderer(spec).render("system.j2", Context("en", customer={"orders": orders}))
    assert str(raised.value) == (
        f"{spec.root / SYSTEM_J2}:3: template failed while rendering: {said}\n    {payload}"
    )
