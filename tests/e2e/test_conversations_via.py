"""A script's `via:` key: its turns run through Bot.stream, Bot.areply and Bot.astream too,
as chat widgets and web servers call the bot, on the same recordings as Bot.reply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from servicebot.pipeline import Bot
from tests.e2e.conftest import edit, line_of, servicebot

WAYS = ["reply", "stream", "areply", "astream"]


def _via(script: Path, via: str) -> None:
    edit(script, "turns:\n", f"via: {via}\nturns:\n")


def _counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often each Bot method a script may run through is called."""
    calls = dict.fromkeys(WAYS, 0)
    for way in WAYS:
        method = getattr(Bot, way)

        def counted(self: Bot, *args: Any, _way: str = way, _method: Any = method) -> Any:
            calls[_way] += 1
            return _method(self, *args)

        monkeypatch.setattr(Bot, way, counted)
    return calls


def test_a_script_runs_each_way_it_names_on_the_same_recordings(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The script runner called Bot.reply alone: a streamed reply was never tested offline.
    script = bot / "tests/conversations/shipping_follow_up.yaml"
    _via(script, "[reply, stream, areply, astream]")
    calls = _counted(monkeypatch)
    result = servicebot("test", script)
    assert result.exit_code == 0, result.output
    assert "\n1 passed" in result.output
    assert calls == dict.fromkeys(WAYS, 2)  # each of the two turns, each way


def test_a_failure_names_the_way_its_turn_ran(bot: Path) -> None:
    script = bot / "tests/conversations/shipping_follow_up.yaml"
    _via(script, "[stream, astream]")
    edit(script, 'contains: ["7-14 business days"]', 'contains: ["8-15 business days"]')
    result = servicebot("test", script)
    assert result.exit_code == 1
    line = line_of(script, "8-15 business days")
    for way in ["stream", "astream"]:
        assert f"{script}:{line}: turn 1 via {way}: expected the reply to contain" in result.output
    assert f"{script}:{line}: turn 1: expected" not in result.output  # no Bot.reply run


def test_a_script_without_via_runs_through_reply_alone(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counted(monkeypatch)
    result = servicebot("test", bot / "tests/conversations/shipping_follow_up.yaml")
    assert result.exit_code == 0, result.output
    assert calls == {"reply": 2, "stream": 0, "areply": 0, "astream": 0}


@pytest.mark.parametrize(
    ("via", "message"),
    [
        ("strem", "'via' item 1: 'strem' is not allowed (did you mean 'stream'?)"),
        ("[reply, astrem]", "'via' item 2: 'astrem' is not allowed (did you mean 'astream'?)"),
        ("[]", "'via' needs at least 1 item"),
    ],
)
def test_a_mistake_in_via_is_reported_at_its_line(bot: Path, via: str, message: str) -> None:
    script = bot / "tests/conversations/shipping_follow_up.yaml"
    _via(script, via)
    result = servicebot("test", script)
    assert result.exit_code == 1
    assert f"{script}:{line_of(script, 'via:')}:" in result.output
    assert message in result.output


def test_a_missing_recording_is_said_once_for_every_way(bot: Path) -> None:
    # It was printed four times, its whole diff each time: every way sends the same request.
    script = bot / "tests/conversations/shipping_follow_up.yaml"
    _via(script, "[reply, stream, areply, astream]")
    edit(bot / "templates/system.j2", "English, friendly", "English, warm")
    result = servicebot("test", script)
    assert result.exit_code == 1
    line = line_of(script, "customer: Do you ship to Canada?")
    assert f"{script}:{line}: turn 1: expected a recorded model reply" in result.output
    assert result.output.count("no recorded reply in") == 1
    assert result.output.count("expected a recorded model reply") == 1


def test_via_all_runs_every_script_each_way_whatever_its_own_via_says(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Checking the streaming and async paths meant adding `via:` to every script.
    calls = _counted(monkeypatch)
    result = servicebot("test", "--via", "all", bot / "tests/conversations/shipping_follow_up.yaml")
    assert result.exit_code == 0, result.output
    assert calls == dict.fromkeys(WAYS, 2)


def test_via_adds_its_ways_to_the_scripts_own(bot: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = bot / "tests/conversations/shipping_follow_up.yaml"
    _via(script, "stream")
    edit(script, 'contains: ["7-14 business days"]', 'contains: ["8-15 business days"]')
    calls = _counted(monkeypatch)
    result = servicebot("test", "--via", "areply, astream", "--via", "areply", script)
    assert result.exit_code == 1
    assert calls == {"reply": 0, "stream": 2, "areply": 2, "astream": 2}
    for way in ["stream", "areply", "astream"]:
        assert f"turn 1 via {way}: expected the reply to contain" in result.output


def test_via_names_the_ways_it_takes(bot: Path) -> None:
    result = servicebot("test", "--via", "reply,strem", "--bot", bot)
    assert result.exit_code == 2
    assert "Invalid value for '--via': 'strem' is not a Bot method" in result.output
    assert "give reply, stream, areply, astream (comma-separated), or all" in result.output


@pytest.mark.parametrize("via", ["", " ", "reply,,stream"])
def test_via_refuses_an_empty_way(bot: Path, via: str) -> None:
    # `--via ""` (an unset variable in a CI script) ran the scripts' own ways in silence.
    result = servicebot("test", "--via", via, "--bot", bot)
    assert result.exit_code == 2
    assert "Invalid value for '--via': '' is not a Bot method" in result.output


def test_via_names_its_ways_in_any_case(bot: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `--via ALL` was refused as no Bot method.
    calls = _counted(monkeypatch)
    script = bot / "tests/conversations/shipping_follow_up.yaml"
    result = servicebot("test", "--via", "ALL", script)
    assert result.exit_code == 0, result.output
    assert calls == dict.fromkeys(WAYS, 2)
    calls.update(dict.fromkeys(WAYS, 0))
    result = servicebot("test", "--via", "Stream, AREPLY", script)
    assert result.exit_code == 0, result.output
    assert calls == {"reply": 2, "stream": 2, "areply": 2, "astream": 0}
