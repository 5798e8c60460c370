"""The intent index (``servicebot/routing/index.py`` and ``matrix.py``): scores between zero
and one that mean the same for every message, ties in the intents' order, odd indexes
(one intent, examples without features, many intents with few examples), hostile input,
and messages the example bot's phrasings once missed."""

from __future__ import annotations

import pytest

from servicebot.actions import confident
from servicebot.config import BotSpec
from servicebot.routing import Router
from servicebot.routing.index import IntentIndex
from servicebot.settings import Intent, RoutingSettings
from tests.unit.routers import LANGUAGES, best, intent, score

# Scores


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("我的iPhone 15还没到", "我的iPhone还没到"),
        ("AirPods Pro 2 可以退货吗", "可以退货吗"),
        ("iPhone 2 到哪了", "iPhone 到哪了"),
        ("退货 2", "退货"),
    ],
)
def test_a_model_number_in_a_chinese_message_keeps_it_in_scope(
    router: Router, text: str, plain: str
) -> None:
    assert router.route(text).route == router.route(plain).route == "model"
    assert best(router, text) == best(router, plain)


def test_an_unknown_word_still_counts_fully_in_a_mostly_english_message(router: Router) -> None:
    # Only a mostly Chinese message weighs a word no intent has as one feature: in English
    # text such words are what keeps a request nobody handles out of scope.
    for text in ("how do i cook pasta 谢谢", "write python code 好的", "tell me a joke 你好"):
        assert router.route(text).route == "out_of_scope", text
    assert score(router.index, "how do i return my Nike shoes", "return_item") < score(
        router.index, "how do i return my shoes", "return_item"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("用户名忘了", "login_trouble"),  # account_details 0.24, whose answer changes a name
        ("my card never came", "gift_cards"),  # password_reset: "reset email never came"
        ("my order never came", "order_delayed"),  # order_status
        ("still nothing", "order_delayed"),  # goodbye, through "nothing else"
    ],
)
def test_the_example_bot_has_phrasings_for_messages_it_missed(
    router: Router, text: str, expected: str
) -> None:
    assert best(router, text) == expected


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("How long do refunds take?", "退款要多久"),
        ("Where is my order?", "我的订单在哪里"),
        ("the item is broken", "商品坏了"),
    ],
)
def test_an_english_question_and_its_chinese_twin_are_both_answered_offline(
    router: Router, english: str, chinese: str
) -> None:
    """Offline, routing sure of an intent sends its answer as written; the Chinese twins
    of these everyday questions went to a person where the English got the answer."""
    for text in (english, chinese):
        routing = router.route(text)
        assert confident(routing, router.settings), text  # not handed off as unsure
    assert best(router, english) == best(router, chinese)


def test_scores_lie_between_zero_and_one(router: Router) -> None:
    for text in ("where is my order", "我的快递到哪了？", "hi", "", "x" * 500, "order " * 200):
        scores = router.index.scores(text)
        assert len(scores) == len(router.index.intents)
        assert ((scores >= 0) & (scores <= 1)).all()


def test_an_example_scores_higher_than_a_paraphrase(router: Router) -> None:
    exact = score(router.index, "how do i reset my password", "password_reset")
    paraphrase = score(router.index, "I can't remember the password", "password_reset")
    assert exact > paraphrase > 0.2


def test_unrelated_text_scores_below_0_2_everywhere(router: Router) -> None:
    for text in ("what is the capital of france", "the quick brown fox jumps over the lazy dog"):
        assert router.index.scores(text).max() < 0.2


def test_a_message_scores_the_same_whatever_came_before(router: Router) -> None:
    first = router.index.scores("where is my order").tolist()
    router.index.scores("我的快递到哪了？")
    router.route("I want to talk to a human", previous="hello")
    assert router.index.scores("where is my order").tolist() == first


def test_ties_keep_the_order_the_intents_were_given() -> None:
    # Names and answers count too: these two differ only in names sharing nothing with the text.
    one, two = intent("qq", "track my parcel"), intent("zz", "track my parcel")
    ranked = IntentIndex([one, two]).rank("track my parcel", 2)
    assert [m.intent.name for m in ranked] == ["qq", "zz"]
    assert ranked[0].score == ranked[1].score
    reversed_order = IntentIndex([two, one]).rank("track my parcel", 2)
    assert [m.intent.name for m in reversed_order] == ["zz", "qq"]
    assert IntentIndex([one, two]).rank("track my parcel", 2) == ranked


# Odd indexes and hostile input


def test_an_index_with_one_intent() -> None:
    index = IntentIndex([intent("only", "where is my order")])
    (match,) = index.rank("where is my order", 3)
    assert match.intent.name == "only" and match.score > 0.5
    assert index.rank("something else entirely", 3)[0].score < 0.2


def test_an_index_needs_an_intent() -> None:
    with pytest.raises(ValueError, match="at least one intent"):
        IntentIndex([])


def test_intents_whose_examples_have_no_features() -> None:
    index = IntentIndex([intent("punctuation", "???", "!!!"), intent("order", "where is my order")])
    assert [m.intent.name for m in index.rank("where is my order", 2)] == ["order", "punctuation"]
    assert index.scores("???").tolist() == [0.0, 0.0]
    router = Router(index.intents, RoutingSettings(), LANGUAGES)
    assert router.route("???").route == "out_of_scope"


HOSTILE = {
    "100 KB of one letter": "x" * 100_000,
    "100 KB of words": "where is my order " * 5_600,
    "100 KB of Chinese": "快递到哪了" * 20_000,
    "100 KB of digits": "7" * 100_000,
    "binary": bytes(range(256)).decode("latin-1") * 400,
    "control characters": "".join(chr(i % 32) for i in range(100_000)),
    "zero-width": "\u200b\u200c\u200d\ufeff" * 25_000,
    "lone surrogates": "\ud800\udfff" * 500,
    "emoji": "\U0001f600" * 50_000,
    "ligatures": "\ufb00\ufdfa" * 20_000,
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_routes_without_error(router: Router, name: str) -> None:
    for previous in (None, "where is my order"):
        routing = router.route(HOSTILE[name], previous)
        assert routing.route in ("direct", "handoff", "out_of_scope", "model")
        assert all(0 <= match.score <= 1 for match in routing.matches)
        assert routing.language in LANGUAGES


def test_zero_width_characters_between_words_are_ignored(router: Router) -> None:
    assert best(router, "\u200bwhere\u200b is my order\ufeff") == "order_status"


def test_rows_dot_sums_each_chosen_row_and_empty_rows_are_zero() -> None:
    import numpy as np

    from servicebot.routing.matrix import Rows

    # rows 0 and 3 and 5 have no cells; 1, 2 and 4 do
    rows = np.array([1, 1, 2, 4, 4, 4])
    features = np.array([0, 2, 1, 0, 1, 2])
    weights = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    table = Rows(rows, features, weights, 6)
    query = np.array([10.0, 100.0, 1000.0])
    chosen = np.array([0, 1, 2, 3, 4, 5])
    assert table.dot(chosen, query).tolist() == [0.0, 2010.0, 300.0, 0.0, 6540.0, 0.0]
    assert table.dot(np.array([4, 1]), query).tolist() == [6540.0, 2010.0]
    assert table.dot(np.array([5, 0]), query).tolist() == [0.0, 0.0]


def many_intents(examples_of: list[int]) -> list[Intent]:
    """Intents named after an action and a thing, with phrasings of both."""
    actions = ["change", "cancel", "track", "renew", "reset", "split", "pause", "verify"]
    things = ["order", "parcel", "refund", "invoice", "password", "coupon", "voucher", "receipt"]
    forms = ["how do i {a} my {t}", "{a} {t}", "can i {a} the {t}", "help me {a} my {t} please"]
    names = [(a, t) for a in actions for t in things]
    return [
        intent(f"{a}_{t}", *[forms[i % len(forms)].format(a=a, t=t) for i in range(count)])
        for (a, t), count in zip(names, examples_of, strict=False)
    ]


QUESTIONS = ["i would like to cancel my order today", "verify receipt", "whats up with my parcel"]


@pytest.mark.parametrize(
    "examples_of",
    [[3] * 64, [2] * 30 + [3] * 30, [40] + [1] * 30],
    ids=["even", "uneven", "one large intent (no shortcut: padding would waste memory)"],
)
def test_many_intents_with_few_examples_score_their_best_matches_exactly(
    examples_of: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many intents of a few phrasings each take a shortcut (the nearest example is sought
    among the best intents by centroid); the best matches' scores are those of a full pass."""
    import servicebot.routing.index

    intents = many_intents(examples_of)
    shortcut = IntentIndex(intents)
    assert (shortcut._blocks is None) == (examples_of[0] == 40)
    monkeypatch.setattr(servicebot.routing.index, "_CANDIDATE_ROWS", 0)  # no shortcut
    full = IntentIndex(intents)
    assert full._blocks is None
    for text in [*QUESTIONS, *(i.examples[0] for i in intents[::7])]:
        ours, exact = shortcut.rank(text, 3), full.rank(text, 3)
        assert [m.intent for m in ours] == [m.intent for m in exact]
        # the blocks hold float32: a score may round the other way at the 4th decimal
        assert [m.score for m in ours] == pytest.approx([m.score for m in exact], abs=2e-4)
    assert shortcut.rank("cancel my order", 1)[0].intent.name == "cancel_order"


def test_a_tie_at_the_candidate_cut_keeps_yaml_order() -> None:
    index = IntentIndex(many_intents([3] * 64))
    assert index._blocks is not None  # the shortcut, whose candidates are cut at 12
    ranked = index.rank("zzzz qqqq", 3)  # no known feature: every intent scores 0
    assert [(m.intent.name, m.score) for m in ranked] == [
        ("change_order", 0.0), ("change_parcel", 0.0), ("change_refund", 0.0)
    ]  # fmt: skip


def test_centroids_score_the_same_with_or_without_a_sparse_part(
    spec: BotSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    import servicebot.routing.matrix

    dense = IntentIndex(spec.intents)
    monkeypatch.setattr(servicebot.routing.matrix, "_DENSE_CELLS", 0)  # only common features dense
    mixed = IntentIndex(spec.intents)
    assert dense._centroids._all_dense and not mixed._centroids._all_dense
    for text in ("where is my order", "我的快递到哪了", "怎么create一个account", "zzzz"):
        assert mixed.scores(text) == pytest.approx(dense.scores(text), abs=1e-6)


def _array_bytes(index: IntentIndex) -> int:
    """The bytes of every numpy array the index and its matrices hold."""
    import numpy as np

    parts = [index, *(v for v in vars(index).values() if hasattr(v, "__dict__"))]
    arrays = [v for part in parts for v in vars(part).values() if isinstance(v, np.ndarray)]
    return sum(array.nbytes for array in arrays)


def test_a_small_bot_index_is_small_and_scores_as_the_dense_one(
    spec: BotSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    import servicebot.routing.matrix

    packed = IntentIndex(spec.intents)  # the example bot: 706 examples, 0.6% of cells set
    monkeypatch.setattr(servicebot.routing.matrix, "_PACKED_SHARE", 0.0)  # the dense layout
    dense = IntentIndex(spec.intents)
    assert _array_bytes(packed) < 4 << 20 < 16 << 20 < _array_bytes(dense)  # 40 bots: 640 MB
    for text in ("where is my order", "我的快递到哪了", "怎么create一个account", "zzzz", ""):
        assert packed.scores(text).tolist() == dense.scores(text).tolist()  # to the last bit
    assert packed.rank("refund please", 3) == dense.rank("refund please", 3)


def test_indexes_of_one_process_share_their_features_text(spec: BotSpec) -> None:
    """Each shop's bot kept its own copy of every feature's text (0.4 MB for the example
    bot): the indexes of one process share one. Each FAQ read anew, as each shop's is."""
    from servicebot import load_bot

    first, second = IntentIndex(spec.intents), IntentIndex(load_bot(spec.root).intents)
    assert first._vocabulary == second._vocabulary
    assert all(a is b for a, b in zip(first._vocabulary, second._vocabulary, strict=True))


def test_centroids_all_dense_keep_their_block_alone(spec: BotSpec) -> None:
    """The example bot's 38 centroids are one dense block, a row per feature: a slot and a
    start per feature besides it took 0.15 MB of each bot, 30 MB of 200 bots."""
    centroids = IntentIndex(spec.intents)._centroids
    assert centroids._all_dense and not centroids._packed
    assert _array_bytes_of(centroids) == centroids._block.nbytes


def _array_bytes_of(part: object) -> int:
    import numpy as np

    return sum(v.nbytes for v in vars(part).values() if isinstance(v, np.ndarray))
