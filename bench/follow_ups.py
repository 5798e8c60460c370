"""How the example bot routes short follow-ups, read with the customer's previous message.

``example_bot/follow_ups_dev.csv`` and ``follow_ups_test.csv`` (see ``example_bot/README.md``)
hold a previous message, a short message after it, the intent whose facts the bot needs to
answer that message there, and which kind of follow-up it is: more about the same topic
("is it free?" after a returns question), a new topic named after an opener ("what about
exchanges?"), a new value ("and to Germany?"), a courtesy ("thanks for that") or a short
question of its own. Each row is routed as a turn is, ``Router.route(text, previous)`` with
the example bot's settings, and counts as right when the best intent (``out_of_scope`` when
none) is its label; recall@3 counts its label among the intents that routing gives the
model as facts. Figures are printed by language, by kind and in all.

Run: .venv/bin/python bench/follow_ups.py [dev|test]
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

from servicebot import load_bot
from servicebot.routing import Router, detect_language

REPO = Path(__file__).resolve().parent.parent
OUT_OF_SCOPE = "out_of_scope"


def main(split: str) -> None:
    spec = load_bot(REPO)
    router = Router(spec.intents, spec.settings.routing, spec.settings.languages)
    path = REPO / "bench" / "example_bot" / f"follow_ups_{split}.csv"
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    right, recalled, rows_of = Counter[str](), Counter[str](), Counter[str]()
    joined = 0
    for row in rows:
        routing = router.route(row["text"], row["previous"])
        best = routing.best.intent.name if routing.best else OUT_OF_SCOPE
        given = {match.intent.name for match in routing.matches} or {OUT_OF_SCOPE}
        language = detect_language(row["text"], ("zh", "en"), row["previous"])
        for group in (language, row["kind"], "all"):
            rows_of[group] += 1
            right[group] += best == row["intent"]
            recalled[group] += row["intent"] in given
        joined += routing.follow_up
    print(f"{path.relative_to(REPO)}: {len(rows)} rows, {joined} read with the previous message")
    kinds = sorted(group for group in rows_of if group not in ("en", "zh", "all"))
    for group in ("en", "zh", *kinds, "all"):
        count = rows_of[group]
        print(
            f"  {group:12}  rows {count:3}   top-1 {right[group] / count:.3f}"
            f"   recall@3 {recalled[group] / count:.3f}"
        )


if __name__ == "__main__":
    split = sys.argv[1] if len(sys.argv) > 1 else "dev"
    if split not in ("dev", "test"):
        sys.exit("usage: python bench/follow_ups.py [dev|test]")
    main(split)
