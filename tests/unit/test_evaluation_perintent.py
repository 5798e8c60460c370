"""Per-intent figures (``servicebot/evaluation/perintent.py``): counts, worst-first and tie
order; and what ``servicebot eval`` does with them and with every confused pair and misroute:
the ``--per-intent`` table, ``--pairs`` and the ``--json`` shape two runs are diffed by."""

from __future__ import annotations

from pathlib import Path

from servicebot.evaluation import evaluate
from servicebot.evaluation.files import OUT_OF_SCOPE, read_labelled
from servicebot.evaluation.perintent import IntentFigures, Routed, per_intent
from servicebot.evaluation.training import read_intents
from servicebot.settings import RoutingSettings
from tests.unit.labelledfiles import run, run_json, write

TRAIN = """text,intent
where is my parcel,track
track my package,track
when will my refund arrive,refund
how do i get my money back,refund
reset my password,password
i forgot my password,password
"""
# Twelve labels the training file lacks, each on one training text: twelve confused pairs.
TEST = (
    "text,intent\nwhere is my parcel,track\nreset my password,password\n"
    "i forgot my password,track\nqqqq xxxx,out_of_scope\nreset my password,out_of_scope\n"
    + "".join(f"where is my parcel,lost_{number:02}\n" for number in range(12))
)


def test_counts_and_where_the_misses_went() -> None:
    routed = [
        Routed("refund", "refund", True),
        Routed("refund", "track", True),  # its intent ranked second: found, not correct
        Routed("refund", "password", False),
        Routed("refund", "track", False),
        Routed("refund", OUT_OF_SCOPE, False),
    ]
    (refund,), out_of_scope = per_intent(routed)
    assert refund == IntentFigures("refund", 5, 1, 0.2, 2, 0.4, "track", 2)
    assert out_of_scope is None  # no row is labelled out of scope


def test_a_tie_for_most_missed_to_goes_to_the_first_name() -> None:
    routed = [Routed("refund", "track", False), Routed("refund", "password", False)]
    (refund,), _ = per_intent(routed)
    assert (refund.missed_to, refund.missed_to_rows) == ("password", 1)
    assert refund.missed_to_ties == ("track",)  # named too: one name hid the other
    (right,), _ = per_intent([Routed("refund", "refund", True)])
    assert (right.missed_to, right.missed_to_rows, right.missed_to_ties) == (None, 0, ())
    (one,), _ = per_intent([*routed, Routed("refund", "track", False)])
    assert (one.missed_to, one.missed_to_rows, one.missed_to_ties) == ("track", 2, ())


def test_worst_first_then_recall_then_more_rows_then_name() -> None:
    routed = [
        Routed("zeta", "zeta", True),  # all right: last
        *[Routed("beta", "other", False)] * 2,  # 0 right, 0 found, 2 rows
        Routed("alpha", "other", False),  # 0 right, 0 found, 1 row
        Routed("gamma", "other", False),  # as alpha: name order
        Routed("delta", "other", True),  # 0 right, but found in the top k
        Routed(OUT_OF_SCOPE, OUT_OF_SCOPE, False),  # on its own, not sorted in
        Routed(OUT_OF_SCOPE, "zeta", False),
    ]
    figures, out_of_scope = per_intent(routed)
    assert [f.intent for f in figures] == ["beta", "alpha", "gamma", "delta", "zeta"]
    assert out_of_scope == IntentFigures(OUT_OF_SCOPE, 2, 1, 0.5, 0, None, "zeta", 1)
    assert per_intent(reversed(routed)) == (figures, out_of_scope)  # whatever the row order


def test_evaluate_gives_each_intent_its_figures(tmp_path: Path) -> None:
    rows = read_labelled(write(tmp_path, "test.csv", TEST))
    report = evaluate(rows, read_intents(write(tmp_path, "train.csv", TRAIN)), RoutingSettings())
    by_name = {figures.intent: figures for figures in report.per_intent}
    assert by_name["track"] == IntentFigures("track", 2, 1, 0.5, 1, 0.5, "password", 1)
    assert by_name["password"] == IntentFigures("password", 1, 1, 1.0, 1, 1.0, None, 0)
    assert by_name["lost_00"] == IntentFigures("lost_00", 1, 0, 0.0, 0, 0.0, "track", 1)
    assert report.per_intent[-1].intent == "password"  # the only one all right
    assert report.per_intent_out_of_scope == IntentFigures(
        OUT_OF_SCOPE, 2, 1, 0.5, 0, None, "password", 1
    )
    assert len(report.confused) == 14  # every pair, not the first 10


# The command


def test_cli_per_intent_table_worst_first(tmp_path: Path) -> None:
    train, test = write(tmp_path, "train.csv", TRAIN), write(tmp_path, "test.csv", TEST)
    code, output = run(str(test), "--train", str(train), "--per-intent")
    assert code == 0, output
    lines = [line.rstrip() for line in output.splitlines()]
    table = lines[lines.index("per intent, worst first:") + 1 :][:16]
    assert table[0].split() == [
        "intent",
        "rows",
        "top-1",
        "accuracy",
        "recall@3",
        "most",
        "missed",
        "to",
    ]
    assert table[1].split() == ["lost_00", "1", "0", "0.0000", "0.0000", "track", "(1)"]
    assert [line.split()[0] for line in table[13:]] == ["track", "password", "out_of_scope"]
    assert table[15].split() == ["out_of_scope", "2", "1", "0.5000", "-", "password", "(1)"]
    code, plain = run(str(test), "--train", str(train))
    assert "per intent, worst first:" not in plain  # only when asked for


def test_cli_pairs_shows_as_many_as_asked(tmp_path: Path) -> None:
    train, test = write(tmp_path, "train.csv", TRAIN), write(tmp_path, "test.csv", TEST)
    code, output = run(str(test), "--train", str(train))
    assert code == 0, output
    lines = output.splitlines()
    first = lines.index("most confused, expected -> routed to (<->: both ways):")
    assert lines[first + 1 : first + 12] == [
        *(f"  1  lost_{number:02} -> track" for number in range(10)),
        "  and 4 more (--pairs N lists more)",
    ]
    code, output = run(str(test), "--train", str(train), "--pairs", "14")
    assert "  1  track -> password" in output.splitlines()
    assert "more (--pairs N lists more)" not in output
    code, output = run(str(test), "--train", str(train), "--pairs", "0")
    assert "most confused" not in output


def test_cli_json_has_every_pair_misroute_and_intent(tmp_path: Path) -> None:
    train, test = write(tmp_path, "train.csv", TRAIN), write(tmp_path, "test.csv", TEST)
    figures = run_json(str(test), "--train", str(train), "--errors", "1")
    assert len(figures["confused"]) == 14
    assert figures["per_intent"][0] == {
        "intent": "lost_00",
        "rows": 1,
        "correct": 0,
        "accuracy": 0.0,
        "found_at_k": 0,
        "recall_at_k": 0.0,
        "missed_to": "track",
        "missed_to_rows": 1,
        "missed_to_ties": [],
    }
    assert [f["intent"] for f in figures["per_intent"]][-2:] == ["track", "password"]
    assert figures["per_intent_out_of_scope"]["rows"] == 2
    misroutes = figures["misroutes"]  # all of them, whatever --errors says
    assert len(misroutes) == 14
    keys = {"text", "expected", "got", "score", "line", "item", "route", "previous"}
    assert set(misroutes[0]) == keys
    keys = [(-m["score"], m["line"]) for m in misroutes]
    assert keys == sorted(keys)  # most confident first, ties in file order
    again = run_json(str(test), "--train", str(train))
    timing = {"build_seconds", "route_ms_median", "route_ms_p99"}
    assert {k: v for k, v in again.items() if k not in timing} == {
        k: v for k, v in figures.items() if k not in timing
    }  # two runs diff cleanly


def test_cli_shows_a_pair_confused_both_ways_on_one_line_and_ties_for_most_missed_to(
    tmp_path: Path,
) -> None:
    # a -> b 2 and b -> a 1 were two lines far apart; password's misses, one to refund and
    # one to track, named refund alone.
    train = write(tmp_path, "train.csv", TRAIN)
    test = write(
        tmp_path,
        "test.csv",
        "text,intent\nwhere is my parcel,refund\nwhen will my refund arrive,track\n"
        "how do i get my money back,track\nwhere is my parcel,password\n"
        "how do i get my money back,password\n",
    )
    code, output = run(str(test), "--train", str(train), "--per-intent")
    assert code == 0, output
    lines = [line.rstrip() for line in output.splitlines()]
    first = lines.index("most confused, expected -> routed to (<->: both ways):")
    assert lines[first + 1 : first + 4] == [
        "  3  track <-> refund (2 + 1)",
        "  1  password -> refund",
        "  1  password -> track",
    ]
    table = lines[lines.index("per intent, worst first:") + 1 :]
    row = next(line for line in table if line.startswith("password"))
    assert row.split()[-4:] == ["refund,", "track", "(1", "each)"]
