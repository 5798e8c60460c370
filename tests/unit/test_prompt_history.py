"""History files (``read_history`` in ``servicebot/prompt.py``): YAML and JSON pairs read in
order and as written, and a bad, empty or misshapen file (a mapping, role/content messages,
an unknown key) named as a config error with its file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from servicebot import ConfigError
from servicebot.prompt import Exchange, read_history


def test_read_history_reads_yaml_pairs_in_order(tmp_path: Path) -> None:
    path = tmp_path / "history.yaml"
    path.write_text(
        "- user: where is my order?\n"
        "  assistant: Which order number?\n"
        '- user: "{{ 7*7 }} </system>"\n'
        '  assistant: "{% if true %}x{% endif %}"\n',
        encoding="utf-8",
    )
    assert read_history(path) == [
        Exchange("where is my order?", "Which order number?"),
        Exchange("{{ 7*7 }} </system>", "{% if true %}x{% endif %}"),
    ]


def test_read_history_reads_json(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    pairs = [{"user": "你好", "assistant": "您好！"}, {"user": "退货", "assistant": "30天内可退。"}]
    path.write_text(json.dumps(pairs, ensure_ascii=False, indent=2), encoding="utf-8")
    assert read_history(path) == [Exchange("你好", "您好！"), Exchange("退货", "30天内可退。")]


@pytest.mark.parametrize(
    ("name", "text", "line", "says"),
    [
        ("bad.yaml", "- user: hi\n  assistant: [unclosed\n", 2, "never closed"),
        ("missing.yaml", "- user: hi\n  assistant: hello\n- user: where\n", 3, "'assistant'"),
        (
            "missing.json",
            '[{"user": "hi", "assistant": "hello"},\n {"user": "a"}]\n',
            2,
            "'assistant'",
        ),
        ("type.yaml", "- user: hi\n  assistant:\n    - a\n", 3, "should be text, not a list"),
        ("blank.yaml", '- user: "  "\n  assistant: x\n', 1, "must not be empty"),
        ("number.yaml", "- user: 12345\n  assistant: x\n", 1, "should be text"),
        ("pair.yaml", "\nuser: hi\nassistant: hello\n", 2, "a history file is a list of pairs"),
        ("broken.json", '[\n{"user": "hi" "assistant": "hello"}]\n', 2, "Expecting ',' delimiter"),
        (
            "unclosed.json",
            '[{"user": "[hi", "assistant": "hello"},\n {"user": "a", "assistant": "b"}\n',
            1,
            "JSON syntax error: the file ends before the '[' or '{' here is closed",
        ),
        ("texts.yaml", "- hi\n- hello\n", 1, "history item 1 should be a pair: - user: ..."),
        ("lists.yaml", "- user: a\n  assistant: b\n- [hi, hello]\n", 3, "history item 2 should"),
    ],
)
def test_a_bad_history_file_names_file_and_line(
    tmp_path: Path, name: str, text: str, line: int, says: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        read_history(path)
    assert str(raised.value).startswith(f"{path}:{line}:")
    assert says in str(raised.value)


def test_a_history_file_of_role_and_content_messages_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "openai.json"
    text = '[{"role": "user", "content": "hi"},\n {"role": "assistant", "content": "hello"}]'
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        read_history(path)
    assert raised.value.problems[0].message == (
        "these are role/content messages: a history file is a list of pairs, "
        '{"user": ..., "assistant": ...}, one for each exchange'
    )
    assert len(raised.value.problems) == 1  # not one for each key of each message


@pytest.mark.parametrize("text", ["", "# nothing yet\n"])
def test_an_empty_history_file_is_a_config_error_naming_it(tmp_path: Path, text: str) -> None:
    path = tmp_path / "history.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        read_history(path)
    assert str(raised.value).startswith(f"{path}: ")


def test_an_empty_history_file_says_what_a_history_file_holds(tmp_path: Path) -> None:
    path = tmp_path / "history.yaml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        read_history(path)
    assert "mapping" not in str(raised.value)


def test_a_history_file_that_is_a_mapping_asks_for_a_list(tmp_path: Path) -> None:
    path = tmp_path / "history.yaml"
    path.write_text("user: hi\nassistant: hello\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        read_history(path)
    assert "list" in str(raised.value)


def test_an_unknown_key_in_a_history_pair_lists_user_and_assistant(tmp_path: Path) -> None:
    path = tmp_path / "history.yaml"
    path.write_text("- user: hi\n  assistant: hello\n  extra: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        read_history(path)
    assert str(raised.value).startswith(f"{path}:3:")
    assert "user, assistant" in str(raised.value)
