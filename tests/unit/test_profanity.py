"""ProfanityFilter against the installed better-profanity 0.7.0, its own data, and generated chat.

The reference runs in this process. better-profanity compares each candidate with every listed
word (about 1 ms a word of text), so :class:`_LengthIndexed` hands each of its lookups only
the listed words whose length can match; better-profanity's own ``VaryingString.__eq__`` still
decides, and it rejects any other length before looking further, so the answers are the same.
``test_length_index_changes_no_answer`` checks that against the untouched reference.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

import pytest
from better_profanity import Profanity  # type: ignore[import-untyped]
from better_profanity.utils import get_complete_path_of_file, read_wordlist  # type: ignore[import-untyped]
from hypothesis import given
from hypothesis import strategies as st

from servicebot.filters.profanity import (
    DEFAULT_KIND,
    ProfanityFilter,
    better_profanity_words,
    default_filter,
)
from tests.conftest import REPO

EVAL = REPO.parent / "shared" / "evaldata" / "profanity"
CORPUS_SIZE = 10_000


class _LengthIndexed(list[Any]):
    """better-profanity's CENSOR_WORDSET, indexed by the lengths each word can match."""

    def __init__(self, words: list[Any]) -> None:
        super().__init__(words)
        self._by_length: dict[int, list[Any]] = {}
        for word in words:
            for length in range(word._min_len, word._max_len + 1):
                self._by_length.setdefault(length, []).append(word)

    def __contains__(self, text: object) -> bool:
        if not isinstance(text, str):
            return super().__contains__(text)
        return any(word == text for word in self._by_length.get(len(text), ()))


def _reference(
    words: tuple[str, ...] | None = None,
    whitelist: tuple[str, ...] = (),
    extra: tuple[str, ...] = (),
) -> Any:
    reference = Profanity(list(words) if words is not None else None)
    if whitelist:
        reference.load_censor_words(words and list(words), whitelist_words=list(whitelist))
    if extra:
        reference.add_censor_words(list(extra))
    reference.CENSOR_WORDSET = _LengthIndexed(reference.CENSOR_WORDSET)
    return reference


@cache
def _pair(
    words: tuple[str, ...] | None = None,
    whitelist: tuple[str, ...] = (),
    extra: tuple[str, ...] = (),
) -> tuple[ProfanityFilter, Any]:
    """Ours and the reference, configured alike."""
    listed = [*(better_profanity_words() if words is None else words), *extra]
    ours = ProfanityFilter({DEFAULT_KIND: listed}, allow=whitelist)
    return ours, _reference(words, whitelist, extra)


def _row_pair(row: dict[str, Any]) -> tuple[ProfanityFilter, Any]:
    config = row.get("config") or {}
    custom = config.get("custom_wordlist_replaces_default")
    return _pair(
        tuple(custom) if custom is not None else None,
        tuple(config.get("whitelist_words") or ()),
        tuple(config.get("extra_words_added") or ()),
    )


def _rows(name: str) -> list[dict[str, Any]]:
    path = EVAL / name
    if not path.is_file():
        pytest.skip(f"{path} not found: the shared eval data belongs in ../shared beside the repo")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


# A number that is a word of its own to better-profanity ("_" separates words there).
_NUMBER = re.compile(r"(?<![^\W_])(?<![$@*'\"])[0-9]+(?![^\W_])(?![$@*'\"])")


def _differences(texts: Iterable[str], ours: ProfanityFilter, reference: Any) -> list[str]:
    """Every text on which ours and better-profanity disagree, with both answers; texts with
    a number better-profanity reads as a word (455, "ass"), or as the start of a phrase
    ("7. It", "tit"), are left out: ours never does the first, and does the second only for
    a listed word that starts with the number as written (see the tests below)."""
    out = []
    for text in texts:
        numbers = list(_NUMBER.finditer(text))
        if any(reference.contains_profanity(n[0]) for n in numbers) or any(
            reference.censor(text[n.start() :])[:4] == "****" for n in numbers
        ):
            continue
        expected = reference.censor(text)
        got = ours.censor(text)
        if got != expected or ours.contains(text) != (expected != text):
            out.append(f"{text!r}: better-profanity {expected!r}, ours {got!r}")
    return out


# Generated support chat ------------------------------------------------------------------

_CHAT = [
    *("hi", "hello", "thanks", "please", "help", "my", "order", "parcel", "refund", "account"),
    *("password", "login", "invoice", "delivery", "late", "broken", "item", "shop", "class"),
    *("assess", "cocktail", "grape", "scunthorpe", "hell", "shell", "bass", "pass", "glass"),
    *("title", "analysis", "cumulative", "dickens", "shitake", "o'clock", "don't", "i'm"),
    *('"quoted"', "@home", "$5", "a", "i", "to", "the", "where", "is", "it", "can", "you"),
    *("24", "007", "l33t"),
]
_SEPARATORS = [" "] * 6 + [
    *("  ", ", ", ". ", "! ", "? ", "-", "_", ".", "...", "\n", "\t", "/", "(", ")", " - "),
    *("é", "😀", "\u200b", "", "*", "@", "'", "Σ"),
]
_UNICODE = ["café", "naïve", "İstanbul", "ΣΟΦΙΑ", "Größe", "Ǆemal", "𝐚𝐬𝐬", "傻逼"]
_LEET = {"a": "@*4", "i": "*l1", "o": "*0@", "u": "*v", "e": "*3", "s": "$5", "t": "7", "l": "1"}


def _leet(word: str, rng: random.Random) -> str:
    return "".join(rng.choice(_LEET[c]) if c in _LEET and rng.random() < 0.4 else c for c in word)


def _case(word: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.1:
        return word.upper()
    if roll < 0.2:
        return word.title()
    if roll < 0.3:
        return "".join(c.upper() if rng.random() < 0.3 else c for c in word)
    return word


def _split(word: str, rng: random.Random) -> str:
    """A listed word broken in two by a separator, as in ``hand job`` or ``f.uck``."""
    if len(word) < 3:
        return word
    cut = rng.randrange(1, len(word))
    return word[:cut] + rng.choice(_SEPARATORS) + word[cut:]


def _piece(rng: random.Random, listed: list[str]) -> str:
    roll = rng.random()
    if roll < 0.40:
        return rng.choice(_CHAT)
    if roll < 0.52:
        return rng.choice(listed)
    if roll < 0.68:
        return _leet(rng.choice(listed), rng)
    if roll < 0.76:
        return rng.choice([w for w in listed if not w.isalnum()])  # "2 girls 1 cup", "s-h-i-t"
    if roll < 0.86:
        return _split(rng.choice(listed), rng)
    if roll < 0.92:
        return str(rng.randint(0, 99_999))
    if roll < 0.96:
        return rng.choice(_CHAT) + rng.choice(listed)  # Scunthorpe-style
    return rng.choice(_UNICODE)


def _message(rng: random.Random, listed: list[str]) -> str:
    parts = [rng.choice(["", "", "", " ", "...", "@", "1"])]
    for _ in range(rng.randint(1, 10)):
        parts += [_case(_piece(rng, listed), rng), rng.choice(_SEPARATORS)]
    return "".join(parts[:-1] if rng.random() < 0.5 else parts)


def _corpus(count: int, seed: int) -> list[str]:
    rng, listed = random.Random(seed), better_profanity_words()
    return [_message(rng, listed) for _ in range(count)]


# Against better-profanity ----------------------------------------------------------------


def test_word_list_is_the_installed_one() -> None:
    path = get_complete_path_of_file("profanity_wordlist.txt")
    assert better_profanity_words() == list(read_wordlist(path))


def test_default_filter_is_built_once() -> None:
    assert default_filter() is default_filter()


def test_better_profanity_test_cases() -> None:
    failures = []
    for row in _rows("better_profanity_test_cases.jsonl"):
        ours, reference = _row_pair(row)
        text, censored = row["input"], ours.censor(row["input"])
        checks = {
            "contains": ours.contains(text) == row["expected_contains_profanity"],
            "censored": row["expected_censored"] in (None, censored),
            "absent": not any(s in censored for s in row.get("expected_substrings_absent", [])),
            "present": all(s in censored for s in row.get("expected_substrings_present", [])),
            "reference": censored == reference.censor(text),
        }
        failures += [f"{row['id']}: {name}" for name, ok in checks.items() if not ok]
    assert failures == []


def test_better_profanity_benchmark_paragraphs() -> None:
    ours = default_filter()
    failures = [
        row["id"]
        for row in _rows("better_profanity_benchmark_paragraphs.jsonl")
        if ours.censor(row["input"]) != row["expected_censored"]
        or ours.contains(row["input"]) != row["expected_contains_profanity"]
    ]
    assert failures == []


def test_a_number_is_never_read_as_a_word() -> None:
    """better-profanity's leetspeak reads 455 as "ass" and 717 as "tit": a refund of 455 yuan
    or flat 717 would be censored, in a customer's message and in the bot's answer."""
    ours, reference = _pair()
    numbers = [*map(str, range(10_000)), "45535", "70075", "73375", "73573"]
    read_as_words = [n for n in numbers if reference.contains_profanity(n)]
    assert {"455", "717", "7175", "45535"} <= set(read_as_words)
    for number in read_as_words:
        for text in (number, f"退款{number}元还没到", f"my order #{number} is late"):
            assert ours.censor(text) == text
    assert ours.censor("2 g1rls 1 cup, you @$$") == "****, you ****"  # digits inside still count


def test_a_product_of_numbers_is_never_read_as_a_word() -> None:
    """* stands for any vowel in the leetspeak table, so better-profanity reads 7*7 as "t*t"."""
    ours, reference = _pair()
    assert reference.contains_profanity("7*7")
    for text in ("{{ 7*7 }}", "order 7*7 items", "7*7=49", "a 2*4*7 pallet"):
        assert ours.censor(text) == text
    assert ours.censor("sh*t, 7*7 boxes") == "****, 7*7 boxes"


def test_a_number_never_starts_a_phrase_that_no_listed_word_starts_with() -> None:
    """better-profanity joins "7" and "It" into "7it", which its leetspeak reads as "tit": a
    customer's size or order number before a new sentence was censored with it."""
    ours, reference = _pair()
    for text in ("I ordered size 7. It is too small", "Did you get order 7? It never came"):
        assert reference.censor(text) != text
        assert ours.censor(text) == text
    for text in ("aisle 5 hit", "I ordered 4 Ryan Air tickets"):  # "shit", "aryan"
        assert ours.censor(text) == text
    assert ours.censor("2 girls 1 cup, 4. r5e") == "****, ****"  # listed: "4r5e"


def test_every_listed_word_is_found() -> None:
    rows = _rows("better_profanity_wordlist_expected_profane.jsonl")
    ours, reference = _pair()
    installed = {word.lower() for word in better_profanity_words()}
    missed = {row["input"] for row in rows if not ours.contains(row["input"])}
    # The file comes from a later commit than 0.7.0: its extra words are not in 0.7.0's list.
    assert missed == {row["input"] for row in rows if row["input"].lower() not in installed}
    assert not any(reference.contains_profanity(word) for word in missed)
    for row in rows:
        if row["input"] not in missed:
            assert ours.censor(row["input"]).startswith(row["expected_censored_prefix"])
    assert _differences((row["input"] for row in rows), ours, reference) == []


def test_generated_chat_matches_better_profanity() -> None:
    corpus = _corpus(CORPUS_SIZE, seed=4)
    ours, reference = _pair()
    assert _differences(corpus, ours, reference)[:5] == []
    flagged = sum(ours.contains(text) for text in corpus)
    assert 0.3 * CORPUS_SIZE < flagged < 0.9 * CORPUS_SIZE  # both verdicts well exercised


def test_repeated_chat_matches_better_profanity() -> None:
    """Long texts that repeat themselves, where outcomes are remembered within one call."""
    rng = random.Random(7)
    texts = [m + rng.choice([" ", "-", "", ". "]) for m in _corpus(300, seed=7)]
    ours, reference = _pair()
    assert _differences([t * rng.randint(2, 8) for t in texts], ours, reference)[:5] == []


def test_generated_chat_with_operator_lists_matches_better_profanity() -> None:
    listed = better_profanity_words()
    words = (*listed[::3], "bad apple", "x-ray", "idiot", "d.u.m.b")
    ours, reference = _pair(words, whitelist=("boobs", "shit"))
    assert _differences(_corpus(2_000, seed=5), ours, reference)[:5] == []


def test_length_index_changes_no_answer() -> None:
    untouched, indexed = Profanity(), _reference()
    sample = _corpus(200, seed=6)
    assert [indexed.censor(t) for t in sample] == [untouched.censor(t) for t in sample]


_PIECES = [
    *better_profanity_words()[::7],
    *("2 girls 1 cup", "s-h-i-t", "hand", "job", "f", "u", "c", "k", "a", "sh", "it", "pen", "is"),
    *("wh0re", "h4nd", "j0b", "$h1t", "f*ck", "@$$", "*", "@", "1", "İ", "Σ", "ς", "é", "😀"),
    *(" ", "  ", "-", "_", ".", ",", "\n", "\u200b", "'", '"', "$", "!", "?", "(", "\x00"),
]


@given(st.lists(st.sampled_from(_PIECES), max_size=14).map("".join))
def test_any_mix_matches_better_profanity(text: str) -> None:
    ours, reference = _pair()
    assert _differences([text], ours, reference) == []


# False positives on Scunthorpe-style text ------------------------------------------------


def _censored_parts(text: str, censored: str) -> list[str]:
    """The parts of ``text`` that a censor call turned into ``****``."""
    pieces = re.split(r"(\*{4})", censored)
    pattern = "".join("(.+?)" if p == "****" else re.escape(p) for p in pieces)
    match = re.fullmatch(pattern, text, re.DOTALL)
    assert match is not None, (text, censored)
    return list(match.groups())


def _expected_words(row: dict[str, Any]) -> list[str]:
    if row["kind"] == "detect_all":
        return list(row["expected_profanities"])
    changed = [a != b for a, b in zip(row["input"], row["expected_censored"], strict=True)]
    runs = re.finditer("1+", "".join("1" if c else "0" for c in changed))
    return [row["input"][m.start() : m.end()].lower() for m in runs]


def _false_positives(censor: Callable[[str, tuple[str, ...]], str]) -> list[str]:
    found = []
    for row in _rows("profanitydetector_test_cases.jsonl"):
        text, expected = row["input"], _expected_words(row)
        for part in _censored_parts(text, censor(text, tuple(row["allow_list"]))):
            if not any(w in part.lower() or part.lower() in w for w in expected):
                found.append(part)
    for row in _rows("obscenity_whitelisted_terms.jsonl"):
        text = f"I read about {row['whitelisted_term']} yesterday."
        found += _censored_parts(text, censor(text, ()))
    return found


def test_scunthorpe_false_positives_no_worse_than_better_profanity(
    record_property: Callable[[str, object], None],
) -> None:
    ours = _false_positives(lambda text, allow: _pair(None, allow)[0].censor(text))
    reference = _false_positives(lambda text, allow: _pair(None, allow)[1].censor(text))
    record_property("false_positives", {"ours": ours, "better_profanity": reference})
    assert len(ours) <= len(reference)
    assert "Scunthorpe" not in ours and "penistone" not in ours
