"""``servicebot check`` reads the bot's conversation scripts too: an intent a script expects
that the bot no longer has, and a script ``servicebot test`` cannot read, are warnings."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import checked, edit, line_of, new_bot


def test_check_warns_of_a_script_expecting_an_intent_renamed_in_the_faq(tmp_path: Path) -> None:
    # The rename showed first in `servicebot test`, after a run, as recording misses.
    bot = new_bot(tmp_path)
    edit(bot / "faq" / "returns.yaml", "- name: refund_status\n", "- name: refund_timing\n")
    script = bot / "tests" / "conversations" / "model_outage.yaml"
    renamed = line_of(script, "intent: refund_status")
    typoed = bot / "tests" / "conversations" / "profanity_masked.yaml"
    edit(typoed, "intent: order_status", "intent: order_statsu")
    warned = checked(bot, 0).splitlines()
    assert (
        f"warning: {script}:{renamed}: expects intent refund_status, but the bot has no intent "
        "of that name; its message routes to refund_timing (0.770): was it renamed?"
    ) in warned
    typo = line_of(typoed, "intent: order_statsu")
    assert any(
        line.startswith(f"warning: {typoed}:{typo}: expects intent order_statsu,")
        and line.endswith(": did you mean it?")
        for line in warned
    ), warned


def test_check_warns_of_a_script_test_cannot_read_and_still_passes(tmp_path: Path) -> None:
    bot = new_bot(tmp_path)
    script = bot / "tests" / "conversations" / "broken.yaml"
    script.write_text("turns:\n  - customer: hi\n    expect: {intent: [x]\n", "utf-8")
    output = checked(bot, 0)
    assert f"warning: {script}:3:13: a '[' or '{{' that starts here is never closed" in output


def test_check_of_the_example_bot_says_nothing_of_its_scripts(tmp_path: Path) -> None:
    assert "tests/conversations" not in checked(new_bot(tmp_path), 0)
