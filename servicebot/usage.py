"""Usage and cost: turns and tokens per conversation and per day, priced from the settings."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .settings import Price
from .store import TurnRecord


@dataclass
class Usage:
    """Totals over some turns."""

    turns: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0  # US dollars, estimated from the prices in servicebot.yaml
    unpriced_models: frozenset[str] = frozenset()
    snapshots: frozenset[str] = frozenset()  # priced as the model they are a snapshot of

    def add(self, turn: TurnRecord, prices: Mapping[str, Price]) -> None:
        self.turns += 1
        self.tokens_in += turn.prompt_tokens
        self.tokens_out += turn.completion_tokens
        price = price_of(turn.model or "", prices)
        if price is not None and turn.model not in prices:
            self.snapshots |= {turn.model or ""}
        if price is not None:
            self.cost += (
                turn.prompt_tokens * price.input + turn.completion_tokens * price.output
            ) / 1e6
        elif turn.model and turn.prompt_tokens + turn.completion_tokens:
            self.unpriced_models |= {turn.model}


def price_of(model: str, prices: Mapping[str, Price]) -> Price | None:
    """The price of ``model``, or of the model it is a dated snapshot of: OpenAI answers a
    request for gpt-4o-mini as gpt-4o-mini-2024-07-18, and gpt-4 as gpt-4-0613."""
    return prices.get(model) or prices.get(_SNAPSHOT.sub("", model))


_SNAPSHOT = re.compile(r"-(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4})$")


def usage_by(
    turns: Iterable[TurnRecord], prices: Mapping[str, Price]
) -> tuple[dict[str, Usage], dict[str, Usage]]:
    """(per day, per conversation) totals, in time order."""
    by_day: dict[str, Usage] = {}
    by_conversation: dict[str, Usage] = {}
    for turn in sorted(turns, key=lambda turn: turn.at):
        by_day.setdefault(turn.at.date().isoformat(), Usage()).add(turn, prices)
        by_conversation.setdefault(turn.conversation_id, Usage()).add(turn, prices)
    return by_day, by_conversation
