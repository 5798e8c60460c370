"""How well routing works on Bitext's customer-service sample (8,175 messages, 27 intents),
the public data closest to the messages a shop's customers write.

Bitext has no official train/test split, so this script makes one that never changes: each
intent's messages are ordered by a SHA-256 hash of a fixed seed and the message, and the
first 20% (by rows) are the test part, the rest the train part. Stratified by intent, as
every intent has 290 to 324 messages: each keeps about 240 train examples (BANKING77 has
about 130 an intent) and about 60 test rows, 1,636 in all (one row is 0.0006 of top-1).
A hash of the text, not ``random.shuffle``, so that the split depends on
neither Python's version nor the file's row order; a text written twice (four are) is
on one side only. Bitext writes its messages from templates, so test messages are close
kin of train ones: with 240 examples an intent, routing is near perfect. A bot written by
hand has tens of examples an intent, so the same test rows are routed again with intents
built from the first 20 and the first 5 train examples of each (in hash order too).

The intents are built from the train part as ``servicebot eval --train`` builds them
(``intents_from``, one intent a label) and the test part is routed through the same
``evaluate()`` with the default routing settings; nothing here is tuned on the test part.
``--write DIR`` writes the two parts as ``train.csv`` and ``test.csv``, for
``servicebot eval DIR/test.csv --train DIR/train.csv`` to print the same figures (keep
them out of the repository: the data is CDLA-Sharing).

Bitext's ``flags`` mark each message's variations (a message has several; ``B`` is on
every one): the figures by flag, with all the train examples and with 20 an intent, show
which kinds of messages route worse.

Run: .venv/bin/python bench/bitext_eval.py [--write DIR]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from evaldata import evaldata  # type: ignore[import-not-found]

from servicebot.evaluation import EvalReport, evaluate
from servicebot.evaluation.files import Labelled, read_labelled
from servicebot.evaluation.training import intents_from
from servicebot.settings import Intent, RoutingSettings

DATA = "bitext_customer_service_8k_2022.csv"
SEED = "servicebot-bitext-1"  # fixed: changing it makes another split, whose figures differ
TEST_SHARE = 0.2
FEW = (20, 5)  # examples an intent: about the example bot's (19), a Rasa project's handful
COLUMNS = f"{'top-1':>9}{'recall@3':>10}"  # above each report's figures
FLAGS = {  # Bitext's tags, as its SOURCE.md names them
    "C": "coordinated",
    "D": "indirect",
    "E": "expanded abbreviations",
    "I": "interrogative",
    "K": "keyword-only",
    "L": "lexical variation",
    "M": "morphological",
    "P": "polite",
    "Q": "colloquial",
    "W": "offensive",
    "Z": "noise, typos",
}


def split(rows: Sequence[Labelled]) -> tuple[list[Labelled], list[Labelled]]:
    """The train and test parts, each in file order: per intent, texts in the order of their
    hash, the first ones to the test part until it holds TEST_SHARE of the intent's rows."""
    by_intent: dict[str, dict[str, list[Labelled]]] = {}
    for row in rows:
        by_intent.setdefault(row.intent, {}).setdefault(_same(row.text), []).append(row)
    train: list[Labelled] = []
    test: list[Labelled] = []
    for texts in by_intent.values():
        wanted = round(TEST_SHARE * sum(len(copies) for copies in texts.values()))
        held: list[Labelled] = []
        for text in sorted(texts, key=_rank):
            (held if len(held) < wanted else train).extend(texts[text])
        test.extend(held)
    return sorted(train, key=_line), sorted(test, key=_line)


def fewer(train: Sequence[Labelled], per_intent: int) -> list[Labelled]:
    """The first ``per_intent`` texts of each intent's train rows in hash order: a bot written
    by hand has tens of examples an intent, not Bitext's 240."""
    kept: dict[str, dict[str, Labelled]] = {}
    for row in sorted(train, key=lambda row: _rank(_same(row.text))):
        texts = kept.setdefault(row.intent, {})
        if len(texts) < per_intent:
            texts.setdefault(_same(row.text), row)
    return [row for texts in kept.values() for row in texts.values()]


def _same(text: str) -> str:
    """A text as compared for copies: in any case, without surrounding space."""
    return text.strip().casefold()


def _rank(text: str) -> str:
    return hashlib.sha256(f"{SEED}\n{text}".encode()).hexdigest()


def _line(row: Labelled) -> int:
    return row.line


def read_flags(path: Path) -> dict[int, str]:
    """Each row's flags by the line it starts on, as ``read_labelled`` numbers rows."""
    flags: dict[int, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file)
        column = next(reader).index("flags")
        start = reader.line_num + 1
        for row in reader:
            flags[start] = row[column]
            start = reader.line_num + 1
    return flags


def print_figures(name: str, reports: Sequence[EvalReport]) -> None:
    """One line: the rows, then top-1 and recall@3 of each report (the same rows)."""
    figures = "".join(f"{r.accuracy:>9.4f}{r.recall_at_k or 0.0:>10.4f}" for r in reports)
    print(f"  {name:<28} {reports[0].rows:>5,}{figures}")


def print_by_flag(
    test: Sequence[Labelled], built: Sequence[Sequence[Intent]], flags: dict[int, str]
) -> None:
    """The figures of the test rows with each flag, and of those with none but ``B``, with
    each of the ``built`` intents."""
    print("by Bitext's flag (a message has several), with all train examples, then 20 an intent:")
    print(f"  {'flag':<28}  rows{COLUMNS}{COLUMNS}")
    basic = [row for row in test if flags[row.line] == "B"]
    print_figures("B alone (no variation)", [_evaluate(basic, i) for i in built])
    for flag in sorted({flag for row in test for flag in flags[row.line]} - {"B"}):
        rows = [row for row in test if flag in flags[row.line]]
        name = f"{flag} {FLAGS.get(flag, '(not in SOURCE.md)')}"
        print_figures(name, [_evaluate(rows, intents) for intents in built])


def _evaluate(rows: Iterable[Labelled], intents: Sequence[Intent]) -> EvalReport:
    """Routed as ``servicebot eval --train`` routes: default settings, English."""
    return evaluate(list(rows), intents, RoutingSettings(), ("en",), k=3)


def write_parts(folder: Path, train: Sequence[Labelled], test: Sequence[Labelled]) -> None:
    """``train.csv`` and ``test.csv`` in ``folder``, for ``servicebot eval`` to read."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train.csv", train), ("test.csv", test)):
        with (folder / name).open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["utterance", "intent"])
            writer.writerows([row.text, row.intent] for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, metavar="DIR", help="write train.csv, test.csv")
    args = parser.parse_args()
    path = evaldata("bitext_customer_support") / DATA
    rows = read_labelled(path)
    train, test = split(rows)
    assert not {_same(row.text) for row in train} & {_same(row.text) for row in test}
    if args.write:
        write_parts(args.write, train, test)
    intents = intents_from(train)
    report = _evaluate(test, intents)
    print(
        f"Bitext customer service: {len(rows):,} messages, {len(intents)} intents; split by "
        f"intent {1 - TEST_SHARE:.0%}/{TEST_SHARE:.0%} (seed {SEED!r}): {len(train):,} train, "
        f"{len(test):,} test"
    )
    print(f"  top-1 accuracy {report.accuracy:.4f}")
    print(f"  recall@3       {report.recall_at_k or 0.0:.4f}")
    few = {n: intents_from(fewer(train, n)) for n in FEW}
    print("the same test rows, the intents built from fewer train examples:")
    print(f"  {'examples an intent':<28}  rows{COLUMNS}")
    for per_intent, built in few.items():
        print_figures(f"{per_intent}", [_evaluate(test, built)])
    print_by_flag(test, [intents, few[FEW[0]]], read_flags(path))


if __name__ == "__main__":
    main()
