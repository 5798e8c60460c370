"""Courtesies that ask for nothing (``servicebot/routing/phrases.py``): beside a request they
do not decide its intent, alone they route to their own intents, and beside a request no
intent matches they leave it out of scope; and the request a message makes beside them."""

from __future__ import annotations

import pytest

from servicebot.routing import Router
from servicebot.routing.phrases import names_nothing, the_request, words_of
from tests.unit.routers import best


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("退货 please", "return_item"),  # was handed to a person: "agent please"
        ("please 退款", "refund_status"),
        ("退货 thanks", "return_item"),  # was "you're welcome", as written
        ("thanks, where is my refund?", "refund_status"),
        ("谢谢，但是我还没收到退款", "refund_status"),
        ("good morning, my package never arrived", "order_delayed"),
        ("do you ship to germany thanks", "international_shipping"),
        ("ok thanks, where is my refund?", "refund_status"),
        ("好的谢谢，那退货要多久", "return_item"),
    ],
)
def test_courtesies_beside_a_request_do_not_decide_its_intent(
    router: Router, text: str, expected: str
) -> None:
    routing = router.route(text)
    assert best(router, text) == expected and routing.route != "handoff"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("hi there!", "greeting"), ("hello", "greeting"), ("您好", "greeting"),
     ("thanks a lot", "thanks"), ("谢谢", "thanks"), ("thanks, bye!", "goodbye")],
)  # fmt: skip
def test_courtesies_alone_still_route_to_their_intents(
    router: Router, text: str, expected: str
) -> None:
    assert (router.route(text).route, best(router, text)) == ("direct", expected)


@pytest.mark.parametrize("text", ["Many thanks!", "Got it, thanks!", "ok谢谢", "太感谢了！"])
def test_what_comes_with_a_courtesy_asks_for_nothing_either(router: Router, text: str) -> None:
    # "Many" was left as the request, and matched "too many promo emails".
    assert best(router, text) == "thanks"


@pytest.mark.parametrize("text", ["please", "please!", "pls", "kindly", "请问"])
def test_a_courtesy_that_asks_for_nothing_is_out_of_scope_unless_it_follows_a_request(
    router: Router, text: str
) -> None:
    # "please" alone matched talk_to_human's "agent please", and was handed to a person.
    assert router.route(text).route == "out_of_scope"
    after = router.route(text, previous="can i talk to a real person")
    assert (after.route, after.follow_up) == ("handoff", True)


OFF_TOPIC_BESIDE_A_COURTESY = (
    "thanks! now write me a poem about pirates",
    "write me a poem, thanks",
    "hello, tell me a joke",
    "ok, recommend me a movie",
    "好的，帮我写一首诗",
    "谢谢，帮我写代码",
    "帮我写代码，谢谢",
    "謝謝，幫我寫代碼",
    "你好，给我讲个笑话",
)


@pytest.mark.parametrize(
    ("text", "previous"),
    [
        *((text, None) for text in OFF_TOPIC_BESIDE_A_COURTESY),
        *((text, "where is my order?") for text in OFF_TOPIC_BESIDE_A_COURTESY),
        ("bye, and write a poem", None),
        # a farewell closes the topic: its "and" joins the request to it, not to the question
        ("bye, and write a poem", "Do you ship to Canada?"),
        ("再见，帮我写代码", "where is my order?"),
    ],
)
def test_a_courtesy_beside_a_request_no_intent_matches_is_out_of_scope(
    router: Router, text: str, previous: str | None
) -> None:
    # They went to the model with thanks' (or goodbye's, greeting's) answer as the facts,
    # matched through the courtesy alone, and not as out of scope: the model wrote the poem.
    routing = router.route(text, previous)
    assert (routing.route, routing.matches, routing.follow_up) == ("out_of_scope", (), False)
    assert not {m.intent.name for m in routing.ranked} & {"thanks", "goodbye", "greeting"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thanks, that's great", {"thanks", "goodbye"}),
        ("thanks a lot!", {"thanks"}),
        ("ok thanks bye", {"goodbye"}),
        ("thanks for your help", {"thanks"}),
        ("thank you so much, you've been very helpful", {"thanks"}),
        ("thanks, I'll try that", {"thanks"}),
        ("thanks John", {"thanks"}),  # a name alone is no request
        ("thanks, you guys are awesome", {"thanks"}),  # "you guys" matched about_store
        ("谢谢你们，你们太棒了", {"thanks"}),
        ("hi, can you help me?", {"greeting"}),
        ("谢谢，太好了", {"thanks"}),
        ("谢谢你，帮了大忙", {"thanks"}),
        ("谢谢，我去看看", {"thanks"}),
        ("哈喽", {"greeting"}),  # a greeting of the bot's own phrasings
        ("再見", {"goodbye"}),
    ],
)
def test_a_courtesy_with_praise_or_a_closing_remark_keeps_its_intent(
    router: Router, text: str, expected: set[str]
) -> None:
    routing = router.route(text)
    assert routing.route in ("direct", "model") and best(router, text) in expected


def test_the_request_is_what_a_message_asks_beside_its_pleasantries() -> None:
    request = the_request("thanks! now write me a poem")
    assert request is not None and request.split() == ["!", "now", "write", "me", "a", "poem"]
    assert (the_request("謝謝，幫我寫代碼") or "").strip() == ",帮我写代码"  # as routing reads it
    for closing in ("thanks, that's great", "ok thanks bye", "谢谢，太好了", "thanks John"):
        assert the_request(closing) is None, closing
    # a bot's own greetings name nothing either, whichever the phrases miss
    assert the_request("早安呀") is not None and the_request("早安呀", words_of(["早安"])) is None


def test_names_nothing_reads_words_beyond_pleasantries_in_any_case_and_spacing() -> None:
    for nothing in (
        "you guys are awesome",
        "For THAT!!",
        "ok   thanks,  that's   great",
        "thank\tyou",
    ):
        assert names_nothing(nothing), nothing
    for named in ("hi there, i'd like to cancel my order", "thanks John", "good_bye", "谢谢，退款"):
        assert not names_nothing(named), named
    assert names_nothing("thanks John", words_of(["bye john"]))  # a bot's own words
