"""What ``servicebot check`` warns of in the model settings, and still passes: a model that
thinks before it answers with no opening tag, read with ``model.reasoning`` other than
``tags``, whose stream shows the customer its reasoning."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import checked, edit, new_bot, with_model

THINKS = "thinks before it answers"


@pytest.mark.parametrize(
    "name",
    [
        "deepseek-r1:14b",
        "DeepSeek-R1-Distill-Qwen-7B",
        "qwq",
        "deepseek-reasoner",
        "Qwen3-30B-A3B-Thinking-2507",
        "r1-1776",
    ],
)
def test_check_warns_at_the_model_name_of_a_model_that_thinks_before_it_answers(
    tmp_path: Path, name: str
) -> None:
    # With auto, its stream showed the customer its reasoning until the lone </think> came.
    settings, output, line = with_model(tmp_path, name)
    target = settings.parent
    assert output.count(THINKS) == 1, output
    assert (
        f"warning: {settings}:{line}:9: model {name} thinks before it answers; set "
        "model.reasoning: tags so its reasoning is never streamed to a customer"
    ) in output
    edit(settings, f"name: {name}", f'name: {name}\n  reasoning: "off"')
    assert THINKS in checked(target, 0)  # off shows it all
    edit(settings, 'reasoning: "off"', "reasoning: tags")
    assert THINKS not in checked(target, 0)


@pytest.mark.parametrize("name", ["gpt-4o-mini", "qwen3-8b", "command-r7b", "o1-mini"])
def test_check_does_not_warn_of_a_model_that_opens_its_reasoning_or_shows_none(
    tmp_path: Path, name: str
) -> None:
    target = new_bot(tmp_path)
    edit(target / "servicebot.yaml", "name: gpt-4o-mini", f"name: {name}")
    assert THINKS not in checked(target, 0)
