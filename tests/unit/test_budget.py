import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tiktoken
import tiktoken.load
from click.testing import CliRunner
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import ValidationError
from tiktoken_ext import openai_public

from servicebot.budget import (
    ENCODINGS_DIR,
    MESSAGE_OVERHEAD,
    REPLY_PRIMING,
    EncodingName,
    Fitted,
    TokenCounter,
    budget_limit,
    counter_for,
    encoding_name_for,
    fit_prompt,
    read_encoding,
)
from servicebot.cli import main
from servicebot.config import load_bot
from servicebot.errors import BudgetError, ConfigError, ServicebotError
from servicebot.pipeline import Bot
from servicebot.prompt import Exchange, Message
from servicebot.settings import BudgetSettings
from tests.conftest import at_once, run_python
from tests.unit.test_prompt import make_bot

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


# --- model -> encoding ---


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini-2024-07-18", "o200k_base"),
        ("chatgpt-4o-latest", "o200k_base"),
        ("gpt-4.1-nano", "o200k_base"),
        ("gpt-4.5-preview", "o200k_base"),
        ("gpt-5", "o200k_base"),
        ("gpt-5-mini", "o200k_base"),
        ("o1", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("o4-mini", "o200k_base"),
        ("openai/gpt-4o", "o200k_base"),
        ("ft:gpt-4o-mini:acme::abc123", "o200k_base"),
        ("GPT-4O", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-0613", "cl100k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("gpt-4-turbo-2024-04-09", "cl100k_base"),
        ("gpt-4-32k", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("gpt-3.5-turbo-0125", "cl100k_base"),
        ("gpt-35-turbo", "cl100k_base"),
        ("azure/gpt-4-turbo", "cl100k_base"),
        ("ft:gpt-3.5-turbo-0613:acme::xyz", "cl100k_base"),
        ("qwen2.5-72b-instruct", "o200k_base"),
        ("deepseek/deepseek-chat", "o200k_base"),
        ("", "o200k_base"),
        (None, "o200k_base"),
    ],
)
def test_model_picks_its_encoding(model: str | None, expected: str) -> None:
    assert encoding_name_for(model, None) == expected


def test_configured_encoding_wins_over_the_model() -> None:
    assert encoding_name_for("gpt-4o", "cl100k_base") == "cl100k_base"
    assert encoding_name_for("gpt-4", "o200k_base") == "o200k_base"
    assert encoding_name_for(None, "cl100k_base") == "cl100k_base"


def test_counters_are_shared_per_encoding() -> None:
    assert counter_for("gpt-4o", None) is counter_for("gpt-5-mini", None)
    assert counter_for("gpt-4o", None) is counter_for("gpt-4", "o200k_base")
    assert counter_for("gpt-4", None) is not counter_for("gpt-4o", None)
    assert counter_for("gpt-4", None).name == "cl100k_base"


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
        ("o200k_base", "👩‍👩‍👧", 2, "👩"),
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


# --- damaged files ---


def _copy_encodings(folder: Path) -> None:
    for name in NAMES:
        source = ENCODINGS_DIR / f"{name}.tiktoken.gz"
        (folder / source.name).write_bytes(source.read_bytes())


def test_an_intact_copy_loads_from_another_folder(tmp_path: Path) -> None:
    _copy_encodings(tmp_path)
    assert read_encoding("cl100k_base", tmp_path).encode_ordinary("hello world") == [15339, 1917]


def test_a_tampered_file_raises_budget_error_naming_it(tmp_path: Path) -> None:
    _copy_encodings(tmp_path)
    path = tmp_path / "o200k_base.tiktoken.gz"
    data = gzip.decompress(path.read_bytes()).replace(b"IQ== 0\n", b"Ig== 0\n", 1)
    path.write_bytes(gzip.compress(data))
    with pytest.raises(BudgetError) as caught:
        read_encoding("o200k_base", tmp_path)
    assert isinstance(caught.value, ServicebotError)
    message = str(caught.value)
    assert str(path) in message
    assert "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d" in message
    assert "reinstall" in message
    assert read_encoding("cl100k_base", tmp_path).name == "cl100k_base"


@pytest.mark.parametrize(
    ("content", "why"), [(b"not gzip at all", "gzip"), (None, "cannot be read")]
)
def test_an_unreadable_file_raises_budget_error(
    tmp_path: Path, content: bytes | None, why: str
) -> None:
    path = tmp_path / "cl100k_base.tiktoken.gz"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(BudgetError, match=why) as caught:
        read_encoding("cl100k_base", tmp_path)
    assert str(path) in str(caught.value)


def test_the_packaged_files_are_deterministic_gzip() -> None:
    for name in NAMES:
        header = (ENCODINGS_DIR / f"{name}.tiktoken.gz").read_bytes()[:10]
        assert header[:4] == b"\x1f\x8b\x08\x00"  # gzip, deflate, no stored file name
        assert header[4:8] == b"\x00\x00\x00\x00"  # no timestamp (gzip -n)


# --- offline ---

_OFFLINE_SCRIPT = """
import json, socket, sys

def refuse(*args, **kwargs):
    raise OSError("network disabled by test")

socket.socket.connect = refuse
socket.create_connection = refuse
import tiktoken.load
tiktoken.load.read_file = refuse
tiktoken.load.read_file_cached = refuse

from servicebot.budget import counter_for

print(json.dumps({
    "o200k": counter_for("openai/gpt-4o", None).encode("hello world"),
    "cl100k": counter_for("gpt-4-turbo", None).encode("hello world"),
    "messages": counter_for(None, None).count_messages([("user", "hello world")]),
    "requests": "requests" in sys.modules,
}))
"""


def test_counting_works_offline_and_writes_no_cache(tmp_path: Path) -> None:
    cache, home, temp = tmp_path / "cache", tmp_path / "home", tmp_path / "tmp"
    for folder in (cache, home, temp):
        folder.mkdir()
    env: dict[str, Any] = dict(os.environ)
    env.update(
        TIKTOKEN_CACHE_DIR=str(cache),
        DATA_GYM_CACHE_DIR=str(cache),
        HOME=str(home),
        TMPDIR=str(temp),
        PYTHONDONTWRITEBYTECODE="1",
    )
    assert json.loads(run_python(_OFFLINE_SCRIPT, env=env)) == {
        "o200k": [24912, 2375],
        "cl100k": [15339, 1917],
        "messages": 3 + 1 + 2 + 3,
        "requests": False,
    }
    assert [list(folder.iterdir()) for folder in (cache, home, temp)] == [[], [], []]


# --- fitting: the budget ---

FACTS = (
    "Standard shipping takes 3-5 business days and costs $5.99.",
    "Express shipping takes 1-2 business days and costs $14.99.",
    "Returns are free within 30 days of delivery.",
)
FAQ = ("shipping", "express", "returns")  # most relevant first
FEW_SHOT = (
    ("shipping", Exchange("how long does shipping take to Ohio?", "Standard: 3-5 business days.")),
    ("returns", Exchange("can I send the blue mug back?", "Yes, free within 30 days of delivery.")),
)
HISTORY = tuple(Exchange(f"question {n}", f"answer {n}") for n in range(1, 5))
MESSAGE = "where is my parcel?"


def _system(n: int) -> str:
    """A system message with the first ``n`` facts, as Renderer.system(context, n) gives."""
    return "You are Maple's assistant. Be brief." + "".join(
        f"\n## {FAQ[i]}\n{FACTS[i]}" for i in range(n)
    )


def _fitter() -> TokenCounter:
    return counter_for("gpt-4o", None)


def _fit(
    limit: int,
    *,
    drop_order: tuple[str, ...] = ("few_shot", "history", "faq"),
    faq: tuple[str, ...] = FAQ,
    few_shot: tuple[tuple[str, Exchange], ...] = FEW_SHOT,
    history: tuple[Exchange, ...] = HISTORY,
    message: str = MESSAGE,
    itemise: bool = True,
) -> Fitted:
    settings = BudgetSettings(max_prompt_tokens=limit, drop_order=drop_order)  # type: ignore[arg-type]
    return fit_prompt(
        _fitter(), settings, _system, faq, few_shot, history, message, itemise=itemise
    )


def _cost(*pairs: Exchange) -> int:
    counter = _fitter()
    return sum(
        counter.count_message("user", p.user) + counter.count_message("assistant", p.assistant)
        for p in pairs
    )


def _faq_cost(n: int) -> int:
    """What the first ``n`` facts add to the system message."""
    counter = _fitter()
    return counter.count_message("system", _system(n)) - counter.count_message("system", _system(0))


def _mandatory(message: str = MESSAGE) -> int:
    """The system message without facts, the customer's message, and the reply priming."""
    counter = _fitter()
    system = counter.count_message("system", _system(0))
    return system + counter.count_message("user", message) + REPLY_PRIMING


def _kept(fitted: Fitted, kind: str) -> list[str]:
    return [part.label for part in fitted.parts if part.kind == kind and part.kept]


@pytest.mark.parametrize(
    ("window", "reserve", "cap", "expected"),
    [
        (128_000, 1_000, 8_000, 8_000),  # the cap is lower
        (8_192, 1_000, 8_000, 7_192),  # the window less the reply's share is lower
        (8_192, 192, 8_000, 8_000),  # equal
        (16_385, 0, 100_000, 16_385),
    ],
)
def test_budget_is_the_window_less_the_reply_reserve_capped(
    window: int, reserve: int, cap: int, expected: int
) -> None:
    settings = BudgetSettings(context_window=window, reply_reserve=reserve, max_prompt_tokens=cap)
    assert budget_limit(settings) == expected


def test_fit_prompt_uses_the_smaller_limit() -> None:
    settings = BudgetSettings(context_window=300, reply_reserve=200, max_prompt_tokens=8_000)
    fitted = fit_prompt(_fitter(), settings, _system, FAQ, FEW_SHOT, HISTORY, MESSAGE)
    assert fitted.budget == 100
    assert fitted.used <= 100


def test_everything_goes_in_when_it_fits_in_prompt_order() -> None:
    fitted = _fit(100_000)
    assert fitted.messages == (
        Message("system", _system(3)),
        *FEW_SHOT[0][1].messages(),
        *FEW_SHOT[1][1].messages(),
        *(m for pair in HISTORY for m in pair.messages()),
        Message("user", MESSAGE),
    )
    assert [(p.kind, p.label, p.kept) for p in fitted.parts] == [
        ("system", "system", True),
        ("faq", "shipping", True),
        ("faq", "express", True),
        ("faq", "returns", True),
        ("few_shot", "shipping", True),
        ("few_shot", "returns", True),
        ("history", "turn 1", True),
        ("history", "turn 2", True),
        ("history", "turn 3", True),
        ("history", "turn 4", True),
        ("message", "message", True),
    ]
    assert fitted.dropped == ()
    assert not fitted.truncated


def test_used_counts_every_message_sent_and_the_parts_add_up_to_it() -> None:
    counter = _fitter()
    for limit in (100_000, _mandatory() + _faq_cost(2) + 3, _mandatory()):
        fitted = _fit(limit)
        assert fitted.used == counter.count_messages((m.role, m.content) for m in fitted.messages)
        assert fitted.used <= fitted.budget == limit
        assert fitted.left == limit - fitted.used
        assert sum(p.tokens or 0 for p in fitted.parts if p.kept) + REPLY_PRIMING == fitted.used
        assert all(p.tokens for p in fitted.parts if p.kept)


def test_part_tokens_are_what_each_piece_costs() -> None:
    counter = _fitter()
    tokens = {(p.kind, p.label): p.tokens for p in _fit(100_000).parts}
    assert tokens[("system", "system")] == counter.count_message("system", _system(0))
    assert tokens[("faq", "shipping")] == _faq_cost(1)
    assert tokens[("faq", "express")] == _faq_cost(2) - _faq_cost(1)
    assert tokens[("few_shot", "returns")] == _cost(FEW_SHOT[1][1])
    assert tokens[("history", "turn 4")] == _cost(HISTORY[3])
    assert tokens[("message", "message")] == counter.count_message("user", MESSAGE)


def test_a_system_message_over_the_budget_raises_budget_error() -> None:
    counter = _fitter()
    smallest = counter.count_message("system", _system(0)) + REPLY_PRIMING
    smallest += counter.count_message("user", "")
    with pytest.raises(BudgetError, match="system message alone"):
        _fit(smallest - 1)
    fitted = _fit(smallest)  # just room for the system message and an empty one
    assert fitted.messages == (Message("system", _system(0)), Message("user", ""))
    assert fitted.truncated
    assert fitted.used == smallest


def test_an_oversize_message_is_truncated_to_a_prefix_within_the_budget() -> None:
    message = "My order 100482 never arrived and I am still waiting for it. " * 200
    fitted = _fit(300, message=message)
    last = fitted.messages[-1]
    assert fitted.truncated
    assert last.role == "user"
    assert 0 < len(last.content) < len(message)
    assert message.startswith(last.content)
    assert fitted.used <= 300
    assert [(p.kind, p.label) for p in fitted.dropped] == [
        ("faq", "shipping"),
        ("faq", "express, returns"),  # not costed: the budget was full before them
        ("few_shot", "shipping"),
        ("few_shot", "returns"),
        ("history", "turns 1-3"),
        ("history", "turn 4"),
    ]
    assert fitted.messages[0] == Message("system", _system(0))


def test_a_message_that_fits_is_never_cut() -> None:
    fitted = _fit(_mandatory())
    assert not fitted.truncated
    assert fitted.messages == (Message("system", _system(0)), Message("user", MESSAGE))


@pytest.mark.parametrize(
    ("drop_order", "dropped"),
    [
        (("few_shot", "history", "faq"), "few_shot"),
        (("history", "few_shot", "faq"), "history"),
        (("faq", "few_shot", "history"), "faq"),
        (("faq", "history", "few_shot"), "faq"),
    ],
)
def test_the_first_kind_in_the_drop_order_gives_way_first(
    drop_order: tuple[str, ...], dropped: str
) -> None:
    one = {"faq": FAQ[:1], "few_shot": FEW_SHOT[:1], "history": HISTORY[-1:]}
    full = _fit(100_000, drop_order=drop_order, **one).used  # type: ignore[arg-type]
    fitted = _fit(full - 1, drop_order=drop_order, **one)  # type: ignore[arg-type]
    assert [p.kind for p in fitted.dropped] == [dropped]
    assert fitted.used <= full - 1


def test_default_drop_order_drops_few_shot_then_history_then_faq() -> None:
    few_shot = tuple(  # each pair costs more than any history exchange
        (name, Exchange(pair.user + " Please tell me.", pair.assistant + " Thanks!"))
        for name, pair in FEW_SHOT
    )
    assert min(_cost(p) for _, p in few_shot) > max(_cost(p) for p in HISTORY)
    everything = _faq_cost(3) + _cost(*HISTORY)
    fitted = _fit(_mandatory() + everything, few_shot=few_shot)
    assert (_kept(fitted, "faq"), _kept(fitted, "few_shot")) == (list(FAQ), [])
    assert _kept(fitted, "history") == ["turn 1", "turn 2", "turn 3", "turn 4"]

    fitted = _fit(_mandatory() + _faq_cost(3) + _cost(*HISTORY[2:]) + 1, few_shot=few_shot)
    assert (_kept(fitted, "faq"), _kept(fitted, "few_shot")) == (list(FAQ), [])
    assert _kept(fitted, "history") == ["turn 3", "turn 4"]

    fitted = _fit(_mandatory() + _faq_cost(2) + 1, few_shot=few_shot)
    assert (_kept(fitted, "faq"), _kept(fitted, "few_shot")) == (["shipping", "express"], [])
    assert _kept(fitted, "history") == []
    assert fitted.messages[0] == Message("system", _system(2))


def test_another_drop_order_keeps_history_and_drops_faq() -> None:
    limit = _mandatory() + _cost(*HISTORY) + _cost(*(p for _, p in FEW_SHOT)) + 1
    fitted = _fit(limit, drop_order=("faq", "history", "few_shot"))
    assert _kept(fitted, "faq") == []
    assert _kept(fitted, "few_shot") == ["shipping", "returns"]
    assert _kept(fitted, "history") == ["turn 1", "turn 2", "turn 3", "turn 4"]
    assert fitted.messages[0] == Message("system", _system(0))


def test_faq_entries_go_by_relevance_the_least_relevant_first() -> None:
    for n in range(4):
        fitted = _fit(_mandatory() + _faq_cost(n), few_shot=(), history=())
        assert _kept(fitted, "faq") == list(FAQ[:n])
        assert fitted.messages[0] == Message("system", _system(n))


def test_history_is_kept_newest_first_and_never_split() -> None:
    limit = _mandatory() + _cost(*HISTORY[1:]) + _cost(HISTORY[0]) // 2
    fitted = _fit(limit, faq=(), few_shot=())
    assert fitted.messages == (
        Message("system", _system(0)),
        *(m for pair in HISTORY[1:] for m in pair.messages()),
        Message("user", MESSAGE),
    )
    assert [(p.label, p.kept) for p in fitted.parts if p.kind == "history"] == [
        ("turn 1", False),
        ("turn 2", True),
        ("turn 3", True),
        ("turn 4", True),
    ]


def _turns_listed(fitted: Fitted) -> list[int]:
    """The turn numbers the history parts cover, in order ('turns 1-3' covers 1, 2, 3)."""
    numbers: list[int] = []
    for part in fitted.parts:
        if part.kind == "history":
            first, _, last = part.label.split(" ")[1].partition("-")
            numbers += range(int(first), int(last or first) + 1)
    return numbers


def test_faq_entries_that_all_fit_are_one_part_unless_itemised() -> None:
    itemised, whole = _fit(100_000), _fit(100_000, itemise=False)
    assert whole.messages == itemised.messages
    assert whole.used == itemised.used
    faq = [(p.label, p.tokens, p.kept) for p in whole.parts if p.kind == "faq"]
    assert faq == [("shipping, express, returns", _faq_cost(3), True)]
    # when they do not all fit, each is costed to find where to stop
    tight = _fit(_mandatory() + _faq_cost(2), few_shot=(), history=(), itemise=False)
    assert [(p.label, p.kept) for p in tight.parts if p.kind == "faq"] == [
        ("shipping", True),
        ("express", True),
        ("returns", False),
    ]


class _CountingCounter(TokenCounter):
    """Records each text it is asked to count."""

    def __init__(self, counter: TokenCounter) -> None:
        super().__init__(counter.encoding)
        self.asked: set[str] = set()

    def count_message(self, role: str, content: str) -> int:
        self.asked.add(content)
        return super().count_message(role, content)


def test_history_past_the_first_misfit_is_never_counted() -> None:
    history = tuple(Exchange(f"question {n}", f"answer {n}") for n in range(1, 201))
    counter = _CountingCounter(_fitter())
    settings = BudgetSettings(max_prompt_tokens=_mandatory() + _cost(*history[-3:]))
    fitted = fit_prompt(counter, settings, _system, (), (), history, MESSAGE)
    assert fitted.messages[1:-1] == tuple(m for x in history[-3:] for m in x.messages())
    parts = [(p.label, p.tokens, p.kept) for p in fitted.parts if p.kind == "history"]
    assert parts[:2] == [("turns 1-196", None, False), ("turn 197", _cost(history[196]), False)]
    assert [label for label, _, kept in parts if kept] == ["turn 198", "turn 199", "turn 200"]
    assert "question 196" not in counter.asked and "answer 1" not in counter.asked


def test_history_stops_at_the_first_exchange_that_does_not_fit() -> None:
    history = (Exchange("a", "b"), Exchange("tell me " * 50, "sure " * 50), Exchange("c", "d"))
    limit = _mandatory() + _cost(history[2]) + _cost(history[0])  # the long middle one: no
    fitted = _fit(limit, faq=(), few_shot=(), history=history)
    assert fitted.messages[1:-1] == history[2].messages()  # not the older, smaller one


def test_a_bot_whose_system_prompt_cannot_fit_fails_to_start(tmp_path: Path) -> None:
    folder = make_bot(tmp_path, settings=[("max_prompt_tokens: 6000", "max_prompt_tokens: 100")])
    with pytest.raises(ConfigError) as raised:
        Bot(load_bot(folder))
    assert raised.value.path == folder / "templates" / "system.j2"
    assert str(raised.value).startswith(f"{folder / 'templates' / 'system.j2'}: in en: ")
    assert "system message alone" in str(raised.value)
    assert isinstance(raised.value.__cause__, BudgetError)


def test_check_reports_a_system_prompt_over_the_budget(tmp_path: Path) -> None:
    folder = make_bot(tmp_path, settings=[("max_prompt_tokens: 6000", "max_prompt_tokens: 100")])
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert result.exit_code == 1
    assert str(Path("templates") / "system.j2") in result.output
    assert "system message alone" in result.output


def test_a_system_prompt_too_long_for_an_out_of_scope_turn_fails_to_start(
    tmp_path: Path,
) -> None:
    # With an empty message the example bot's prompt needs 159 tokens, or 188 out of scope.
    folder = make_bot(tmp_path, settings=[("max_prompt_tokens: 6000", "max_prompt_tokens: 170")])
    with pytest.raises(ConfigError):
        Bot(load_bot(folder)).prepare("write me a poem about spring")


def test_a_reply_reserve_that_fills_the_window_is_a_settings_error(tmp_path: Path) -> None:
    window = ("reply_reserve: 1000", "reply_reserve: 1000\n  context_window: 1000")
    folder = make_bot(tmp_path, settings=[window])
    with pytest.raises(ConfigError) as raised:
        load_bot(folder)
    assert raised.value.path == folder / "servicebot.yaml"


def test_a_kind_listed_twice_in_the_drop_order_is_fitted_once() -> None:
    try:
        settings = BudgetSettings(max_prompt_tokens=100_000, drop_order=("faq", "faq"))
    except ValidationError:
        return  # rejecting the setting is a fix too
    fitted = fit_prompt(_fitter(), settings, _system, FAQ, FEW_SHOT, HISTORY, MESSAGE)
    assert [p.label for p in fitted.parts if p.kind == "faq"] == list(FAQ)
    assert sum(p.tokens for p in fitted.parts if p.kept) + REPLY_PRIMING == fitted.used


def test_a_partial_drop_order_still_drops_its_first_kind_first() -> None:
    try:
        BudgetSettings(drop_order=("history",))
    except ValidationError:
        return  # requiring all three kinds is a fix too
    one = {"faq": FAQ[:1], "few_shot": FEW_SHOT[:1], "history": HISTORY[-1:]}
    full = _fit(100_000, drop_order=("history",), **one).used  # type: ignore[arg-type]
    fitted = _fit(full - 1, drop_order=("history",), **one)  # type: ignore[arg-type]
    assert [p.kind for p in fitted.dropped] == ["history"]


_WORDS = st.lists(
    st.sampled_from(["order", "参数", "refund", " ", "😀", "100482", "\n"]), max_size=12
)


@hypothesis_settings(deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=400),
    faq_count=st.integers(min_value=0, max_value=3),
    few_shot_sizes=st.lists(st.tuples(_WORDS, _WORDS), max_size=3),
    history_sizes=st.lists(st.tuples(_WORDS, _WORDS), max_size=6),
    message=_WORDS.map("".join),
    drop_order=st.permutations(["few_shot", "history", "faq"]),
)
def test_any_fit_stays_in_budget_and_keeps_pairs_whole(
    limit: int,
    faq_count: int,
    few_shot_sizes: list[tuple[list[str], list[str]]],
    history_sizes: list[tuple[list[str], list[str]]],
    message: str,
    drop_order: list[str],
) -> None:
    few_shot = tuple(
        (f"intent{i}", Exchange(f"f{i} " + "".join(u), f"g{i} " + "".join(a)))
        for i, (u, a) in enumerate(few_shot_sizes)
    )
    history = tuple(
        Exchange(f"h{i} " + "".join(u), f"r{i} " + "".join(a))
        for i, (u, a) in enumerate(history_sizes)
    )
    counter = _fitter()
    smallest = counter.count_message("system", _system(0)) + REPLY_PRIMING
    smallest += counter.count_message("user", "")
    arguments = {"faq": FAQ[:faq_count], "few_shot": few_shot, "history": history}
    if limit < smallest:
        with pytest.raises(BudgetError):
            _fit(limit, drop_order=tuple(drop_order), message=message, **arguments)  # type: ignore[arg-type]
        return
    fitted = _fit(limit, drop_order=tuple(drop_order), message=message, **arguments)  # type: ignore[arg-type]

    assert fitted.used == counter.count_messages((m.role, m.content) for m in fitted.messages)
    assert fitted.used <= limit
    assert sum(p.tokens or 0 for p in fitted.parts if p.kept) + REPLY_PRIMING == fitted.used
    # system first with the most relevant facts; the customer's message, or a prefix, last
    kept_faq = _kept(fitted, "faq")
    assert kept_faq == list(FAQ[: len(kept_faq)])
    assert fitted.messages[0] == Message("system", _system(len(kept_faq)))
    last = fitted.messages[-1]
    assert last.role == "user" and message.startswith(last.content)
    assert fitted.truncated == (last.content != message)
    # in between: whole user/assistant pairs, few-shot (a prefix) then history (a suffix)
    middle = fitted.messages[1:-1]
    assert len(middle) % 2 == 0
    twos = list(zip(middle[::2], middle[1::2], strict=True))
    assert all(u.role == "user" and a.role == "assistant" for u, a in twos)
    pairs = [Exchange(u.content, a.content) for u, a in twos]
    shown_few = [pair for pair in pairs if pair.user.startswith("f")]
    shown_history = pairs[len(shown_few) :]
    assert shown_few == [pair for _, pair in few_shot[: len(shown_few)]]
    assert shown_history == list(history[len(history) - len(shown_history) :])
    assert len(_kept(fitted, "few_shot")) == len(shown_few)
    assert len(_kept(fitted, "history")) == len(shown_history)
    assert _turns_listed(fitted) == list(range(1, len(history) + 1))


def test_threads_asking_at_once_share_one_loaded_encoding_and_counter() -> None:

    from servicebot import budget

    budget._read_packaged.cache_clear()
    budget.load_encoding.cache_clear()
    budget._counter.cache_clear()
    counters: list[TokenCounter] = []
    at_once(*[lambda: counters.append(counter_for("gpt-4o", None))] * 16)
    assert len({id(counter) for counter in counters}) == 1
    assert budget._read_packaged.cache_info().misses == 1  # read and verified once


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
    counter = TokenCounter(_fitter().encoding)  # a counter of its own: empty caches
    rules = "".join(f"- Rule number {n}: be kind, brief and exact.\n" for n in range(20))
    first = f"{rules}## shipping\nShipping takes 3-5 days.\n"
    second = f"{rules}## returns\nReturns are free within 30 days.\n"
    assert counter.count(first) == len(counter.encode(first))
    hits = counter._line_tokens.cache_info().hits
    assert counter.count(second) == len(counter.encode(second))
    assert counter._line_tokens.cache_info().hits - hits >= 20  # the rules were not re-encoded
