"""Labelled files (``servicebot/evaluation/files.py``): CSV, TSV, JSON Lines and JSON read with
their label column's aliases and out-of-scope labels, and malformed rows (an open quote, a
full-width mark, an unquoted comma) named with their file and line. Files that cannot be
read at all are test_evaluation_unreadable.py's."""

from __future__ import annotations

from pathlib import Path

import pytest

from servicebot import ConfigError
from servicebot.errors import Problem
from servicebot.evaluation.files import OUT_OF_SCOPE, Labelled, read_labelled, read_rows
from tests.unit.labelledfiles import problem, write


@pytest.mark.parametrize("column", ["intent", "category", "label", "Intent", " LABEL "])
def test_csv_label_column_aliases(tmp_path: Path, column: str) -> None:
    path = write(tmp_path, "a.csv", f"Text,{column}\nwhere is my order,order_status\n")
    assert read_labelled(path) == [Labelled("where is my order", "order_status", 2)]


@pytest.mark.parametrize("column", ["utterance", "query", "Message"])
def test_csv_text_column_aliases(tmp_path: Path, column: str) -> None:
    path = write(tmp_path, "a.csv", f"{column},intent\nwhere is my order,order_status\n")
    assert read_labelled(path) == [Labelled("where is my order", "order_status", 2)]


def test_bitexts_header_is_read_and_says_which_label_column(tmp_path: Path) -> None:
    # flags,utterance,category,intent was refused: "needs a 'text' column". Its category is
    # the coarse ORDER, its intent cancel_order: the first of intent, category, label is read.
    text = "flags,utterance,category,intent\nB,i want to cancel my order,ORDER,cancel_order\n"
    path = write(tmp_path, "bitext.csv", text)
    warnings: list[Problem] = []
    rows, problems = read_rows(path, warnings)
    assert (rows, problems) == ([Labelled("i want to cancel my order", "cancel_order", 2)], [])
    assert [str(warning) for warning in warnings] == [
        f"{path}:1: the label is read from the 'intent' column, not from 'category'\n"
        "    flags,utterance,category,intent"
    ]
    both = write(tmp_path, "b.csv", "text,message,label,category\nhi,hello,greeting,chat\n")
    warnings = []
    assert read_labelled(both, warnings) == [Labelled("hi", "chat", 2)]
    assert [warning.message for warning in warnings] == [
        "the text is read from the 'text' column, not from 'message'",
        "the label is read from the 'category' column, not from 'label'",
    ]


def test_json_keys_aliases_and_which_is_read_said_once(tmp_path: Path) -> None:
    lines = [
        '{"utterance": "cancel it", "category": "ORDER", "intent": "cancel_order"}',
        '{"query": "where is it", "category": "ORDER", "intent": "order_status"}',
    ]
    warnings: list[Problem] = []
    rows = read_labelled(write(tmp_path, "a.jsonl", "\n".join(lines)), warnings)
    assert [(row.text, row.intent) for row in rows] == [
        ("cancel it", "cancel_order"),
        ("where is it", "order_status"),
    ]
    assert [(w.line, w.message) for w in warnings] == [
        (1, "the label is read from the 'intent' key, not from 'category'")
    ]


def test_csv_columns_in_any_order_with_extra_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "id,label,text\n1,refund,money back\n")
    assert read_labelled(path) == [Labelled("money back", "refund", 2)]


def test_a_previous_column_is_read_with_each_row(tmp_path: Path) -> None:
    # The customer's previous message, which a short follow-up is routed with.
    csv = "previous,text,intent,kind\nDo you ship to Canada?,and to Germany?,shipping,value\n"
    csv += ",where is my order,order_status,new\n"
    rows = read_labelled(write(tmp_path, "a.csv", csv))
    assert [row.previous for row in rows] == ["Do you ship to Canada?", None]  # empty: none
    jsonl = '{"text": "and to Germany?", "intent": "shipping", "previous": "ship to Canada?"}\n'
    jsonl += '{"text": "where is my order", "intent": "order_status", "previous": null}\n'
    rows = read_labelled(write(tmp_path, "a.jsonl", jsonl))
    assert [row.previous for row in rows] == ["ship to Canada?", None]
    wrong = write(tmp_path, "b.jsonl", '{"text": "and to Germany?", "intent": "a", "previous": 3}')
    assert problem(wrong) == (
        f"{wrong}:1: the previous message must be a string (or empty)\n"
        '    {"text": "and to Germany?", "intent": "a", "previous": 3}'
    )


@pytest.mark.parametrize("separator", [";", "\t"])
def test_csv_separated_by_semicolons_or_tabs(tmp_path: Path, separator: str) -> None:
    # Excel writes ';' where a comma is the decimal mark; a TSV may be saved as .csv.
    text = f'text{separator}intent\n"hi, there";greeting\nwhere is my order{separator}orders\n'
    text = text.replace(";", separator)
    assert [(row.text, row.intent) for row in read_labelled(write(tmp_path, "a.csv", text))] == [
        ("hi, there", "greeting"),
        ("where is my order", "orders"),
    ]


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("a.tsv", "text\tintent\nhi, there\tgreeting\n", 2),
        ("a.csv", "sep=;\ntext;intent\nhi, there;greeting\n", 3),  # Excel's line naming it
        ("a.csv", '"sep=,"\ntext,intent\n"hi, there",greeting\n', 3),
    ],
)
def test_tsv_files_and_excels_separator_line(
    tmp_path: Path, name: str, text: str, line: int
) -> None:
    rows = read_labelled(write(tmp_path, name, text))
    assert [(row.text, row.intent, row.line) for row in rows] == [("hi, there", "greeting", line)]


@pytest.mark.parametrize("label", ["oos", "OOS", "none", "None", " out of scope "])
def test_other_datasets_labels_for_no_intent_mean_out_of_scope(tmp_path: Path, label: str) -> None:
    path = write(tmp_path, "a.csv", f"text,intent\nwhat's the weather,{label}\n")
    assert read_labelled(path) == [Labelled("what's the weather", OUT_OF_SCOPE, 2)]


def test_csv_rows_keep_their_line_across_quoted_line_breaks(tmp_path: Path) -> None:
    text = 'text,intent\n"two\nlines",a\n\nthird,b\r\nfourth,\n'
    rows = read_labelled(write(tmp_path, "a.csv", text))
    assert [(row.text, row.intent, row.line) for row in rows] == [
        ("two\nlines", "a", 2),
        ("third", "b", 5),
        ("fourth", OUT_OF_SCOPE, 6),
    ]


@pytest.mark.parametrize(
    ("after", "opened"),
    [
        ("\nwhere is my order,order_status\n", '"hello there,greeting'),
        ("\nwhere is my order,order_status\n", 'hello,"greeting'),
        # One line of one column at the end: it said "the row has 1 of the header's 2 columns".
        ("\n", '"hello there,greeting'),
        ("", '"hello there,greeting'),
    ],
)
def test_a_quote_never_closed_is_named_where_it_opens(
    tmp_path: Path, after: str, opened: str
) -> None:
    # Python's csv module reads the rest of the file into the open text, silently.
    text = f"text,intent\nhi,greeting\n{opened}{after}"
    assert problem(write(tmp_path, "a.csv", text)) == (
        f'{tmp_path / "a.csv"}:3: a double quote (") opened on this line is never closed, so '
        'the rest of the file is read as its text: close it, or write a quote as ""\n'
        f"    {opened}"
    )


def test_a_quote_closed_only_by_a_later_rows_quote_is_named_where_it_opens(
    tmp_path: Path,
) -> None:
    # The rows in between were read, silently, as one text labelled as line 4.
    text = 'text,intent\n"hello there,greeting\nthanks,thanks\n"bye",goodbye\nok,thanks\n'
    assert problem(write(tmp_path, "a.csv", text)) == (
        f'{tmp_path / "a.csv"}:2: a double quote (") opened on this line is not closed on it, '
        "so the lines up to the next quote, on line 4, are read as its text: close it, or "
        'write a quote as ""\n    "hello there,greeting'
    )


def test_a_stray_character_after_a_quote_on_the_last_line_is_no_open_quote(
    tmp_path: Path,
) -> None:
    text = 'text,intent\nhi,greeting\n"hello"x,greeting'
    rows = read_labelled(write(tmp_path, "a.csv", text))
    assert [(row.text, row.line) for row in rows] == [("hi", 2), ("hellox", 3)]


def test_a_space_after_a_quoted_text_over_several_lines_is_no_open_quote(
    tmp_path: Path,
) -> None:
    # Called "a quote not closed on this line" once, though it was closed on purpose.
    text = 'text,intent\n"my order\nis late" ,order_status\nhi,greeting\n'
    rows = read_labelled(write(tmp_path, "a.csv", text))
    assert [(row.text, row.intent, row.line) for row in rows] == [
        ("my order\nis late ", "order_status", 2),
        ("hi", "greeting", 4),
    ]


def test_a_quoted_text_over_several_lines_may_end_the_file(tmp_path: Path) -> None:
    rows = read_labelled(write(tmp_path, "a.csv", 'text,intent\nhi,a\n"two\nlines",b'))
    assert [(row.text, row.line) for row in rows] == [("hi", 2), ("two\nlines", 3)]


def test_csv_with_a_byte_order_mark_and_chinese(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes("text,intent\n我的快递到哪了？,order_status\n".encode("utf-8-sig"))
    assert read_labelled(path) == [Labelled("我的快递到哪了？", "order_status", 2)]


def test_empty_and_out_of_scope_labels_mean_out_of_scope(tmp_path: Path) -> None:
    text = (
        "text,intent\na,\nb,out_of_scope\nc,  \nd,OUT_OF_SCOPE\ne,Out of scope\nf, out-of-scope\n"
    )
    rows = read_labelled(write(tmp_path, "a.csv", text))
    assert {row.intent for row in rows} == {OUT_OF_SCOPE}
    assert not any(row.in_scope for row in rows)


def test_a_row_without_its_label_column_is_a_mistake_not_out_of_scope(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "text,intent\nwhere is my order,order_status\nhi\n")
    with pytest.raises(ConfigError) as raised:
        read_labelled(path)
    assert str(raised.value).startswith(f"{path}:3: the row has 1 of the header's 2 columns")


@pytest.mark.parametrize(("mark", "name"), [("，", "comma"), ("；", "semicolon")])
def test_a_full_width_mark_between_columns_is_named(tmp_path: Path, mark: str, name: str) -> None:
    path = write(tmp_path, "a.csv", f"text,intent\n我想退货{mark}return_item\n")
    with pytest.raises(ConfigError) as raised:
        read_labelled(path)
    assert str(raised.value).startswith(
        f"{path}:2: the row has 1 of the header's 2 columns "
        f"(a full-width {name} '{mark}' does not separate columns: use ',')"
    )


@pytest.mark.parametrize("mark", ["；", "，"])
def test_a_header_split_by_a_full_width_mark_is_named(tmp_path: Path, mark: str) -> None:
    path = write(tmp_path, "a.csv", f"text{mark}intent\n我想退货{mark}return_item\n")
    with pytest.raises(ConfigError) as raised:
        read_labelled(path)
    assert str(raised.value).startswith(
        f"{path}:1: the header needs a text column ('text', 'utterance', 'query' or 'message') "
        "and a label column ('intent', 'category' or 'label') "
    )
    assert f"full-width {'semicolon' if mark == '；' else 'comma'} '{mark}' does not separate" in (
        str(raised.value)
    )


def test_a_row_split_by_an_unquoted_comma_is_a_mistake_not_a_wrong_label(
    tmp_path: Path,
) -> None:
    text = "text,intent\nhi, where is my order,order_status\ntrailing cells,greeting,,\n"
    path = write(tmp_path, "a.csv", text)
    with pytest.raises(ConfigError) as raised:
        read_labelled(path)
    assert str(raised.value).startswith(
        f"{path}:2: the row has 3 columns, the header 2: put a text that holds a comma in "
        'double quotes ("hi, there")'
    )
    path.write_text('text,intent\n"hi, where is my order",order_status\nok,greeting,,\n')
    assert [(row.text, row.intent) for row in read_labelled(path)] == [
        ("hi, where is my order", "order_status"),
        ("ok", "greeting"),
    ]


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".ndjson"])
def test_jsonl_with_label_aliases_null_and_blank_lines(tmp_path: Path, suffix: str) -> None:
    lines = [
        '{"text": "where is my order", "intent": "order_status"}',
        "",
        '{"text": "money back", "category": "refund", "id": 7}',
        '{"text": "hi", "label": null}',
        '{"text": "line\\u2028separator", "label": "out_of_scope"}\r',
    ]
    rows = read_labelled(write(tmp_path, f"a{suffix}", "\n".join(lines) + "\n"))
    assert rows == [
        Labelled("where is my order", "order_status", 1),
        Labelled("money back", "refund", 3),
        Labelled("hi", OUT_OF_SCOPE, 4),
        Labelled("line\u2028separator", OUT_OF_SCOPE, 5),
    ]


def test_a_json_file_may_hold_one_array_of_rows(tmp_path: Path) -> None:
    text = """[
  {"text": "where is my order", "intent": "order_status"},
  {"text": "我的快递到哪了？",
   "intent": "order_status"}, {"text": "write me a poem", "label": null}
]"""
    rows = read_labelled(write(tmp_path, "a.json", text))
    assert rows == [
        Labelled("where is my order", "order_status", 2),
        Labelled("我的快递到哪了？", "order_status", 3),
        Labelled("write me a poem", OUT_OF_SCOPE, 4),
    ]
    path = write(tmp_path, "b.json", '\n [{"text": "ok", "intent": "a"},\n\n  {"txt": "hi"}]')
    assert problem(path).startswith(f'{path}:4: item 2: each row needs an object with "text"')
    path = write(tmp_path, "c.json", '[\n  {"text": "ok", "intent": "a"},\n]\n')  # a comma too many
    assert problem(path) == f"{path}:3:1: not valid JSON: Expecting value\n    ]\n    ^"
    one_line = '[{"text": "a", "intent": "b"}, {"text": "c", "intent": "d"}]'
    assert read_labelled(write(tmp_path, "d.json", one_line)) == [
        Labelled("a", "b", 1, item=1),
        Labelled("c", "d", 1, item=2),
    ]
    path = write(tmp_path, "e.json", '[{"text": "a", "intent": "b"}, {"text": "c"}]')
    assert problem(path).startswith(f'{path}:1: item 2: each row needs an object with "text"')
