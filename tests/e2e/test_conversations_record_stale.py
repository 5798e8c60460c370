"""`servicebot record --only-stale`: only the replies whose recording is stale or missing are
recorded; every recording that still matches is kept as it is, one written by hand too."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.e2e.conftest import NAMES, edit, served_by, servicebot
from tests.openai_server import OpenAIServer

REPLIES = REPO / "tests" / "replies"


def _unchanged(bot: Path, *but: str) -> None:
    """Every cassette of ``bot`` but those named ``but`` is the committed one, byte for byte."""
    for cassette in REPLIES.iterdir():
        if cassette.stem not in but:
            assert (bot / "tests/replies" / cassette.name).read_bytes() == cassette.read_bytes()


def test_only_stale_records_the_stale_turn_and_keeps_the_hand_written_one(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Recording live replaced every cassette, the hand-written answers that still matched too.
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-for-the-local-server")
    script = bot / "tests/conversations/shipping_follow_up.yaml"
    edit(script, "customer: and to Germany?", "customer: and to Germany, too?")
    edit(script, "- and to Germany?", "- and to Germany, too?")
    with OpenAIServer(validate=False) as server:
        served_by(bot, server)
        server.responder = lambda body: "Yes, Germany too, with DHL Express in 7-14 business days."
        result = servicebot("record", "--only-stale", "--yes", "--bot", bot)
        assert result.exit_code == 0, result.output
        assert len(server.requests) == 1  # turn 2 alone
    assert f"{len(NAMES) - 1} conversations whose recordings match: left as they are" in (
        result.output
    )
    assert "up to 2 model calls (2 customer turns in 1 conversation)" in result.output
    assert "keeping each recording that still matches" in result.output
    assert "warning" not in result.output  # no hand-written answer is replaced
    first, second = yaml.safe_load(
        (bot / "tests/replies/shipping_follow_up.yaml").read_text("utf-8")
    )["entries"]
    committed = yaml.safe_load((REPLIES / "shipping_follow_up.yaml").read_text("utf-8"))
    assert first == committed["entries"][0]  # written by hand, and kept so
    assert second["origin"]["recorded_from"] == "gpt-4o-mini"
    assert second["request"]["messages"][-1]["content"] == "and to Germany, too?"
    _unchanged(bot, "shipping_follow_up")
    assert servicebot("test", "--bot", bot).exit_code == 0


def test_only_stale_with_every_recording_matching_records_nothing(bot: Path) -> None:
    result = servicebot("record", "--only-stale", "--by-hand", "--bot", bot)
    assert result.exit_code == 0, result.output
    assert (
        f"the recordings of every one of {len(NAMES)} conversations match: nothing to record"
        in result.output
    )
    assert "recorded into" not in result.output
    _unchanged(bot)


def test_only_stale_by_hand_writes_a_missing_cassette_alone(bot: Path) -> None:
    (bot / "tests/replies/refund_with_faq_context.yaml").unlink()
    result = servicebot("record", "--only-stale", "--by-hand", "--bot", bot)
    assert result.exit_code == 0, result.output
    assert "refund_with_faq_context  1      passed" in result.output
    _unchanged(bot)  # the missing one written as committed, the others untouched


def test_only_stale_rewrites_an_outage_the_script_no_longer_gives(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-for-the-local-server")
    script = bot / "tests/conversations/model_outage.yaml"
    script.write_text(script.read_text("utf-8").replace("timeout", "rate_limit"), encoding="utf-8")
    with OpenAIServer(validate=False) as server:
        served_by(bot, server)
        result = servicebot("record", "--only-stale", "--yes", "--bot", bot)
        assert result.exit_code == 0, result.output
        assert not server.requests  # a scripted outage is written by hand
    entries = yaml.safe_load((bot / "tests/replies/model_outage.yaml").read_text("utf-8"))
    assert [entry["error"] for entry in entries["entries"]] == ["rate_limit", "rate_limit"]
    _unchanged(bot, "model_outage")
