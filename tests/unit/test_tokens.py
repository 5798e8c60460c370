"""Token counting: exact counts against tiktoken for both encodings, per-message overhead,
and truncation at a token boundary (which encoding a model uses is test_tokens_models.py's)."""

import gzip
from collections.abc import Iterator

import pytest
import tiktoken
import tiktoken.load
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from tiktoken_ext import openai_public

from servicebot.budget.tokens import (
    ENCODINGS_DIR,
    MESSAGE_OVERHEAD,
    REPLY_PRIMING,
    EncodingName,
    TokenCounter,
    counter_for,
)
from tests.conftest import at_once

NAMES: tuple[EncodingName, ...] = ("o200k_base", "cl100k_base")
CHINESE = "您好，我的订单还没有发货，请帮我查一下物流。"
# A mix the truncation property must survive: ASCII, Chinese, emoji (4-byte UTF-8 and ZWJ
# sequences), combining marks, and text that looks like special tokens.
PIECES = st.sampled_from(
    (
        "hello/ world/订单/还没有/物流/。/，/😀/👩\u200d👩\u200d👧/🇨🇳/é/e\u0301/ÄÖÜ/\u200b"
        "/\n/  /12345/don't/<|endoftext|>/<|fim_prefix|>"
    ).split("/")
)
TEXTS = st.one_of(st.text(max_size=80), st.lists(PIECES, max_size=30).map("".join))


def _counter(name: EncodingName) -> TokenCounter:
    return counter_for(None, name)


@pytest.fixture(scope="module")
def counters() -> dict[str, TokenCounter]:
    """Both counters, loaded before any hypothesis test starts its clock."""
    return {name: _counter(name) for name in NAMES}


# --- ids and the reference encoding ---


@pytest.mark.parametrize(
    ("name", "ids"), [("o200k_base", [24912, 2375]), ("cl100k_base", [15339, 1917])]
)
def test_hello_world_has_the_published_ids(name: EncodingName, ids: list[int]) -> None:
    assert _counter(name).encode("hello world") == ids
    assert _counter(name).count("hello world") == 2


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        (
            "o200k_base",
            "188633 40824 1616 66051 16669 23714 2233 40078 44005 58626 7522 13451 97667 136636"
            " 788",
        ),
        (
            "cl100k_base",
            "88126 53901 3922 98711 51510 98806 81543 29391 82768 39045 13821 106 37046 33976 15120"
            " 17297 53953 89753 1811",
        ),
    ],
)
def test_chinese_sentence_ids_are_pinned(name: EncodingName, ids: str) -> None:
    assert _counter(name).encode(CHINESE) == [int(i) for i in ids.split()]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tiktoken.Encoding]]:
    """tiktoken's own encodings, built by its openai_public constructors from our files.

    Its loader checks its own pinned hash against the decompressed packaged file; its cache
    goes to a temporary folder.
    """
    folder = tmp_path_factory.mktemp("reference")
    plain = {}
    for name in NAMES:
        plain[name] = folder / f"{name}.tiktoken"
        plain[name].write_bytes(
            gzip.decompress((ENCODINGS_DIR / f"{name}.tiktoken.gz").read_bytes())
        )

    def local(url: str, expected_hash: str) -> dict[bytes, int]:
        name = url.rsplit("/", 1)[-1].removesuffix(".tiktoken")
        return tiktoken.load.load_tiktoken_bpe(str(plain[name]), expected_hash)

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TIKTOKEN_CACHE_DIR", str(folder / "cache"))
        patch.setattr(openai_public, "load_tiktoken_bpe", local)
        yield {
            name: tiktoken.Encoding(**openai_public.ENCODING_CONSTRUCTORS[name]()) for name in NAMES
        }


@pytest.mark.parametrize("name", NAMES)
def test_patterns_and_special_tokens_match_tiktoken(
    name: EncodingName, reference: dict[str, tiktoken.Encoding]
) -> None:
    ours, theirs = _counter(name).encoding, reference[name]
    assert ours._pat_str == theirs._pat_str
    assert ours._special_tokens == theirs._special_tokens
    assert ours._mergeable_ranks == theirs._mergeable_ranks


@pytest.mark.parametrize("name", NAMES)
def test_chinese_count_matches_tiktoken(
    name: EncodingName, reference: dict[str, tiktoken.Encoding]
) -> None:
    assert _counter(name).count(CHINESE) == len(reference[name].encode(CHINESE))


@given(text=TEXTS)
def test_any_text_encodes_as_tiktoken_does(
    text: str, counters: dict[str, TokenCounter], reference: dict[str, tiktoken.Encoding]
) -> None:
    for name in NAMES:
        assert counters[name].encode(text) == reference[name].encode_ordinary(text)


# --- counting messages ---


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("role", ["system", "user", "assistant"])
def test_message_overhead_follows_the_cookbook(name: EncodingName, role: str) -> None:
    counter = _counter(name)
    assert MESSAGE_OVERHEAD == REPLY_PRIMING == 3
    assert counter.count(role) == 1
    for content in ["", "hello world", CHINESE]:
        assert counter.count_message(role, content) == 3 + 1 + counter.count(content)


def test_a_request_adds_the_reply_priming_once() -> None:
    counter = _counter("o200k_base")
    pairs = [("system", "You are helpful."), ("user", "hello world"), ("assistant", "Hi!")]
    each = sum(counter.count_message(role, content) for role, content in pairs)
    assert counter.count_messages(pairs) == each + REPLY_PRIMING
    assert counter.count_messages([]) == REPLY_PRIMING
    assert counter.count_messages([("user", "hello world")]) == 3 + 1 + 2 + 3


class _SpyEncoding:
    """A real encoding that counts how often text is encoded."""

    def __init__(self, encoding: tiktoken.Encoding) -> None:
        self.encoding, self.name, self.calls = encoding, encoding.name, 0

    def encode_ordinary(self, text: str) -> list[int]:
        self.calls += 1
        return self.encoding.encode_ordinary(text)


def test_recounting_a_long_history_encodes_nothing_again() -> None:
    spy = _SpyEncoding(_counter("o200k_base").encoding)
    counter = TokenCounter(spy)  # type: ignore[arg-type]
    history = [("user" if i % 2 else "assistant", f"turn {i}: 订单 {i}") for i in range(400)]
    first = counter.count_messages(history)
    calls = spy.calls
    assert counter.count_messages([*history, ("user", "one more")]) > first
    assert spy.calls == calls + 2  # only the new message's role and content


# --- special-token text and odd input ---


@pytest.mark.parametrize("name", NAMES)
def test_special_token_text_is_plain_text(name: EncodingName) -> None:
    counter = _counter(name)
    text = "ignore this <|endoftext|> and <|endofprompt|><|fim_prefix|>"
    special = counter.encoding.encode("<|endoftext|>", allowed_special="all")
    assert len(special) == 1
    assert special[0] not in counter.encode(text)
    assert counter.count(text) > 5
    assert counter.count_message("user", text) == counter.count(text) + 4
    assert counter.truncate(text, 3) == counter.encoding.decode(counter.encode(text)[:3])


def test_lone_surrogates_are_counted_not_raised() -> None:
    assert _counter("o200k_base").count("a\ud800b") == 3


# --- truncation ---


@pytest.mark.parametrize("name", NAMES)
def test_truncate_cuts_at_a_token_boundary(name: EncodingName) -> None:
    counter = _counter(name)
    assert counter.truncate("hello world", 1) == "hello"
    assert counter.truncate("hello world", 2) == "hello world"
    assert counter.truncate("hello world", 0) == ""
    assert counter.truncate("hello world", -1) == ""
    assert counter.truncate("", 0) == ""


@pytest.mark.parametrize(
    ("name", "text", "max_tokens", "expected"),
    [
        ("cl100k_base", "请帮我", 2, "请"),  # 帮 is two tokens: b"\xe5\xb8" + b"\xae"
        ("cl100k_base", "😀!", 1, ""),  # b"\xf0\x9f\x98" + b"\x80"
        ("o200k_base", "👩‍👩‍👧", 2, ""),  # one emoji: no part of it is kept
        ("o200k_base", "ok 👩‍👩‍👧", 3, "ok "),
        ("o200k_base", "👩‍👩‍👧", 1, ""),
    ],
)
def test_truncate_drops_a_character_split_between_tokens(
    name: EncodingName, text: str, max_tokens: int, expected: str
) -> None:
    assert _counter(name).truncate(text, max_tokens) == expected


@given(text=TEXTS, max_tokens=st.integers(min_value=0, max_value=40))
def test_truncate_returns_a_whole_prefix_within_the_limit(
    text: str, max_tokens: int, counters: dict[str, TokenCounter]
) -> None:
    for counter in counters.values():
        cut = counter.truncate(text, max_tokens)
        assert text.startswith(cut)
        assert counter.count(cut) <= max_tokens
        assert cut.encode("utf-8").decode("utf-8") == cut
        if counter.count(text) <= max_tokens:
            assert cut == text


def test_threads_asking_at_once_share_one_loaded_encoding_and_counter() -> None:

    from servicebot.budget import tokens

    tokens._read_packaged.cache_clear()
    tokens.load_encoding.cache_clear()
    tokens._counter.cache_clear()
    counters: list[TokenCounter] = []
    at_once(*[lambda: counters.append(counter_for("gpt-4o", None))] * 16)
    assert len({id(counter) for counter in counters}) == 1
    assert tokens._read_packaged.cache_info().misses == 1  # read and verified once


_LINE_PIECES = st.sampled_from(
    ["\n", "\r\n", "\n\n", " ", "  ", "\t", "word", "Word", "WORDS", "'s", "'ll", "123", "4567",
     ".", "...", ":", "- ", "## ", "/", "中文", "退货", "😀", "é", "\u0301", "_x", "[PHONE_1]",
     "<|endoftext|>", "\u3000", "\x1c", "\u00a0", "\u2028"]
)  # fmt: skip


@hypothesis_settings(deadline=None)
@given(pieces=st.lists(_LINE_PIECES, min_size=1, max_size=200))
def test_a_long_text_counted_line_by_line_counts_what_encoding_it_whole_does(
    pieces: list[str],
) -> None:
    text = "".join(pieces) + "\n" + "a long text, counted in pieces " * 10
    for name in ("o200k_base", "cl100k_base"):
        counter = counter_for(None, name)  # type: ignore[arg-type]
        assert counter.count(text) == len(counter.encoding.encode_ordinary(text)), name


def test_a_system_prompt_with_new_facts_reuses_its_other_lines_counts() -> None:
    counter = TokenCounter(
        counter_for("gpt-4o", None).encoding
    )  # a counter of its own: empty caches
    rules = "".join(f"- Rule number {n}: be kind, brief and exact.\n" for n in range(20))
    first = f"{rules}## shipping\nShipping takes 3-5 days.\n"
    second = f"{rules}## returns\nReturns are free within 30 days.\n"
    assert counter.count(first) == len(counter.encode(first))
    hits = counter._line_tokens.cache_info().hits
    assert counter.count(second) == len(counter.encode(second))
    assert counter._line_tokens.cache_info().hits - hits >= 20  # the rules were not re-encoded


FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # one emoji, seven characters
CLUSTERS = [
    FAMILY,
    "\U0001f3f3\ufe0f\u200d\U0001f308",  # rainbow flag: variation selector and joiner
    "\U0001f1ef\U0001f1f5",  # a flag: two regional indicators
    "\U0001f44d\U0001f3fd",  # a skin tone
    "e\u0301",  # a combining accent
    "\u0915\u094d\u0937",  # Devanagari क्ष: a virama joins two letters
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("cluster", CLUSTERS)
def test_truncate_never_splits_what_shows_as_one_character(
    name: EncodingName, cluster: str
) -> None:
    counter = _counter(name)
    text = "我想退货 " + cluster * 400
    for max_tokens in range(3, 60):
        cut = counter.truncate(text, max_tokens)
        assert counter.count(cut) <= max_tokens
        assert text.startswith(cut)
        assert len(cut) <= 5 or (len(cut) - 5) % len(cluster) == 0, (max_tokens, cut[-8:])


def test_truncate_cuts_a_run_of_marks_longer_than_any_character() -> None:
    text = "a" + "\u0301" * 5000  # "Zalgo": one letter and its marks, never one character
    cut = _counter("o200k_base").truncate(text, 10)
    assert cut and _counter("o200k_base").count(cut) <= 10
