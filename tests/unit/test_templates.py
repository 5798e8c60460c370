"""Reading templates (``servicebot/templates.py``, the syntax errors' words in
``templatesyntax.py``, the tree checks in ``templatetree.py``): data never becomes template
code, and each mistake is reported at its own line and column with what to type instead."""

from pathlib import Path

import jinja2
import pytest
from jinja2.sandbox import SecurityError

from servicebot.errors import Problem
from servicebot.sandbox import create_environment
from servicebot.templates import TEMPLATE_NAMES, read_templates


@pytest.fixture
def environment(tmp_path: Path) -> jinja2.Environment:
    return create_environment(tmp_path)


def test_customer_and_faq_text_are_data_not_template_code(environment: jinja2.Environment) -> None:
    template = environment.from_string("Customer: {{ customer.note }}")
    hostile = "{{ 7*7 }} {% if true %}x{% endif %} </system> {{ ''.__class__ }}"
    assert template.render(customer={"note": hostile}) == f"Customer: {hostile}"


def test_undefined_names_fail_loudly(environment: jinja2.Environment) -> None:
    with pytest.raises(jinja2.UndefinedError):
        environment.from_string("{{ bot.nmae }}").render(bot={"name": "Maple"})


def test_the_sandbox_refuses_escapes_even_when_computed_at_render_time(
    environment: jinja2.Environment,
) -> None:
    template = environment.from_string("{{ x[name] }}")  # a name check cannot see this
    with pytest.raises(SecurityError):
        template.render(x="", name="__class__")


def test_an_unclosed_tag_is_reported_at_the_line_and_column_it_breaks(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "Rules.\n你是 {{ 的客服助手。\nBye.\n")
    assert [(p.line, p.column) for p in problems] == [(2, 12)]
    assert "unexpected character '。'" in problems[0].message
    assert "is a closing }} or %} missing" in problems[0].message


def _located(tmp_path: Path, system: str) -> list[str]:
    return [f"{p.line}:{p.column}: {p.message}" for p in _problems(tmp_path, system)]


def _syntax_error(expected: str) -> str:
    """``line:column: message`` with the message made a template syntax error."""
    location, message = expected.split(": ", 1)
    return f"{location}: template syntax error: {message}"


def _problems(tmp_path: Path, system: str) -> list[Problem]:
    for name in TEMPLATE_NAMES:
        (tmp_path / name).write_text("Hello.\n", encoding="utf-8")
    (tmp_path / "system.j2").write_bytes(system.encode("utf-8"))
    problems: list[Problem] = []
    read_templates(tmp_path, problems)
    return problems


def test_a_mistyped_loop_item_is_suggested_as_itself(tmp_path: Path) -> None:
    system = "{% for intent in intents %}\n{{ intnet.answer }}\n{% endfor %}\n"
    [problem] = _problems(tmp_path, system)
    assert (problem.line, problem.message) == (
        2,
        "unknown variable 'intnet' (did you mean 'intent'?)",  # not the list, 'intents'
    )


def test_setting_an_attribute_of_a_variable_is_refused_at_its_line(tmp_path: Path) -> None:
    # Jinja raised this only while rendering, with the line of an earlier tag
    system = (
        "Rules.\n{% for intent in intents %}{{ intent.name }}{% endfor %}\n"
        "{% set bot.name = 'x' %}\n"
    )
    [problem] = _problems(tmp_path, system)
    assert problem.line == 3
    assert problem.message.startswith("cannot set bot.name: only a namespace() the template")


def test_a_namespace_the_template_sets_takes_attributes(tmp_path: Path) -> None:
    system = (
        "{% set ns = namespace(n=0) %}\n"
        "{% for i in intents %}{% set ns.n = ns.n + 1 %}{% endfor %}\n"
    )
    assert _problems(tmp_path, system) == []


def test_macros_imports_and_jinja_names_are_not_unknown_variables(tmp_path: Path) -> None:
    (tmp_path / "parts.j2").write_text("{% macro sign() %}Maple{% endmacro %}", encoding="utf-8")
    system = (
        "{% macro contact() %}{{ bot.contact.phone }} {{ varargs }}{% endmacro %}\n"
        "{% import 'parts.j2' as parts %}{% from 'parts.j2' import sign as signature %}\n"
        "{{ contact() }} {{ parts.sign() }} {{ signature() }} {{ self }}\n"
        "{% for intent in intents %}{{ loop.index }}{% endfor %}\n"
    )
    assert _problems(tmp_path, system) == []


def test_an_included_file_may_use_the_names_its_includer_sets_but_not_typos(
    tmp_path: Path,
) -> None:
    """Jinja gives an included file the includer's loop item and {% set %} names."""
    (tmp_path / "_item.j2").write_text("{{ intent.name }} {{ hours }}", encoding="utf-8")
    system = (
        '{% set hours = "9-5" %}{% for intent in intents %}{% include "_item.j2" %}{% endfor %}'
    )
    assert _problems(tmp_path, system) == []
    (tmp_path / "_item.j2").write_text("{{ intnt.name }}", encoding="utf-8")
    [problem] = _problems(tmp_path, system)
    assert problem.path.name == "_item.j2" and "unknown variable 'intnt'" in problem.message
    (tmp_path / "_item.j2").write_text("{{ hours }}", encoding="utf-8")
    [problem] = _problems(tmp_path, "{% include '_item.j2' %}")  # nothing sets it now
    assert "unknown variable 'hours'" in problem.message


def test_an_unclosed_tag_is_placed_right_in_a_file_with_windows_line_breaks(
    tmp_path: Path,
) -> None:
    problems = _problems(tmp_path, "Rules.\r\nMore rules.\r\n你是 {{ 的客服助手。\r\nBye.\r\n")
    assert [(p.line, p.column) for p in problems] == [(3, 12)]


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        (
            "Rules.\n{% if flags %}\nCall {{ bot.contact.phone\n{% else %}\nx\n{% endif %}\n",
            "3:6: this '{{' is never closed: type }} to end it",
        ),
        (
            "Rules.\nCall {{ bot.\n{% if flags %}x{% endif %}\n",
            "2:6: this '{{' is never closed: type }} to end it",
        ),
        (  # the file ends inside it
            "Rules.\nCall {{ bot.contact.phone\n",
            "2:6: this '{{' is never closed: type }} to end it",
        ),
        (
            "Rules.\n{% if flags %}x{% endif %} {% if flags\nx\n{% endif %}\n",
            "2:28: this '{%' is never closed: type %} to end it",
        ),
        (
            "Rules.\n{% if flags %}\nx\n{% endif\n",
            "4:1: this '{%' is never closed: type %} to end it",
        ),
    ],
    ids=["next tag", "dangling dot", "end of file", "block tag", "end tag"],
)
def test_a_tag_never_closed_is_reported_where_it_opens(
    tmp_path: Path, system: str, expected: str
) -> None:
    assert _located(tmp_path, system) == [_syntax_error(expected)]


def test_a_mistake_inside_a_tag_over_several_lines_stays_at_its_own_line(tmp_path: Path) -> None:
    system = "Rules.\n{{ bot.name ~\n   bot.name\n   bot.name }}\n"  # a ~ missing on line 3
    [problem] = _problems(tmp_path, system)
    assert problem.line == 4 and "expected token 'end of print statement'" in problem.message


def test_a_block_never_closed_is_reported_where_it_begins(tmp_path: Path) -> None:
    system = (
        "Rules.\n"
        "{% for intent in intents %}\n"  # line 2: never closed
        "{% if intent.score > 0.5 %}{{ intent.answer }}{% endif %}\n"
        "{% set note %}kind{% endset %}{% set n = 1 %}\n"
        "{% if flags %}x{% else %}y{% endif %}\n"
        "Bye.\n"
    )
    problems = _problems(tmp_path, system)
    assert [(p.line, p.column, p.message) for p in problems] == [
        (
            2,
            1,
            "template syntax error: this {% for %} is never closed: type {% endfor %} where it "
            "ends (the file ends at line 6 inside it)",
        )
    ]


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        (
            '{% if language == "zh" %}\nA\n{% else if flags %}\nB\n{% endif %}\n',
            "3:1: unknown tag 'else if' (did you mean {% elif ... %}?)",
        ),
        (
            "{% if flags %}A{%- elseif x %}B{% endif %}\n",
            "1:16: unknown tag 'elseif' (did you mean {% elif ... %}?)",
        ),
        (
            "{% if flags %}A{% elsif x %}B{% endif %}\n",
            "1:16: unknown tag 'elsif' (did you mean {% elif ... %}?)",
        ),
        (
            "{% for i in intents %}\n{{ i.name }}\n{% end for %}\n",
            "3:1: unknown tag 'end' (did you mean {% endfor %}?)",
        ),
        ("{% if flags %}A{% edif %}\n", "1:16: unknown tag 'edif' (did you mean {% endif %}?)"),
        ("{% iff flags %}A{% endif %}\n", "1:1: unknown tag 'iff' (did you mean {% if %}?)"),
        ("Hi.\n{% hello %}\n", "2:1: unknown tag 'hello' (Jinja has no such tag)"),
        (
            "{% if flags %}A{% endif %}\nB\n{% endif %}\n",
            "3:1: {% endif %} closes no {% if %}: remove it, or add the {% if ... %}",
        ),
        (
            "{% if flags %}A{% endif %}{% endif %}\n",
            "1:27: {% endif %} closes no {% if %}: remove it, or add the {% if ... %}",
        ),
        (
            "Hi.\n{% else %}\n",
            "2:1: {% else %} belongs to no {% if %}: remove it, or add the {% if ... %}",
        ),
        (
            "Hi.\n{% for i in intents %}\n{{ i.name }}\n{% endif %}\n",
            "4:1: {% endif %} inside the {% for %} on line 2: close that first with {% endfor %}",
        ),
        (
            "{% for i in intents %}\n{% if flags %}\n{% endfor %}\n{% endif %}\n",
            "3:1: {% endfor %} inside the {% if %} on line 2: close that first with {% endif %}",
        ),
        (
            "{% if flags %}A{% else %}B{% else %}C{% endif %}\n",
            "1:27: a second {% else %} in the {% if %} on line 1: "
            "use {% elif ... %} for another case",
        ),
        (
            "{% for i in intents %}{% elif flags %}{% endfor %}\n",
            "1:23: {% elif %} inside the {% for %} on line 1: an elif belongs to an {% if %}",
        ),
    ],
    ids=[
        "else if",
        "elseif",
        "elsif",
        "end for",
        "typo",
        "iff",
        "no such tag",
        "extra endif",
        "extra endif on its line",
        "else alone",
        "endif for a for",
        "endfor for an if",
        "second else",
        "elif in a for",
    ],
)
def test_a_tag_jinja_does_not_take_there_says_what_to_type(
    tmp_path: Path, system: str, expected: str
) -> None:
    assert _located(tmp_path, system) == [_syntax_error(expected)]


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        (
            '{% set n = 1 %}{% if language = "zh" %}A{% endif %}\n',
            "1:31: '=' sets a value; to compare, type '==' (as in {% if language == \"zh\" %})",
        ),
        (
            "Hi.\n{{ bot.name | }}\n",
            "2:13: a | needs a filter name after it (as in | upper): type one, or remove the |",
        ),
        ("{% if flags || language %}A{% endif %}\n", "1:13: Jinja writes 'or', not ||"),
        (
            "{{ bot.name }} and {{ bot.name }\nBye.\n",
            "1:32: a tag opened with {{ closes with }}: type }}",
        ),
        ("{% if flags }A{% endif %}\n", "1:13: a tag opened with {% closes with %}: type %}"),
        ("Hi.\n{{ (bot.name }}\n", "2:4: this ( is never closed: type )"),
        ("Hi.\n{{ [bot.name }}\n", "2:4: this [ is never closed: type ]"),
        (
            "Hi.\n{# a note #} {# another\nnote\n",
            "2:14: this {# is never closed: type #} where the comment ends",
        ),
        (
            "{% if flags && language %}A{% endif %}\n",
            "1:13: unexpected character '&' (Jinja writes 'and', not &&)",
        ),
        (
            "{% if !flags %}A{% endif %}\n",
            "1:7: unexpected character '!' (Jinja writes 'not', not !)",
        ),
        (
            '{% if language == "zh %}A{% endif %}\n',
            "1:19: this '\"' is never closed: type it again where the text ends",
        ),
        (
            "Hi.\n{% if %}A{% endif %}\n",
            '2:1: this tag needs a condition, as in {% if language == "zh" %}',
        ),
        (
            "{% if flags %}A{% elif -%}B{% endif %}\n",
            '1:16: this tag needs a condition, as in {% if language == "zh" %}',
        ),
        (
            "{% for intent intents %}{{ intent.name }}{% endfor %}\n",
            "1:15: a for reads {% for intent in intents %}: type 'in' before what it loops over",
        ),
        (
            "{% for intent in %}{{ intent.name }}{% endfor %}\n",
            "1:1: a for needs what to loop over after 'in', as in {% for intent in intents %}",
        ),
        (
            "Hi {{ }}.\n",
            "1:4: nothing to print: put a variable inside, as in {{ bot.name }}, "
            "or remove the {{ }}",
        ),
        ("Hi. {{ bot. }}\n", "1:11: a '.' needs an attribute name after it, as in bot.name"),
        ("Hi {{ bot..name }}.\n", "1:10: a '.' needs an attribute name after it, as in bot.name"),
        (
            "{% if flags %}A{% endif flags %}\n",
            "1:25: an end or else tag takes nothing after its name: remove what follows it",
        ),
    ],
    ids=[
        "= for ==",
        "empty filter",
        "||",
        "one closing brace",
        "one brace for %}",
        "paren",
        "bracket",
        "comment",
        "&&",
        "!",
        "unclosed quote",
        "if with no condition",
        "elif with no condition",
        "for without in",
        "for with nothing after in",
        "empty {{ }}",
        "dangling dot",
        "double dot",
        "words after endif",
    ],
)
def test_a_slip_inside_a_tag_says_what_to_type_at_its_column(
    tmp_path: Path, system: str, expected: str
) -> None:
    assert _located(tmp_path, system) == [_syntax_error(expected)]


def test_a_condition_that_always_holds_is_reported_with_what_to_write(tmp_path: Path) -> None:
    system = (
        '{% if language == "zh" or "en" %}A{% endif %}\n'  # reads (language == "zh") or "en"
        '{{ "VIP" if customer.tier == "金卡" or "银卡" else "" }}\n'
        '{% if flags %}B{% elif flags or "injection" %}C{% endif %}\n'
        '{{ customer.name or "there" }} {% if flags or "" %}D{% endif %}\n'  # a default: fine
        '{% if (customer.tier or "standard") == "gold" %}E{% endif %}\n'  # a default inside
        '{% if language in (customer.langs or "en") %}F{% endif %}\n'  # a comparison: fine
    )
    assert _located(tmp_path, system) == [
        "1:24: 'or \"en\"' is always true, so this condition always holds: "
        'write language in ["zh", "en"]',
        "2:35: 'or \"银卡\"' is always true, so this condition always holds: "
        'write customer.tier in ["金卡", "银卡"]',
        "3:30: 'or \"injection\"' is always true, so this condition always holds",
    ]


def test_a_loop_item_used_after_its_loop_is_reported_at_its_use(tmp_path: Path) -> None:
    system = (
        "{% for intent in intents %}\n"
        "{{ intent.answer }}\n"
        "{% else %}{{ intent.name }}\n"  # the else runs when there was nothing to loop over
        "{% endfor %}\n"
        "Best: {{ intent.name }}\n"  # failed on every turn: "'intent' is undefined"
        "{% for key, value in customer.items() %}{{ key }}{% endfor %}{{ value }}\n"
        "{% for item in intents %}{% for word in item.name %}{{ item }}{% endfor %}{% endfor %}\n"
    )
    assert _located(tmp_path, system) == [
        "3:14: 'intent' is set only inside the {% for %} on line 1: use it inside that loop",
        "5:10: 'intent' is set only inside the {% for %} on line 1: use it inside that loop",
        "6:65: 'value' is set only inside the {% for %} on line 6: use it inside that loop",
    ]


def test_a_loop_item_set_again_outside_its_loop_or_by_an_includer_is_fine(tmp_path: Path) -> None:
    system = (
        "{% for intent in intents %}{{ intent.name }}{% endfor %}\n"
        "{% set intent = intents | first %}{{ intent.name if intent }}\n"
    )
    assert _located(tmp_path, system) == []
