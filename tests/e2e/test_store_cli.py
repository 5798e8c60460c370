"""`servicebot history`, `purge` and `usage` over a bot's real store: a SQLite file and Redis."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from servicebot import load_bot
from servicebot.cli import main
from servicebot.store import TurnRecord, now, open_bot_store

PHONE_EVENT = {"stage": "prefilter", "detector": "pii", "kind": "PHONE", "action": "mask",
               "placeholder": "[PHONE_1]", "count": 1}  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def bot(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    folder = tmp_path / "bot"
    CliRunner().invoke(main, ["init", str(folder)])
    url = "sqlite:///.servicebot/conversations.db"
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
    settings = folder / "servicebot.yaml"
    text = settings.read_text(encoding="utf-8")
    text = text.replace("name: Maple Market support", f"name: Maple {uuid.uuid4().hex}")
    text = text.replace("url: sqlite:///.servicebot/conversations.db", f"url: {url}")
    settings.write_text(text + "prices:\n  gpt-4o-mini: {input: 0.15, output: 0.60}\n", "utf-8")
    store = open_bot_store(load_bot(folder))
    priced = {"model": "gpt-4o-mini", "prompt_tokens": 1_000_000, "completion_tokens": 500_000}
    first = TurnRecord(
        "c-42", "my phone is [PHONE_1]", "We'll call you.", "answer",
        intent="order_status", score=0.9, events=(PHONE_EVENT,), **priced,  # type: ignore[arg-type]
    )  # fmt: skip
    store.append_turn(first)
    store.append_turn(TurnRecord("c-42", "thanks", "You're welcome!", "direct", intent="thanks"))
    store.append_turn(TurnRecord("old", "hi", "Hello!", "direct", at=now() - timedelta(days=200)))
    store.close()
    return folder


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_history_prints_each_turn_with_action_intent_and_filter_events(bot: Path) -> None:
    lines = run("history", "c-42", "--bot", str(bot)).splitlines()
    assert lines[0].startswith("#1 ") and lines[0].endswith("answer order_status (0.90)")
    assert lines[1:4] == [
        "  customer: my phone is [PHONE_1]",
        "  bot:      We'll call you.",
        "  filter:   prefilter pii PHONE mask [PHONE_1]",
    ]
    assert lines[4].endswith("direct thanks")  # an intent without a score still shows


_STOPPED = {"stage": "model", "detector": "caller", "kind": "stopped", "action": "kept"}


@pytest.mark.parametrize(
    ("event", "action", "reply", "said"),
    [
        ({"stage": "model", "detector": "model", "kind": "timeout", "action": "fallback"},
         "fallback", "Sorry.", "  model:    failed (timeout), fallback"),
        (_STOPPED, "answer", "Refunds take 5 days.",
         "  model:    stopped by the caller; the part shown is kept"),
        (_STOPPED, "answer", "", "  model:    stopped by the caller; nothing had been shown"),
    ],
)  # fmt: skip
def test_history_says_what_became_of_the_model_call(
    bot: Path, event: dict[str, str], action: str, reply: str, said: str
) -> None:
    store = open_bot_store(load_bot(bot))
    store.append_turn(TurnRecord("call", "hi", reply, action, events=(event,)))
    store.close()
    lines = run("history", "call", "--bot", str(bot)).splitlines()
    assert lines[0].endswith(f" {action}") and lines[3] == said


def test_history_says_when_a_fallback_handed_the_customer_to_a_person(bot: Path) -> None:
    store = open_bot_store(load_bot(bot))
    handed = TurnRecord("out", "hi", "I'm passing you to a person.", "fallback", fallback="handoff")
    store.append_turn(handed)
    store.close()
    assert run("history", "out", "--bot", str(bot)).splitlines()[0].endswith(" fallback (handoff)")
    (turn,) = [json.loads(line) for line in run("history", "out", "--json", "--bot", str(bot))
               .splitlines()]  # fmt: skip
    assert (turn["action"], turn["fallback"]) == ("fallback", "handoff")


_TIMEOUT = {"stage": "model", "detector": "model", "kind": "timeout", "action": "fallback"}


def test_history_without_an_id_lists_recent_conversations_newest_first(bot: Path) -> None:
    store = open_bot_store(load_bot(bot))  # past retention, the 200-day-old goes
    month = now() - timedelta(days=30)
    store.append_turn(TurnRecord("month", "hi", "Hello!", "direct", at=month))
    store.append_turn(TurnRecord("c-7", "hi", "Sorry.", "fallback", events=(_TIMEOUT,)))
    store.append_turn(TurnRecord("c-8", "hi", "Stop.", "answer", events=(_STOPPED,)))
    store.close()
    lines = run("history", "--bot", str(bot)).splitlines()
    assert [line.split()[0] for line in lines] == ["c-8", "c-7", "c-42"]  # not the 30-day-old
    assert lines[1].endswith("1 turn (fallback 1; model failed 1)")
    assert lines[2].endswith("2 turns (answer 1, direct 1)")
    # A caller that stopped reading is no failure; only c-7's model call failed.
    assert run("history", "--failed", "--bot", str(bot)).split()[0] == "c-7"
    assert run("history", "--days", "365", "--bot", str(bot)).splitlines()[-1].startswith("month ")


def test_history_as_json_lines_for_scripts(bot: Path) -> None:
    turns = [json.loads(line) for line in run("history", "c-42", "--json", "--bot", str(bot))
             .splitlines()]  # fmt: skip
    assert [t["number"] for t in turns] == [1, 2]
    assert turns[0]["events"] == [PHONE_EVENT] and turns[0]["customer_text"].endswith("[PHONE_1]")
    listed = json.loads(run("history", "--json", "--bot", str(bot)))
    assert listed == {"conversation_id": "c-42", "last_at": turns[1]["at"], "turns": 2,
                      "failed_model_calls": 0, "actions": {"answer": 1, "direct": 1},
                      "rated": 0, "not_helpful": 0}  # fmt: skip


def test_history_says_when_no_conversation_is_listed(bot: Path) -> None:
    assert run("history", "--failed", "--bot", str(bot)) == (
        "no conversation with a failed model call in the last 7 days\n"
    )
    result = CliRunner().invoke(main, ["history", "c-42", "--failed", "--bot", str(bot)])
    assert result.exit_code == 2 and "give no CONVERSATION" in result.output


def test_a_period_of_one_day_is_said_in_the_singular(bot: Path) -> None:
    assert run("history", "--failed", "--days", "1", "--bot", str(bot)) == (
        "no conversation with a failed model call in the last day\n"
    )
    run("purge", "--older-than", "0", "--yes", "--bot", str(bot))
    assert run("usage", "--days", "1", "--bot", str(bot)) == "no turns stored in the last day\n"


def test_history_shows_control_characters_as_escapes_not_to_the_terminal(bot: Path) -> None:
    clipboard = "\x1b]52;c;ZWNobyBwd25lZA==\x07where is my order\u202e\x00"
    store = open_bot_store(load_bot(bot))
    store.append_turn(TurnRecord("hostile", clipboard, "\x1b[2JAnswer\r", "answer"))
    store.close()
    lines = run("history", "hostile", "--bot", str(bot)).splitlines()
    assert lines[1] == "  customer: \\x1b]52;c;ZWNobyBwd25lZA==\\x07where is my order\\u202e\\x00"
    assert lines[2] == "  bot:      \\x1b[2JAnswer\\x0d"


def test_history_shows_zero_width_characters_as_escapes_and_stores_them_as_written(
    bot: Path,
) -> None:
    # U+200B, U+200D and U+FEFF were printed raw, while U+202E beside them was escaped.
    from servicebot import Bot

    typed = "wh\u200bere is my or\u200dder\ufeff? \u202eredro\u202c"
    embedded = Bot.load(bot, offline=True)
    embedded.reply(typed, conversation_id="c-zw")
    assert embedded.store.history("c-zw", 1)[0].customer_text == typed
    embedded.close()
    lines = run("history", "c-zw", "--bot", str(bot)).splitlines()
    assert lines[1] == "  customer: wh\\u200bere is my or\\u200dder\\ufeff? \\u202eredro\\u202c"


def test_usage_counts_tokens_and_prices_them(bot: Path) -> None:
    output = run("usage", "--bot", str(bot))
    assert "c-42              2  1,000,000     500,000      0.4500" in output


def test_usage_shows_tokens_without_a_price_as_unpriced_not_free(bot: Path) -> None:
    store = open_bot_store(load_bot(bot))
    unpriced = {"model": "qwen-max", "prompt_tokens": 2_000, "completion_tokens": 300}
    store.append_turn(TurnRecord("q-1", "hi", "Hello!", "answer", **unpriced))  # type: ignore[arg-type]
    store.close()
    output = run("usage", "--bot", str(bot))
    assert "q-1               1      2,000         300           -" in output
    assert "0.4500*" in output  # today: priced and unpriced turns
    assert (
        "- or *: no price in servicebot.yaml for qwen-max, whose tokens are left out of the "
        "cost (-: all of the row's tokens, *: some of them)"
    ) in output


def test_usage_keeps_its_columns_whatever_the_conversation_ids(bot: Path) -> None:
    store = open_bot_store(load_bot(bot))
    for conversation in (uuid.uuid4().hex + "-from-the-mobile-app", "[bold]vip[/bold]\x1b[2J"):
        store.append_turn(TurnRecord(conversation, "hi", "Hello!", "direct"))
    store.close()
    lines = run("usage", "--bot", str(bot)).splitlines()
    table = lines[lines.index(next(line for line in lines if line.startswith("conversation"))) :]
    ends = {len(line.rstrip()) for line in table if line.strip()}
    assert len(ends) == 1, table  # every row's cost column ends where the header's does
    assert any(line.startswith("[bold]vip[/bold]\\x1b[2J ") for line in table)


def test_purge_reports_what_it_removed(bot: Path) -> None:
    removed = run("purge", "--older-than", "90", "--bot", str(bot))
    assert removed == "removed 1 turn in 1 conversation\n"
    removed = run("purge", "--conversation", "c-42", "--bot", str(bot))
    assert removed == "removed 2 turns in 1 conversation\n"
    result = CliRunner().invoke(main, ["history", "c-42", "--bot", str(bot)])
    assert result.exit_code == 1 and "no conversation 'c-42'" in result.output


def test_a_mistake_in_the_faq_does_not_stop_an_erasure_request(bot: Path) -> None:
    faq = next((bot / "faq").glob("*.yaml"))
    faq.write_text(faq.read_text("utf-8").replace("direct: true", "direct: maybe", 1), "utf-8")
    assert "customer: my phone is [PHONE_1]" in run("history", "c-42", "--bot", str(bot))
    assert "0.4500" in run("usage", "--bot", str(bot))  # priced from the settings
    assert run("purge", "--conversation", "c-42", "--bot", str(bot)).startswith("removed 2 turns")
    settings = bot / "servicebot.yaml"
    settings.write_text(settings.read_text("utf-8") + "store: [oops\n", "utf-8")
    result = CliRunner().invoke(main, ["purge", "--conversation", "old", "--bot", str(bot)])
    assert result.exit_code == 1 and f"{settings}:" in result.output  # settings still matter


def test_purging_an_unknown_conversation_says_there_was_nothing(bot: Path) -> None:
    removed = run("purge", "--conversation", "nobody", "--bot", str(bot))
    assert removed == "no conversation 'nobody' in this bot's store: nothing to remove\n"


def test_history_puts_the_later_lines_of_a_reply_under_its_first(bot: Path) -> None:
    store = open_bot_store(load_bot(bot))
    store.append_turn(TurnRecord("lines", "hi", "Hello!\nHow can I help?", "direct"))
    store.close()
    lines = run("history", "lines", "--bot", str(bot)).splitlines()
    assert lines[2:4] == ["  bot:      Hello!", "            How can I help?"]


def test_purge_alone_applies_the_retention_setting(bot: Path) -> None:
    assert run("purge", "--bot", str(bot)) == "removed 1 turn in 1 conversation\n"  # 90 days


def test_purge_takes_one_choice_at_a_time(bot: Path) -> None:
    args = ["purge", "--older-than", "1", "--conversation", "x", "--bot", str(bot)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "not both" in result.output


def test_reading_commands_do_not_create_a_store(tmp_path: Path) -> None:
    folder = tmp_path / "fresh"
    CliRunner().invoke(main, ["init", str(folder)])
    for command in (["history", "c-1"], ["usage"]):
        result = CliRunner().invoke(main, [*command, "--bot", str(folder)])
        assert result.exit_code == 1 and "no conversations stored yet" in result.output
    assert not (folder / ".servicebot").exists()


def test_chat_continues_a_stored_conversation_and_says_when_there_is_none(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # offline: FAQ answers
    chat = ["chat", "--bot", str(bot), "--conversation"]
    continued = CliRunner().invoke(main, [*chat, "c-42"], input="hello\n")
    assert continued.exit_code == 0, continued.output
    assert "no stored conversation" not in continued.output
    assert "turn 3]" in continued.output  # after the two stored turns
    mistyped = CliRunner().invoke(main, [*chat, "c-24"], input="hello\n")
    assert "no stored conversation 'c-24': a new one starts under that id" in mistyped.output
    assert "turn 1]" in mistyped.output
    blank = CliRunner().invoke(main, [*chat, ""], input="hello\n")  # an unset shell variable
    assert blank.exit_code == 2 and "--conversation': is blank" in blank.output, blank.output
    assert "turn 1]" not in blank.output


def test_chat_refuses_an_id_no_conversation_may_have_before_the_store_is_read(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    refused = [
        ("x" * 201, "is 201 characters long"),
        ("c\x1b[2J", "holds the control character '\\x1b' (character 2)"),
    ]
    for conversation_id, said in refused:
        result = CliRunner().invoke(
            main, ["chat", "--bot", str(bot), "--conversation", conversation_id], input="hello\n"
        )
        assert result.exit_code == 2, result.output
        assert (
            f"--conversation': {said}" in result.output
            and "at most 200 characters" in result.output
        )
        assert "turn 1]" not in result.output


def test_chat_prints_an_id_with_a_bidi_override_escaped(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    chat = ["chat", "--bot", str(bot), "--conversation", "c\u202e-1"]  # allowed: not control
    result = CliRunner().invoke(main, chat, input="hello\n")
    assert result.exit_code == 0, result.output
    assert "\u202e" not in result.output  # the terminal would show the line's end reversed
    assert "conversation c\\u202e-1 (continue it with --conversation)" in result.output


def test_an_id_stored_before_the_limit_can_still_be_read_and_erased(bot: Path) -> None:
    # Bot.reply refuses such ids now; a store written before keeps them, and a customer's
    # erasure request for one must still work.
    old_id = "legacy-" + "x" * 300
    open_bot_store(load_bot(bot)).append_turn(TurnRecord(old_id, "hi", "Hello!", "direct"))
    assert "customer: hi" in run("history", old_id, "--bot", str(bot))
    assert (
        run("purge", "--conversation", old_id, "--bot", str(bot))
        == "removed 1 turn in 1 conversation\n"
    )


def test_purging_everything_asks_first(bot: Path) -> None:
    purge_all = ["purge", "--older-than", "0", "--bot", str(bot)]
    declined = CliRunner().invoke(main, purge_all, input="n\n")
    assert declined.exit_code == 1 and "removes every stored conversation" in declined.output
    store = open_bot_store(load_bot(bot), purging=True)  # as purge opens it: old stays
    assert [len(store.history(c)) for c in ("c-42", "old")] == [2, 1]  # nothing was removed
    store.close()
    confirmed = CliRunner().invoke(main, purge_all, input="y\n")
    assert confirmed.output.endswith("removed 3 turns in 2 conversations\n"), confirmed.output


def test_purging_everything_in_a_script_says_yes_up_front(bot: Path) -> None:
    removed = run("purge", "--older-than", "0", "--yes", "--bot", str(bot))
    assert removed == "removed 3 turns in 2 conversations\n"


def test_reading_commands_leave_out_conversations_past_retention(
    bot: Path, request: pytest.FixtureRequest
) -> None:
    """`old`'s last turn is 200 days old, past the bot's 90, and no bot had opened the store
    since: `history` showed it, and `export` wrote it out to a spreadsheet that kept it."""
    if request.node.callspec.params["bot"] == "redis":
        pytest.skip("Redis keys expire retention_days after their last write, which was now")
    result = CliRunner().invoke(main, ["history", "old", "--bot", str(bot)])
    assert result.exit_code == 1 and "no conversation 'old'" in result.output
    listed = run("history", "--days", "365", "--bot", str(bot)).splitlines()
    assert [line.split()[0] for line in listed] == ["c-42"]
    exported = run("export", "--days", "365", "--format", "jsonl", "--bot", str(bot))
    rows = [json.loads(line) for line in exported.splitlines() if line.startswith("{")]
    assert {row["conversation"] for row in rows} == {"c-42"}
    assert json.loads(run("report", "--days", "365", "--json", "--bot", str(bot)))["turns"] == 2
