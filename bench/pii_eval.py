"""Precision and recall of servicebot.filters.pii on the Presidio and Chinese PII test cases.

Reads ``../shared/evaldata/pii_presidio/presidio_recognizer_cases.jsonl`` and
``../shared/evaldata/pii_chinese/chinese_pii_cases.jsonl`` (relative to the repository, at run
time; they are never copied in). Prints TP/FP/FN, precision and recall per type and dataset,
the rows left out and why, and the slowest ``find_pii`` call on 100 KB inputs: adversarial
ones (long runs, repeated separators, nested brackets) and ones made only of valid PII.

Scoring. Detection rows: the whole text goes through ``find_pii`` (all kinds, so overlaps are
resolved as in production) and only findings of the mapped kind count. With expected spans, a
found span is a true positive when it overlaps an unmatched expected span (one to one); else
(``spans_complete`` false, or no spans given) counts are compared. Validation rows: the bare
value is positive when a finding of the mapped kind covers all of it; ``expected_valid`` is
the label. Target: precision and recall >= 0.95 for every type.

Hong Kong IDs (validator.js's HK_ID_CARD rows) are scored twice, as HK_ID finds them two
ways. Bare, as the rows give them: an unnamed HKID is found only bracketed as the card
writes it, its check digit right, so a value without brackets is excluded (it needs a name,
as a bare passport number does). And each value once more after the label ``HKID ``, on the
line ``HK_ID+L``: a named HKID is found whatever its check digit, so a negative of the
HKID's shape whose only fault is its check digit is excluded there, as a redaction filter
masks an ID typed one digit wrong. The ``HK_ID+L`` cases are this script's texts, not the
dataset's, so they are kept out of the ``ALL`` line; the bare ones count in it.

Run: .venv/bin/python bench/pii_eval.py
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaldata import evaldata  # type: ignore[import-not-found]

from servicebot.filters.pii import find_pii

DATASETS = {
    "presidio": evaldata("pii_presidio") / "presidio_recognizer_cases.jsonl",
    "chinese": evaldata("pii_chinese") / "chinese_pii_cases.jsonl",
}
TYPE_MAP = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "CN_MOBILE": "PHONE",
    "CN_PHONE_NUMBER": "PHONE",  # only in expected_entity_types of a two-type row
    "CREDIT_CARD": "CARD",
    "CN_BANK_CARD": "CARD",
    "CN_RESIDENT_ID": "CN_ID",
    "CN_ID_CARD": "CN_ID",  # likewise
    "IBAN_CODE": "IBAN",
    "IP_ADDRESS": "IP",
    "US_SSN": "SSN",
    "CN_PASSPORT": "PASSPORT",
    "HK_ID_CARD": "HK_ID",
}
NAMED = "HK_ID+L"  # the table's line for HKIDs scored after a label (see the docstring)
_HKID_SHAPE = re.compile(r"HKID [A-Z]{1,2}[0-9]{6}(?:\([0-9A]\)|\[[0-9A]\]|[0-9A])", re.I)
_HKID_BRACKETED = re.compile(r"[(\[][0-9A-Za-z][)\]]")
# Types that look close to ours but are deliberately not mapped.
NOT_MAPPED = {
    "TW_MOBILE": "Taiwan national format (09xx, 886 without +); PHONE covers +886 only",
    "CN_LANDLINE": "7-8 digit landlines without area code look like order numbers",
    "CN_PHONE_ANY": "mixes those landlines with mobiles",
    "US_ITIN": "9xx area numbers are ITINs, which SSN deliberately rejects",
}
WEAK_SCORE = 0.5  # Presidio's "very weak" patterns score 0.05; its medium SSN pattern 0.5
_FORMAT_ONLY_MOBILE = re.compile(r"(?:(?:\+86|0086)-|0)1[3-9][0-9](?:-?[0-9]{4}){2}")
_REASONS = {
    "null": 'expected_valid is null (Presidio: "undecided, keep the pattern score")',
    "leniency": "label depends on a non-default Presidio phone leniency (its default is 1)",
    "weak": "label depends on Presidio's score threshold (expected score below 0.5 only)",
    "national": "national-format number of a region PHONE does not cover, no country code",
    "cn15": "15-digit first-generation ID (withdrawn 2013); CN_ID is the 18-character number",
    "strict": "strict mode needs the historical address-code table, which we do not ship",
    "reserved": "validator.js accepts reserved 9x segments; the dataset notes they are not real",
    "format": "validator.js format-only negative: a valid mobile with '-' after +86/0086 or a "
    "trunk 0; a redaction filter must still mask it",
    "landline": "validator.js mobile negative that is a mainland landline with its area code: "
    "PHONE covers landlines, isMobilePhone does not; a redaction filter must mask it",
    "unnamed": "a bare passport number: PASSPORT is found where the customer names it "
    "(护照号E12345678, passport: E12345678), as a shape alone is any product code's",
    "bare hkid": "a bare HKID value without brackets: HK_ID finds one where the customer names "
    "it (scored so on the HK_ID+L line), as A1234567 alone is as likely a part number",
    "hkid check": "HKID negative only for its check digit, after the label HKID: a validator's "
    "negative; a redaction filter masks an HKID the customer names and types one digit wrong",
    "mistyped": "card negative only for failing Luhn, in a text that calls it a card: a "
    "validator's negative; a redaction filter masks a card typed one digit wrong",
}
_LANDLINE = re.compile(r"0[1-9][0-9]{1,2}-[1-9][0-9]{6,7}")
_CARD_NAMED = re.compile(r"card|卡", re.IGNORECASE)


@dataclass
class Case:
    """One scored question: a text, the kind we look for, and what the dataset expects."""

    dataset: str
    kind: str
    text: str
    mode: str  # "spans", "count" or "valid"
    spans: list[tuple[int, int]] = field(default_factory=list)
    ignore: list[tuple[int, int]] = field(default_factory=list)
    count: int = 0
    valid: bool = False
    named: bool = False  # an HKID after its label: the HK_ID+L line, not in ALL


@dataclass
class Tally:
    """Counts for one table line."""

    cases: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, tp: int, fp: int, fn: int) -> None:
        self.cases += 1
        self.tp += tp
        self.fp += fp
        self.fn += fn

    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def exclusion(row: dict[str, Any]) -> str | None:
    """Why a row of one of our types is left out, as a key of _REASONS, or None."""
    value, entity = row["text"], row.get("entity_type")
    if row["kind"] == "validation" and row.get("expected_valid") is None:
        return "null"
    if row.get("leniency", 1) != 1:
        return "leniency"
    if row.get("expected_spans") and all(
        _is_weak(row, i) for i in range(len(row["expected_spans"]))
    ):
        return "weak"
    texts = row.get("expected_span_texts") or []
    if entity == "PHONE_NUMBER" and texts and all(t.startswith("0") for t in texts):
        return "national"
    if entity == "CN_RESIDENT_ID" and len(re.sub(r"\s", "", value)) == 15:
        return "cn15"
    if entity == "CN_PASSPORT" and row["kind"] == "validation":
        return "unnamed"
    if entity == "HK_ID_CARD":
        return _hkid_exclusion(row)
    if row.get("strict_mode"):
        return "strict"
    if "reserved" in (row.get("note") or ""):
        return "reserved"
    negative = row.get("expected_valid") is False or row.get("expected_count") == 0
    if TYPE_MAP.get(entity or "") == "CARD" and negative and _mistyped_card(value):
        return "mistyped"
    if entity == "CN_MOBILE" and row.get("expected_valid") is False:
        if _FORMAT_ONLY_MOBILE.fullmatch(value):
            return "format"
        return "landline" if _LANDLINE.fullmatch(value) else None
    return None


def _hkid_exclusion(row: dict[str, Any]) -> str | None:
    """Why an HKID row (bare, or with the label in front: ``named``) is left out, or None."""
    if not row.get("named"):
        return None if _HKID_BRACKETED.search(row["text"]) else "bare hkid"
    negative = row["expected_valid"] is False
    return "hkid check" if negative and _HKID_SHAPE.fullmatch(row["text"]) else None


def _mistyped_card(text: str) -> bool:
    digits = re.sub(r"[^0-9]", "", text)
    card_like = 13 <= len(digits) <= 19 and digits[0] in "23456"
    return card_like and _CARD_NAMED.search(text) is not None


def _is_weak(row: dict[str, Any], index: int) -> bool:
    ranges = row.get("expected_score_ranges") or []
    high = ranges[index][1] if index < len(ranges) else None
    return isinstance(high, float) and high < WEAK_SCORE  # "max" (a string) is the top score


def cases(dataset: str, row: dict[str, Any]) -> Iterator[Case]:
    """The scored questions in a row: one per mapped type (a Chinese row names two)."""
    if row["kind"] == "validation":
        text, named = row["text"], row.get("named", False)
        value = [(len("HKID "), len(text))] if named else []  # else the whole text
        kind = TYPE_MAP[row["entity_type"]]
        yield Case(dataset, kind, text, "valid", value, valid=row["expected_valid"], named=named)
    elif row.get("entity_type") is None:  # "no phone/id/bank card/passport/email expected"
        for kind in ("PHONE", "CN_ID", "PASSPORT", "CARD", "EMAIL"):
            yield Case(dataset, kind, row["text"], "count")
    elif "expected_entity_types" in row:  # both types asserted present once
        for entity in row["expected_entity_types"]:
            yield Case(dataset, TYPE_MAP[entity], row["text"], "count", count=1)
    else:
        yield _detection_case(dataset, row)


def _detection_case(dataset: str, row: dict[str, Any]) -> Case:
    kind, text = TYPE_MAP[row["entity_type"]], row["text"]
    spans = [(int(a), int(b)) for a, b in row.get("expected_spans") or []]
    if row.get("spans_complete") is False or (row["expected_count"] and not spans):
        return Case(dataset, kind, text, "count", count=row["expected_count"])
    weak = [i for i in range(len(spans)) if _is_weak(row, i)]
    keep = [s for i, s in enumerate(spans) if i not in weak]
    return Case(dataset, kind, text, "spans", spans=keep, ignore=[spans[i] for i in weak])


def score(case: Case) -> tuple[int, int, int]:
    found = [(f.start, f.end) for f in find_pii(case.text) if f.kind == case.kind]
    if case.mode == "valid":
        stripped = (len(case.text) - len(case.text.lstrip()), len(case.text.rstrip()))
        whole = case.spans[0] if case.spans else stripped  # spans: a named HKID's value
        hit = whole in found and whole[0] < whole[1]
        return int(hit and case.valid), int(hit and not case.valid), int(case.valid and not hit)
    if case.mode == "count":
        return (
            min(len(found), case.count),
            max(0, len(found) - case.count),
            max(0, case.count - len(found)),
        )
    return _match_spans(found, case.spans, case.ignore)


def _match_spans(
    found: list[tuple[int, int]], expected: list[tuple[int, int]], ignore: list[tuple[int, int]]
) -> tuple[int, int, int]:
    def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
        return a[0] < b[1] and b[0] < a[1]

    unmatched = list(found)
    tp = 0
    for span in expected:
        hit = next((f for f in unmatched if overlaps(f, span)), None)
        if hit is not None:
            unmatched.remove(hit)
            tp += 1
    fp = sum(1 for f in unmatched if not any(overlaps(f, s) for s in ignore))
    return tp, fp, len(expected) - tp


@dataclass
class Report:
    """Everything evaluate() prints."""

    tallies: defaultdict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    excluded: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    other_types: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


def evaluate() -> None:
    report = Report()
    for dataset, path in DATASETS.items():
        for row in load(path):
            _evaluate_row(dataset, row, report)
    print_table(report.tallies)
    print_exclusions(report.excluded, report.other_types)
    print(f"\nErrors ({len(report.errors)}):")
    for line in report.errors:
        print("  " + line)


def _evaluate_row(dataset: str, row: dict[str, Any], report: Report) -> None:
    entity = row.get("entity_type")
    if entity is not None and entity not in TYPE_MAP and "+" not in entity:
        null = row["kind"] == "validation" and row.get("expected_valid") is None
        report.other_types[f"{entity} (expected_valid null)" if null else entity] += 1
        return
    if entity == "HK_ID_CARD" and not row.get("named"):
        _evaluate_row(dataset, {**row, "text": "HKID " + row["text"], "named": True}, report)
    reason = exclusion(row)
    if reason is not None:
        report.excluded[reason].append(f"[{dataset}] {entity}: {row['text']!r}")
        return
    for case in cases(dataset, row):
        tp, fp, fn = score(case)
        line = NAMED if case.named else case.kind
        keys = ((case.dataset, line), ("all", line), *([] if case.named else [("all", "ALL")]))
        for key in keys:
            report.tallies[key].add(tp, fp, fn)
        if fp or fn:
            report.errors.append(
                f"[{dataset}] {case.kind} {case.mode} FP={fp} FN={fn}: {case.text!r}"
            )


def print_table(tallies: dict[tuple[str, str], Tally]) -> None:
    header = ("dataset", "type", "cases", "TP", "FP", "FN", "prec", "recall")
    print("{:9} {:8} {:>5} {:>4} {:>3} {:>3} {:>6} {:>6}".format(*header))
    for dataset in (*DATASETS, "all"):
        for (ds, kind), t in sorted(tallies.items()):
            if ds == dataset and kind != "ALL":
                _print_line(dataset, kind, t)
    _print_line("all", "ALL", tallies[("all", "ALL")])


def _print_line(dataset: str, kind: str, t: Tally) -> None:
    ok = "" if kind == "ALL" or (t.precision() >= 0.95 and t.recall() >= 0.95) else "  < 0.95"
    print(
        f"{dataset:9} {kind:8} {t.cases:5} {t.tp:4} {t.fp:3} {t.fn:3} "
        f"{t.precision():6.3f} {t.recall():6.3f}{ok}"
    )


def print_exclusions(excluded: dict[str, list[str]], other_types: Counter[str]) -> None:
    print(f"\nExcluded rows of our types ({sum(map(len, excluded.values()))}):")
    for reason, rows in excluded.items():
        print(f"  {len(rows):3}  {_REASONS[reason]}")
        for text in rows:
            print(f"         {text}")
    print(f"\nRows of types we do not detect ({sum(other_types.values())}), not scored:")
    for entity, note in NOT_MAPPED.items():
        print(f"  {other_types.pop(entity, 0):3}  {entity}: {note}")
    print("       " + ", ".join(f"{t} {n}" for t, n in sorted(other_types.items())))


def _repeat(seed: str, size: int = 100_000) -> str:
    return (seed * (size // len(seed) + 1))[:size]


def adversarial_inputs() -> dict[str, str]:
    """100 KB inputs aimed at backtracking: long runs, repeated separators, nested brackets."""
    seeds = {
        "digits": "1",
        "digit groups": "4111 ",
        "dash digits": "1-",
        "at signs": "@",
        "dots": ".",
        "a@": "a@",
        "a.": "a.",
        "a@b.": "a@b.",
        "nested brackets": "(((((((((())))))))))",
        "bracket digits": "(1",
        "a": "a",
        "plus one": "+1 ",
        "plus digits": "+1111",
        "dotted": "1.",
        "colons": ":",
        "hex colons": "f:",
        "iban-ish": "GB29 ",
        "sk-": "sk-",
        "AKIA": "AKIA",
        "password:": "password: ",
        "密码是": "密码是",
        "bearer": "Bearer ",
        "spaces": " ",
    }
    inputs = {name: _repeat(seed) for name, seed in seeds.items()}
    inputs["a...a@"] = "a" * 99_999 + "@"
    rng = random.Random(4)
    inputs["random separators"] = "".join(rng.choice("0123456789 -.@:+()x") for _ in range(100_000))
    return inputs


def dense_pii_inputs() -> dict[str, str]:
    """100 KB of nothing but valid PII: thousands of findings, so cost per finding shows."""
    seeds = {
        "cards": "4111 1111 1111 1111 ",
        "CN mobiles": "13812345678 ",
        "emails": "a@b.co ",
        "SSNs": "078-05-1123 ",
        "IBANs": "GB29 NWBK 6016 1331 9268 19 ",
        "CN IDs": "110101199003077475 ",
        "US phones": "(212) 555-0199 ",
        "intl phones": "+44 20 7946 0958 ",
        "IPv6": "2001:db8::1 ",
        "IPv4": "1.1.1.1 ",
        "passwords": "password: x1y2z3 ",
        "mixed": "a@b.co 13812345678 1.1.1.1 ",
    }
    return {name: _repeat(seed) for name, seed in seeds.items()}


def worst_times(inputs: dict[str, str]) -> dict[str, tuple[float, int]]:
    """Slowest of 3 runs of find_pii per input, in seconds, and the number of findings."""
    worst = {}
    for name, text in inputs.items():
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            count = len(find_pii(text))
            runs.append(time.perf_counter() - start)
        worst[name] = (max(runs), count)
    return worst


def print_times(title: str, worst: dict[str, tuple[float, int]]) -> None:
    print(f"\n{title} (slowest of 3 runs, 100 KB each):")
    for name, (seconds, count) in sorted(worst.items(), key=lambda item: -item[1][0]):
        print(f"  {seconds * 1000:6.1f} ms  {count:6} findings  {name}")
    name = max(worst, key=lambda key: worst[key][0])
    print(f"Worst: {worst[name][0] * 1000:.1f} ms ({name}); target < 50 ms")


if __name__ == "__main__":
    evaluate()
    print_times("find_pii on adversarial inputs", worst_times(adversarial_inputs()))
    print_times("find_pii on dense valid PII", worst_times(dense_pii_inputs()))
