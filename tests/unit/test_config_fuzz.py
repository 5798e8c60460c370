"""Whatever an operator writes, loading ends in a BotSpec or a ConfigError, never a traceback."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicebot import BotSpec, ConfigError, load_bot
from tests.conftest import DATA

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
)
intent_keys = st.sampled_from(
    ["name", "examples", "answer", "few_shot", "direct", "handoff", "description", "exampels"]
)
intent_like = st.dictionaries(intent_keys, values | st.lists(st.text(), max_size=3), max_size=7)
faq_like = st.fixed_dictionaries({"intents": st.lists(intent_like, max_size=4)}) | values
settings_keys = st.sampled_from(["name", "languages", "model", "routing", "store", "budget", "x"])
settings_like = st.dictionaries(settings_keys, values, max_size=5) | values


@pytest.fixture(scope="module")
def bot() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "bot"
        shutil.copytree(DATA / "base", folder)
        yield folder


def _loads_or_explains(bot: Path) -> None:
    try:
        assert isinstance(load_bot(bot), BotSpec)
    except ConfigError as error:
        assert str(error)
        assert all(problem.path.is_relative_to(bot) for problem in error.problems)


# HYPOTHESIS_PROFILE=deep digs further (see tests/conftest.py).
fuzz = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fuzz
@given(data=faq_like)
def test_any_yaml_data_in_a_faq_file(bot: Path, data: Any) -> None:
    (bot / "faq" / "fuzz.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    _loads_or_explains(bot)


@fuzz
@given(data=settings_like)
def test_any_yaml_data_in_the_settings(bot: Path, data: Any) -> None:
    (bot / "servicebot.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    _loads_or_explains(bot)


@fuzz
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_in_a_faq_file_or_template(bot: Path, raw: bytes) -> None:
    (bot / "faq" / "fuzz.yaml").write_bytes(raw)
    (bot / "templates" / "extra.j2").write_bytes(raw)
    _loads_or_explains(bot)


jinja_tokens = st.sampled_from(
    [
        "{{",
        "}}",
        "{%",
        "%}",
        "{#",
        "#}",
        " ",
        "\n",
        "if",
        "endif",
        "for",
        "endfor",
        "in",
        "else",
        "set",
        "=",
        "include",
        "extends",
        "import",
        "from",
        "as",
        "macro",
        "endmacro",
        "call",
        "block",
        "endblock",
        "raw",
        "endraw",
        "intents",
        "bot",
        "customer",
        "loop",
        "x",
        ".",
        "|",
        "length",
        "lenght",
        "__class__",
        "_private",
        "[",
        "]",
        "(",
        ")",
        "'system.j2'",
        "'nope.j2'",
        "1",
        "'",
        '"',
        "~",
        "+",
        "*",
        "is",
        "defined",
        "not",
    ]
)


@fuzz
@given(text=st.lists(jinja_tokens, max_size=25).map("".join))
def test_any_jinja_ish_template(bot: Path, text: str) -> None:
    (bot / "templates" / "extra.j2").write_text(text, "utf-8")
    _loads_or_explains(bot)
