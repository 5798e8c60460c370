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
from tests.unit.reviewbots import OLD, POEM, reviewed_bot

EXPECTED: dict[str, Any] = {
    "conversations": 10,
    "turns": 15,
    "actions": {
        "answer": 3, "direct": 1, "out_of_scope": 3, "handoff": 5, "fallback": 2, "blocked": 1,
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
    "unanswered": [
        {"text": POEM, "turns": 2},
        {"text": "what's the weather on mars", "turns": 1},
        {"text": "tell me a joke about penguins", "turns": 1},
    ],
    "after_answers": [
        {"conversation_id": "c1", "turn": 3, "text": "that didn't help, I want to talk to a human",
         "outcome": "asked_for_person", "answered_intent": "order_status"},
        {"conversation_id": "c7", "turn": 2, "text": "没用，转人工",
         "outcome": "asked_for_person", "answered_intent": "order_status"},
        {"conversation_id": "c9", "turn": 2, "text": POEM, "outcome": "out_of_scope",
         "answered_intent": "order_status"},
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
    assert figures["top_unanswered"] == EXPECTED["unanswered"]
    assert figures["after_answers"] == EXPECTED["after_answers"]


def test_the_period_reaches_back_to_since_and_lists_only_the_top(folder: Path) -> None:
    month = report(folder, "--since", f"{now() - timedelta(days=31):%Y-%m-%d}", "--top", "1")
    assert (month["conversations"], month["turns"]) == (10, 16)  # the old turn of c1 too
    assert month["actions"]["direct"] == 2
    assert len(month["top_intents"]) == 1
    assert month["top_unanswered"] == [{"text": POEM, "turns": 2}]
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


def test_a_report_of_no_turns_says_so(tmp_path: Path) -> None:
    folder = reviewed_bot(tmp_path)
    since = f"{now() + timedelta(days=2):%Y-%m-%d}"
    result = CliRunner().invoke(main, ["report", "--bot", str(folder), "--since", since])
    assert result.exit_code == 0
    assert result.output.startswith("no turns stored since ")
    both = ["report", "--bot", str(folder), "--days", "3", "--since", since]
    assert "give --days or --since, not both" in CliRunner().invoke(main, both).output


def test_a_handoff_to_an_intent_the_bot_no_longer_has_says_so() -> None:
    from servicebot.report import GONE, handoff_reason

    turn = TurnRecord("c", "hi", "...", "handoff", intent="old_name")
    assert handoff_reason(turn, {"talk_to_human"}, {"talk_to_human"}) == GONE
