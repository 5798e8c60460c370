"""Operator templates stay in the sandbox (``servicebot/sandbox.py``): an escape is refused when
the bot loads or at start-up, at its line; ``{{ }}`` prints text, numbers and variables,
not functions; and one render's work is bounded (runaway loops, powers and repetition,
nesting past Python's limits, too much printed), while work within the bounds renders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from servicebot import ConfigError, load_bot
from servicebot.errors import TemplateError
from servicebot.pipeline import Bot
from tests.unit.botcopies import PREAMBLE, SYSTEM_J2, make_bot

LOAD_TIME_ESCAPES = [
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "'__class__'"),
    ("{{ bot.__class__ }}", "'__class__'"),
    ("{{ bot.contact.__class__ }}", "'__class__'"),
    ("{{ bot['__class__'] }}", "'__class__'"),
    ("{{ (1).__class__ }}", "'__class__'"),
    ("{{ cycler.__init__.__globals__ }}", "unknown variable 'cycler'"),  # not given at all
    ("{{ joiner.__init__ }}", "unknown variable 'joiner'"),
    ("{{ namespace.__init__ }}", "'__init__'"),
    ("{{ lipsum }}", "unknown variable 'lipsum'"),
    ("{{ self._TemplateReference__context }}", "'_TemplateReference__context'"),
    ("{{ range.__self__ }}", "'__self__'"),
    ("{{ request|attr('__class__') }}", "unknown variable 'request'"),
    ("{{ config.items() }}", "unknown variable 'config'"),
]

ATTR_FILTER_ESCAPES = [
    '{{ "x"|attr("__class__") }}',
    '{{ (bot|attr("__dict__")) }}',
    "{{ lipsum|attr('__globals__') }}",
    "{{ cycler|attr('__init__')|attr('__globals__') }}",
]

RENDER_TIME_ESCAPES = [
    '{% set n = "__cla" ~ "ss__" %}{{ bot|attr(n) }}',
    '{% set n = "__cla" ~ "ss__" %}{{ bot[n] }}',
    '{{ "{0.__class__}".format(bot) }}',
    "{{ dict.mro() }}",
    "{{ ''.join }}",  # printed, Python's description of a function would reach a customer
    "{{ self }}",
    "{{ range }}",
    "{{ intents|map(attribute='__class__')|list }}",  # printed [Undefined] in a list
    # The variables last the bot's life: a change would carry over to every later turn.
    "{{ bot.languages.append('fr') }}",
    "{{ customer.update(name='Ada') }}",
    "{% for intent in intents %}{{ intents.pop() }}{% endfor %}",
]


@pytest.mark.parametrize(("payload", "named"), LOAD_TIME_ESCAPES)
def test_a_sandbox_escape_fails_loading_at_its_line(
    tmp_path: Path, payload: str, named: str
) -> None:
    folder = make_bot(tmp_path, system=PREAMBLE + payload + "\n")
    with pytest.raises(ConfigError) as raised:
        load_bot(folder)
    message = str(raised.value)
    assert f"{SYSTEM_J2}:3" in message
    assert named in message
    assert raised.value.line == 3


@pytest.mark.parametrize("payload", ATTR_FILTER_ESCAPES)
def test_an_attr_filter_escape_with_a_constant_name_fails_loading(
    tmp_path: Path, payload: str
) -> None:
    folder = make_bot(tmp_path, system=PREAMBLE + payload + "\n")
    with pytest.raises(ConfigError) as raised:
        load_bot(folder)
    assert f"{SYSTEM_J2}:3" in str(raised.value)


@pytest.mark.parametrize("payload", RENDER_TIME_ESCAPES)
def test_a_computed_sandbox_escape_is_refused_at_start_up_at_its_line(
    tmp_path: Path, payload: str
) -> None:
    spec = load_bot(make_bot(tmp_path, system=PREAMBLE + payload + "\n"))
    with pytest.raises(ConfigError) as raised:
        Bot(spec)  # the start-up check renders every template, as `servicebot check` does
    assert f"{SYSTEM_J2}:3: template failed while rendering" in str(raised.value)
    assert raised.value.line == 3
    assert raised.value.source_line == payload


@pytest.mark.parametrize(
    "payload", ["{{ [range] }}", "{{ {'f': range} }}", "{{ [[bot.name.upper]] }}"]
)
def test_a_function_inside_a_list_is_not_printed(tmp_path: Path, payload: str) -> None:
    spec = load_bot(make_bot(tmp_path, system=PREAMBLE + payload + "\n"))
    with pytest.raises(ConfigError) as raised:
        Bot(spec)  # printed "[<class 'range'>]", or a function's memory address
    assert f"{SYSTEM_J2}:3: template failed while rendering: TypeError: " in str(raised.value)
    assert "prints text, numbers and variables, not a" in str(raised.value)


# Runaway templates: each took minutes, gigabytes, or hours before renders were bounded.
RUNAWAYS = [
    ("{{ 'x' * 100000000 }}", "'*' would make over 100,000 characters or items"),
    ("{{ (intents * 100000000)|length }}", "'*' would make over 100,000 characters or items"),
    ("{{ 10 ** 100000000 }}", "'**' would make a number of over 1,000 bits"),
    ("{{ 2 ** 1000 }}", "'**' would make a number of over 1,000 bits"),  # 1,001 bits
    ("{{ 3 ** (10 ** 300 * 10 ** 300) }}", "'**' would make a number of over 1,000 bits"),
    (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "over 100,000 calls and loop steps in one render",
    ),
    (  # a loop over a list calls nothing while it runs
        "{% set l = [0] * 99999 %}{% for i in l %}{% for j in l %}{% endfor %}{% endfor %}",
        "over 100,000 calls and loop steps in one render",
    ),
    (
        "{% for i in 'x' * 99999 %}{% for j in 'x' * 99999 %}{% endfor %}{% endfor %}",
        "over 100,000 calls and loop steps in one render",
    ),
    (
        "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(40) }}",
        "over 100,000 calls and loop steps in one render",
    ),
    # Each part is within bounds, and the whole prints too much: this gave no line.
    ("{% set x = 'y' * 99999 %}{{ x }}{{ x }}", "the template prints over 100,000 characters"),
    ("{{ 'x' * 99999 }}{{ 'y' * 99999 }}", "the template prints over 100,000 characters"),
]


@pytest.mark.parametrize(("payload", "named"), RUNAWAYS)
def test_a_runaway_template_is_refused_at_start_up_at_its_line(
    tmp_path: Path, payload: str, named: str
) -> None:
    spec = load_bot(make_bot(tmp_path, system=PREAMBLE + payload + "\n"))
    with pytest.raises(ConfigError) as raised:
        Bot(spec)
    assert f"{SYSTEM_J2}:3: template failed while rendering: SecurityError: " in str(raised.value)
    assert named in str(raised.value)
    assert raised.value.line == 3


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ("{% for i in [1] %}" * 21 + "x" + "{% endfor %}" * 21, "nested too deeply to run"),
        ("{% if 1 %}" * 100 + "x" + "{% endif %}" * 100, "nested too deeply to run"),
        ("{{ 1" + " + 1" * 1000 + " }}", "nested too deeply to read"),
    ],
)
def test_a_template_nested_past_pythons_limits_is_a_problem_not_a_traceback(
    tmp_path: Path, payload: str, named: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_bot(make_bot(tmp_path, system=PREAMBLE + payload + "\n"))
    assert f"{SYSTEM_J2}: template is {named}" in str(raised.value)


def test_a_template_that_prints_too_much_is_refused(tmp_path: Path) -> None:
    payload = "{% for i in range(5000) %}{{ '-' * 80 }}{% endfor %}"
    with pytest.raises(ConfigError) as raised:
        Bot(load_bot(make_bot(tmp_path, system=PREAMBLE + payload + "\n")))
    assert (
        f"{SYSTEM_J2}:3: template failed while rendering: "
        "SecurityError: the template prints over 100,000 characters"
    ) in str(raised.value)


def test_a_filter_that_prints_too_much_is_refused_at_its_own_line(tmp_path: Path) -> None:
    payload = "{{ bot.name }}\n{% set x = 'y' %}\n{{ 'x'|center(200000) }}"
    with pytest.raises(ConfigError) as raised:
        Bot(load_bot(make_bot(tmp_path, system=PREAMBLE + payload + "\n")))
    assert str(raised.value).startswith(
        f"{tmp_path / 'bot' / SYSTEM_J2}:5: template failed while rendering: "
        "SecurityError: the template prints over 100,000 characters"
    )  # not line 3, where Jinja's one yield for lines 3 to 5 is


def test_loops_and_repetition_within_the_bounds_render(tmp_path: Path) -> None:
    payload = "{% for i in range(3) %}{{ '=' * 3 }}{{ 2 ** 3 }}{{ [i] * 2 }}{% endfor %}"
    bot = Bot(load_bot(make_bot(tmp_path, system=PREAMBLE + payload + "\n")))
    fitted = bot.prepare("how long does my refund take?").fitted
    assert fitted is not None
    assert "===8[0, 0]===8[1, 1]===8[2, 2]" in fitted.messages[0].content


def test_a_power_of_at_most_1000_bits_renders(tmp_path: Path) -> None:
    payload = "{{ 2 ** 999 % 10 }} {{ (10 ** 301) // 10 ** 300 }}"  # 1,000 and 1,000 bits
    bot = Bot(load_bot(make_bot(tmp_path, system=PREAMBLE + payload + "\n")))
    fitted = bot.prepare("how long does my refund take?").fitted
    assert fitted is not None and "8 10" in fitted.messages[0].content


def test_an_escape_inside_the_facts_loop_is_refused_at_start_up(tmp_path: Path) -> None:
    system = (
        PREAMBLE
        + '{% set n = "__cla" ~ "ss__" %}{% for intent in intents %}\n{{ intent|attr(n) }}\n'
    )
    spec = load_bot(make_bot(tmp_path, system=system + "{% endfor %}\n"))
    with pytest.raises(ConfigError) as raised:
        Bot(spec)  # the check renders the system message with the first intents as facts
    assert f"{SYSTEM_J2}:4: template failed while rendering: SecurityError" in str(raised.value)


def test_an_escape_only_one_intent_reaches_fails_its_turn_at_its_line(tmp_path: Path) -> None:
    system = PREAMBLE + (
        '{% set n = "__cla" ~ "ss__" %}{% for intent in intents %}'
        '{% if intent.name == "refund_status" %}\n{{ intent|attr(n) }}\n{% endif %}'
        "{% endfor %}\n"
    )
    bot = Bot(load_bot(make_bot(tmp_path, system=system)))  # not among the first intents
    with pytest.raises(TemplateError) as raised:
        bot.prepare("how long does my refund take?")
    assert f"{SYSTEM_J2}:4: template failed while rendering: SecurityError" in str(raised.value)


def test_a_bots_templates_are_compiled_once_and_render_from_that_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Checking a template compiles it (Python's limits fail only there); loading it to render
    # compiled it again, 3 ms a template of every start and `servicebot check`.
    from servicebot.prompt import Context, Renderer
    from servicebot.sandbox import _BoundedSandbox

    compiled: list[str | None] = []
    generate = _BoundedSandbox._generate

    def counted(self: _BoundedSandbox, source: Any, name: str | None, *args: Any, **kw: Any) -> str:
        compiled.append(name)
        return generate(self, source, name, *args, **kw)

    monkeypatch.setattr(_BoundedSandbox, "_generate", counted)
    system = "{{ bot.name }} here: {% if bot.name == 'Once' %}once{% endif %}\n"  # its own text
    renderer = Renderer(load_bot(make_bot(tmp_path, system=system)))
    # Each once at most: the others' text may have been compiled by an earlier bot of the
    # process (see the next test), system.j2's is its own.
    assert "system.j2" in compiled and len(compiled) == len(set(compiled))
    assert renderer.system(Context("en", (), False, frozenset())) == "Maple Market support here:"


def test_a_bot_whose_templates_this_process_compiled_does_not_compile_them_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 shops made with `servicebot init`, or a reload: each compiled the same templates
    anew (about 5 ms each). An edited template is compiled, and checked, as ever."""
    import servicebot.sandbox

    compiled: list[str | None] = []
    compile = servicebot.sandbox._BoundedSandbox.compile

    def counting(self: Any, source: Any, name: str | None = None, *args: Any, **kw: Any) -> Any:
        compiled.append(name)
        return compile(self, source, name, *args, **kw)

    monkeypatch.setattr(servicebot.sandbox._BoundedSandbox, "compile", counting)
    load_bot(_copy(tmp_path, "first"))
    compiled.clear()
    Bot.load(_copy(tmp_path, "second"), offline=True).reply("hi", conversation_id="c-1")
    assert compiled == []  # checked, rendered, and not compiled again
    load_bot(_copy(tmp_path, "third", system=f"{PREAMBLE}Answer from the FAQ.\n"))
    assert compiled == ["system.j2"]
    with pytest.raises(ConfigError, match="__class__"):  # and checked as ever
        load_bot(_copy(tmp_path, "fourth", system=f"{PREAMBLE}{{{{ bot.__class__ }}}}\n"))


def _copy(tmp_path: Path, folder: str, system: str | None = None) -> Path:
    (tmp_path / folder).mkdir()
    return make_bot(tmp_path / folder, system=system)
