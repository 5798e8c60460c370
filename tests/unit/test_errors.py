from pathlib import Path

import pytest

from servicebot import ConfigError, Problem, ServicebotError


def test_problem_renders_location_source_line_and_caret() -> None:
    problem = Problem(Path("faq/a.yaml"), "unknown key 'exampels'", 3, 5, "    exampels:")
    assert str(problem) == "faq/a.yaml:3:5: unknown key 'exampels'\n        exampels:\n        ^"


def test_problem_without_column_has_no_caret_and_without_line_is_just_the_path() -> None:
    assert str(Problem(Path("t.j2"), "bad", 2, None, "{% if %}")) == "t.j2:2: bad\n    {% if %}"
    assert str(Problem(Path("faq"), "no intents")) == "faq: no intents"


def test_tabs_in_the_source_line_keep_the_caret_under_the_column() -> None:
    rendered = str(Problem(Path("a.yaml"), "tab", 1, 3, "\t\tx: 1"))
    assert rendered.splitlines()[1:] == ["      x: 1", "      ^"]


def test_config_error_lists_every_problem_and_exposes_the_first() -> None:
    error = ConfigError(
        [Problem(Path("a.yaml"), "first", 1, 2, "x: 1"), Problem(Path("b.yaml"), "second")]
    )
    assert isinstance(error, ServicebotError)
    assert (error.path, error.line, error.column, error.source_line) == (
        Path("a.yaml"),
        1,
        2,
        "x: 1",
    )
    assert str(error).splitlines()[-1] == "b.yaml: second"
    assert len(error.problems) == 2


def test_config_error_needs_a_problem() -> None:
    with pytest.raises(ValueError):
        ConfigError([])
