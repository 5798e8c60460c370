"""``servicebot export``: a week of real turns (tests/unit/reviewbots.py) written a turn a row,
as CSV for Excel and as JSON Lines, and read back by ``servicebot eval``."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from servicebot import load_bot
from servicebot.cli import main
from servicebot.evaluation.files import read_labelled, unguarded
from servicebot.export import COLUMNS, csv_row, spreadsheet_safe
from servicebot.pipeline import Bot
from tests.unit.reviewbots import OLD, VAGUE, WEEK, reviewed_bot


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return reviewed_bot(tmp_path_factory.mktemp("export"))


def export(folder: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["export", "--bot", str(folder), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_csv_opens_in_excel_with_its_chinese_and_a_row_per_turn(
    folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "week.csv"
    assert "15 turns written to" in export(folder, "-o", str(out))
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfconversation,turn,time,previous,text,action,intent,")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert list(rows[0]) == list(COLUMNS)
    typed = [text for _, text, _ in WEEK]
    typed[9] = "我的邮箱是 [EMAIL_1]，我的订单在哪里？"  # as stored: never the raw address
    assert [row["text"] for row in rows] == typed
    assert b"bob@example.com" not in raw
    first, asked = rows[0], rows[1]
    assert (first["conversation"], first["turn"], first["previous"]) == ("c1", "2", OLD)
    assert (asked["previous"], asked["action"], asked["intent"]) == (
        "where is my order?", "handoff", "talk_to_human",
    )  # fmt: skip
    assert asked["why"] == "asked_for_person"
    assert float(asked["score"]) > 0
    chinese = next(row for row in rows if row["text"] == "没用，转人工")
    assert chinese["reply"].startswith("我这就为您转接人工客服")
    whys = {row["conversation"]: row["why"] for row in rows if row["turn"] == "1"}
    assert whys["c3"] == "model timeout, handed off"
    assert whys["c5"] == "postfilter amount MONEY, handed off"
    assert whys["c8"] == "injection override, injection reveal"


def test_a_csv_time_is_a_date_and_time_to_a_spreadsheet_and_json_keeps_iso_8601(
    folder: Path,
) -> None:
    from datetime import datetime

    rows = list(csv.DictReader(export(folder).lstrip("\ufeff").splitlines()[:-1]))
    lines = export(folder, "--format", "jsonl").splitlines()[:-1]
    stamps = [json.loads(line)["time"] for line in lines]
    for row, stamp in zip(rows, stamps, strict=True):
        at = datetime.strptime(row["time"], "%Y-%m-%d %H:%M:%S")  # Excel's own, in UTC
        assert stamp.endswith("Z") and stamp.startswith(f"{at:%Y-%m-%dT%H:%M:%S}.")


def test_an_analyst_relabels_the_export_and_evaluates_it_as_it_is(
    folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "week.csv"
    export(folder, "-o", str(out))
    text = out.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(text.splitlines()))
    for row in rows:
        if row["text"] == VAGUE:  # routed to create_account; the analyst says otherwise
            row["intent"] = "account_details"
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    result = CliRunner().invoke(main, ["eval", str(out), "--bot", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert (figures["rows"], figures["correct"], figures["out_of_scope_rows"]) == (15, 12, 5)


def test_json_lines_to_standard_output_keep_numbers_and_nulls(folder: Path) -> None:
    lines = export(folder, "--format", "jsonl").splitlines()
    rows = [json.loads(line) for line in lines[:-1]]
    assert lines[-1] == "15 turns written"  # on standard error, mixed in by CliRunner
    assert len(rows) == 15 and list(rows[0]) == list(COLUMNS)
    assert rows[9]["text"] == "我的邮箱是 [EMAIL_1]，我的订单在哪里？"
    first, poem = rows[0], rows[2]  # c1's second turn; c2's first, out of scope
    assert first["turn"] == 2 and isinstance(first["score"], float)
    assert (poem["turn"], poem["previous"], poem["intent"], poem["score"]) == (1, None, None, None)


def test_a_customers_formula_is_text_in_a_spreadsheet() -> None:
    row = dict.fromkeys(COLUMNS) | {"text": "=HYPERLINK(1)", "score": -0.1, "turn": 1}
    safe = csv_row(row | {"previous": "\t=1+1", "reply": "\r@SUM(A1)"})
    assert (safe["text"], safe["score"], safe["turn"]) == ("'=HYPERLINK(1)", "-0.100", "1")
    assert (safe["previous"], safe["reply"], safe["intent"]) == ("'\t=1+1", "'\r@SUM(A1)", "")


TYPED = ["=1+1", "-2+3 refund?", "\t=1+1", "'=1+1", "'hello", "it's -2", "+", "'"]


def test_eval_reads_an_exported_text_as_the_customer_typed_it(tmp_path: Path) -> None:
    assert [unguarded(spreadsheet_safe(text)) for text in TYPED] == TYPED
    labelled = tmp_path / "week.csv"
    with labelled.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        for text in TYPED:
            writer.writerow(csv_row(dict.fromkeys(COLUMNS) | {"text": text, "previous": text}))
    rows = read_labelled(labelled)
    assert [row.text for row in rows] == TYPED
    assert rows[1].previous == "-2+3 refund?"


@pytest.mark.parametrize("form", ["csv", "jsonl"])
def test_an_export_with_a_persons_messages_is_relabelled_and_evaluated_as_it_is(
    tmp_path: Path, form: str
) -> None:
    """A person's message that answered no customer message is exported as a row with an
    empty ``text`` (its ``reply`` is what they wrote), and ``servicebot eval`` refused the
    whole file for it ("the text is missing or empty"). It passes such a row over: it has
    nothing to route; the customer's message given with a person's reply is still a row."""
    folder = reviewed_bot(tmp_path, week=[("p1", "talk to a human", None)])
    bot = Bot(load_bot(folder), offline=True)
    bot.add_person_turn("p1", "Hi, Anna here: I'm looking into it.")
    bot.add_person_turn("p1", "It is on its way.", customer="where is my refund?")
    bot.close()
    out = tmp_path / f"week.{form}"
    export(folder, "--format", form, "-o", str(out))
    rows = _read_back(out, form)
    assert [(row["text"], row["action"]) for row in rows] == [
        ("talk to a human", "handoff"),
        ("", "person"),
        ("where is my refund?", "person"),
    ]
    rows[2]["intent"] = "refund_status"  # the analyst labels the message a person answered
    _write_back(out, form, rows)
    result = CliRunner().invoke(main, ["eval", str(out), "--bot", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows"] == 2


def _read_back(out: Path, form: str) -> list[dict[str, Any]]:
    text = out.read_text(encoding="utf-8-sig")
    if form == "csv":
        return list(csv.DictReader(text.splitlines()))
    return [json.loads(line) for line in text.splitlines()]


def _write_back(out: Path, form: str, rows: list[dict[str, Any]]) -> None:
    """``rows`` saved as a spreadsheet (CSV) or a script (JSON Lines) would save them."""
    with out.open("w", encoding="utf-8-sig" if form == "csv" else "utf-8", newline="") as handle:
        if form == "jsonl":
            handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
            return
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def test_the_exported_file_is_readable_by_its_owner_alone(folder: Path, tmp_path: Path) -> None:
    # Its rows are customers' words: a new file is 0600 under the usual umask of 022, as the
    # store's file is; one the operator made keeps the mode they gave it.
    old = os.umask(0o022)
    try:
        export(folder, "--days", "3650", "-o", str(tmp_path / "week.csv"))
        shared = tmp_path / "shared.csv"
        shared.write_text("")
        shared.chmod(0o640)
        export(folder, "--days", "3650", "-o", str(shared))
    finally:
        os.umask(old)
    assert (tmp_path / "week.csv").stat().st_mode & 0o777 == 0o600
    assert shared.stat().st_mode & 0o777 == 0o640
    assert "conversation" in shared.read_text(encoding="utf-8-sig")


def test_the_export_writes_rows_as_the_store_reads_them(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The period is never read whole (50,000 turns held ~60 MiB before): each conversation
    is written out as the store's cursor reads it."""
    from servicebot.store.sqlite import SQLiteStore

    whole = export(folder, "--format", "jsonl")

    def held(*_: object) -> None:
        raise AssertionError("the export read the whole period at once")

    monkeypatch.setattr(SQLiteStore, "conversations_since", held)
    assert export(folder, "--format", "jsonl") == whole
    out = tmp_path / "week.csv"
    assert "15 turns written to" in export(folder, "-o", str(out))
    assert len(out.read_text("utf-8-sig").splitlines()) == 16


def test_an_export_piped_into_a_reader_that_stops_early_ends(tmp_path: Path) -> None:
    """``servicebot export | head -1``: the pipe closed while the store's cursor was open,
    and closing the store waited for that cursor's connection, held in the same thread:
    the command never ended."""
    import subprocess
    import sys

    from servicebot.store import TurnRecord, open_bot_store

    folder = reviewed_bot(tmp_path)
    store = open_bot_store(load_bot(folder))
    for n in range(3_000):  # far more than a pipe's buffer holds
        store.append_turn(TurnRecord(f"p{n}", f"where is my order {n} " * 5, "answer", "x"))
    store.close()
    command = [sys.executable, "-m", "servicebot", "export", "--bot", str(folder)]
    export = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert export.stdout is not None
    assert export.stdout.readline()  # as head -1 reads, then closes the pipe
    export.stdout.close()
    try:
        export.wait(timeout=30)
    except subprocess.TimeoutExpired:
        export.kill()
        export.wait()
        pytest.fail("export never ended after its reader closed the pipe")


def test_a_rows_rating_and_its_masked_comment_are_columns(tmp_path: Path) -> None:
    folder = reviewed_bot(tmp_path)
    bot = Bot.load(folder, offline=True)
    bot.rate("c9", 1, False, comment="=wrong, call me on +1 415 555 2671")
    bot.rate("c10", 1, True)
    bot.close()
    rows = [json.loads(line) for line in export(folder, "--format", "jsonl").splitlines()[:-1]]
    rated = {(r["conversation"], r["turn"]): (r["rating"], r["rating_comment"]) for r in rows}
    assert rated[("c9", 1)] == (False, "=wrong, call me on [PHONE_1]")
    assert rated[("c10", 1)] == (True, None)
    assert rated[("c9", 2)] == (None, None)
    assert "415" not in export(folder)
    cells = list(csv.DictReader(export(folder).lstrip("\ufeff").splitlines()[:-1]))
    c9 = next(row for row in cells if (row["conversation"], row["turn"]) == ("c9", "1"))
    assert (c9["rating"], c9["rating_comment"]) == ("not helpful", "'=wrong, call me on [PHONE_1]")
    c10 = next(row for row in cells if (row["conversation"], row["turn"]) == ("c10", "1"))
    assert (c10["rating"], c10["rating_comment"]) == ("helpful", "")


EVIL = "red \x1b[31mflag\x1b[0m \x1b]52;c;aGk=\x07 \u202eevil\u200b"


def test_an_exported_comment_reaches_a_pipe_as_stored(tmp_path: Path) -> None:
    folder = reviewed_bot(tmp_path)
    bot = Bot.load(folder, offline=True)
    bot.rate("c9", 1, False, comment=EVIL)
    bot.close()
    rows = [json.loads(line) for line in export(folder, "--format", "jsonl").splitlines()[:-1]]
    (comment,) = [r["rating_comment"] for r in rows if r["rating_comment"]]
    assert comment == EVIL  # click took the colour codes out of a pipe: "red flag ..."
    assert EVIL in export(folder)


def test_an_export_on_a_terminal_escapes_what_the_terminal_would_act_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = reviewed_bot(tmp_path)
    bot = Bot.load(folder, offline=True)
    bot.rate("c9", 1, False, comment=EVIL)
    bot.close()
    monkeypatch.setattr("servicebot.cli.review.on_terminal", lambda: True)
    shown = export(folder)
    lines = export(folder, "--format", "jsonl").splitlines()[:-1]
    for output in (shown, *lines):
        assert not {"\x1b", "\x07", "\u202e", "\u200b"} & set(output)
    assert r"red \x1b[31mflag\x1b[0m \x1b]52;c;aGk=\x07 \u202eevil\u200b" in shown
    (comment,) = [json.loads(line)["rating_comment"] for line in lines if "\\u202e" in line]
    assert comment == EVIL  # JSON's own escapes: the line reads back as stored
