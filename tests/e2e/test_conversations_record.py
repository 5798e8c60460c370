"""`servicebot record` over the example bot's scripted conversations, by hand and from a model;
and no recording holds a secret or a customer's personal data."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from servicebot.config import load_bot
from servicebot.filters.pii import find_pii
from tests.conftest import REPO
from tests.e2e.conftest import CONVERSATIONS, NAMES, edit, served_by, servicebot
from tests.openai_server import Fault, OpenAIServer

REPLIES = REPO / "tests" / "replies"


# --- servicebot record -------------------------------------------------------------------------


def test_record_by_hand_reproduces_the_committed_cassettes(bot: Path) -> None:
    shutil.rmtree(bot / "tests" / "replies")
    result = servicebot("record", "--by-hand", "--bot", bot)
    assert result.exit_code == 0, result.output
    written = sorted(path.name for path in (bot / "tests" / "replies").iterdir())
    assert written == sorted(path.name for path in REPLIES.iterdir())
    for name in written:
        assert (bot / "tests/replies" / name).read_bytes() == (REPLIES / name).read_bytes(), name
    again = servicebot("record", "--by-hand", "--bot", bot)
    assert again.exit_code == 0
    for name in written:
        assert (bot / "tests/replies" / name).read_bytes() == (REPLIES / name).read_bytes(), name
    assert_clean(bot / "tests" / "replies", bot)


def test_every_committed_recording_is_written_by_hand_and_used() -> None:
    for cassette in REPLIES.glob("*.yaml"):
        assert (CONVERSATIONS / cassette.name).is_file(), f"{cassette.name}: no conversation"
        for entry in yaml.safe_load(cassette.read_text(encoding="utf-8"))["entries"]:
            assert set(entry["origin"]) == {"written_by_hand"}, cassette.name


def test_record_by_hand_replaces_stale_entries_and_skips_turns_without_a_model(bot: Path) -> None:
    replies = bot / "tests" / "replies"
    conversation = bot / "tests/conversations/refund_with_faq_context.yaml"
    edit(conversation, "customer: How long do refunds take?", "customer: How long do refunds last?")
    edit(conversation, "- How long do refunds take?", "- How long do refunds last?")
    shutil.copy2(replies / "out_of_scope.yaml", replies / "direct_answers.yaml")  # no model needed
    result = servicebot("record", "--by-hand", "--bot", bot)
    assert result.exit_code == 0, result.output
    refund = yaml.safe_load((replies / "refund_with_faq_context.yaml").read_text("utf-8"))
    (entry,) = refund["entries"]  # the entry for the old question is gone
    assert entry["request"]["messages"][-1]["content"] == "How long do refunds last?"
    assert not (replies / "direct_answers.yaml").exists()
    assert not (replies / "handoff.yaml").exists()


def test_record_by_hand_needs_a_reply_for_each_model_turn(bot: Path) -> None:
    conversation = bot / "tests/conversations/new_question.yaml"
    conversation.write_text(
        "turns:\n  - customer: how do i cancel an order\n    expect: {action: answer}\n",
        encoding="utf-8",
    )
    result = servicebot("record", "--by-hand", "--bot", bot)
    assert result.exit_code == 1
    assert f"Error: {conversation}:2: turn 1 needs the model, but has no 'model_reply'" in (
        result.output
    )
    assert "    - customer: how do i cancel an order" in result.output
    assert "Traceback" not in result.output
    assert not (bot / "tests/replies/new_question.yaml").exists()


def test_record_by_hand_writes_every_cassette_or_none(bot: Path) -> None:
    # It stopped at the first script it could not record, after rewriting the ones before it.
    changed = bot / "tests/conversations/refund_with_faq_context.yaml"
    edit(changed, "We issue your refund", "We send your refund")
    (bot / "tests/replies/model_outage.yaml").unlink()  # would be written again
    folder = bot / "tests/conversations"
    (folder / "zz_no_reply.yaml").write_text(
        "turns:\n  - customer: how do i cancel an order\n    expect: {action: answer}\n",
        encoding="utf-8",
    )
    (folder / "zz_wrong_route.yaml").write_text(
        "turns:\n  - customer: where is my order\n    expect: {action: direct}\n",
        encoding="utf-8",
    )
    result = servicebot("record", "--by-hand", "--bot", bot)
    assert result.exit_code == 1
    assert (
        f"Error: {folder / 'zz_no_reply.yaml'}:2: turn 1 needs the model, but has no 'model_reply'"
    ) in result.output
    assert (
        f"\n{folder / 'zz_wrong_route.yaml'}:2: turn 1: expected action direct, but routing "
    ) in result.output
    assert result.output.endswith(
        "\n2 conversations could not be recorded by hand, so no cassette was written: every "
        "one is as it was\n"
    )
    replies = sorted(path.name for path in (bot / "tests/replies").iterdir())
    assert replies == sorted(p.name for p in REPLIES.iterdir() if p.name != "model_outage.yaml")
    for name in replies:
        assert (bot / "tests/replies" / name).read_bytes() == (REPLIES / name).read_bytes(), name
    (folder / "zz_no_reply.yaml").unlink()
    (folder / "zz_wrong_route.yaml").unlink()
    assert servicebot("record", "--by-hand", "--bot", bot).exit_code == 0
    assert "We send your refund" in (bot / "tests/replies" / changed.name).read_text("utf-8")
    assert (bot / "tests/replies/model_outage.yaml").exists()


def test_record_without_an_api_key_is_a_clear_error(bot: Path) -> None:
    result = servicebot("record", "--bot", bot, "--yes")
    assert result.exit_code == 1
    assert "the environment variable OPENAI_API_KEY is not set" in result.output
    # Removing model.name, as the key's error advises for a bot, leaves nothing to record.
    assert "`servicebot record --by-hand` writes each turn's model_reply" in result.output
    assert "Traceback" not in result.output


def test_record_asks_before_calling_the_model_and_records_it(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-for-the-local-server")
    conversation = bot / "tests/conversations/refund_with_faq_context.yaml"
    with OpenAIServer(validate=False) as server:
        served_by(bot, server)
        server.responder = lambda body: (
            "Refunds are issued within 2 business days; your bank may take 5-10 business days."
        )

        declined = servicebot("record", conversation, "--bot", bot, input="n\n")
        assert declined.exit_code == 1
        assert f"model: gpt-4o-mini at {server.url}" in declined.output
        assert "up to 1 model call (1 customer turn in 1 conversation)" in declined.output
        assert "Record now? [y/N]" in declined.output and not server.requests

        result = servicebot("record", conversation, "--bot", bot, input="y\n")
        assert result.exit_code == 0, result.output
        assert len(server.requests) == 1
    cassette = yaml.safe_load(
        (bot / "tests/replies/refund_with_faq_context.yaml").read_text("utf-8")
    )
    (entry,) = cassette["entries"]
    assert entry["origin"]["recorded_from"] == "gpt-4o-mini"
    assert entry["response"]["content"].startswith("Refunds are issued within 2 business days")
    assert servicebot("test", conversation, "--bot", bot).exit_code == 0
    assert_clean(bot / "tests" / "replies", bot)


def test_record_says_which_hand_written_answers_it_would_replace(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It said only "their cassettes are replaced": answers written by hand were replaced by
    # the live model's, and the scripts that expected them failed.
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-for-the-local-server")
    with OpenAIServer(validate=False) as server:
        served_by(bot, server)
        everything = servicebot("record", "--bot", bot, input="n\n")
        outage = servicebot("record", bot / "tests/conversations/model_outage.yaml", input="n\n")
        assert not server.requests
    hand_written = sorted(
        path.stem
        for path in REPLIES.glob("*.yaml")
        if "written_by_hand: " in path.read_text("utf-8") and "response:" in path.read_text("utf-8")
    )
    assert len(hand_written) > 5
    listed = ", ".join(hand_written[:5])
    assert (
        f"warning: {len(hand_written)} of these cassettes hold answers written by hand ({listed} "
        f"and {len(hand_written) - 5} more): recording replaces them with the model's answers"
    ) in everything.output
    assert "warning" not in outage.output  # a scripted outage is kept as it is


def test_record_stops_when_the_model_fails_and_keeps_every_recording(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-for-the-local-server")
    with OpenAIServer(validate=False) as server:
        served_by(bot, server)
        server.fail(*[Fault.status(503, retry_after=0.01)] * 10)  # more than the SDK retries
        result = servicebot("record", "--bot", bot, "--yes")
    assert result.exit_code == 1
    first = bot / "tests/conversations" / f"{NAMES[0]}.yaml"
    assert f"Error: {first}, turn 1: the model failed (server_error: " in result.output
    assert "recording stopped" in result.output and "Traceback" not in result.output
    for cassette in REPLIES.iterdir():  # no outage written over a good recording
        assert (bot / "tests/replies" / cassette.name).read_bytes() == cassette.read_bytes()


def test_record_keeps_a_scripted_outage_without_calling_the_model(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-for-the-local-server")
    (bot / "tests/replies/model_outage.yaml").unlink()
    with OpenAIServer(validate=False) as server:
        served_by(bot, server)
        conversation = bot / "tests/conversations/model_outage.yaml"
        result = servicebot("record", conversation, "--bot", bot, "--yes")
        assert result.exit_code == 0, result.output
        assert not server.requests
    recorded = (bot / "tests/replies/model_outage.yaml").read_bytes()
    assert recorded == (REPLIES / "model_outage.yaml").read_bytes()


# --- no secrets and no customer PII in any recording --------------------------------------------

_API_KEY = re.compile(r"sk-[A-Za-z0-9_-]{8,}|Bearer ")
_PLACEHOLDER = re.compile(r"\[[A-Z_]+_\d+\]")
# The number invented_contacts_removed.yaml has the model invent, for the post-filter to remove.
_INVENTED = {("invented_contacts_removed.yaml", "555-867-5309")}


def assert_clean(replies: Path, bot: Path = REPO) -> None:
    """No API-key shapes and no PII in any cassette, except the bot's own contact details."""
    contact = load_bot(bot).settings.contact
    allowed = {contact.phone, contact.email, contact.website}
    cassettes = sorted(replies.glob("*.yaml"))
    for cassette in cassettes:
        assert not _API_KEY.search(cassette.read_text(encoding="utf-8")), cassette.name
        for text in _texts(yaml.safe_load(cassette.read_text(encoding="utf-8"))):
            for found in find_pii(text):
                value = text[found.start : found.end]
                if value in allowed or (cassette.name, value) in _INVENTED:
                    continue
                assert _PLACEHOLDER.fullmatch(value), f"{cassette.name}: {found.kind} {value!r}"


def _texts(cassette: dict[str, Any]) -> list[str]:
    texts = []
    for entry in cassette["entries"]:
        texts += [message["content"] for message in entry["request"]["messages"]]
        if entry.get("response"):
            texts.append(entry["response"]["content"])
    return texts


def test_no_recording_holds_a_secret_or_the_customers_pii() -> None:
    assert len(list(REPLIES.glob("*.yaml"))) >= 10
    assert_clean(REPLIES)


def test_the_pii_scan_would_catch_a_leak(tmp_path: Path) -> None:
    leaked = (REPLIES / "phone_number_restored.yaml").read_text(encoding="utf-8")
    (tmp_path / "leaky.yaml").write_text(leaked.replace("[PHONE_1]", "13800138000"), "utf-8")
    with pytest.raises(AssertionError, match=r"leaky\.yaml: PHONE '13800138000'"):
        assert_clean(tmp_path)
