"""How the example bot's ``routing.min_score`` was chosen, in English, Chinese and mixed text.

In scope: every example phrasing of the example bot, routed by an index built without it
(leave one out), so each is a paraphrase the bot has not seen. Out of scope: the 40 requests
in ``out_of_scope.txt`` beside this script (20 English, 20 Chinese; weather, jokes, code,
...), written before any threshold was tried. For each group it prints top-1 accuracy,
the median best score, how well the best score separates the two sets (ROC AUC: the chance
that an in-scope message outscores an out-of-scope one), and, for thresholds around the
chosen one, the share of in-scope messages kept and of out-of-scope ones turned away.
There is no held-out set: the figures are those the threshold was chosen on.

The groups: ``en`` and ``zh``, phrasings in one script; ``zh+name``, each Chinese phrasing,
and each Chinese out-of-scope request, with the name of a product or brand no intent
mentions before or after it (``iPhone 到哪了``): a name the bot has never seen should change
neither what is asked nor how sure routing is; ``mixed``, the bot's Chinese phrasings with
English words in them (``我的order到哪里了``), and ``mixed+typo``, those with a letter left out
of their longest English word, both against the out-of-scope requests of ``zh+name``.

Run: .venv/bin/python bench/calibration.py
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from servicebot import load_bot
from servicebot.routing import detect_language
from servicebot.routing.index import IntentIndex
from servicebot.settings import Intent

HERE = Path(__file__).resolve().parent
THRESHOLDS = (0.18, 0.2, 0.22, 0.24, 0.26)
GROUPS = ("en", "zh", "mixed", "mixed+typo", "zh+name")
NAMES = (
    "iPhone 15", "Nike", "AirPods Pro 2", "Kindle", "Lego", "Dyson V15", "Samsung", "PlayStation 5"
)  # fmt: skip
_LATIN = re.compile("[A-Za-z]")


def group(text: str) -> str:
    if detect_language(text, ("en", "zh")) == "en":
        return "en"
    return "mixed" if _LATIN.search(text) else "zh"


def with_name(text: str, n: int) -> str:
    """``text`` with the ``n``-th product name, before it for even ``n`` and after for odd."""
    name = NAMES[n % len(NAMES)]
    return f"{name} {text}" if n % 2 == 0 else f"{text} {name}"


def with_typo(text: str) -> str:
    """``text`` with the middle letter of its longest English word left out."""
    word = max(re.findall("[A-Za-z]+", text), key=len)
    return text.replace(word, word[: len(word) // 2] + word[len(word) // 2 + 1 :], 1)


def left_out_scores(intents: list[Intent]) -> dict[str, list[tuple[float, bool]]]:
    """Each phrasing's best score and whether its own intent was best, by group."""
    found: dict[str, list[tuple[float, bool]]] = {name: [] for name in GROUPS}
    for i, intent in enumerate(intents):
        for j, example in enumerate(intent.examples):
            kept = tuple(e for k, e in enumerate(intent.examples) if k != j)
            others = [*intents[:i], intent.model_copy(update={"examples": kept}), *intents[i + 1 :]]
            index = IntentIndex(others)
            texts = {group(example): example}
            if group(example) == "zh":
                texts["zh+name"] = with_name(example, len(found["zh"]))
            if group(example) == "mixed":
                texts["mixed+typo"] = with_typo(example)
            for name, text in texts.items():
                scores = index.scores(text)
                found[name].append((float(scores.max()), int(scores.argmax()) == i))
    return found


def main() -> None:
    spec = load_bot(HERE.parent)
    intents = list(spec.intents)
    in_scope = left_out_scores(intents)
    index = IntentIndex(intents)
    out: dict[str, list[float]] = {"en": [], "zh": [], "zh+name": []}
    for text in (HERE / "out_of_scope.txt").read_text(encoding="utf-8").splitlines():
        language = detect_language(text, ("en", "zh"))
        out[language].append(float(index.scores(text).max()))
        if language == "zh":
            named = with_name(text, len(out["zh+name"]))
            out["zh+name"].append(float(index.scores(named).max()))
    out["mixed"] = out["mixed+typo"] = out["zh+name"]
    print(
        f"example bot: {len(intents)} intents; min_score in servicebot.yaml: "
        f"{spec.settings.routing.min_score}"
    )
    for language in GROUPS:
        best = np.array([score for score, _ in in_scope[language]])
        away = np.array(out[language])
        top_1 = statistics.mean(right for _, right in in_scope[language])
        auc = float((best[:, None] > away[None, :]).mean())
        print(
            f"{language}: {len(best)} phrasings left out, top-1 {top_1:.2f}, best score median "
            f"{np.median(best):.3f}; {len(away)} out of scope, median {np.median(away):.3f}, "
            f"max {away.max():.3f}; AUC {auc:.3f}"
        )
        right = np.array([right for _, right in in_scope[language]])
        for threshold in THRESHOLDS:
            kept = best >= threshold
            print(
                f"  min_score {threshold:.2f}: in scope kept {kept.mean():.2f} (to its own "
                f"intent {(kept & right).mean():.2f}), out of scope turned away "
                f"{(away < threshold).mean():.2f}"
            )
    print_quoted(spec.intents, index)


# Messages whose scores the README's "Routing" section quotes.
QUOTED = ("write me a poem", "帮我写代码", "今天天气怎么样", "我想退货 Nike", "我想退货")


def print_quoted(intents: Sequence[Intent], index: IntentIndex) -> None:
    """The scores the README quotes: each phrasing of the example bot for its own intent,
    and the best intent for a few messages."""
    own = np.array(
        [
            float(index.scores(text)[number])
            for number, intent in enumerate(intents)
            for text in intent.examples
        ]
    )
    print(
        f"each phrasing, for its own intent: {own.min():.2f} to {own.max():.2f} "
        f"(median {np.median(own):.2f})"
    )
    for text in QUOTED:
        scores = index.scores(text)
        best = int(scores.argmax())
        print(f"  {text}: {intents[best].name} {scores[best]:.2f}")


if __name__ == "__main__":
    main()
