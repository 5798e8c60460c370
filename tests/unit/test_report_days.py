"""``servicebot report --by-day``: a row per UTC day of the period (whatever the operator's
clock), each day's turns, handoffs, fallbacks, complaints, messages that matched no intent and
ratings, in the JSON and the table."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from servicebot.cli import main
from servicebot.store import TurnRecord, now
from tests.unit.reviewbots import POEM, rated, report, reviewed_bot


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
    rated(folder, ("e1", 1, False, None), ("e2", 1, True, None), ("c10", 1, False, None))
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
    rated(folder, ("e1", 1, False, None))
    out = CliRunner().invoke(main, ["report", "--bot", str(folder), "--by-day"]).output
    lines = out.splitlines()
    assert next(line for line in lines if line.startswith("day (UTC)")).split()[2:] == [
        "turns", "handoffs", "fallbacks", "complaints", "no", "match", "rated", "not", "helpful",
    ]  # fmt: skip
    assert next(line for line in lines if line.startswith(late)).split()[1:] == [
        "1", "1", "0", "0", "0", "1", "1",
    ]  # fmt: skip
    assert "day (UTC)" not in CliRunner().invoke(main, ["report", "--bot", str(folder)]).output
