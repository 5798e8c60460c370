"""Precision and recall of the injection heuristics on public, labelled examples.

Data (read from ../shared at run time): deepset/prompt-injections, train split only (the
test split is kept for acceptance checks; the rules were written against this train split,
so its recall is in-sample), and NeMo Guardrails' jailbreak examples. Also checks the cost
that matters most, false alarms on what customers really write: the example bot's own
phrasings, the customer messages of BANKING77 and Bitext's customer-service set, and the
English and Chinese PII cases (benign text that is not all ASCII).

Run: .venv/bin/python bench/injection_eval.py [--show-misses]
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

from evaldata import evaldata  # type: ignore[import-not-found]

from servicebot import load_bot
from servicebot.filters.injection import find_injection
from servicebot.filters.normalise import normalise

REPO = Path(__file__).resolve().parent.parent
DATA = evaldata("prompt_injection")


def load_rows() -> dict[str, list[tuple[str, bool]]]:
    deepset = _jsonl(DATA / "deepset_prompt_injections.jsonl")
    nemo = _jsonl(DATA / "nemo_guardrails_jailbreak_examples.jsonl")
    return {
        "deepset train": [(r["text"], r["label"] == 1) for r in deepset if r["split"] == "train"],
        "nemo jailbreaks": [(r["text"], bool(r["is_jailbreak"])) for r in nemo],
    }


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def flagged(text: str) -> bool:
    return bool(find_injection(normalise(text).text))


def report(name: str, rows: list[tuple[str, bool]], show_misses: bool) -> None:
    tp = sum(1 for text, label in rows if label and flagged(text))
    fp = sum(1 for text, label in rows if not label and flagged(text))
    fn = sum(1 for text, label in rows if label and not flagged(text))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(
        f"{name:18} rows {len(rows):4}  TP {tp:4} FP {fp:3} FN {fn:4}  "
        f"precision {precision:.3f}  recall {recall:.3f}"
    )
    if show_misses:
        for text, label in rows:
            if label != flagged(text):
                print(f"    {'missed' if label else 'false alarm'}: {text[:110]!r}")


def main() -> None:
    show_misses = "--show-misses" in sys.argv
    for name, rows in load_rows().items():
        report(name, rows, show_misses)
    bot = load_bot(REPO)
    phrasings = [example for intent in bot.intents for example in intent.examples]
    alarms = [text for text in phrasings if flagged(text)]
    print(f"example bot phrasings: {len(phrasings)}, false alarms {len(alarms)} {alarms}")
    for name, texts in customer_messages().items():
        alarms = [text for text in texts if flagged(text)]
        print(f"{name}: {len(texts):,} messages, false alarms {len(alarms)} {alarms[:5]}")


def customer_messages() -> dict[str, list[str]]:
    """Ordinary customer-service messages, none of them an attack."""
    found = {}
    for split in ("train", "test"):
        path = evaldata("banking77") / f"{split}.csv"
        found[f"BANKING77 {split}"] = _column(path, "text")
    bitext = evaldata("bitext_customer_support") / "bitext_customer_service_8k_2022.csv"
    found["Bitext customer service"] = _column(bitext, "utterance")
    # Personal data in English and Chinese, in sentences and alone: benign, and not ASCII-only.
    pii = [evaldata("pii_chinese") / "chinese_pii_cases.jsonl"]
    pii += sorted(evaldata("pii_presidio").glob("*.jsonl"))
    found["PII cases (Presidio, Chinese)"] = [row["text"] for path in pii for row in _jsonl(path)]
    return found


def _column(path: Path, name: str) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as rows:
        return [row[name] for row in csv.DictReader(rows)]


if __name__ == "__main__":
    main()
