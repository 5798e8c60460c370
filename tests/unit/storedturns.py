"""What the store tests (test_store.py, test_store_backends.py) share: ``turn``, a turn
to store with only the fields a test names."""

from __future__ import annotations

from servicebot.store import TurnRecord


def turn(conversation: str, text: str = "hi", **fields: object) -> TurnRecord:
    return TurnRecord(conversation, text, f"re: {text}", "answer", **fields)  # type: ignore[arg-type]
