"""Amounts in answers (``servicebot/postfilter/amounts.py``): money and percentages no file of
the bot nor the turn's messages give are caught, in English and Chinese, in reply and stream
alike; those the FAQ or the customer gives pass however they are written; numbers that are
no amount (days, order numbers) are left alone; and the setting is checked."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicebot import ConfigError, load_bot
from servicebot.config import BotSpec
from servicebot.pipeline import Bot
from servicebot.postfilter import Postfilter, amounts
from servicebot.postfilter.amounts import amount_value, find_amounts
from servicebot.settings import PostfilterSettings
from servicebot.store import TurnRecord
from servicebot.store.memory import MemoryStore
from tests.conftest import REPO
from tests.unit.basebot import make_bot
from tests.unit.postfilters import SYSTEM, postfilter
from tests.unit.streammodels import REFUNDS, Says

INVENTED = [
    ("I've approved a full refund of $5,000 to your card.", "en", "MONEY"),
    ("The Maple mug costs $3.99 today.", "en", "MONEY"),
    ("We'll give you a 50% discount.", "en", "PERCENT"),
    ("You will get USD 30 back, or 30 dollars in store credit.", "en", "MONEY"),
    ("您的退款5000元已批准。", "zh", "MONEY"),
    ("我们退您人民币300，另送三十元优惠券。", "zh", "MONEY"),
    ("这件商品今天打五折。", "zh", "PERCENT"),
    *(("Good news: a $5k refund is approved.", "en", "MONEY"),),
    *(("We'll send 5K USD today.", "en", "MONEY"), ("You'll get $1.5m back.", "en", "MONEY")),
    *(("We refunded five thousand dollars.", "en", "MONEY"),),
    *(("Your refund of 5 000 € is on its way.", "en", "MONEY"),),
    *(("Your refund of 5000$ is on its way.", "en", "MONEY"),),
    *(("You get half off your next order.", "en", "PERCENT"),),
    *(("已为您退款5千块。", "zh", "MONEY"), ("已为您退款1.5万元。", "zh", "MONEY")),
    *(("退款伍仟圆已批准。", "zh", "MONEY"), ("退款金额：1,000.00", "zh", "MONEY")),
    *(("这次给您打对折。", "zh", "PERCENT"), ("Refund amount: 1,000.00", "en", "MONEY")),
    *(("退货费用1000已从退款中扣除。", "zh", "MONEY"), ("运输费用：300", "zh", "MONEY")),
    *(("Your refund of $5 000 is on its way.", "en", "MONEY"),),
    *(("Your refund of $5\u2009000 is on its way.", "en", "MONEY"),),  # a thin space
    *(("Ihre Erstattung von 5 000,00 € ist unterwegs.", "en", "MONEY"),),
    *(("Ihre Erstattung von 5.000,00 € ist unterwegs.", "en", "MONEY"),),
    *(("Zwrot 1\u00a0234,50 zł jest w drodze.", "en", "MONEY"),),  # a no-break space
    *(("已为您退款1亿元。", "zh", "MONEY"), ("已为您退款5千5百元。", "zh", "MONEY")),
    *(("已为您退款五千元。", "zh", "MONEY"), ("已为您退款两万块。", "zh", "MONEY")),
]


@pytest.mark.parametrize(("answer", "language", "kind"), INVENTED)
def test_an_invented_amount_falls_back(answer: str, language: str, kind: str) -> None:
    result = postfilter().run(answer, SYSTEM, {}, language)
    assert result.verdict == "fallback"
    assert {(e.detector, e.kind, e.action) for e in result.events} == {("amount", kind, "fallback")}


def test_repair_removes_the_amount_with_the_contacts_mark() -> None:
    checker = postfilter(unknown_amount="repair")
    english = checker.run("I've approved a refund of $5,000 to your card.", SYSTEM, {})
    assert (english.verdict, english.text) == (
        "pass",
        "I've approved a refund of [removed] to your card.",
    )
    chinese = checker.run("您的退款5000元已批准。", SYSTEM, {}, "zh")
    assert chinese.text == "您的退款[已删除]已批准。"


@pytest.mark.parametrize(
    ("written", "value"),
    [
        *(("$5,000", "$5000"), ("$5000.00", "$5000"), ("5000 dollars", "$5000")),
        *(("USD 5000", "$5000"), ("99 cents", "$0.99"), ("€20", "€20"), ("£5", "£5")),
        *(("30元", "¥30"), ("¥30", "¥30"), ("￥30", "¥30"), ("人民币30", "¥30"), ("三十元", "¥30")),
        *(("30块钱", "¥30"), ("两万元", "¥20000")),
        *(("50%", "50%"), ("50 percent", "50%"), ("百分之五十", "50%"), ("五折", "50%")),
        *(("九折", "10%"), ("8.5折", "15%"), ("八五折", "15%")),
        *(("$5k", "$5000"), ("5K USD", "$5000"), ("$2 million", "$2000000"), ("5000$", "$5000")),
        *(("5 000 €", "€5000"), ("five thousand dollars", "$5000"), ("twenty-five bucks", "$25")),
        *(("5千块", "¥5000"), ("1.5万元", "¥15000"), ("伍仟圆", "¥5000"), ("壹佰贰拾元", "¥120")),
        *(("half off", "50%"), ("对折", "50%"), ("半价", "50%")),
        *(("$5 000", "$5000"), ("$5\u202f000", "$5000"), ("5 000,00 €", "€5000")),
        *(("5.000,00 €", "€5000"), ("5.000 €", "€5000"), ("€5.000,00", "€5000")),
        *(("20,50 €", "€20.5"), ("1 234,50 zł", "zł1234.5"), ("PLN 1 234,50", "zł1234.5")),
        *(("1亿元", "¥100000000"), ("1.5亿元", "¥150000000"), ("5千5百元", "¥5500")),
        *(("5万5千元", "¥55000"), ("五千元", "¥5000"), ("两万块", "¥20000")),
        *(("两万五千元", "¥25000"), ("两万五元", "¥25000"), ("一百零五元", "¥105")),
        *(("5,000千元", "¥5000000"), ("12,50万元", "¥125000")),
    ],
)  # fmt: skip
def test_an_amount_is_compared_in_one_form_however_it_is_written(written: str, value: str) -> None:
    from servicebot.filters.normalise import normalise

    text = normalise(written).text  # as the post-filter reads it: ￥ is ¥
    (found,) = find_amounts(text)
    assert (text[found.start : found.end], amount_value(text)) == (text, value)


@pytest.mark.parametrize(
    "answer",
    [
        "Refunds take 5-10 business days; you have 30 days to return it.",
        "Please send your 6-digit order number; order 100482 ships in 2 business days.",
        "Orders placed before 14:00 ET ship today. I'm 100% sure it is on its way.",
        "退款需要5-10个工作日，30天内可退货，订单号100482。",
        "我们一块去看看：3块蛋糕和一把三折叠伞，统一元素，百分之百满意。",
        "Wait 5m or 5 mins; size 5M, 10k steps, 5kg, 5km, 5MB; order 2 500 ships; Total: 3 items.",
        "It takes half an hour for half of the order. The parcel weighs five pounds.",
        "合计3件商品，订单号：100482，中国大陆可配送，把衣服对折叠好，圆满完成。",
    ],
)
def test_a_number_that_is_no_amount_is_left_alone(answer: str) -> None:
    assert postfilter().run(answer, SYSTEM, {}).events == ()


@pytest.fixture(scope="module")
def example() -> tuple[Postfilter, str]:
    spec = load_bot(REPO)
    return Postfilter.for_bot(spec), spec.templates["system.j2"]


@pytest.mark.parametrize(
    "answer",
    [
        "Standard shipping costs 5.99 dollars, free on orders of $50.00 or more.",
        "Express is $14.99; gift cards go from $25 to $500.",
        "Sign up for the newsletter for 10% off your first order.",
        "订阅新闻邮件，首单享受九折优惠；国际运费19.99美元起。",
        "订阅新闻邮件，首单可享10%的折扣。",
    ],
)
def test_an_amount_the_faq_gives_passes_however_it_is_written(
    example: tuple[Postfilter, str], answer: str
) -> None:
    checker, system = example
    assert checker.run(answer, system, {}).events == ()


def test_an_amount_the_customer_gave_may_be_said_back(example: tuple[Postfilter, str]) -> None:
    checker, system = example
    answer = "I'm sorry: a refund of $45.99 for the mug goes back to your card."
    assert checker.run(answer, system, {}).verdict == "fallback"
    assert checker.run(answer, system, {}, "en", "I paid 45.99 dollars for a mug").events == ()
    chinese = "您支付的300元将原路退回。"
    assert checker.run(chinese, system, {}, "zh", "我付了￥300，能退吗").events == ()


def _answering(spec: BotSpec, answer: str) -> Bot:
    bot = Bot(spec, model=Says(answer), store=MemoryStore())
    bot.cache = None
    return bot


@pytest.mark.parametrize(
    "answer",
    [
        "I've approved a full refund of $5,000 to your card.",
        "Refunds take 5 business days. 您的退款5000元已批准。",  # shown, then the fallback
    ],
)
def test_reply_and_stream_both_fall_back_on_an_invented_amount(spec: BotSpec, answer: str) -> None:
    bot = _answering(spec, answer)
    whole = bot.reply(REFUNDS, conversation_id="r")
    stream = bot.stream(REFUNDS, conversation_id="s")
    shown = "".join(stream)
    assert whole.action == "fallback" and "5000" not in whole.text and "5,000" not in shown
    assert stream.reply is not None
    assert (stream.reply.action, stream.reply.events) == (whole.action, whole.events)
    assert ("amount", "MONEY", "fallback") in {(e.detector, e.kind, e.action) for e in whole.events}
    step = whole.step("postfilter")
    assert step is not None and "amount MONEY fallback" in step.detail["events"]


def test_reply_and_stream_both_say_back_the_amount_the_customer_gave(spec: BotSpec) -> None:
    answer = "Your refund of $45.99 goes back to your card within 5 business days."
    bot = _answering(spec, answer)
    message = f"{REFUNDS} I paid $45.99."
    assert bot.reply(message, conversation_id="r").text == answer
    assert "".join(bot.stream(message, conversation_id="s")) == answer


def test_repair_in_settings_removes_the_amount_in_reply_and_stream(spec: BotSpec) -> None:
    postfilter = spec.settings.postfilter.model_copy(update={"unknown_amount": "repair"})
    spec = dataclasses.replace(
        spec, settings=spec.settings.model_copy(update={"postfilter": postfilter})
    )
    bot = _answering(spec, "I've approved a full refund of $5,000 to your card.")
    expected = "I've approved a full refund of [removed] to your card."
    assert bot.reply(REFUNDS, conversation_id="r").text == expected
    assert "".join(bot.stream(REFUNDS, conversation_id="s")) == expected


def test_the_setting_takes_an_outcome_only(tmp_path: Path) -> None:
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    base = settings.read_text()
    settings.write_text(base + "postfilter:\n  unknown_amount: repair\n")
    assert load_bot(bot).settings.postfilter.unknown_amount == "repair"
    settings.write_text(base + "postfilter:\n  unknown_amount: pass\n")
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    (problem,) = raised.value.problems
    assert problem.line == base.count("\n") + 2
    assert problem.message == (
        "'unknown_amount': 'pass' is not allowed (allowed: repair, fallback, handoff)"
    )


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ("Your order total was $0.00.", ""),
        ("A $0 charge is only a pre-authorization.", ""),
        ("Both together come to $20.98.", "I bought a mug for $9.99 and a bowl for $10.99."),
        ("Standard shipping for your two orders is $11.98.", ""),  # 2 × the FAQ's $5.99
        ("Express costs $9.00 more than standard.", ""),  # $14.99 - $5.99
        ("That's $91.98 in total; we'll refund one of them.", "I was charged $45.99 twice"),
        ("You'll get $45.99 back.", "I paid 45.99 for the blender"),
        ("我们会退您45.99美元。", "我付了45.99"),
        ("See https://maple.example.com/sale/50%-off for the sale.", ""),
    ],
)
def test_an_amount_that_follows_from_given_ones_passes(
    example: tuple[Postfilter, str], answer: str, said: str
) -> None:
    checker, system = example
    assert checker.run(answer, system, {}, "en", said).events == ()


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ("Both together come to $21.00.", "I bought a mug for $9.99 and a bowl for $10.99."),
        ("Four orders are $23.96.", ""),  # 4 × $5.99: only twice or three times
        ("You'll get €45.99 back.", "I was charged $45.99"),  # another currency
        ("We offer 0% financing.", ""),  # zero money promises nothing; zero interest does
        ("You'll get $45.99 back.", "I paid 45 for the blender"),
    ],
)
def test_an_amount_that_does_not_follow_still_falls_back(
    example: tuple[Postfilter, str], answer: str, said: str
) -> None:
    checker, system = example
    assert checker.run(answer, system, {}, "en", said).verdict == "fallback"


def test_an_amount_in_any_link_is_the_link_checks() -> None:
    result = postfilter().run("Deals at https://deals.example.net/sale/50%-off today.", SYSTEM, {})
    assert {(e.detector, e.kind) for e in result.events} == {("contact", "URL")}


def test_reply_says_back_a_bare_number_the_customer_wrote(spec: BotSpec) -> None:
    answer = "You'll get $45.99 back within 5 business days."
    bot = _answering(spec, answer)
    message = "I paid 45.99 for the blender, can I return it and how much do I get back?"
    assert bot.reply(message, conversation_id="r").text == answer
    assert "".join(bot.stream(message, conversation_id="s")) == answer


def test_the_fallback_hands_off_when_routing_was_unsure(spec: BotSpec) -> None:
    bot = _answering(spec, "I've approved a full refund of $5,000 to your card.")
    reply = bot.reply(
        "shipping to alaska how much and how long and can i return?", conversation_id="r"
    )
    assert (reply.action, reply.fallback, reply.handed_off) == ("fallback", "handoff", True)
    assert reply.text.startswith("I'm passing you to a member of our support team")


def _every_amount(text: str) -> list[tuple[int, int, str]]:
    """What the amount patterns find without the quick test for a currency or label first."""
    return sorted((start, end, value) for start, end, value in amounts._amounts(text))


@pytest.mark.parametrize(
    "text",
    [
        "A refund of 30 USD, 30 uſd, $5k, 50 percent, half off, 对折, 三十元 and 百分之五十.",
        "Prıce: 1,000.00 and PRİCE: 45.99.",
        "Total: 3.50, Fees: 1,000 and 金额1000.",
        "Twenty-five bucks, five thousand DOLLARS, €20, 5 000 € and 99 cents.",
    ],
)
def test_the_amount_checks_quick_test_skips_no_amount(text: str) -> None:
    # The patterns are skipped for an answer with no currency, percent or label in it.
    found = [(start, end) for start, end, _ in _every_amount(text)]
    assert [(f.start, f.end) for f in find_amounts(text)] == found != []


_PIECES = ["30", "1,000.00", " ", "$", "usd", "UŞD", "uſd", "price:", "prıce:", "PRİCE:", "half"]


@given(st.lists(st.sampled_from([*_PIECES, "off", "cents", "元", "三十", "百分之", "%", "k"])))
def test_the_amount_check_finds_the_same_with_its_quick_test(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert [(f.start, f.end) for f in find_amounts(text)] == [
        (start, end) for start, end, _ in _every_amount(text)
    ]


def test_an_amount_the_bot_said_before_is_not_given_by_the_history(spec: BotSpec) -> None:
    # The model's own earlier answer is no source: an amount it made up then (stored by a
    # version of the bot without the check, or written into a history) stays made up.
    store = MemoryStore()
    earlier = "I've approved a full refund of $5,000 to your card."
    store.append_turn(TurnRecord("c", "Can I get my money back?", earlier, "answer"))
    bot = Bot(spec, model=Says("Your refund of $5,000 is on its way."), store=store)
    bot.cache = None
    assert bot.reply(REFUNDS, conversation_id="c").action == "fallback"
    # The customer's own earlier message still gives it.
    store.append_turn(TurnRecord("d", "I was charged $5,000 twice!", "Sorry to hear.", "answer"))
    assert bot.reply(REFUNDS, conversation_id="d").action == "answer"


@pytest.mark.parametrize("label", "金额 价格 售价 总价 总额 运费 费用 余额".split())
def test_a_number_right_after_any_chinese_price_label_is_read(label: str) -> None:
    # With no colon or space between them: 费用1000 was passed over (no 用 among the
    # characters a label ends with), so the model's fee reached the customer.
    assert [(f.start, f.end, f.kind) for f in find_amounts(f"{label}1000")] == [
        (len(label), len(label) + 4, "MONEY")
    ]


@pytest.mark.parametrize(
    ("faq", "answer"),
    [
        ("A refund of ¥5,000 at most.", "退款5千元已批准。"),
        ("A refund of ¥5,000 at most.", "退款五千元已批准。"),
        ("A refund of ¥20,000 at most.", "退款两万块已批准。"),
        ("A refund of ¥5,500 at most.", "退款5千5百元已批准。"),
        ("A refund of €5,000 at most.", "Ihre Erstattung von 5.000,00 € ist unterwegs."),
        ("A refund of €5,000 at most.", "Ihre Erstattung von 5 000 € ist unterwegs."),
        ("A refund of $5,000 at most.", "Your refund of $5 000 is on its way."),
    ],
)
def test_an_amount_the_bots_files_give_passes_in_another_writing(faq: str, answer: str) -> None:
    checker = Postfilter(PostfilterSettings(), faq, faq)
    assert checker.run(answer, SYSTEM, {}).events == ()


def test_a_number_no_currency_groups_is_left_alone() -> None:
    # Grouped thousands with no currency beside them are no amount; "$5.000" alone is five
    # dollars, and a space before a currency groups no digits across another number.
    assert find_amounts("Order 2 500 ships; call 612 345 678; version 1.000,5 of it.") == []
    assert amount_value("$5.000") == "$5"


def _tried_everywhere(text: str) -> list[tuple[int, int, str]]:
    """The amounts written with a number, with both patterns tried beside every number."""
    number, before, after = amounts._patterns()
    found = []
    for match in number.finditer(text):
        start, end = match.span()
        sign = before.search(text, max(start - 9, 0), start)
        unit = after.match(text, end)
        if (value := amounts._read(match, sign, unit)) is not None:
            head = sign.start() if sign and not sign["lab"] else start
            found.append((head, unit.end() if unit else end, value))
    return sorted(found)


_BESIDE = [
    *_PIECES,
    "0$5",
    "4@*1l0",
    "费用",
    "金额：",
    "refunds: ",
    "PLN",
    "zł",
    "€",
    "5千5百",
    "元",
]


@given(st.lists(st.sampled_from([*_BESIDE, "Refunds:", "5", " ", "USD", "人民币", "%", "折"])))
def test_the_amount_check_reads_beside_a_number_only_where_a_sign_may_be(
    pieces: list[str],
) -> None:
    # Each side of a number is read only where a sign may end or a unit start (most
    # numbers have neither, and "4@*1l0$5 " 100 KB long took 135 ms): what it finds is what
    # trying both sides of every number finds.
    text = "".join(pieces)
    assert sorted(amounts._numbered(text)) == _tried_everywhere(text)
