"""What ``servicebot eval`` reports as wrong in its files and folders, as messages naming
the file and line, not tracebacks: a training text under two labels, labels that name no
intent (failing the run unless ``--skip-unknown``), malformed rows reported with them in line
order, an item of a JSON array on one line, an unreadable file or a broken bot folder."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from servicebot.cli import main
from servicebot.settings import Intent
from tests.conftest import REPO
from tests.unit.labelledfiles import run, write


def test_cli_warns_of_a_training_text_under_two_labels(tmp_path: Path) -> None:
    train = write(
        tmp_path,
        "train.csv",
        "text,intent\nreset my pin,card_pin\nwhere is my card,card_arrival\n"
        "Reset my PIN,pin_blocked\nhello,\nhello,greeting\n",
    )
    result = CliRunner().invoke(main, ["eval", str(train), "--train", str(train)])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"warning: {train}:4: 'Reset my PIN' is labelled 'pin_blocked' here and 'card_pin' at "
        "line 2: it is an example of both"
    ]  # an out-of-scope row, then the text labelled, is no example of two intents


def test_cli_names_the_item_of_a_json_array_written_on_one_line(tmp_path: Path) -> None:
    test = write(
        tmp_path,
        "test.json",
        '[{"text": "where is my parcel", "intent": "order_status"}, '
        '{"text": "how do refunds work", "intent": "refund_stats"}, '
        '{"text": "How do refunds work", "intent": "refund_status"}]',
    )
    result = CliRunner().invoke(main, ["eval", str(test), "--bot", str(REPO)])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: {test}:1: item 2: no intent is named 'refund_stats'; "
        "did you mean 'refund_status'?\n"
    )
    train = write(
        tmp_path,
        "train.csv",
        "text,intent\nwhere is my parcel,order_status\nhow do refunds work,refund_status\n",
    )
    result = CliRunner().invoke(main, ["eval", str(test), "--train", str(train), "--errors", "5"])
    assert result.exit_code == 0, result.output  # with --train, labels are reported, not errors
    assert "  line 1, item 2: refund_stats -> refund_status (" in result.stdout
    assert "  line 1, item 2: refund_stats (1 row; did you mean 'refund_status'?)" in result.stdout
    result = CliRunner().invoke(main, ["eval", str(test), "--train", str(test)])
    assert result.stderr.splitlines() == [
        f"warning: {test}:1: item 3: 'How do refunds work' is labelled 'refund_status' here and "
        "'refund_stats' at line 1, item 2: it is an example of both"
    ]


def test_cli_with_many_rows_and_unknown_labels_skipped(tmp_path: Path) -> None:
    rows = "".join(f"where is my order {n},order_status\n" for n in range(250))
    rows += "".join(f"track parcel {n},parcel_tracking\n" for n in range(100))
    rows += "my card never came,card_delivery_estimate\n"
    test = write(tmp_path, "test.csv", "text,intent\n" + rows)
    result = CliRunner().invoke(main, ["eval", str(test), "--bot", str(REPO), "--skip-unknown"])
    assert result.exit_code == 0, result.output
    assert "rows            250 (101 more left out: their label names no intent)\n" in result.stdout
    assert "top-1 accuracy  1.0000 (250 of 250 rows)\n" in result.stdout
    assert "labels that name no intent" not in result.stdout
    assert result.stderr.splitlines() == [
        f"warning: {test}:252: no intent is named 'parcel_tracking' (100 rows, the first here); "
        "its rows route to 'order_status' (100 of 100): was it renamed? (left out of the scores)",
        "    track parcel 0,parcel_tracking",
        f"warning: {test}:352: no intent is named 'card_delivery_estimate'; did you mean "
        "'change_delivery_address'? (its row routes to 'gift_cards') (left out of the scores)",
        "    my card never came,card_delivery_estimate",
    ]


def test_cli_reports_malformed_rows_and_unknown_labels_together_in_line_order(
    tmp_path: Path,
) -> None:
    # Unknown labels were reported only once the malformed rows were fixed: two rounds.
    test = write(
        tmp_path,
        "test.csv",
        "text,intent\nwhere is my order,order_status\nhow do refunds work,refund_stauts\n"
        ",order_status\nhello there\nmy refund,refund_stauts\nwrite me a poem,\n"
        "what is 2+2,out_of_scope\n",
    )
    result = CliRunner().invoke(main, ["eval", str(test), "--bot", str(REPO)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: {test}:3: no intent is named 'refund_stauts' (2 rows, the first here); "
        "did you mean 'refund_status'?",
        "    how do refunds work,refund_stauts",
        f"{test}:4: the text is missing or empty",
        "    ,order_status",
        f"{test}:5: the row has 1 of the header's 2 columns",
        "    hello there",
        "(--skip-unknown leaves the rows of a label that names no intent out of the scores)",
    ]  # the empty label and out_of_scope are out-of-scope rows, not unknown labels
    result = CliRunner().invoke(main, ["eval", str(test), "--bot", str(REPO), "--skip-unknown"])
    assert result.exit_code == 1  # a malformed row still stops the run, and nothing is
    assert result.stderr.splitlines() == [  # left out of scores never made: no warning
        f"Error: {test}:4: the text is missing or empty",
        "    ,order_status",
        f"{test}:5: the row has 1 of the header's 2 columns",
        "    hello there",
    ]


def test_cli_an_unknown_label_fails_the_run_unless_skipped(tmp_path: Path) -> None:
    # It exited 0 with scores that counted the row wrong: `eval ... && deploy` deployed.
    test = write(
        tmp_path,
        "test.jsonl",
        '{"text": "where is my order", "intent": "order_status"}\n'
        '{"text": "how do refunds work", "intent": "refund_stauts"}\n'
        '{"text": "write me a poem", "intent": ""}\n',
    )
    for extra in ([], ["--json"]):
        result = CliRunner().invoke(main, ["eval", str(test), "--bot", str(REPO), *extra])
        assert (result.exit_code, result.stdout) == (1, "")
        assert f"{test}:2: no intent is named 'refund_stauts'" in result.stderr
    args = ["eval", str(test), "--bot", str(REPO), "--skip-unknown", "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)  # the valid rows are scored, the unknown one is not
    assert (figures["rows"], figures["correct"], figures["out_of_scope_rows"]) == (2, 2, 1)
    assert figures["unknown_intents"] == [] and figures["rows_left_out"] == 1
    result = CliRunner().invoke(main, ["eval", str(test), "--train", str(test), "--skip-unknown"])
    assert result.exit_code == 2 and "--skip-unknown is for --bot" in result.stderr


def test_read_rows_returns_malformed_rows_and_unknown_labels_names_each_label(
    tmp_path: Path,
) -> None:
    from servicebot.errors import Problem
    from servicebot.evaluation import unknown_labels
    from servicebot.evaluation.files import read_rows

    test = write(tmp_path, "t.csv", "text,intent\nhi,greting\n,x\nbye,greting\nok,none\n")
    rows, problems = read_rows(test)
    assert [row.line for row in rows] == [2, 4, 5]
    assert problems == [Problem(test, "the text is missing or empty", 3, None, ",x\n")]
    greeting = Intent.model_construct(name="greeting", examples=("hi",))
    assert [str(p) for p in unknown_labels(test, rows, [greeting])] == [
        f"{test}:2: no intent is named 'greting' (2 rows, the first here); "
        "did you mean 'greeting'?\n    hi,greting"
    ]


def test_cli_errors_are_messages_not_tracebacks(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.jsonl", '{"text": "a", "intent": "order_status"}\n{"text": \n')
    code, output = run(str(bad), "--bot", str(REPO))
    assert (code, output.splitlines()[0]) == (
        1,
        f"Error: {bad}:2:10: not valid JSON: Expecting value",
    )
    code, output = run(str(tmp_path / "none.csv"), "--train", str(bad))
    assert (code, output) == (
        1,
        f"Error: {tmp_path / 'none.csv'}: cannot read: No such file or directory\n",
    )
    good = write(tmp_path, "good.csv", "text,intent\nhello,greeting\n")
    code, output = run(str(good), "--train", str(tmp_path / "none.csv"))
    assert code == 1 and output.startswith(f"Error: {tmp_path / 'none.csv'}: cannot read")


def test_cli_with_a_broken_bot_folder(tmp_path: Path) -> None:
    good = write(tmp_path, "good.csv", "text,intent\nhello,greeting\n")
    code, output = run(str(good), "--bot", str(tmp_path / "nobot"))
    assert code == 1 and output.startswith("Error: fix the bot folder first:")


def test_an_unknown_label_whose_rows_route_to_one_intent_suggests_it(tmp_path: Path) -> None:
    # refund_status renamed refund_timing: by name, the label is closest to order_status, and
    # that was all it suggested; its rows still route to the intent under its new name.
    from servicebot import load_bot
    from servicebot.evaluation import UnknownLabel, evaluate, unknown_labels
    from servicebot.evaluation.files import read_rows

    bot = load_bot(REPO)
    intents = [
        i.model_copy(update={"name": "refund_timing"}) if i.name == "refund_status" else i
        for i in bot.intents
    ]
    test = write(
        tmp_path,
        "test.csv",
        "text,intent\nwhere is my order,order_status\nhow long do refunds take,refund_status\n"
        "when will i get my refund,refund_status\nwhen do i get my money back,refund_status\n",
    )
    rows, _ = read_rows(test)
    settings, languages = bot.settings.routing, bot.settings.languages
    assert [p.message for p in unknown_labels(test, rows, intents, settings, languages)] == [
        "no intent is named 'refund_status' (3 rows, the first here); its rows route to "
        "'refund_timing' (3 of 3): was it renamed?"
    ]
    report = evaluate(rows, intents, settings, languages)
    assert report.unknown_intents == (
        UnknownLabel("refund_status", 3, 3, "order_status", 0, "refund_timing", 3),
    )
    # A typo's rows routed to the intent it misspells suggest it, as before. One row routed
    # elsewhere says less (a typo's row may be misrouted): the closest name comes first.
    typo = write(tmp_path, "typo.csv", "text,intent\nhow long do refunds take,refund_stauts\n")
    rows, _ = read_rows(typo)
    assert [p.message for p in unknown_labels(typo, rows, bot.intents, settings, languages)] == [
        "no intent is named 'refund_stauts'; did you mean 'refund_status'?"
    ]
    renamed = write(tmp_path, "one.csv", "text,intent\nhow long do refunds take,refund_status\n")
    rows, _ = read_rows(renamed)
    assert [p.message for p in unknown_labels(renamed, rows, intents, settings, languages)] == [
        "no intent is named 'refund_status'; did you mean 'order_status'? (its row routes to "
        "'refund_timing')"
    ]
