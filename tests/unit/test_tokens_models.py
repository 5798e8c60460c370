"""Which encoding a model's tokens are counted with: the model's own or the one configured,
one counter per encoding, when a count is an estimate (a model nobody named an encoding for),
how render names an encoding set in place of the model's own, and a server's count far from
ours logged once."""

import logging

import pytest

from servicebot.budget.estimate import compare_counts, counts_are_estimates, encoding_label
from servicebot.budget.tokens import EncodingName, counter_for, encoding_name_for


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini-2024-07-18", "o200k_base"),
        ("chatgpt-4o-latest", "o200k_base"),
        ("gpt-4.1-nano", "o200k_base"),
        ("gpt-4.5-preview", "o200k_base"),
        ("gpt-5", "o200k_base"),
        ("gpt-5-mini", "o200k_base"),
        ("o1", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("o4-mini", "o200k_base"),
        ("openai/gpt-4o", "o200k_base"),
        ("ft:gpt-4o-mini:acme::abc123", "o200k_base"),
        ("GPT-4O", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-0613", "cl100k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("gpt-4-turbo-2024-04-09", "cl100k_base"),
        ("gpt-4-32k", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("gpt-3.5-turbo-0125", "cl100k_base"),
        ("gpt-35-turbo", "cl100k_base"),
        ("azure/gpt-4-turbo", "cl100k_base"),
        ("ft:gpt-3.5-turbo-0613:acme::xyz", "cl100k_base"),
        ("qwen2.5-72b-instruct", "o200k_base"),
        ("deepseek/deepseek-chat", "o200k_base"),
        ("", "o200k_base"),
        (None, "o200k_base"),
    ],
)
def test_model_picks_its_encoding(model: str | None, expected: str) -> None:
    assert encoding_name_for(model, None) == expected


def test_configured_encoding_wins_over_the_model() -> None:
    assert encoding_name_for("gpt-4o", "cl100k_base") == "cl100k_base"
    assert encoding_name_for("gpt-4", "o200k_base") == "o200k_base"
    assert encoding_name_for(None, "cl100k_base") == "cl100k_base"


def test_counters_are_shared_per_encoding() -> None:
    assert counter_for("gpt-4o", None) is counter_for("gpt-5-mini", None)
    assert counter_for("gpt-4o", None) is counter_for("gpt-4", "o200k_base")
    assert counter_for("gpt-4", None) is not counter_for("gpt-4o", None)
    assert counter_for("gpt-4", None).name == "cl100k_base"


@pytest.mark.parametrize(
    ("model", "configured", "estimate"),
    [
        ("qwen2.5-7b-instruct", None, True),
        ("Qwen/Qwen2.5-7B-Instruct", None, True),
        ("llama3.1:8b", None, True),
        ("deepseek-chat", "o200k_base", False),  # the operator chose it
        ("openai/gpt-4o-mini", None, False),
        (None, None, False),  # no model: nothing is counted for one
    ],
)
def test_counts_are_estimates_for_a_model_nobody_named_an_encoding_for(
    model: str | None, configured: EncodingName | None, estimate: bool
) -> None:
    assert counts_are_estimates(model, configured) is estimate


@pytest.mark.parametrize(
    ("model", "configured", "label"),
    [
        ("gpt-4o", None, "o200k_base"),
        ("gpt-4o", "o200k_base", "o200k_base"),
        ("gpt-4o", "cl100k_base", "cl100k_base (budget.encoding: gpt-4o's own is o200k_base)"),
        (
            "qwen3-8b",
            "o200k_base",
            "o200k_base (budget.encoding: servicebot does not carry qwen3-8b's own tokenizer)",
        ),
        (None, "cl100k_base", "cl100k_base"),  # no model: nothing to compare with
    ],
)
def test_render_names_an_encoding_set_in_place_of_the_models_own(
    model: str | None, configured: EncodingName | None, label: str
) -> None:
    """A budget.encoding set for a model servicebot does not know was shown as exact."""
    assert encoding_label(configured or "o200k_base", model, configured) == label


@pytest.mark.parametrize(
    ("counted", "reported", "logged"),
    [(100, 124, False), (20, 29, False), (100, 140, True), (100, 60, True), (535, 0, False)],
    ids=["within a quarter", "a few tokens", "far more", "far fewer", "none reported"],
)
def test_a_servers_count_far_from_ours_is_logged_once(
    counted: int,
    reported: int,
    logged: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    step = {"model": "qwen3", "budget_count": counted, "prompt_tokens": reported}
    with caplog.at_level(logging.WARNING, logger="servicebot"):
        for _ in range(3):
            compare_counts(step, "o200k_base")
    assert len(caplog.messages) == int(logged)
