"""Values that are not there (``servicebot/sandbox.py``'s strict undefined values, their
failures worded by ``renderfailure.py``): a setting left unset is never printed as None, a
missing customer detail says which and what there is, an unguarded optional value is
refused at start-up at its line (a typo is named, not advised to be guarded), and a guarded
one renders with and without it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from servicebot import ConfigError, load_bot
from servicebot.errors import TemplateError
from servicebot.pipeline import Bot
from servicebot.prompt import Context, Renderer
from tests.unit.botcopies import PREAMBLE, SYSTEM_J2, make_bot

NO_WEBSITE = [("  website: https://maple.example.com\n", "")]


# Every way a template makes text of a value: each printed "See None." with no website set
# (or, read as an empty list, nothing).
PRINTING_AN_UNSET_SETTING = [
    "See {{ bot.contact.website }}.",
    "{{ 'See ' ~ bot.contact.website }}.",
    "See {{ bot.contact.website|string }}.",
    "See {{ [bot.contact.website, bot.contact.email]|join(' or ') }}.",
    "{{ 'See %s.'|format(bot.contact.website) }}",
    "{{ 'See {}.'.format(bot.contact.website) }}",
    "See {{ [bot.contact.website] }}.",
    "See https://maple.example.com/?next={{ bot.contact.website|urlencode }}.",  # printed "="
    "See {{ bot.contact.website|length }}.",  # printed "See 0."
]


@pytest.mark.parametrize("payload", PRINTING_AN_UNSET_SETTING)
def test_a_setting_left_unset_is_never_printed_as_none(tmp_path: Path, payload: str) -> None:
    spec = load_bot(make_bot(tmp_path, system=PREAMBLE + payload + "\n", settings=NO_WEBSITE))
    with pytest.raises(ConfigError) as raised:
        Bot(spec)  # "See None." would reach the model, and a canned reply the customer
    assert str(raised.value).startswith(
        f"{spec.root / SYSTEM_J2}:3: template failed while rendering: UndefinedError: "
        "bot.contact.website is not set in servicebot.yaml"
    )


@pytest.mark.parametrize(
    ("payload", "said"),
    [
        (
            "{% for i in range(bot.contact.website) %}*{% endfor %}",
            "UndefinedError: bot.contact.website is not set in servicebot.yaml",
        ),
        (  # said "'_StrictEvenInLists' object cannot be interpreted as an integer"
            "{% for i in range(customer.orders) %}*{% endfor %}",
            "customer.orders is not there at this turn (customer is empty: the application "
            "passed no customer details); print it only inside {% if customer.orders is "
            "defined %}...{% endif %}",
        ),
        (
            "{{ bot.name.zfill(customer.width) }}",
            "customer.width is not there at this turn (customer is empty: the application "
            "passed no customer details); print it only inside {% if customer.width is "
            "defined %}...{% endif %}",
        ),
    ],
)
def test_a_value_not_there_used_as_a_whole_number_says_which(
    tmp_path: Path, payload: str, said: str
) -> None:
    spec = load_bot(make_bot(tmp_path, system=PREAMBLE + payload + "\n", settings=NO_WEBSITE))
    with pytest.raises(ConfigError) as raised:
        Bot(spec)
    assert str(raised.value).startswith(
        f"{spec.root / SYSTEM_J2}:3: template failed while rendering: {said}"
    )


@pytest.mark.parametrize(
    "guarded",
    [
        "{% if bot.contact.website %}See {{ bot.contact.website }}.{% endif %}",
        "{% if bot.contact.website is not none %}See {{ bot.contact.website }}.{% endif %}",
        "{% if bot.contact.website is defined %}See {{ bot.contact.website }}.{% endif %}",
        "{{ ('See ' ~ bot.contact.website) if bot.contact.website }}",
        "Ask us{{ ' at ' ~ bot.contact.website if bot.contact.website else '' }}.",
    ],
)
def test_a_setting_printed_only_when_set_renders(tmp_path: Path, guarded: str) -> None:
    system = PREAMBLE + guarded + "\n"
    bot = Bot(load_bot(make_bot(tmp_path, system=system, settings=NO_WEBSITE)))
    fitted = bot.prepare("how long does my refund take?").fitted
    assert fitted is not None and fitted.messages[0].content.startswith("You are Maple")
    assert "See" not in fitted.messages[0].content
    assert "None" not in fitted.messages[0].content


def test_an_unset_setting_takes_its_default_and_is_null_in_json(tmp_path: Path) -> None:
    system = PREAMBLE + (
        "Visit {{ bot.contact.website|default('our shop') }}.\n{{ bot.contact|tojson }}\n"
    )
    bot = Bot(load_bot(make_bot(tmp_path, system=system, settings=NO_WEBSITE)))
    fitted = bot.prepare("how long does my refund take?").fitted
    assert fitted is not None
    assert "Visit our shop.\n" in fitted.messages[0].content
    assert '"website": null' in fitted.messages[0].content


@pytest.mark.parametrize(
    ("payload", "customer", "said"),
    [
        (  # said "'dict object' has no attribute 'tier' (guard optional values with ...)"
            "{{ customer.tier }}",
            {},
            "customer.tier is not there at this turn (customer is empty: the application "
            "passed no customer details); print it only inside {% if customer.tier is defined "
            "%}...{% endif %}",
        ),
        (
            "{{ customer['tier'] }}",
            {"name": "Ada", "since": 2019},
            "customer.tier is not there at this turn (customer has: name, since); print it "
            "only inside {% if customer.tier is defined %}...{% endif %}",
        ),
        (  # said "'dict object' has no attribute 'city'"
            "{% if customer %}{{ customer.address.city }}{% endif %}",
            {"address": {"town": "Leeds", "street": "1 Kirk St"}},
            "customer.address.city is not there at this turn (customer.address has: town, "
            "street); print it only inside {% if customer.address.city is defined %}...{% "
            "endif %}",
        ),
        (  # a typo is not told to guard it, which would hide it for good
            "{{ customer.nmae }}",
            {"name": "Ada"} | {f"k{i}": i for i in range(9)},
            "customer.nmae is not there (did you mean customer.name? customer has: name, k0, "
            "k1, k2, k3, k4, k5, k6, ...)",
        ),
        (  # a key that is no name is written as the template writes it, in the guard too
            "{{ customer['first name'] }}",
            {"name": "Ada"},
            "customer['first name'] is not there at this turn (customer has: name); print it "
            "only inside {% if customer['first name'] is defined %}...{% endif %}",
        ),
        (  # the mapping is not written on the line: it is "the mapping"
            "{% for o in customer.orders %}{{ o|attr('total') }}{% endfor %}",
            {"orders": [{"id": 7}]},
            "no key 'total' at this turn (the mapping has: id); guard optional values with "
            "`is defined`",
        ),
    ],
)
def test_a_missing_customer_detail_says_which_and_what_there_is(
    tmp_path: Path, payload: str, customer: dict[str, object], said: str
) -> None:
    spec = load_bot(make_bot(tmp_path, system=PREAMBLE + payload + "\n"))
    with pytest.raises(TemplateError) as raised:
        Renderer(spec).render("system.j2", Context("en", customer=customer))
    assert str(raised.value) == (
        f"{spec.root / SYSTEM_J2}:3: template failed while rendering: {said}\n    {payload}"
    )


def test_an_item_guarded_in_the_template_renders(tmp_path: Path) -> None:
    payload = "{% if intents %}{{ intents[0].name }}{% endif %}{{ intents[0]|default('none') }}"
    spec = load_bot(make_bot(tmp_path, system=PREAMBLE + payload + "\n"))
    assert Renderer(spec).render("system.j2", Context("en")).endswith("Be brief.\nnone")


def test_an_unguarded_optional_value_is_refused_at_start_up_at_its_line(tmp_path: Path) -> None:
    spec = load_bot(make_bot(tmp_path, system=PREAMBLE + "Customer: {{ customer.name }}\n"))
    with pytest.raises(ConfigError) as raised:
        Bot(spec)
    message = str(raised.value)
    assert f"{SYSTEM_J2}:3: template failed while rendering: customer.name is not there" in message
    assert "{% if customer.name is defined %}" in message
    assert "Customer: {{ customer.name }}" in message


def test_an_undefined_value_that_no_guard_mends_gets_no_advice_to_guard_it(
    tmp_path: Path,
) -> None:
    spec = load_bot(make_bot(tmp_path, system=PREAMBLE + "Item {{ loop.index }}\n"))
    with pytest.raises(ConfigError) as raised:
        Bot(spec)  # outside any loop: `is defined` would hide the mistake, not mend it
    assert str(raised.value).splitlines()[0].endswith("UndefinedError: 'loop' is undefined")


def test_a_method_a_value_lacks_gets_no_advice_to_guard_it(tmp_path: Path) -> None:
    spec = load_bot(make_bot(tmp_path, system=PREAMBLE + "{{ language.uppercase() }}\n"))
    with pytest.raises(ConfigError) as raised:
        Bot(spec)  # `is defined` would hide the typo for upper(), not mend it
    assert (
        str(raised.value)
        .splitlines()[0]
        .endswith(
            "UndefinedError: 'str object' has no attribute 'uppercase' (did you mean 'upper'?)"
        )
    )


@pytest.mark.parametrize(
    ("template", "meant"),
    [
        (
            "{% macro fact(i) %}{{ i.answr }}{% endmacro %}{% for x in intents %}"
            "{{ fact(x) }}{% endfor %}\n",
            "answer",
        ),
        ("{% for x in intents|reverse %}{{ x.scroe }}{% endfor %}\n", "score"),
        ("{% for x in intents %}{{ loop.idx }}{% endfor %}\n", "index"),
    ],
)
def test_a_misspelt_attribute_only_rendering_finds_is_named_not_advised_to_be_guarded(
    tmp_path: Path, template: str, meant: str
) -> None:
    spec = load_bot(make_bot(tmp_path, system=PREAMBLE + template))
    with pytest.raises(ConfigError) as raised:
        Bot(spec)  # `is defined` would hide the answer for good, not mend the typo
    first = str(raised.value).splitlines()[0]
    assert f"{SYSTEM_J2}:3: template failed while rendering: " in first
    assert re.search(rf"\(did you mean '{meant}'\?\)$|did you mean \w\.{meant}\? ", first)
    assert "is defined" not in str(raised.value)


def test_a_guarded_optional_value_renders_with_and_without_it(tmp_path: Path) -> None:
    system = (
        PREAMBLE + "{% if customer.name is defined %}Customer: {{ customer.name }}{% endif %}\n"
    )
    bot = Bot(load_bot(make_bot(tmp_path, system=system)))
    without = bot.prepare("where is my order")
    named = bot.prepare("where is my order", customer={"name": "Ada"})
    assert without.fitted is not None and named.fitted is not None
    assert "Customer:" not in without.fitted.messages[0].content
    assert "Customer: Ada" in named.fitted.messages[0].content


def test_a_variable_set_inside_an_if_block_is_not_unknown(tmp_path: Path) -> None:
    system = PREAMBLE + '{% if language == "en" %}{% set hello = "Hi" %}{{ hello }}{% endif %}\n'
    spec = load_bot(make_bot(tmp_path, system=system))
    assert Renderer(spec).system(Context("en")).endswith("Hi")


def test_other_script_printed_unguarded_is_refused_at_its_line(tmp_path: Path) -> None:
    # It is set only for a message in a writing system none of the bot's languages uses.
    bot = make_bot(tmp_path, system=PREAMBLE + "Reply in {{ other_script }}.\n")
    with pytest.raises(ConfigError, match=r"system\.j2:3: .*other_script is set only for a"):
        Bot(load_bot(bot))
    guarded = "Reply in {{ other_script if other_script else 'English' }}.\n"
    (bot / SYSTEM_J2).write_text(PREAMBLE + guarded, encoding="utf-8")
    fitted = Bot(load_bot(bot)).prepare("ส่งของกี่วัน").fitted
    assert fitted is not None
    assert "Reply in Thai." in fitted.messages[0].content
