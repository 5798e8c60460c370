"""What ``servicebot check`` warns of in a budget, and still passes: too little room for the
customer's message or the reply, and few-shot pairs too long ever to be sent."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.conftest import checked, edit, line_of, new_bot


def test_check_warns_of_a_budget_that_leaves_little_room_for_the_message(tmp_path: Path) -> None:
    target = new_bot(tmp_path)
    settings = target / "servicebot.yaml"
    text = settings.read_text(encoding="utf-8")
    assert "the customer's message" not in checked(target, 0)  # 6,000 tokens leave plenty
    settings.write_text(text.replace("max_prompt_tokens: 6000", "max_prompt_tokens: 250"))
    output = checked(target, 0)  # it still runs: every message is cut to a few lines
    line = 1 + text[: text.index("max_prompt_tokens:")].count("\n")
    warning = next(w for w in output.splitlines() if "for the customer's message" in w)
    assert warning.startswith(f"warning: {settings}:{line}:")
    taken, room = map(
        int, re.findall(r"takes (\d+) of the 250-token .* leaving (\d+) ", warning)[0]
    )
    assert 0 < room < 100 and taken + room < 250


def test_check_warns_of_a_reply_longer_than_a_full_prompt_leaves_room_for(tmp_path: Path) -> None:
    target = new_bot(tmp_path)
    settings = target / "servicebot.yaml"
    text = settings.read_text(encoding="utf-8")
    assert "max_tokens (" not in checked(target, 0)  # 6,000 + 400 fit in 128,000
    text = text.replace("  reply_reserve: 1000", "  reply_reserve: 1000\n  context_window: 6300")
    settings.write_text(text, encoding="utf-8")
    assert "max_tokens (" not in checked(target, 0)  # a 5,300 budget leaves the reply 1,000
    text = text.replace("reply_reserve: 1000", "reply_reserve: 300")
    settings.write_text(text, encoding="utf-8")
    output = checked(target, 0)  # 6,000 + 400 > 6,300: a full prompt leaves the reply 300
    line = 1 + text[: text.index("  max_tokens:")].count("\n")
    assert (
        f"warning: {settings}:{line}:15: model.max_tokens (400) does not fit beside a full "
        "6000-token prompt in context_window (6300): the model's API refuses such a request "
        "(raise budget.reply_reserve to 400, or lower max_tokens)"
    ) in output
    offline = text.replace("  name: gpt-4o-mini", "  # name: gpt-4o-mini")
    settings.write_text(offline, encoding="utf-8")
    assert "max_tokens (" not in checked(target, 0)  # no model is asked


def test_check_warns_of_a_few_shot_pair_too_long_ever_to_be_sent(tmp_path: Path) -> None:
    # A pasted page as a few-shot reply passed check; every prompt then dropped it.
    target = new_bot(tmp_path)
    faq = target / "faq" / "returns.yaml"
    assert "few-shot pair of" not in checked(target, 0)
    edit(
        faq,
        "          Yes! Unused items",
        "          " + "Yes, you can return it. " * 1600 + "Unused items",
    )
    output = checked(target, 0)
    line = line_of(faq, "Yes, you can return it.") - 1  # the warning points at `assistant:`
    warning = next(w for w in output.splitlines() if "few-shot pair of" in w)
    assert warning.startswith(f"warning: {faq}:{line}:")
    taken, room = (
        int(n.replace(",", "")) for n in re.findall(r"\(?([\d,]+)(?: tokens|\))", warning)
    )
    assert "of 'return_item' takes" in warning and "it is never sent" in warning
    assert taken > room > 5000
