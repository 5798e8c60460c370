"""How the example bot's ``routing.min_score`` was chosen, in English and in Chinese.

In scope: every example phrasing of the example bot, routed by an index built without it
(leave one out), so each is a paraphrase the bot has not seen. Out of scope: the 40 requests
in ``out_of_scope.txt`` beside this script (20 English, 20 Chinese; weather, jokes, code,
...), written before any threshold was tried. For each language it prints top-1 accuracy,
the median best score, how well the best score separates the two sets (ROC AUC: the chance
that an in-scope message outscores an out-of-scope one), and, for thresholds around the
chosen one, the share of in-scope messages kept and of out-of-scope ones turned away.
There is no held-out set: the figures are those the threshold was chosen on.

Run: .venv/bin/python bench/calibration.py
"""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np

from servicebot import load_bot
from servicebot.routing import detect_language
from servicebot.routing.index import IntentIndex
from servicebot.settings import Intent

HERE = Path(__file__).resolve().parent
THRESHOLDS = (0.18, 0.2, 0.22, 0.24, 0.26)


def left_out_scores(intents: list[Intent]) -> dict[str, list[tuple[float, bool]]]:
    """Each phrasing's best score and whether its own intent was best, by language."""
    found: dict[str, list[tuple[float, bool]]] = {"en": [], "zh": []}
    for i, intent in enumerate(intents):
        for j, example in enumerate(intent.examples):
            kept = tuple(e for k, e in enumerate(intent.examples) if k != j)
            others = [*intents[:i], intent.model_copy(update={"examples": kept}), *intents[i + 1 :]]
            scores = IntentIndex(others).scores(example)
            found[detect_language(example, ("en", "zh"))].append(
                (float(scores.max()), int(scores.argmax()) == i)
            )
    return found


def main() -> None:
    spec = load_bot(HERE.parent)
    intents = list(spec.intents)
    in_scope = left_out_scores(intents)
    index = IntentIndex(intents)
    out: dict[str, list[float]] = {"en": [], "zh": []}
    for text in (HERE / "out_of_scope.txt").read_text(encoding="utf-8").splitlines():
        out[detect_language(text, ("en", "zh"))].append(float(index.scores(text).max()))
    print(
        f"example bot: {len(intents)} intents; min_score in servicebot.yaml: "
        f"{spec.settings.routing.min_score}"
    )
    for language in ("en", "zh"):
        best = np.array([score for score, _ in in_scope[language]])
        away = np.array(out[language])
        top_1 = statistics.mean(right for _, right in in_scope[language])
        auc = float((best[:, None] > away[None, :]).mean())
        print(
            f"{language}: {len(best)} phrasings left out, top-1 {top_1:.2f}, best score median "
            f"{np.median(best):.3f}; {len(away)} out of scope, median {np.median(away):.3f}, "
            f"max {away.max():.3f}; AUC {auc:.3f}"
        )
        for threshold in THRESHOLDS:
            print(
                f"  min_score {threshold:.2f}: in scope kept {(best >= threshold).mean():.2f}, "
                f"out of scope turned away {(away < threshold).mean():.2f}"
            )


if __name__ == "__main__":
    main()
