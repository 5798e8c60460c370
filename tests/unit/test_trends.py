"""``servicebot report``'s comparison with the previous period (servicebot/trends.py): each
headline figure beside the 7 days before the week of tests/unit/reviewbots.py, with its
change, in the JSON and the table."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from servicebot.cli import main
from tests.unit.reviewbots import earlier_turns, report, reviewed_bot


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def folder(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    redis = request.getfixturevalue("redis_url") if request.param == "redis" else None
    return reviewed_bot(tmp_path, redis)


def test_each_headline_figure_is_compared_with_the_previous_period(folder: Path) -> None:
    earlier_turns(folder)
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
    earlier_turns(folder)
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
