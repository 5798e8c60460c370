"""Follow-ups (``servicebot/routing/followups.py`` and ``routing/phrases.py``): a short
message that leans on the previous one is routed with it (an order number or a placeholder
alone, "and to Germany?", 多少钱？) and keeps the previous message's topic, a new question is
not; a refusal is never read with the message it refuses, and a greeting, thanks or farewell
carries no topic for a follow-up to take on."""

from __future__ import annotations

import pytest

from servicebot.routing import Router, previous_message
from servicebot.routing.followups import asks, keeping_topic
from servicebot.routing.index import Match
from servicebot.routing.phrases import refuses, says_nothing
from servicebot.settings import RoutingSettings
from tests.unit.routers import SHIPPING, SMALL, best, intent

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
        assert names <= {"goodbye"}, (text, names)  # not a greeting or thanks, courtesies
    routing = router.route("不用了", previous="退款什么时候到账？")
    assert routing.best is not None and routing.best.intent.name == "goodbye"


@pytest.mark.parametrize("text", ["no thanks", "no thank you", "No thanks!", "不用了谢谢"])
@pytest.mark.parametrize("previous", [None, "hi"])
def test_declining_more_help_gets_the_goodbye_answer(
    router: Router, text: str, previous: str | None
) -> None:
    # "no thanks" got thanks' "You're welcome! Is there anything else I can help you with?"
    # as written (thanks 0.74): the customer, declining more help, was asked for more.
    routing = router.route(text, previous)
    assert routing.route == "direct" and routing.best is not None
    assert routing.best.intent.name == "goodbye"


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


# Follow-ups that lean back


def test_a_short_follow_up_leans_on_the_previous_message(router: Router) -> None:
    assert router.route("and to Germany?").route == "out_of_scope"
    routing = router.route("and to Germany?", previous="how long does delivery take to Canada")
    assert routing.follow_up
    assert routing.best is not None and routing.best.intent.name in SHIPPING


def test_follow_ups_in_a_row_are_read_back_to_the_message_they_lean_on(router: Router) -> None:
    earlier = ["where is my order", "Do you ship to Canada?", "and to Germany?", "[PHONE_1]"]
    assert previous_message(earlier) == "Do you ship to Canada?\nand to Germany?\n[PHONE_1]"
    assert best(router, "and to Japan?", previous_message(earlier)) == "international_shipping"
    assert best(router, "and to Japan?", earlier[-1]) is None  # the last message alone
    assert previous_message(earlier[:2]) == "Do you ship to Canada?"  # it leans on nothing
    assert previous_message(["do you ship to Canada", *["and to Germany?"] * 4]) == "\n".join(
        ["and to Germany?"] * 4
    )  # three follow-ups back at most
    assert previous_message([]) is None


def test_a_follow_up_to_a_direct_answer_goes_to_the_model(router: Router) -> None:
    previous = "what payment methods do you accept"
    assert router.route(previous).route == "direct"  # the canned answer was given for it
    routing = router.route("and klarna?", previous=previous)
    assert routing.follow_up
    assert routing.best is not None and routing.best.intent.name == "payment_methods"
    assert routing.best.score >= router.settings.direct_threshold
    assert routing.route == "model"


def test_an_order_number_alone_follows_up_the_question_before(router: Router) -> None:
    assert router.route("93857").route == "out_of_scope"
    routing = router.route("93857", previous="where is my order")
    assert routing.follow_up and routing.route == "model"
    assert routing.best is not None and routing.best.intent.name == "order_status"


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("我的手机号是[PHONE_1]，订单到哪了？", "我的手机号是，订单到哪了？"),
        ("my email is [EMAIL_1] and phone [PHONE_1], refund?", "my email is and phone , refund?"),
        ("my card [CARD_1] was declined", "my card was declined"),
    ],
)
def test_a_placeholder_is_read_as_nothing(router: Router, text: str, plain: str) -> None:
    # The pre-filter's [PHONE_1] once pulled these to store_hours_contact.
    assert router.route(text) == router.route(plain)


def test_a_placeholder_alone_follows_up_the_question_before(router: Router) -> None:
    routing = router.route("[EMAIL_1]", previous="怎么退订邮件")
    assert routing.follow_up and routing.language == "zh"
    assert routing.best is not None and routing.best.intent.name == "unsubscribe_emails"


def test_a_follow_up_to_a_request_for_a_person_is_handed_off(router: Router) -> None:
    routing = router.route("是的，轉接吧", previous="转人工")  # "yes, put me through"
    assert routing.follow_up and routing.route == "handoff"


def test_a_long_new_question_does_not_lean_on_the_previous_one(router: Router) -> None:
    text = "what payment methods do you accept for my orders"
    routing = router.route(text, previous="how long does delivery take to Canada")
    assert not routing.follow_up
    assert best(router, text, previous="how long does delivery take to Canada") == (
        "payment_methods"
    )


def test_a_short_message_that_stands_alone_keeps_its_own_intent(router: Router) -> None:
    routing = router.route("forgot my password", previous="where is my order")
    assert (routing.follow_up, routing.best and routing.best.intent.name) == (
        False,
        "password_reset",
    )


def test_a_short_new_question_is_not_pulled_onto_the_previous_topic(router: Router) -> None:
    for text, previous, expected in [
        ("wher is my ordr", "How long do refunds take?", "order_status"),
        ("怎么退货", "我的快递到哪了？", "return_item"),
    ]:
        routing = router.route(text, previous=previous)
        assert not routing.follow_up, text
        assert routing.best is not None and routing.best.intent.name == expected, text


@pytest.mark.parametrize(
    "text",
    [
        "write me a poem",
        "tell me a joke",
        "what's the weather",
        "帮我写代码",
        "写首诗",
        "还款怎么操作",  # 还 opens 还款 (repayment), not 还有 (and also)
        "用户名能用表情吗",  # 用 opens 用户名 (user name), not 用 (use)
        "好评返现",
        "我有其它问题",  # 它 inside 其它 (other)
    ],
)
def test_a_short_new_request_that_matches_nothing_is_out_of_scope_not_a_follow_up(
    router: Router, text: str
) -> None:
    # Read with "where is my order", each was routed to order_status, and never counted as a
    # miss toward handoff_after.
    routing = router.route(text, previous="where is my order")
    assert (routing.route, routing.follow_up, routing.matches) == ("out_of_scope", False, ())


@pytest.mark.parametrize(
    "text",
    [
        "Germany?",
        "93857",
        "德国呢？",
        "那德国呢",
        "and by tomorrow?",
        "what about Tuesday?",
        "免费吗",  # "is it free?"
        "and if it's Tuesday?",  # four words: "it's" counted as two made it five
        "what if it’s Germany?",
    ],
)
def test_a_short_message_that_leans_back_is_a_follow_up(router: Router, text: str) -> None:
    assert router.route(text).route == "out_of_scope"
    assert router.route(text, previous="where is my order").follow_up


@pytest.mark.parametrize("text", ["多少钱？", "要多久？", "大概几天？", "要多少钱"])
def test_a_bare_chinese_question_of_price_or_time_is_a_follow_up(text: str) -> None:
    # Chinese drops the "it" an English follow-up points back with ("how much is it?").
    addresses = intent("change_address", "我想改收货地址", "怎么修改地址", "change my address")
    router = Router([addresses, intent("invoice", "开发票", "我要发票")], RoutingSettings(), ["zh"])
    assert router.route(text).route == "out_of_scope"
    routing = router.route(text, previous="我想改收货地址")
    assert routing.follow_up and routing.best is not None
    assert routing.best.intent.name == "change_address"


@pytest.mark.parametrize(
    ("previous", "text", "topic"),
    [
        ("Do you ship to Canada?", "is it free?", "international_shipping"),
        ("Do you ship to Canada?", "and how long does it take?", "international_shipping"),
        ("Can I return a blender?", "那要多久？", "return_item"),
        ("Can I return a blender?", "how long does it take?", "return_item"),
        ("我想退货", "要多久？", "return_item"),
    ],
)
def test_a_follow_up_that_points_back_keeps_the_topic_whatever_it_matches_alone(
    router: Router, previous: str, text: str, topic: str
) -> None:
    # Alone, "is it free?" and "how long does it take?" match shipping_times_costs (domestic
    # shipping) and 要多久 international_shipping: the model was given those facts, not the
    # previous question's, to answer about a Canadian delivery or a return.
    assert best(router, text) != topic
    routing = router.route(text, previous)
    assert routing.follow_up and routing.route == "model"
    assert routing.best is not None and routing.best.intent.name == topic


@pytest.mark.parametrize("previous", ["i got the wrong item", "how do I return something"])
@pytest.mark.parametrize("text", ["that didn't help", "this is useless"])
def test_a_complaint_that_points_back_faults_the_answer_and_keeps_no_topic(
    router: Router, previous: str, text: str
) -> None:
    # Read with the question, "that didn't help" took its topic: wrong_item after "i got the
    # wrong item", return_item after a return, and the lead's report missed the complaint.
    routing = router.route(text, previous)
    assert not routing.follow_up
    assert routing.best is not None and routing.best.intent.name == "complaint"


def test_a_follow_up_that_points_back_still_names_what_it_asks(router: Router) -> None:
    # Read with "where is my order", "can I cancel it?" is a cancellation of that order: both
    # intents are facts, the one it names first.
    routing = router.route("can I cancel it?", "where is my order")
    assert routing.follow_up
    assert [m.intent.name for m in routing.matches][:2] == ["cancel_order", "order_status"]


@pytest.mark.parametrize(
    "text", ["thanks, and to Germany?", "thanks! is it free?", "谢谢，那德国呢？"]
)
def test_a_follow_up_beside_a_courtesy_is_read_as_the_follow_up(router: Router, text: str) -> None:
    # "thanks, and to Germany?" matched thanks through "thanks" alone, and the model was
    # given thanks' answer as the facts for a question about shipping to Germany.
    routing = router.route(text, "Do you ship to Canada?")
    assert routing.follow_up and routing.route == "model"
    assert routing.best is not None and routing.best.intent.name == "international_shipping"
    assert not {m.intent.name for m in routing.matches} & {"thanks", "goodbye"}


@pytest.mark.parametrize("text", ["thanks for that", "thanks John", "thanks, that's great"])
def test_a_courtesy_beside_no_follow_up_is_still_a_courtesy(router: Router, text: str) -> None:
    # Nothing beside "thanks" leans back and names something: a name alone is no value.
    assert router.route(text, "Do you ship to Canada?") == router.route(text)


@pytest.mark.parametrize("text", ["what about exchanges?", "thanks for that", "refunds?"])
def test_a_follow_up_that_names_its_own_topic_keeps_its_own_intents(
    router: Router, text: str
) -> None:
    # No pronoun points back: the intent it matches alone is what it asks about.
    assert router.route(text, "Can I return a blender?") == router.route(text)


@pytest.mark.parametrize("text", ["好的", "got it", "ok", "ok thanks", "明白了"])
@pytest.mark.parametrize(
    ("previous", "replied", "topic"),
    [
        ("where is my order", "Could you share your order number?", "order_status"),
        ("我想退货", "请问您的订单号是多少？😊", "return_item"),
    ],
)
def test_an_acknowledgement_of_a_question_the_bot_asked_answers_it(
    router: Router, text: str, previous: str, replied: str, topic: str
) -> None:
    # It got thanks' "You're welcome!" as written, to a customer answering the question.
    routing = router.route(text, previous, replied=replied)
    assert routing.follow_up and routing.route == "model"
    assert routing.best is not None and routing.best.intent.name == topic
    assert "thanks" not in {m.intent.name for m in routing.matches}


def test_an_acknowledgement_of_a_question_with_no_topic_goes_to_the_model(router: Router) -> None:
    routing = router.route("ok", "hi", misses=2, replied="Hello! How can I help you today?")
    assert (routing.route, routing.matches) == ("out_of_scope", ())  # no miss: not handed off
    assert asks("好的？") and not asks("It left on Monday.") and not asks(None)
    assert asks("Could you share your order number? 🙂") and not asks("Why? It left Monday.")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("hi there, how do I reset my password", "password_reset"),
        ("hello there, where is my refund", "refund_status"),
        ("Hey there, can I change my address", "change_delivery_address"),
    ],
)
def test_a_greetings_there_points_at_nothing(router: Router, text: str, intent: str) -> None:
    """ "hi there, ..." was read as pointing back ("there"), and took the previous message's
    topic as a fact beside its own (prompt_bench: 3% of its turns routed to the wrong intent)."""
    routing = router.route(text, "Do you ship to Canada?")
    assert not routing.follow_up
    assert routing.matches[0].intent.name == intent
    assert "international_shipping" not in {m.intent.name for m in routing.matches}
