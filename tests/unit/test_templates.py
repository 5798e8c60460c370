"""The template environment: sandboxed, strict, and data never becomes template code."""

from pathlib import Path

import jinja2
import pytest
from jinja2.sandbox import SecurityError

from servicebot.templates import create_environment


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
