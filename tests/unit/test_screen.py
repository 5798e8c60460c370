"""The intent screen (``servicebot/routing/screen.py``): a few intents' exact scores for many
messages at once, never below what routing reports, so that ``servicebot check`` may route
only the phrasings the screen keeps."""

from __future__ import annotations

import pytest

from servicebot.routing import Router
from servicebot.routing.index import IntentIndex
from servicebot.routing.screen import IntentScreen
from tests.unit.test_index import QUESTIONS, many_intents

MESSAGES = [
    "where is my order",
    "我的快递到哪了？",
    "怎么create一个account",
    "AirPods Pro 2 可以退货吗",
    "thanks, where is my refund?",
    "I want to talk to a human",
    "zzzz",
    "",
]


def test_a_screened_score_is_routings_for_its_best_match_and_never_below_another(
    router: Router,
) -> None:
    index = router.index
    screens = [IntentScreen(index, [place]) for place in range(len(index.intents))]
    for text in MESSAGES:
        exact = [float(screen.highest([text])[0]) for screen in screens]
        scores = index.scores(text)
        assert all(ranked <= ours + 1e-4 for ranked, ours in zip(scores, exact, strict=True))
        for match in index.rank(text, 1):
            place = index.intents.index(match.intent)
            assert exact[place] == pytest.approx(match.score, abs=1e-4), text


def test_with_many_intents_of_few_examples_a_far_intent_is_scored_exactly_too() -> None:
    # Routing gives such an intent a lower bound (the shortcut of routing/index.py): the
    # screen's score is its exact one, as a full pass over every example finds it.
    intents = many_intents([3] * 64)
    index = IntentIndex(intents)
    assert index._blocks is not None
    everything = IntentScreen(index, range(len(intents)))
    for text in QUESTIONS:
        lower = index.scores(text)
        ours = [float(IntentScreen(index, [place]).highest([text])[0]) for place in range(64)]
        assert all(bound <= exact + 1e-4 for bound, exact in zip(lower, ours, strict=True))
        assert any(exact - bound > 0.01 for bound, exact in zip(lower, ours, strict=True))
        assert everything.highest([text])[0] == pytest.approx(max(ours))


def test_a_batch_scores_each_message_as_alone(router: Router) -> None:
    screen = IntentScreen(router.index, [0, 3, 5])
    alone = [float(screen.highest([text])[0]) for text in MESSAGES]
    assert screen.highest(MESSAGES * 100).tolist() == pytest.approx(alone * 100)
    assert screen.highest([]).tolist() == []
    assert IntentScreen(router.index, []).highest(MESSAGES).tolist() == [0.0] * len(MESSAGES)


def test_readings_are_what_routing_ranks(router: Router) -> None:
    assert router.readings("  ") == ()
    assert router.readings("where is my order") == ("where is my order",)
    plain, polite = router.readings("thanks, where is my refund?")
    assert plain == "thanks, where is my refund?" and "thanks" not in polite
    assert "[PHONE_1]" not in router.readings("call me on [PHONE_1]")[0]


def test_readings_include_what_a_message_asks_beside_its_pleasantries(router: Router) -> None:
    # "bye, and write a poem" is routed on "and write a poem" (out of scope): the screen
    # must score that reading too, or a handoff it reached would go unwarned.
    readings = router.readings("bye, and write a poem")
    assert readings[0] == "bye, and write a poem" and readings[1].split() == [
        ",",
        "and",
        "write",
        "a",
        "poem",
    ]
    assert len(router.readings("thanks, that's great")) == 2  # itself, and without "thanks"
