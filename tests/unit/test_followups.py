"""Follow-ups that must not lean back (``servicebot/routing/followups.py`` and
``routing/phrases.py``): a refusal is never read with the message it refuses, and a greeting,
thanks or farewell carries no topic for a follow-up to take on. One that does lean back keeps
the previous message's topic (here); the others that lean back are test_routing.py's."""

from __future__ import annotations

import pytest

from servicebot.routing import Router, previous_message
from servicebot.routing.followups import keeping_topic
from servicebot.routing.index import Match
from servicebot.routing.phrases import refuses, says_nothing
from tests.unit.routers import SMALL

REFUSALS = [
    "no",
    "nope",
    "never mind",
    "forget it",
    "cancel that",
    "don't",
    "no wait, don't",
    "算了",
    "不用了",
    "不要了",
    "没事了",
    "不了",
    "那算了吧",
]


@pytest.mark.parametrize("text", REFUSALS)
@pytest.mark.parametrize("previous", ["talk to a human", "转人工", "I want to cancel my order"])
def test_a_refusal_never_takes_on_the_intent_it_refuses(
    router: Router, text: str, previous: str
) -> None:
    # Read with the previous message, "no" after "talk to a human" was handed to a person
    # (talk_to_human 0.72), and 算了 after a cancellation became cancel_order 0.76.
    routing = router.route(text, previous)
    assert not routing.follow_up
    assert routing.route in ("out_of_scope", "model"), routing
    assert routing.handoff is None
    taken = {"talk_to_human", "cancel_order"} & {m.intent.name for m in routing.matches}
    assert not taken, routing.matches


def test_a_refusal_matches_only_intents_that_carry_no_topic(router: Router) -> None:
    # Alone, "cancel that" scored cancel_order 0.60 and 不了 payment_declined 0.39.
    for text in REFUSALS:
        names = {m.intent.name for m in router.route(text).matches}
        assert names <= {"greeting", "thanks", "goodbye"}, (text, names)
    routing = router.route("不用了", previous="退款什么时候到账？")
    assert routing.best is not None and routing.best.intent.name == "goodbye"


@pytest.mark.parametrize("text", ["no, to Germany", "no, I meant express", "不是，我要退货"])
def test_a_correction_is_not_a_refusal(text: str) -> None:
    assert not refuses(text)


def test_a_follow_up_after_a_refusal_does_not_reach_back_past_it(router: Router) -> None:
    previous = previous_message(["talk to a human", "no"])
    assert previous == "no"
    assert router.route("yes", previous).route != "handoff"


@pytest.mark.parametrize("greeting", ["hi", "hello", "thanks", "bye", "你好", "在吗", "Hi again!"])
@pytest.mark.parametrize("text", ["Germany?", "100482", "德国呢？", "and to Germany?"])
def test_nothing_takes_on_a_greeting_thanks_or_farewell(
    router: Router, greeting: str, text: str
) -> None:
    # After "hi", "Germany?" was greeting 0.36 and "100482" greeting 0.59.
    routing = router.route(text, greeting)
    assert not routing.follow_up
    assert routing.route == "out_of_scope"


def test_a_greeting_between_ends_the_topic_before_it(router: Router) -> None:
    # "100482" after "Do you ship to Canada?" and "hi" was read as a shipping question.
    earlier = ["Do you ship to Canada?", "hi"]
    assert previous_message(earlier) == "hi"
    assert router.route("100482", previous_message(earlier)).route == "out_of_scope"
    # A greeting further back is not read either: the chain stops short of it.
    earlier = ["Do you ship to Canada?", "hi", "and to Germany?"]
    assert previous_message(earlier) == "and to Germany?"


def test_a_value_alone_still_carries_a_topic() -> None:
    assert not says_nothing("[EMAIL_1]")
    assert says_nothing("no thanks") and says_nothing("不用了，谢谢")


@pytest.mark.parametrize(
    ("previous", "text"),
    [
        ("你们发货到德国吗", "德国呢？"),  # "do you ship to Germany" (0.27), "and Germany?"
        ("能寄到加拿大吗？", "德国的话多久"),  # "as for Germany, how long?"
    ],
)
def test_a_follow_up_keeps_the_topic_of_the_previous_message(
    router: Router, previous: str, text: str
) -> None:
    # Read with the previous message, "德国呢？" scored international_shipping 0.21, under
    # min_score 0.22 and under the previous message's own 0.27, so it was out of scope; and
    # 德国的话多久 did not lean back at all (0.19 alone).
    alone = router.route(previous).best
    assert alone is not None and alone.intent.name == "international_shipping"
    routing = router.route(text, previous)
    assert routing.follow_up and routing.route == "model"
    assert routing.best is not None and routing.best.intent.name == "international_shipping"
    assert routing.best.score >= router.settings.min_score


def test_the_topic_kept_does_not_outrank_a_new_one_the_follow_up_names() -> None:
    shipping, refund, greeting = SMALL[:3]
    joined = [Match(refund, 0.30), Match(shipping, 0.18), Match(greeting, 0.05)]
    ranked = keeping_topic(joined, [Match(shipping, 0.27)], floor=0.22)
    assert ranked == [Match(refund, 0.30), Match(shipping, 0.22), Match(greeting, 0.05)]
    # an intent the joined reading left out of its top ones is put back, the ranking as long
    ranked = keeping_topic(
        [Match(refund, 0.30), Match(greeting, 0.05)], [Match(shipping, 0.6)], 0.22
    )
    assert ranked == [Match(refund, 0.30), Match(shipping, 0.22)]
