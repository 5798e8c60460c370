"""``servicebot report``: a week of real turns (tests/unit/reviewbots.py) on a SQLite file and
on a Redis server, every figure checked."""

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
from tests.unit.reviewbots import LEAD, OLD, POEM, TIMEOUT, VAGUE, reviewed_bot

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


def report(folder: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["report", "--bot", str(folder), "--json", *args])
    assert result.exit_code == 0, result.output
    figures: dict[str, Any] = json.loads(result.output)
    return figures


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


def _earlier_turns(folder: Path) -> None:
    """Three turns 10 days ago, in the 7 days before the report's week, and one 20 days ago,
    in neither."""
    from servicebot import load_bot
    from servicebot.store import open_bot_store

    at = now() - timedelta(days=10)
    store = open_bot_store(load_bot(folder))
    for stored in (
        TurnRecord("p1", "talk to a human", "A person...", "handoff", "talk_to_human", 0.9, at=at),
        TurnRecord("p2", "how long does shipping take?", "3-5 days", "direct",
                   "shipping_times_costs", 0.9, at=at),
        TurnRecord("p3", POEM, "I only help with the shop.", "out_of_scope", at=at),
        TurnRecord("p4", POEM, "I only help with the shop.", "out_of_scope",
                   at=now() - timedelta(days=20)),
    ):  # fmt: skip
        store.append_turn(stored)
    store.close()


def test_each_headline_figure_is_compared_with_the_previous_period(folder: Path) -> None:
    _earlier_turns(folder)
    figures = report(folder)
    assert figures["turns"] == 15  # the week itself is unchanged
    previous = figures["previous"]
    assert (previous["conversations"], previous["turns"]) == (3, 3)
    assert previous["until"] == figures["since"]
    shown = {(f["figure"], f["kind"]): (f["turns"], f["previous"], f["change_percent"])
             for f in previous["figures"]}  # fmt: skip
    assert shown[("turns", None)] == (15, 3, 400)
    assert shown[("answered", None)] == (4, 1, 300)
    assert shown[("answered", "direct")] == (1, 1, 0)
    assert shown[("answered", "model")] == (3, 0, None)
    assert shown[("handoffs", None)] == (7, 1, 600)
    assert shown[("handoffs", "asked_for_person")] == (2, 1, 100)
    assert shown[("handoffs", "model_failed")] == (1, 0, None)
    assert shown[("fallbacks", "model timeout")] == (1, 0, None)
    assert shown[("complaints", None)] == (0, 0, None)
    assert shown[("matched no intent", None)] == (4, 1, 300)
    assert [f["figure"] for f in previous["figures"]][:4] == ["turns"] + ["answered"] * 3


def test_the_table_shows_the_previous_period_and_the_change(tmp_path: Path) -> None:
    folder = reviewed_bot(tmp_path)
    _earlier_turns(folder)
    out = CliRunner().invoke(main, ["report", "--bot", str(folder)]).output
    lines = out.splitlines()
    assert "previous 7 days" in next(line for line in lines if line.startswith("compared"))
    assert next(line for line in lines if line.startswith("handoffs")).split() == [
        "handoffs", "7", "1", "+600%",
    ]  # fmt: skip
    asked = next(line for line in lines if line.startswith("  asked_for_person"))
    assert asked.split()[1:] == ["2", "1", "+100%"]  # indented under the handoffs
    assert next(line for line in lines if line.startswith("complaints")).split()[1:] == [
        "0", "0", "-",
    ]  # fmt: skip
    assert next(line for line in lines if "model_failed" in line).split()[1:] == ["1", "0", "new"]


def _late_turns(folder: Path) -> str:
    """A handoff at 23:30 UTC and a message that matched no intent at 00:10 UTC the next day,
    3 and 2 days ago: on two UTC days, on one day in Shanghai (UTC+8). The first day's."""
    from servicebot import load_bot
    from servicebot.store import open_bot_store

    day = (now() - timedelta(days=3)).replace(hour=23, minute=30, second=0, microsecond=0)
    store = open_bot_store(load_bot(folder))
    store.append_turn(
        TurnRecord("e1", "talk to a human", "A person...", "handoff", "talk_to_human", 0.9, at=day)
    )
    later = day + timedelta(minutes=40)
    store.append_turn(TurnRecord("e2", POEM, "I only help.", "out_of_scope", at=later))
    store.close()
    return f"{day:%Y-%m-%d}"


def test_by_day_gives_a_row_per_utc_day_of_the_period(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    folder = reviewed_bot(tmp_path)
    late = _late_turns(folder)
    _rated(folder, ("e1", 1, False, None), ("e2", 1, True, None), ("c10", 1, False, None))
    monkeypatch.setenv("TZ", "Asia/Shanghai")  # the operator's clock: days stay UTC's
    time.tzset()
    try:
        figures = report(folder, "--by-day")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    days = figures["by_day"]
    assert days[0]["day"] == figures["since"][:10]
    assert days[-1]["day"] == f"{now():%Y-%m-%d}" and len(days) == 8  # days with no turn too
    row = next(row for row in days if row["day"] == late)
    assert {k: v for k, v in row.items() if k != "day"} == {
        "turns": 1, "handoffs": 1, "fallbacks": 0, "complaints": 0, "matched_no_intent": 0,
        "rated": 1, "not_helpful": 1,
    }  # fmt: skip
    assert sum(row["turns"] for row in days) == figures["turns"] == 17
    assert sum(row["handoffs"] for row in days) == sum(figures["handoffs"].values())
    assert sum(row["matched_no_intent"] for row in days) == figures["matched_no_intent"]
    assert sum(row["rated"] for row in days) == figures["ratings"]["rated"] == 3
    assert sum(row["not_helpful"] for row in days) == 2  # a rating on its turn's day
    assert "by_day" not in report(folder)


def test_by_day_prints_a_table_of_days(tmp_path: Path) -> None:
    folder = reviewed_bot(tmp_path)
    late = _late_turns(folder)
    _rated(folder, ("e1", 1, False, None))
    out = CliRunner().invoke(main, ["report", "--bot", str(folder), "--by-day"]).output
    lines = out.splitlines()
    assert next(line for line in lines if line.startswith("day (UTC)")).split()[2:] == [
        "turns", "handoffs", "fallbacks", "complaints", "no", "match", "rated", "not", "helpful",
    ]  # fmt: skip
    assert next(line for line in lines if line.startswith(late)).split()[1:] == [
        "1", "1", "0", "0", "0", "1", "1",
    ]  # fmt: skip
    assert "day (UTC)" not in CliRunner().invoke(main, ["report", "--bot", str(folder)]).output


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


def _rated(folder: Path, *ratings: tuple[str, int, bool, str | None]) -> None:
    """Customers' ratings of stored turns, given through the bot, as a web handler would."""
    from servicebot.pipeline import Bot

    bot = Bot.load(folder, offline=True)
    for conversation, turn, helpful, comment in ratings:
        bot.rate(conversation, turn, helpful, comment=comment)
    bot.close()


def test_the_report_gives_the_share_of_rated_answers_found_helpful(folder: Path) -> None:
    _earlier_turns(folder)
    _rated(
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
