"""Customers' ratings (``Bot.rate``) in `servicebot history ID`, its list (`--not-helpful`)
and `--holding`, and removed by `purge --holding` (an erasure request): over an offline bot
made with `servicebot init`, its SQLite file and a Redis server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from servicebot import Bot
from servicebot.cli import main
from servicebot.config import load_bot
from servicebot.store import open_bot_store
from tests.e2e.test_store_cli_holding import bot_with_turns

COMMENT = "wrong again, just call me on +1 415 555 2671"


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def bot(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    folder = bot_with_turns(tmp_path, url)  # c-alice has two turns, c-other one
    rating = Bot.load(folder, offline=True)
    rating.rate("c-alice", 1, False, comment=COMMENT)
    rating.rate("c-alice", 2, True)
    rating.close()
    return folder


def invoke(bot: Path, *args: str, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(main, [*args, "--bot", str(bot)], input=stdin)
    assert result.exit_code == 0, result.output
    return result


def test_history_shows_each_rated_turns_rating_and_its_masked_comment(bot: Path) -> None:
    lines = invoke(bot, "history", "c-alice").output.splitlines()
    rated = [line for line in lines if line.startswith("  rated:")]
    assert rated == [
        "  rated:    not helpful: wrong again, just call me on [PHONE_1]",
        "  rated:    helpful",
    ]
    assert "415" not in invoke(bot, "history", "c-alice").output
    turns = [
        json.loads(line)
        for line in invoke(bot, "history", "c-alice", "--json").output.split("\n")
        if line
    ]
    assert [turn["rating"] and turn["rating"]["helpful"] for turn in turns] == [False, True]
    assert turns[0]["rating"]["comment"] == "wrong again, just call me on [PHONE_1]"
    other = json.loads(invoke(bot, "history", "c-other", "--json").output)
    assert other["rating"] is None


def test_a_phone_given_only_in_a_comment_is_found_and_erased_with_its_rating(bot: Path) -> None:
    found = invoke(bot, "history", "--holding", "415-555-2671")
    assert found.output.splitlines()[0].startswith("c-alice")
    assert found.output.splitlines()[0].endswith("[PHONE_1]")
    exported = invoke(bot, "history", "--holding", "415-555-2671", "--json").output
    assert "just call me on [PHONE_1]" in exported  # the access request has the comment
    assert "c-alice" in invoke(bot, "purge", "--holding", "415-555-2671", "--yes").output
    store = open_bot_store(load_bot(bot))
    assert store.ratings("c-alice") == {} and store.history("c-alice") == []
    store.close()


def test_history_lists_the_conversations_rated_not_helpful_with_their_counts(bot: Path) -> None:
    listed = invoke(bot, "history", "--not-helpful").output.splitlines()
    assert [line.split()[0] for line in listed] == ["c-alice"]  # c-other is not rated
    assert listed[0].endswith("(direct 2; rated 2, not helpful 1)")
    every = invoke(bot, "history").output
    assert "c-other" in every and "rated 2, not helpful 1" in every
    summary = json.loads(invoke(bot, "history", "--not-helpful", "--json").output)
    assert (summary["conversation_id"], summary["rated"], summary["not_helpful"]) == (
        "c-alice",
        2,
        1,
    )


def test_history_not_helpful_lists_the_most_answers_rated_so_first(bot: Path) -> None:
    rating = Bot.load(bot, offline=True)
    rating.rate("c-other", 1, False)  # c-other's turn is newer than c-alice's
    rating.rate("c-alice", 2, False, comment="no")
    rating.close()
    listed = invoke(bot, "history", "--not-helpful").output.splitlines()
    assert [line.split()[0] for line in listed] == ["c-alice", "c-other"]
    invoke(bot, "purge", "--conversation", "c-alice")
    invoke(bot, "purge", "--conversation", "c-other")
    none = invoke(bot, "history", "--not-helpful", "--days", "2").output
    assert none == "no conversation with an answer rated not helpful in the last 2 days\n"


HIDDEN = "red \x1b]52;c;aGk=\x07 \u202eevil\u2028 line\u200b"  # OSC 52, bidi, U+2028, ZWSP


def test_history_json_on_a_terminal_escapes_what_it_would_act_on(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rating = Bot.load(bot, offline=True)
    rating.rate("c-other", 1, False, comment=HIDDEN)
    rating.close()
    lines = [
        invoke(bot, "history", "c-other", "--json").output,
        invoke(bot, "history", "--json").output,  # the list, a conversation a line
    ]
    assert "\u202eevil\u2028 line\u200b" in lines[0]  # piped: as stored
    monkeypatch.setattr("servicebot.cli.storage.on_terminal", lambda: True)
    shown = invoke(bot, "history", "c-other", "--json").output
    listed = invoke(bot, "history", "--json").output
    for output in (shown, listed):
        assert not {"\x1b", "\x07", "\u202e", "\u2028", "\u200b"} & set(output)
    assert json.loads(shown)["rating"]["comment"] == HIDDEN  # JSON's escapes: as stored
    assert len(listed.splitlines()) == len(lines[1].splitlines())
