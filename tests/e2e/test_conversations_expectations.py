"""How `servicebot test` checks a script's expectations and names a failed one: each kind of
expectation (regex, contains, events, the stored turn, a stage expected not to run), what is
expected and missing as the script writes it, and an expected intent the bot has no intent
of (misspelled, or renamed since) named with the intent the turn went to."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.conftest import NAMES, edit, line_of, servicebot


def test_expected_and_missing_things_are_named_as_the_script_writes_them(bot: Path) -> None:
    conversation = bot / "tests/conversations/handoff.yaml"
    conversation.write_text(
        "turns:\n  - customer: I want to talk to a human\n"
        "    expect: {intent: null, stages: {model: answered}}\n",
        encoding="utf-8",
    )
    output = servicebot("test", conversation, "--bot", bot).output
    assert "turn 1: expected no intent\n    got intent talk_to_human (" in output
    assert "expected stage model to decide 'answered'\n    got no model stage in the turn's" in (
        output
    )


def test_a_stage_expected_not_to_run_is_checked(bot: Path) -> None:
    conversation = bot / "tests/conversations/handoff.yaml"
    conversation.write_text(
        "turns:\n  - customer: I want to talk to a human\n"
        "    expect: {action: handoff, stages: {model: null}}\n"
        "  - customer: a person please\n"
        "    expect: {stages: {routing: null}}\n",
        encoding="utf-8",
    )
    output = servicebot("test", conversation, "--bot", bot).output
    assert "turn 1" not in output  # the handoff asked no model: as expected
    assert re.search(r"turn 2: expected no routing stage\n    got stage routing: '", output)


def test_a_wrong_expectation_is_reported_with_its_line(bot: Path) -> None:
    conversation = bot / "tests/conversations/refund_with_faq_context.yaml"
    edit(conversation, "intent: refund_status", "intent: return_item")
    line = line_of(conversation, "intent: return_item")
    result = servicebot("test", "--bot", bot)
    assert result.exit_code == 1
    assert re.search(
        r"^ *refund_with_faq_context +1 +FAILED +turn 1: expected", result.output, re.M
    )
    expected = f"{conversation}:{line}: turn 1: expected intent return_item\n"
    assert re.search(
        re.escape(expected) + r"    got intent refund_status \(0\.\d{3}\)\n", result.output
    )
    assert f"1 failed, {len(NAMES) - 1} passed" in result.output


def test_an_expected_intent_no_intent_is_named_says_so(bot: Path) -> None:
    conversation = bot / "tests/conversations/refund_with_faq_context.yaml"
    edit(conversation, "intent: refund_status", "intent: refund_stauts")
    result = servicebot("test", "--bot", bot)
    assert result.exit_code == 1
    expected = (
        r"turn 1: expected intent refund_stauts, but the bot has no intent of that name; this "
        r"turn went to refund_status \(0\.\d{3}\): did you mean it\?\n"
    )
    assert re.search(expected + r"    got intent refund_status \(0\.\d{3}\)\n", result.output)


def test_an_expected_intent_renamed_since_names_the_intent_the_turn_went_to(bot: Path) -> None:
    # It was "which no intent of the bot is named", with no word of where the turn went.
    edit(bot / "faq/payments.yaml", "- name: payment_methods", "- name: accepted_payments")
    conversation = bot / "tests/conversations/renamed.yaml"
    conversation.write_text(
        "turns:\n  - customer: what payment methods do you accept\n"
        "    expect: {action: direct, intent: payment_methods}\n",
        encoding="utf-8",
    )
    output = servicebot("test", conversation, "--bot", bot).output
    assert re.search(
        r"turn 1: expected intent payment_methods, but the bot has no intent of that name; "
        r"this turn went to accepted_payments \((0\.\d{3})\): was it renamed\?\n"
        r"    got intent accepted_payments \(\1\)\n",
        output,
    ), output
    assert "did you mean" not in output
    # A turn that went to no intent: the closest name, if one is close.
    edit(conversation, "what payment methods do you accept", "' '")  # blank: no intent, no model
    output = servicebot("test", conversation, "--bot", bot).output
    assert (
        "turn 1: expected intent payment_methods, but the bot has no intent of that name\n"
        "    got no intent"
    ) in output
    edit(conversation, "intent: payment_methods", "intent: payment_decline")
    output = servicebot("test", conversation, "--bot", bot).output
    assert (
        "turn 1: expected intent payment_decline, but the bot has no intent of that name "
        "(did you mean 'payment_declined'?)\n    got no intent"
    ) in output


def test_a_renamed_intent_is_named_though_the_renamed_prompt_misses_its_recording(
    bot: Path,
) -> None:
    # The new name is in the prompt's facts, so every turn that reached the model missed its
    # recording, and only that was said until `record --by-hand` had been run.
    edit(bot / "faq/returns.yaml", "- name: refund_status", "- name: refund_timing")
    conversation = bot / "tests/conversations/model_outage.yaml"
    output = servicebot("test", conversation, "--bot", bot).output
    renamed = ", but the bot has no intent of that name; "
    assert re.search(
        rf"model_outage.yaml:{line_of(conversation, 'intent: refund_status')}: turn 1: expected "
        rf"intent refund_status{renamed}this turn went to refund_timing \((0\.\d{{3}})\): "
        r"was it renamed\?\n    got intent refund_timing \(\1\)\n",
        output,
    ), output
    assert "turn 1: expected a recorded model reply for this turn" in output  # still said
    # Turn 2 does not run after turn 1's miss; its intent is stale too, and turn 1 says where
    # the name went (the closest spelling is order_status).
    assert re.search(
        rf"turn 2: expected intent refund_status{renamed}turn 1, which expects it too, went to "
        r"refund_timing \(0\.\d{3}\): was it renamed\?\n    got a turn that did not run",
        output,
    ), output
    assert "did you mean" not in output


def test_each_kind_of_expectation_is_checked(bot: Path) -> None:
    """A broken pipeline would fail these: each check reports what it expected and what came."""
    conversation = bot / "tests/conversations/phone_number_restored.yaml"
    edit(conversation, 'contains: ["call you on 13800138000"', 'contains: ["call you on 555"')
    edit(conversation, 'not_contains: ["[PHONE_1]"]', 'not_contains: ["48 hours"]')
    edit(conversation, "kind: PHONE, action: mask,", "kind: EMAIL, action: mask,")
    edit(
        conversation,
        'stored:\n        contains: ["[PHONE_1]"]',
        'stored:\n        contains: ["138"]',
    )
    edit(
        bot / "tests/conversations/refund_with_faq_context.yaml",
        'regex: "within \\\\d+ business days"',
        'regex: "within \\\\d+ weeks"',
    )
    result = servicebot("test", "--bot", bot)
    assert result.exit_code == 1
    output = result.output
    assert "turn 1: expected the reply to match 'within \\d+ weeks'" in output  # as typed
    assert "turn 1: expected the reply to contain 'call you on 555'" in output
    assert "turn 1: expected the reply not to contain '48 hours'" in output
    assert "turn 1: expected an event {stage=prefilter detector=pii kind=EMAIL" in output
    assert (
        "got {stage=prefilter detector=pii kind=PHONE action=mask placeholder=[PHONE_1]" in output
    )
    assert "turn 1: expected the stored turn to contain '138'" in output
    assert "the stored turn:\n    Please call me back on [PHONE_1], my parcel" in output
