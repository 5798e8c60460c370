"""`servicebot history --holding` and `purge --holding`: a customer's access and erasure
requests by an email or phone number, over conversations an offline bot made with
`servicebot init` stored through Bot.reply, in its SQLite file (and on Redis)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from servicebot import Bot
from servicebot.cli import main
from servicebot.filters.placeholders import Placeholders
from servicebot.store import open_store
from tests.e2e.conftest import new_bot

TURNS = [
    ("c-alice", "Where is my order? My email is Alice@Example.org"),
    ("c-alice", "thanks"),
    ("c-other", "How long does a refund take?"),
    ("c-phone", "我的手机号是 138 0013 8000，退货要多久？"),
    ("c-both", "email alice@example.org or call 13800138000"),
]


def bot_with_turns(tmp_path: Path, store_url: str | None = None) -> Path:
    """A bot made by `servicebot init` (on Redis if ``store_url``), with TURNS stored."""
    folder = new_bot(tmp_path)
    if store_url is not None:
        settings = folder / "servicebot.yaml"
        text = settings.read_text(encoding="utf-8")
        text = text.replace("name: Maple Market support", f"name: Maple {uuid.uuid4().hex}")
        text = text.replace("url: sqlite:///.servicebot/conversations.db", f"url: {store_url}")
        settings.write_text(text, encoding="utf-8")
    bot = Bot.load(folder, offline=True)
    for conversation_id, message in TURNS:
        bot.reply(message, conversation_id=conversation_id)
    bot.close()
    return folder


@pytest.fixture
def bot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SERVICEBOT_PII_KEY", raising=False)
    return bot_with_turns(tmp_path)


def invoke(bot: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, [*args, "--bot", str(bot)], input=stdin)


def test_history_holding_lists_the_conversations_where_the_customer_typed_it(bot: Path) -> None:
    result = invoke(bot, "history", "--holding", "alice@example.org")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == ["c-both", "c-alice"]  # newest first
    assert lines[1].endswith("2 turns (direct 2)  [EMAIL_1]")
    both = invoke(
        bot, "history", "--holding", "+86 138-0013-8000", "--holding", "alice@example.org"
    )
    assert sorted(line.split()[0] for line in both.output.splitlines()) == [
        "c-alice", "c-both", "c-phone"
    ]  # fmt: skip
    assert both.output.splitlines()[0].endswith("[PHONE_1], [EMAIL_1]")  # as given


def test_history_holding_json_exports_their_turns_as_stored(bot: Path) -> None:
    result = invoke(bot, "history", "--holding", "138 0013 8000", "--json")
    assert result.exit_code == 0, result.output
    turns = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(t["conversation_id"], t["number"]) for t in turns] == [("c-phone", 1), ("c-both", 1)]
    assert turns[0]["customer_text"] == "我的手机号是 [PHONE_1]，退货要多久？"
    assert "13800138000" not in result.stdout and "0013" not in result.stdout
    assert "shown as the store keeps them: [PHONE_1] in c-phone; [PHONE_1] in c-both" in (
        result.stderr
    )


def test_a_value_found_nowhere_says_why_it_may_not_be_found(bot: Path) -> None:
    result = invoke(bot, "history", "--holding", "carol@example.org")
    assert result.exit_code == 0
    assert result.output == (
        "no conversation in this bot's store holds it: only a value the customer typed is "
        "found, and only with the SERVICEBOT_PII_KEY the bot runs with (not set here)\n"
    )


@pytest.mark.parametrize("command", ["history", "purge"])
def test_a_value_with_no_pii_is_refused_naming_the_kinds_that_can_be_found(
    bot: Path, command: str
) -> None:
    result = invoke(bot, command, "--holding", "alice@example.org", "--holding", "hello")
    assert result.exit_code == 2
    assert "Invalid value for '--holding': 'hello' holds no value" in result.output
    assert "SECRET, EMAIL, IBAN, CN_ID, HK_ID, PASSPORT, CARD, SSN, PHONE, IP" in result.output
    assert "c-alice" in invoke(bot, "history").output  # nothing removed


def test_purge_holding_asks_then_removes_every_conversation_holding_it(bot: Path) -> None:
    declined = invoke(bot, "purge", "--holding", "alice@example.org", stdin="n\n")
    assert declined.exit_code == 1
    assert "Remove 2 conversation(s) holding it: c-alice, c-both? [y/N]" in declined.output
    assert invoke(bot, "history", "--holding", "alice@example.org").output.count("\n") == 2
    removed = invoke(bot, "purge", "--holding", "alice@example.org", stdin="y\n")
    assert removed.exit_code == 0, removed.output
    assert removed.output.endswith("removed 3 turns in 2 conversations (c-alice, c-both)\n")
    left = [line.split()[0] for line in invoke(bot, "history").output.splitlines()]
    assert sorted(left) == ["c-other", "c-phone"]
    again = invoke(bot, "purge", "--holding", "alice@example.org", "--yes")
    assert again.output.endswith(": nothing to remove\n")


def test_a_conversation_with_a_state_but_no_turn_is_listed_and_purged(bot: Path) -> None:
    """Its turn was not stored (the store failed then), but its digest was: still the
    customer's, to list and erase."""
    placeholders = Placeholders()
    placeholders.placeholder_for("EMAIL", "alice@example.org")
    store = open_store("sqlite:///.servicebot/conversations.db", root=bot)
    assert store.swap_state("c-lost", None, placeholders.to_state())
    store.close()
    listed = invoke(bot, "history", "--holding", "alice@example.org").output.splitlines()
    assert [line.split()[0] for line in listed] == ["c-both", "c-alice", "c-lost"]
    assert listed[2] == "c-lost  no turn stored  [EMAIL_1]"
    removed = invoke(bot, "purge", "--holding", "alice@example.org", "--yes")
    assert removed.output == "removed 3 turns in 3 conversations (c-alice, c-both, c-lost)\n"


def test_purge_holding_yes_removes_without_asking(bot: Path) -> None:
    result = invoke(bot, "purge", "--holding", "13800138000", "--holding", "bob@example.org", "-y")
    assert result.output == "removed 2 turns in 2 conversations (c-phone, c-both)\n"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["history", "c-alice"], "--holding finds the conversations: give no CONVERSATION"),
        (["history", "--days", "3"], "--holding finds the conversations: give no CONVERSATION"),
        (["purge", "--conversation", "x"], "--conversation ID and --holding VALUE, not both"),
    ],
)
def test_holding_finds_the_conversations_itself(bot: Path, args: list[str], said: str) -> None:
    result = invoke(bot, *args, "--holding", "alice@example.org")
    assert result.exit_code == 2 and said in result.output


@pytest.mark.redis
def test_history_and_purge_holding_on_redis(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SERVICEBOT_PII_KEY", raising=False)
    bot = bot_with_turns(tmp_path, redis_url)
    listed = invoke(bot, "history", "--holding", "Alice@example.org").output.splitlines()
    assert [line.split()[0] for line in listed] == ["c-both", "c-alice"]
    removed = invoke(bot, "purge", "--holding", "alice@example.org", "--yes")
    assert removed.output == "removed 3 turns in 2 conversations (c-alice, c-both)\n"
    assert invoke(bot, "history", "c-alice").exit_code == 1


def test_a_conversation_named_by_the_customers_number_is_found_and_purged(bot: Path) -> None:
    # WhatsApp names a conversation by the number: --holding missed it, and so did purge.
    spoken = Bot.load(bot, offline=True)
    spoken.reply("where is my order 123456", conversation_id="+14155552671")
    spoken.close()
    found = invoke(bot, "history", "--holding", "+1 415 555 2671")
    assert found.exit_code == 0, found.output
    assert found.output.split()[0] == "+14155552671" and found.output.rstrip().endswith("its id")
    purged = invoke(bot, "purge", "--holding", "(415) 555-2671", "--yes")
    assert purged.exit_code == 0, purged.output
    assert "no conversation" in invoke(bot, "history", "--holding", "+14155552671").output


def test_a_look_up_with_another_key_says_which_conversations_it_cannot_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot ran with one key; an operator with another found nothing and was told only that
    nothing held the value: an erasure request would be closed with the data still there."""
    monkeypatch.setenv("SERVICEBOT_PII_KEY", "last-years-key")
    bot = bot_with_turns(tmp_path)
    monkeypatch.setenv("SERVICEBOT_PII_KEY", "this-years-key")
    for command in (["history"], ["purge", "--yes"]):
        result = invoke(bot, *command, "--holding", "alice@example.org")
        assert result.exit_code == 0, result.output
        assert (
            "2 conversation(s) with a placeholder of that kind were masked with another "
            "SERVICEBOT_PII_KEY than the one set here (c-alice, c-both): this key cannot find "
            "it in them; look again with the key the bot ran with then (as SERVICEBOT_PII_KEY "
            "or SERVICEBOT_PII_KEY_PREVIOUS)"
        ) in result.output
    monkeypatch.setenv("SERVICEBOT_PII_KEY_PREVIOUS", "last-years-key")
    found = invoke(bot, "history", "--holding", "alice@example.org")
    assert [line.split()[0] for line in found.output.splitlines()] == ["c-both", "c-alice"]


def test_a_look_up_with_a_key_reads_the_conversations_kept_with_none(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot ran with no key; the operator, with one set, had to look again without it."""
    monkeypatch.setenv("SERVICEBOT_PII_KEY", "a-new-key")
    found = invoke(bot, "history", "--holding", "alice@example.org")
    assert [line.split()[0] for line in found.output.splitlines()] == ["c-both", "c-alice"]


def test_history_json_keeps_chinese_as_typed_for_grep(bot: Path) -> None:
    turn = invoke(bot, "history", "c-phone", "--json").output
    assert "我的手机号是 [PHONE_1]，退货要多久？" in turn  # not "\u6211\u7684..."
    assert json.loads(turn)["customer_text"] == "我的手机号是 [PHONE_1]，退货要多久？"
