"""What ``servicebot check`` warns of about what a bot keeps of its customers: prompts recorded
into a cassette, and placeholder digests a copy of the store could be searched with."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from servicebot.filters.placeholders import KEY_ENV
from servicebot.store import open_store
from tests.e2e.conftest import checked, new_bot


def _warnings(bot: Path) -> list[str]:
    """The warnings ``check`` gives beside the one for OPENAI_API_KEY, unset in tests."""
    lines = checked(bot, 0).splitlines()
    return [line for line in lines if line.startswith("warning: ") and "OPENAI_API_KEY" not in line]


def test_check_warns_that_recording_writes_every_prompt_where_purge_never_looks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "a-secret")
    bot = new_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    settings.write_text(settings.read_text("utf-8") + "replay:\n  mode: record\n", "utf-8")
    line = len(settings.read_text("utf-8").splitlines())
    assert _warnings(bot) == [
        f"warning: {settings}:{line}:9: replay.mode is record: every turn's prompt, with the "
        "customer's messages and the customer details given to the templates (masked), is "
        f"written to {bot / 'tests' / 'replies' / 'bot.yaml'}, which `servicebot "
        "purge` does not touch and which is usually committed to git; record with test "
        "conversations, not customers"
    ]


def test_check_warns_of_a_kept_store_without_a_pii_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the key, the digests' only key is the salt stored beside them: a copy of the
    store is enough to try every phone number."""
    monkeypatch.delenv(KEY_ENV, raising=False)
    bot = new_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    line = (
        settings.read_text("utf-8")
        .splitlines()
        .index("  url: sqlite:///.servicebot/conversations.db")
    )
    assert _warnings(bot) == [
        f"warning: {settings}:{line + 1}:8: {KEY_ENV} is not set here: the placeholders' "
        "digests in this bot's store are then keyed by a salt stored beside them, so anyone "
        "with a copy of the store can recover a masked phone number by trying every number; "
        f"set {KEY_ENV} to a secret where the bot runs"
    ]
    monkeypatch.setenv(KEY_ENV, "a-secret")
    assert _warnings(bot) == []
    monkeypatch.delenv(KEY_ENV)
    text = settings.read_text("utf-8")
    settings.write_text(re.sub(r"(?m)^  url: sqlite:.*$", "  url: memory://", text), "utf-8")
    assert _warnings(bot) == []  # nothing outlives the process


def test_check_warns_of_a_sqlite_store_other_users_can_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An earlier version made the file 0644 (SQLite's default), and servicebot keeps the mode
    of a file that exists: nothing told the operator."""
    monkeypatch.setenv(KEY_ENV, "a-secret")
    bot = new_bot(tmp_path)
    store = open_store("sqlite:///.servicebot/conversations.db", root=bot)
    store.close()
    assert _warnings(bot) == []  # as servicebot makes them: 0600 in a 0700 folder
    path, folder = bot / ".servicebot" / "conversations.db", bot / ".servicebot"
    path.chmod(0o644)
    folder.chmod(0o755)
    settings = bot / "servicebot.yaml"
    line = (
        settings.read_text("utf-8")
        .splitlines()
        .index(f"  url: sqlite:///{path.parent.name}/{path.name}")
    )
    assert _warnings(bot) == [
        f"warning: {settings}:{line + 1}:8: the conversation store {path} can be read by other "
        f"users of this machine: run chmod 600 {path}"
    ]
    path.chmod(0o640)  # shared with a backup job's group on purpose; others may list the folder
    assert _warnings(bot) == []


@pytest.mark.parametrize("url", ["sqlite:///.servicebot/conversations.db", "memory://"])
def test_check_warns_of_a_store_that_keeps_conversations_forever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """`retention_days: null` kept every conversation until someone ran `purge`, and check
    said nothing: personal data kept with no limit, against GDPR's and PIPL's."""
    monkeypatch.setenv(KEY_ENV, "a-secret")
    bot = new_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    text = settings.read_text("utf-8").replace("retention_days: 90", "retention_days: null")
    settings.write_text(text.replace("sqlite:///.servicebot/conversations.db", url), "utf-8")
    line = text.splitlines().index("  retention_days: null") + 1
    expected = (
        f"warning: {settings}:{line}:19: store.retention_days is null: every conversation is "
        "kept until `servicebot purge` removes it, with the personal data its customers typed; "
        "set the days to keep one after its last turn (90 by default)"
    )
    assert _warnings(bot) == ([expected] if url != "memory://" else [])
