"""A writer process for the store durability tests: appends turns and reports each one.

    python -m tests.storeworker URL ROOT WORKER TURNS CONVERSATIONS NAMESPACE

prints "conversation number" for every turn the store acknowledged, flushed at once, so a
test that kills this process knows exactly which turns it was promised.
"""

from __future__ import annotations

import sys
from pathlib import Path

from servicebot.filters import FilterEvent
from servicebot.store import TurnRecord, open_store

EVENT = FilterEvent("prefilter", "pii", "PHONE", "mask", "[PHONE_1]")


def main(url: str, root: str, worker: str, turns: str, conversations: str, namespace: str) -> None:
    store = open_store(url, root=Path(root), namespace=namespace)
    for i in range(int(turns)):
        conversation = f"c{i % int(conversations)}"
        stored = store.append_turn(
            TurnRecord(conversation, f"w{worker} says {i}", f"reply {i}", "answer", events=(EVENT,))
        )
        print(conversation, stored.number, flush=True)
    store.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
