from datetime import UTC, datetime

from servicebot.settings import Price
from servicebot.store import TurnRecord
from servicebot.usage import usage_by

PRICES = {"gpt-4o-mini": Price(input=0.15, output=0.60)}


def turn(
    conversation: str, day: int, model: str | None, tokens_in: int, tokens_out: int
) -> TurnRecord:
    at = datetime(2026, 11, day, 12, tzinfo=UTC)
    return TurnRecord(conversation, "q", "a", "answer", model=model, prompt_tokens=tokens_in,
                      completion_tokens=tokens_out, at=at)  # fmt: skip


def test_usage_per_day_and_conversation_in_time_order_with_costs() -> None:
    turns = [
        turn("b", 21, "gpt-4o-mini", 2_000_000, 0),
        turn("a", 20, "gpt-4o-mini", 1_000_000, 1_000_000),
        turn("a", 21, None, 0, 0),  # a direct answer: no model, no tokens
    ]
    by_day, by_conversation = usage_by(turns, PRICES)
    assert list(by_day) == ["2026-11-20", "2026-11-21"]
    assert (by_day["2026-11-20"].turns, round(by_day["2026-11-20"].cost, 4)) == (1, 0.75)
    assert (by_conversation["a"].turns, by_conversation["a"].tokens_out) == (2, 1_000_000)
    assert round(by_conversation["b"].cost, 4) == 0.30


def test_models_without_a_price_are_named() -> None:
    by_day, _ = usage_by([turn("a", 20, "qwen-max", 10, 10)], PRICES)
    assert by_day["2026-11-20"].cost == 0
    assert by_day["2026-11-20"].unpriced_models == frozenset({"qwen-max"})


def test_a_dated_snapshot_is_priced_as_its_model() -> None:
    """OpenAI answers a request for gpt-4o-mini as gpt-4o-mini-2024-07-18."""
    turns = [
        turn("a", 20, "gpt-4o-mini-2024-07-18", 1_000_000, 0),
        turn("a", 20, "gpt-4o-mini-0718", 1_000_000, 0),
    ]
    by_day, _ = usage_by(turns, PRICES)
    assert round(by_day["2026-11-20"].cost, 4) == 0.30
    assert by_day["2026-11-20"].unpriced_models == frozenset()
    assert by_day["2026-11-20"].snapshots == {"gpt-4o-mini-2024-07-18", "gpt-4o-mini-0718"}
    assert usage_by([turn("a", 20, "gpt-4o-mini-high", 1, 1)], PRICES)[0]["2026-11-20"].cost == 0
