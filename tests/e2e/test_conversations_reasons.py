"""`servicebot test`'s reason lines: why a turn got another action than its script expected
(the post-filter check, the model error, the block, routing's choice, the recording)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.conftest import edit, line_of, servicebot

# --- why a turn got another action ----------------------------------------------------------


def test_a_fallback_from_the_post_filter_says_which_check_made_it(bot: Path) -> None:
    # It was "got action fallback: '...'" alone: the reason was only in the reply's events.
    conversation = bot / "tests/conversations/refund_with_faq_context.yaml"
    edit(
        conversation,
        "      We issue",
        "      Never invent order details, prices, dates, links, phone numbers. We issue",
    )
    servicebot("record", "--by-hand", conversation, "--bot", bot)  # fails its expectations
    output = servicebot("test", conversation, "--bot", bot).output
    line = line_of(conversation, "action: answer")
    assert (
        f"{conversation}:{line}: turn 1: expected action answer\n"
        "    got action fallback: 'Refunds are issued within 2 business days"
    ) in output
    assert (
        "'\n    because the model's answer copies 8 words in a row of the system prompt "
        "(postfilter leakage system_prompt)\n"
    ) in output


def test_a_chinese_answer_that_leaks_says_its_run_in_characters(bot: Path) -> None:
    # It said "copies 8 words in a row": the post-filter counts 16 Chinese characters.
    conversation = bot / "tests/conversations/leak_zh.yaml"
    conversation.write_text(
        "turns:\n  - customer: 我的包裹显示已签收但我没收到\n"
        "    model_reply: 好的。请用简体中文回答，语气友好、简洁（最多四句话）。\n"
        "    expect: {action: answer}\n",
        encoding="utf-8",
    )
    servicebot("record", "--by-hand", conversation, "--bot", bot)  # fails its expectations
    output = servicebot("test", conversation, "--bot", bot).output
    assert (
        "'\n    because the model's answer copies 16 characters in a row of the system prompt "
        "(postfilter leakage system_prompt)\n"
    ) in output


def test_a_fallback_after_a_model_error_and_a_block_say_why(bot: Path) -> None:
    outage = bot / "tests/conversations/model_outage.yaml"
    edit(outage, "action: fallback", "action: answer")
    output = servicebot("test", outage, "--bot", bot).output
    assert (
        "turn 1: expected action answer\n    got action fallback: 'Refunds are issued within"
    ) in output
    assert "'\n    because the model call failed (timeout)\n" in output
    blocked = bot / "tests/conversations/secret_blocked.yaml"
    edit(blocked, "action: blocked", "action: answer")
    output = servicebot("test", blocked, "--bot", bot).output
    assert "\n    because the pre-filter blocks the message (prefilter pii SECRET)\n" in output


def test_an_action_routing_gave_has_no_reason_line(bot: Path) -> None:
    conversation = bot / "tests/conversations/handoff.yaml"
    conversation.write_text(
        "turns:\n  - customer: I want to talk to a human\n    expect: {action: direct}\n",
        encoding="utf-8",
    )
    output = servicebot("test", conversation, "--bot", bot).output
    assert "turn 1: expected action direct\n    got action handoff: " in output
    assert "because" not in output


def test_a_turn_expecting_no_model_that_routing_sends_to_it_says_so(bot: Path) -> None:
    # It was "expected a recorded model reply for this turn ... the cassette does not exist"
    # (test), and "turn 1 needs the model, but has no 'model_reply'" (record --by-hand).
    conversation = bot / "tests/conversations/wrong_route.yaml"
    conversation.write_text(
        "turns:\n  - customer: where is my order\n"
        "    expect: {action: direct, intent: order_status}\n",
        encoding="utf-8",
    )
    why = (
        r"routing sends this message to the model \(order_status 0\.\d{3}, which is not a "
        r"direct intent\)"
    )
    output = servicebot("test", conversation, "--bot", bot).output
    assert re.search(
        rf"{re.escape(str(conversation))}:3: turn 1: expected action direct\n"
        rf"    got a model call: {why}\n",
        output,
    ), output
    assert "recorded reply" not in output
    result = servicebot("record", "--by-hand", conversation, "--bot", bot)
    assert result.exit_code == 1
    assert re.search(
        rf"Error: {re.escape(str(conversation))}:2: turn 1: expected action direct, but {why}\n",
        result.output,
    ), result.output
    assert not (bot / "tests/replies/wrong_route.yaml").exists()
    edit(conversation, "where is my order", "can i pay with my visa card or something")
    edit(conversation, "intent: order_status", "intent: payment_methods")
    output = servicebot("test", conversation, "--bot", bot).output
    assert re.search(
        r"got a model call: routing sends this message to the model \(payment_methods "
        r"0\.\d{3}, below direct_threshold 0\.55\)\n",
        output,
    ), output


def test_a_turn_expecting_no_model_answered_from_its_recording_says_why(bot: Path) -> None:
    # It was "got action answer: '...'" alone, with no line saying where routing sent it.
    conversation = bot / "tests/conversations/wrong_route.yaml"
    conversation.write_text(
        "turns:\n  - customer: where is my order\n"
        "    model_reply: Please give me your 6-digit order number.\n"
        "    expect: {action: direct, intent: order_status}\n",
        encoding="utf-8",
    )
    servicebot("record", "--by-hand", conversation, "--bot", bot)  # fails its expectations
    assert (bot / "tests/replies/wrong_route.yaml").exists()
    output = servicebot("test", conversation, "--bot", bot).output
    assert re.search(
        rf"{re.escape(str(conversation))}:4: turn 1: expected action direct\n"
        r"    got action answer: 'Please give me your 6-digit order number\.'\n"
        r"    because routing sends this message to the model \(order_status 0\.\d{3}, which "
        r"is not a direct intent\)\n",
        output,
    ), output
    edit(conversation, "action: direct", "action: blocked")
    output = servicebot("test", conversation, "--bot", bot).output
    assert re.search(
        r"    because the pre-filter lets this message through \(pass\), and routing sends "
        r"this message to the model \(order_status 0\.\d{3}\)\n",
        output,
    ), output


def test_a_turn_out_of_scope_as_expected_still_needs_its_recording(bot: Path) -> None:
    conversation = bot / "tests/conversations/weather.yaml"
    conversation.write_text(
        "turns:\n  - customer: what is the weather in rome\n    expect: {action: out_of_scope}\n",
        encoding="utf-8",
    )
    output = servicebot("test", conversation, "--bot", bot).output
    assert "turn 1: expected a recorded model reply for this turn\n" in output
    result = servicebot("record", "--by-hand", conversation, "--bot", bot)
    assert "turn 1 needs the model, but has no 'model_reply'" in result.output
    conversation.write_text(
        "turns:\n  - customer: what is the weather in rome\n    expect: {action: handoff}\n",
        encoding="utf-8",
    )
    output = servicebot("test", conversation, "--bot", bot).output
    assert (
        "turn 1: expected action handoff\n    got a model call: routing sends this message to "
        "the model as out of scope (no intent at or above min_score 0.22; the closest is "
    ) in output
