"""``servicebot report``: a week of real turns (tests/unit/reviewbots.py) on a SQLite file and
on a Redis server, every figure checked (the previous period: test_trends.py; --by-day:
test_report_days.py)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from servicebot.cli import main
from servicebot.store import TurnRecord, now
from tests.unit.recordings import completion
from tests.unit.reviewbots import (
    LEAD,
    OLD,
    POEM,
    TIMEOUT,
    VAGUE,
    earlier_turns,
    rated,
    report,
    reviewed_bot,
)

EXPECTED: dict[str, Any] = {
    "conversations": 10,
    "turns": 15,
    "actions": {
        "answer": 3, "direct": 1, "out_of_scope": 3, "handoff": 5, "fallback": 2, "blocked": 1,
        "person": 0, "with_person": 0,
    },
    "handoffs": {
        "asked_for_person": 2, "postfilter": 2, "missed_in_a_row": 1, "model_failed": 1,
        "unsure_no_model": 1,
    },
    "fallbacks": {"model timeout": 1, "postfilter amount MONEY": 1},
    "intents": {
        "order_status": 3, "create_account": 3, "talk_to_human": 2, "coupon_code": 1,
        "shipping_times_costs": 1,
    },
    "out_of_scope": [
        {"text": POEM, "turns": 2},
        {"text": "tell me a joke about penguins", "turns": 1},
        {"text": "what's the weather on mars", "turns": 1},
    ],
    "matched_weakly": [  # under the example bot's direct_threshold, 0.55
        {"text": VAGUE, "intent": "create_account", "turns": 3},  # 0.39: unsure, failed, refused
        {"text": "can I get a discount on my order", "intent": "coupon_code", "turns": 1},
        {"text": "我的邮箱是 [EMAIL_1]，我的订单在哪里？", "intent": "order_status", "turns": 1},
    ],
    "after_answers": [
        {"text": "that didn't help, I want to talk to a human", "answered_intent": "order_status",
         "outcome": "asked_for_person", "turns": 1, "first": {"conversation_id": "c1", "turn": 3}},
        {"text": POEM, "answered_intent": "order_status", "outcome": "out_of_scope", "turns": 1,
         "first": {"conversation_id": "c9", "turn": 2}},
        {"text": "没用，转人工", "answered_intent": "order_status", "outcome": "asked_for_person",
         "turns": 1, "first": {"conversation_id": "c7", "turn": 2}},
    ],
}  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def folder(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    redis = request.getfixturevalue("redis_url") if request.param == "redis" else None
    return reviewed_bot(tmp_path, redis)


def test_the_report_gives_every_figure_of_the_week(folder: Path) -> None:
    figures = report(folder)
    assert {key: figures[key] for key in ("conversations", "turns", "actions")} == {
        key: EXPECTED[key] for key in ("conversations", "turns", "actions")
    }
    assert figures["handoffs"] == EXPECTED["handoffs"]
    assert figures["fallbacks"] == EXPECTED["fallbacks"]
    intents = {row["intent"]: row["turns"] for row in figures["top_intents"]}
    assert intents == EXPECTED["intents"]
    assert figures["top_out_of_scope"] == EXPECTED["out_of_scope"]
    assert figures["top_matched_weakly"] == EXPECTED["matched_weakly"]
    assert figures["after_answers"] == EXPECTED["after_answers"]


def test_the_period_reaches_back_to_since_and_lists_only_the_top(folder: Path) -> None:
    month = report(folder, "--since", f"{now() - timedelta(days=31):%Y-%m-%d}", "--top", "1")
    assert (month["conversations"], month["turns"]) == (10, 16)  # the old turn of c1 too
    assert month["actions"]["direct"] == 2
    assert len(month["top_intents"]) == 1
    assert month["top_out_of_scope"] == [{"text": POEM, "turns": 2}]
    assert OLD not in json.dumps(report(folder))


def test_the_report_prints_tables_with_the_stored_texts(tmp_path: Path) -> None:
    folder = reviewed_bot(tmp_path)
    result = CliRunner().invoke(main, ["report", "--bot", str(folder)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("10 conversations, 15 turns since ")
    for shown in ("asked_for_person", "model timeout", "没用，转人工", POEM, "order_status"):
        assert shown in out
    assert "bob@example.com" not in out


def test_a_report_of_one_turn_counts_in_the_singular(tmp_path: Path) -> None:
    folder = reviewed_bot(tmp_path, week=[("c2", "where is my order?", "offline")])
    result = CliRunner().invoke(main, ["report", "--bot", str(folder)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 conversation, 1 turn since ")


def test_a_report_of_no_turns_says_so(tmp_path: Path) -> None:
    folder = reviewed_bot(tmp_path)
    since = f"{now() + timedelta(days=2):%Y-%m-%d}"
    result = CliRunner().invoke(main, ["report", "--bot", str(folder), "--since", since])
    assert result.exit_code == 0
    assert result.output.startswith("no turns stored since ")
    both = ["report", "--bot", str(folder), "--days", "3", "--since", since]
    assert "give --days or --since, not both" in CliRunner().invoke(main, both).output


def test_a_handoff_to_an_intent_the_bot_no_longer_has_says_so() -> None:
    from servicebot.turnoutcomes import GONE, handoff_reason

    turn = TurnRecord("c", "hi", "...", "handoff", intent="old_name")
    assert handoff_reason(turn, {"talk_to_human"}, {"talk_to_human"}) == GONE


def _after(text: str, answered: str, outcome: str, turns: int, first: str) -> dict[str, Any]:
    where = {"conversation_id": first.split()[0], "turn": int(first.split("#")[1])}
    found = {"text": text, "answered_intent": answered, "outcome": outcome, "turns": turns}
    return found | {"first": where}


def test_a_complaint_after_an_answer_and_the_handoff_after_it_count_against_the_answer(
    tmp_path: Path,
) -> None:
    lead = reviewed_bot(tmp_path, week=LEAD)
    figures = report(lead)
    assert figures["after_answers"] == [
        _after("talk to a human", "order_status", "asked_for_person", 2, "d1 #3"),
        _after("that didn't help", "order_status", "complaint", 2, "d1 #2"),
        _after(POEM, "order_status", "out_of_scope", 1, "d3 #2"),  # the model down: a fallback
        _after("没用", "shipping_times_costs", "complaint", 1, "d2 #2"),
        _after("转人工", "shipping_times_costs", "asked_for_person", 1, "d2 #3"),
    ]
    assert report(lead, "--top", "2")["after_answers"] == figures["after_answers"][:2]


def test_a_message_that_matched_no_intent_is_listed_though_the_model_was_down(
    tmp_path: Path,
) -> None:
    figures = report(reviewed_bot(tmp_path, week=LEAD))
    assert figures["actions"]["fallback"] == 2  # the model timed out on both of d3's
    assert figures["top_out_of_scope"] == [{"text": POEM, "turns": 1}]


def test_messages_routing_was_unsure_of_are_listed_with_the_intent_they_matched_weakly(
    tmp_path: Path,
) -> None:
    """FAQ candidates a lead would miss among the messages that matched no intent: handed off
    as unsure with no model, or given to the model (answered, failed, refused) under
    routing.direct_threshold (0.55); not an intent the bot is sure of, nor a handoff intent."""
    week = [
        ("w1", "do you do gift wrapping", "offline"),  # gift_cards 0.44: unsure_no_model
        ("w2", "can I pay with bitcoin", completion("We take cards and PayPal.")),  # 0.39
        ("w3", "do you do gift wrapping", TIMEOUT),  # the model down: a fallback
        ("w4", "where is my order?", completion("It shipped yesterday.")),  # 0.80: sure
        ("w5", "talk to a human", None),  # a handoff intent, asked for
    ]
    folder = reviewed_bot(tmp_path, week=week)
    figures = report(folder)
    assert figures["top_matched_weakly"] == [
        {"text": "do you do gift wrapping", "intent": "gift_cards", "turns": 2},
        {"text": "can I pay with bitcoin", "intent": "payment_methods", "turns": 1},
    ]
    assert figures["top_out_of_scope"] == []  # they matched an intent, if weakly
    assert report(folder, "--top", "1")["top_matched_weakly"] == figures["top_matched_weakly"][:1]
    lines = CliRunner().invoke(main, ["report", "--bot", str(folder)]).output.splitlines()
    table = lines[next(i for i, line in enumerate(lines) if line.startswith("matched weakly")) :]
    assert table[0].split() == ["matched", "weakly", "(unsure)", "intent", "turns"]
    assert table[1].split()[-2:] == ["gift_cards", "2"]


def test_shares_are_of_the_tables_total_and_ties_go_by_name(folder: Path) -> None:
    figures = report(folder)
    assert [row["intent"] for row in figures["top_intents"]][:2] == [
        "create_account", "order_status",
    ]  # fmt: skip
    assert list(figures["handoffs"])[:2] == ["asked_for_person", "postfilter"]
    out = CliRunner().invoke(main, ["report", "--bot", str(folder)]).output
    lines = out.splitlines()
    asked = next(line for line in lines if line.startswith("asked_for_person"))
    assert asked.split()[1:] == ["2", "29%"]  # of the 7 handoffs, not of the 15 turns
    timeout = next(line for line in lines if line.startswith("model timeout"))
    assert timeout.split()[2:] == ["1", "50%"]  # of the 2 fallbacks
    assert "matched no intent" in out and "unanswered" not in out


def test_a_table_piped_to_a_file_cuts_no_name_and_wraps_no_row(folder: Path) -> None:
    out = CliRunner().invoke(main, ["report", "--bot", str(folder)]).output
    assert "…" not in out
    row = next(line for line in out.splitlines() if line.startswith("that didn't help"))
    assert row.split()[-5:] == ["order_status", "asked_for_person", "1", "c1", "#3"]
    assert len(row) > 80


def test_a_complaint_intent_that_hands_off_counts_as_both() -> None:
    """``complaint: true`` and ``handoff: true`` on one intent is no contradiction (the
    README's ``complaint`` row): a shop that sends its complaints to a person still sees them
    counted against the answer before, and among the handoffs as asked for."""
    from servicebot.report import Intents, build_report

    at = now()
    turns = [
        TurnRecord("c", "where is my order?", "It shipped.", "answer", "order_status", 0.9, at=at),
        TurnRecord("c", "that didn't help", "A person...", "handoff", "complaint", 0.8, at=at),
    ]
    both = Intents(
        handoff={"complaint"}, known={"order_status", "complaint"}, complaint={"complaint"}
    )
    figures = build_report([turns], at, both).as_data(10)
    assert figures["handoffs"] == {"asked_for_person": 1}
    assert [(a["text"], a["answered_intent"], a["outcome"]) for a in figures["after_answers"]] == [
        ("that didn't help", "order_status", "complaint")
    ]


def test_a_broken_faq_file_leaves_the_report_to_the_store_and_says_what_it_lacks(
    folder: Path,
) -> None:
    (folder / "faq" / "general.yaml").write_text("intents:\n  - name: [broken\n", "utf-8")
    result = CliRunner().invoke(main, ["report", "--bot", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert (figures["conversations"], figures["turns"]) == (10, 15)
    assert figures["actions"] == EXPECTED["actions"]
    assert figures["handoffs"] == EXPECTED["handoffs"]  # talk_to_human only ever handed off
    assert figures["after_answers"] == EXPECTED["after_answers"]
    assert figures["top_matched_weakly"] == EXPECTED["matched_weakly"]  # servicebot.yaml's 0.55
    said = result.stderr
    assert said.startswith("warning: the bot folder does not load (")
    assert "general.yaml" in said and "handoff intents are taken from the stored turns" in said
    assert "complaints" in said and "not counted" in said
    table = CliRunner().invoke(main, ["report", "--bot", str(folder)])
    assert table.exit_code == 0 and table.stdout.startswith("10 conversations, 15 turns")


def test_a_broken_settings_file_still_stops_the_report(tmp_path: Path) -> None:
    folder = reviewed_bot(tmp_path)
    (folder / "servicebot.yaml").write_text("store: [broken\n", "utf-8")
    result = CliRunner().invoke(main, ["report", "--bot", str(folder)])
    assert result.exit_code == 1
    assert "fix servicebot.yaml first" in result.output


def test_the_report_gives_the_share_of_rated_answers_found_helpful(folder: Path) -> None:
    earlier_turns(folder)
    rated(
        folder,
        ("c1", 2, False, "still not here"),  # order_status
        ("c9", 1, False, None),  # order_status
        ("c7", 1, True, None),  # order_status
        ("c10", 1, True, "thanks"),  # shipping_times_costs
        ("c1", 1, True, None),  # 30 days old: in neither period
        ("p2", 1, True, None),  # 10 days old: the previous period
    )
    figures = report(folder)
    assert figures["ratings"] == {
        "rated": 4, "helpful": 2, "helpful_share": 0.5,
        "least_helpful_intents": [
            {"intent": "order_status", "rated": 3, "not_helpful": 2, "helpful_share": 0.333},
        ],
    }  # fmt: skip
    previous = figures["previous"]
    assert previous["ratings"] == {"rated": 1, "helpful": 1, "helpful_share": 1.0}
    shown = {(f["figure"], f["kind"]): (f["turns"], f["previous"]) for f in previous["figures"]}
    assert shown[("rated answers", None)] == (4, 1)
    assert shown[("rated answers", "helpful")] == (2, 1)
    out = CliRunner().invoke(main, ["report", "--bot", str(folder)]).output
    helpful = "found helpful: 50% of 4 rated answers (previous 7 days: 100% of 1 rated answer)"
    assert f"\n\n{helpful}\n" in out  # a line of its own after a blank one, at its start
    lines = out.splitlines()
    table = lines[next(i for i, line in enumerate(lines) if line.startswith("rated not helpful")) :]
    assert table[0].split()[3:] == ["rated", "not", "helpful", "helpful"]
    assert table[1].split() == ["order_status", "3", "2", "33%"]


def test_a_report_without_ratings_says_none_were_given(tmp_path: Path) -> None:
    figures = report(reviewed_bot(tmp_path))
    assert figures["ratings"] == {
        "rated": 0,
        "helpful": 0,
        "helpful_share": None,
        "least_helpful_intents": [],
    }
    (tmp_path / "t").mkdir()
    out = CliRunner().invoke(main, ["report", "--bot", str(reviewed_bot(tmp_path / "t"))]).output
    assert "found helpful" not in out and "rated not helpful" not in out


HIDDEN = "tell me a joke \u202eabout\u2028 penguins\u200b"  # a bidi override, U+2028, ZWSP


def test_report_json_on_a_terminal_escapes_what_it_would_act_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = reviewed_bot(tmp_path, week=[("c2", HIDDEN, "offline")])
    piped = CliRunner().invoke(main, ["report", "--bot", str(folder), "--json"]).output
    assert HIDDEN in piped  # as stored
    monkeypatch.setattr("servicebot.cli.review.on_terminal", lambda: True)
    shown = CliRunner().invoke(main, ["report", "--bot", str(folder), "--json"]).output
    assert not {"\u202e", "\u2028", "\u200b"} & set(shown)
    assert json.loads(shown)["top_out_of_scope"] == [{"text": HIDDEN, "turns": 1}]
