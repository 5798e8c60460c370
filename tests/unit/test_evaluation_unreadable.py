"""Labelled files that cannot be read (``servicebot/evaluation/files.py``): a missing, empty
or header-only file, a header without its text or label column, a row without text, bad or
too deeply nested JSON, an unknown extension and a file not saved as UTF-8, each named with
its file and line, and every malformed row reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.labelledfiles import problem, write


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.csv"
    assert problem(path) == f"{path}: cannot read: No such file or directory"


@pytest.mark.parametrize("text", ["", "\n\n"])
def test_an_empty_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "a.csv", text)
    assert problem(path) == f"{path}: no labelled rows: the file is empty"


def test_a_csv_with_only_its_header(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "text,intent\n")
    assert problem(path) == f"{path}: no labelled rows: only a header"


def test_an_empty_jsonl_file(tmp_path: Path) -> None:
    path = write(tmp_path, "a.jsonl", "\n  \n")
    assert problem(path) == f"{path}: no labelled rows: the file is empty"


def test_a_csv_without_a_label_column(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "text,intention\nhello,greeting\n")
    assert problem(path) == (
        f"{path}:1: the header needs a label column ('intent', 'category' or 'label')"
        "\n    text,intention"
    )


def test_blank_lines_above_a_csv_header_are_skipped(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "\n \ntext,intent\nhello,greeting\n ,greeting\n")
    assert problem(path) == f"{path}:5: the text is missing or empty\n     ,greeting"
    path = write(tmp_path, "b.csv", "\n\ntxt,intent\nhello,greeting\n")
    assert problem(path).startswith(f"{path}:3: the header needs a text column ('text', ")
    path = write(tmp_path, "c.csv", "\ntext,intent\n")
    assert problem(path) == f"{path}: no labelled rows: only a header"


def test_a_csv_without_a_header(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "hello,greeting\n")
    assert problem(path).startswith(f"{path}:1: the header needs a text column ('text', ")


def test_a_csv_row_without_text(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "text,intent\nhello,greeting\n  ,greeting\n")
    assert problem(path) == f"{path}:3: the text is missing or empty\n      ,greeting"


def test_bad_json_names_its_line_and_column(tmp_path: Path) -> None:
    text = '{"text": "a", "intent": "b"}\n\n{"text": "c", "intent": }\n'
    path = write(tmp_path, "a.jsonl", text)
    assert problem(path) == (
        f"{path}:3:25: not valid JSON: Expecting value\n"
        '    {"text": "c", "intent": }\n'
        "                            ^"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('["a", "b"]', 'each row needs an object with "text" (or "utterance"'),
        ('{"text": "a"}', 'each row needs an object with "text" (or "utterance"'),
        ('{"intent": "a"}', 'each row needs an object with "text" (or "utterance"'),
        ('{"text": 5, "intent": "a"}', "the text must be a string"),
        ('{"text": "  ", "intent": "a"}', "the text is missing or empty"),
        ('{"text": null, "intent": "a"}', "the text is missing or empty"),
        ('{"text": "a", "intent": 5}', "the intent must be a string (or empty)"),
    ],
)
def test_malformed_json_lines(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, "a.jsonl", '{"text": "ok", "intent": "a"}\n' + line + "\n")
    assert problem(path).startswith(f"{path}:2: {message}")


def test_json_nested_too_deeply_for_python_is_a_mistake_where_it_passes_50(
    tmp_path: Path,
) -> None:
    deep = "[" * 100_000 + "]" * 100_000  # json.loads raises RecursionError
    row = '{"text": "[[[[", "intent": "a"}'  # brackets in a string do not count
    path = write(tmp_path, "a.jsonl", f'{row}\n{{"text": "a", "intent": {deep}}}\n')
    assert problem(path).startswith(f"{path}:2:74: not valid JSON: nested too deeply\n")
    path = write(tmp_path, "b.json", f"{deep}\n")
    assert problem(path).startswith(f"{path}:1:51: not valid JSON: nested too deeply\n")
    path = write(tmp_path, "c.json", f"[\n  {row},\n  {deep}\n]\n")
    assert problem(path).startswith(f"{path}:3:52: not valid JSON: nested too deeply\n")


def test_every_malformed_row_is_reported_at_once(tmp_path: Path) -> None:
    text = "text,intent\nhi\nwhere is my order,order_status\n  ,greeting\nok,a,b\n"
    assert problem(write(tmp_path, "a.csv", text)) == (
        f"{tmp_path / 'a.csv'}:2: the row has 1 of the header's 2 columns\n    hi\n"
        f"{tmp_path / 'a.csv'}:4: the text is missing or empty\n      ,greeting\n"
        f"{tmp_path / 'a.csv'}:5: the row has 3 columns, the header 2: put a text that holds a "
        'comma in double quotes ("hi, there")\n    ok,a,b'
    )
    lines = ['{"text": "a", "intent": }', '{"text": "ok", "intent": "a"}', '{"text": 5}']
    path = write(tmp_path, "a.jsonl", "\n".join(lines))
    assert [line.split(": ")[0] for line in problem(path).splitlines()[::3]] == [
        f"{path}:1:25",
        f"{path}:3",
    ]
    huge = "x" * 200_000  # past the csv module's field limit: the file cannot be read on
    path = write(tmp_path, "b.csv", f"text,intent\n  ,a\nok,b\n{huge},c\n")
    assert [line.split(": ")[0] for line in problem(path).splitlines()[::2]] == [
        f"{path}:2",
        f"{path}:4",
    ]


def test_an_unknown_extension(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "text,intent\n")
    expected = "unknown file type: use .csv, .tsv, .jsonl (JSON Lines), .json or Rasa's .yml"
    assert problem(path) == f"{path}: {expected}"


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes("text,intent\nr\xe9sum\xe9,a\n".encode("latin-1"))
    assert problem(path) == (
        f"{path}:2:2: not UTF-8 (byte 0xe9); save the file as UTF-8\n    r\ufffdsum\ufffd,a\n     ^"
    )
    path.write_bytes("text,intent\nhello,greeting\n你好,greeting\n".encode("gbk"))
    assert problem(path) == (  # the line was quoted as "���,greeting"
        f"{path}:3:1: not UTF-8 (byte 0xc4; it looks saved as GBK); save the file as UTF-8\n"
        "    你好,greeting\n    ^"
    )
    path.write_text("text,intent\nhello,greeting\n", encoding="utf-16")  # as Excel may save it
    assert problem(path) == f"{path}: saved as UTF-16: save the file as UTF-8 instead"
