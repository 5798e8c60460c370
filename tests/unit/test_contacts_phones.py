"""Phone numbers in answers (``servicebot/postfilter/contacts.py``): the bot's own number
passes however an answer writes it; an invented one (mainland, Taiwan, North American,
slashed or underscored) is removed whole; numbers that are references, codes, amounts,
dates or measurements are no phone."""

from __future__ import annotations

import pytest

from servicebot.postfilter import Postfilter
from servicebot.settings import PostfilterSettings
from tests.unit.postfilters import FACTS, SYSTEM, postfilter, without_amounts


@pytest.mark.parametrize(
    ("configured", "written"),
    [
        ("+1 800-555-0199", "001 800 555 0199"),
        ("+1 800-555-0199", "(+1) 800 555 0199"),
        ("+86 400-123-4567", "(+86) 400-123-4567"),
        ("+86 10 6234 5678", "010-62345678"),
        ("+886 2 2345 6789", "(02)2345-6789"),
        ("+44 20 7946 0958", "020 7946 0958"),
        ("(+852) 9123 4567", "852 9123 4567"),
    ],
)
def test_the_bots_own_number_passes_however_the_answer_writes_it(
    configured: str, written: str
) -> None:
    known = f"Call {configured}."
    checker = Postfilter(PostfilterSettings(), known, FACTS)
    assert checker.run(f"Please call {written} today.", SYSTEM, {}).events == ()


@pytest.mark.parametrize("number", ["400-123-4567", "010-12345678", "(021) 6123-4567"])
def test_an_invented_chinese_service_or_landline_number_is_removed(number: str) -> None:
    result = postfilter().run(f"请拨打 {number} 联系我们。", SYSTEM, {}, "zh")
    assert result.shown == "请拨打 [已删除] 联系我们。"  # the marker in the answer's language
    assert [(e.detector, e.kind) for e in result.events] == [("contact", "PHONE")]


@pytest.mark.parametrize(
    "number",
    [
        *("0800-123-456", "0809 123 456", "0287654321", "037-123456", "(037)123456"),
        *("089-123456", "0826-12345", "04-2345-6789"),
    ],
)
def test_an_invented_taiwan_landline_or_toll_free_number_is_removed(number: str) -> None:
    result = postfilter().run(f"客服專線 {number}，歡迎來電。", SYSTEM, {}, "zh")
    assert result.shown == "客服專線 [已删除]，歡迎來電。"
    assert [(e.detector, e.kind) for e in result.events] == [("contact", "PHONE")]


@pytest.mark.parametrize(
    ("answer", "shown"),
    [  # a number "or" joins to a phone the answer names is one too, in a phone's shape
        ("請撥打 02-2345-6789 或 0800-123-456。", "請撥打 02-2345-6789 或 [已删除]。"),
        ("請撥打 02-2345-6789 或 412-8888。", "請撥打 02-2345-6789 或 [已删除]。"),
        ("請撥打 02-2345-6789 或者 (037)123456。", "請撥打 02-2345-6789 或者 [已删除]。"),
    ],
)
def test_a_number_or_joins_to_a_named_phone_is_checked_as_one(answer: str, shown: str) -> None:
    checker = Postfilter(PostfilterSettings(), "客服電話 +886 2 2345 6789", FACTS)
    result = checker.run(answer, SYSTEM, {}, "zh")
    assert result.shown == shown
    assert [(e.detector, e.kind) for e in result.events] == [("contact", "PHONE")]


@pytest.mark.parametrize(
    "answer",
    [
        "您的訂單 0287654321 已出貨，金額 NT$12,800，2024-05-12 送達。",
        "統一編號 12345678，發票號碼 AB12345678，門市代碼 123456。",
        "請撥打 02-2345-6789 或 (02)2345-6789，週一至週五 300-5000 元的訂單免運。",
    ],
)
def test_taiwan_references_amounts_and_dates_are_no_phone(answer: str) -> None:
    checker = Postfilter(PostfilterSettings(), "客服電話 02-2345-6789", FACTS)
    assert without_amounts(checker.run(answer, SYSTEM, {}, "zh")) == ()


@pytest.mark.parametrize(
    "number",
    [
        "+1 555-123-4567",
        "555-123-4567",
        "+1 123-456-7890",
        "555-0123",
        "+1 (555) 010-9999",
        "1-800-123-4567",
        "(555) 123 4567",
        # slashes or underscores between the groups read as a number too
        *("212/555/0123", "212_555_0123", "+1/212/555/0123", "555/0123"),
    ],
)
def test_a_made_up_phone_number_is_removed_whole(number: str) -> None:
    result = postfilter().run(f"Sure, call us at {number}.", SYSTEM, {})
    assert result.shown == "Sure, call us at [removed]."
    assert [(e.detector, e.kind) for e in result.events] == [("contact", "PHONE")]


@pytest.mark.parametrize(
    ("answer", "shown"),
    [  # a slash beside the number makes no link: only a link's path is checked as a link
        ("Call 212/555/0123/ today.", "Call [removed]/ today."),
        ("Call /212/555/0123 today.", "Call /[removed] today."),
        ("Call 1/212/555/0123/ now", "Call [removed]/ now"),
        (
            "See maple.example.com, or call 212/555/0123/.",
            "See maple.example.com, or call [removed]/.",
        ),
    ],
)
def test_a_made_up_phone_number_with_a_slash_beside_it_is_removed(answer: str, shown: str) -> None:
    result = postfilter().run(answer, SYSTEM, {})
    assert result.shown == shown
    assert [(e.detector, e.kind) for e in result.events] == [("contact", "PHONE")]


@pytest.mark.parametrize(
    "answer",
    [
        "Your order 123-456-7890 has shipped.",  # named a reference: the customer's own
        "Your order 100482-1234 ships today.",
        "Serial 1234567-8901, SKU 123.4567890, part 555-1234.",
        "Your order 100482 ships on 2024-03-15.",
        "Refunds of 1,299.00 take 5-10 business days.",
        "Tracking 5551234567 shows it in transit.",  # bare digits: an order or tracking number
        "We are open 9:00-17:00, orders over 35.99 ship free.",
        "Call 1-800-555-0199.",  # the bot's own, written another way
        "Call 800/555/0199 or 1_800_555_0199.",
        # dates, fractions and versions have slashes but no phone's groups
        "Order by 12/05/2024 (or 2024/12/05) for 1/2 off; the app is v2/3 ready.",
        "See https://maple.example.com/stores/212/555/0123 for the shop.",  # a path, the bot's own
    ],
)
def test_numbers_that_are_not_phones_pass(answer: str) -> None:
    assert postfilter().run(answer, SYSTEM, {}).events == ()


@pytest.mark.parametrize(
    "answer",
    [
        "Use coupon 212_555_0123 at checkout.",
        "Your promo code 212-555-0123 takes 10% off; the voucher code is 212/555/0123.",
        "Gift card 212 555 0123 has a balance of $20. Discount code: 555-0123.",
        "Tracking number 212-555-0123 shows it in transit.",
        "Tracking number 1-800-123-4567 shows it in transit.",  # was "1-[removed]"
        "Your part number on the back is 212-555-0123.",  # where it is printed, not a place
        "优惠码 212-555-0123，券码212_555_0123，兑换码：555-0123，快递单号 212-555-0123。",
    ],
)
def test_a_number_named_as_a_code_is_a_reference_not_a_phone(answer: str) -> None:
    assert without_amounts(postfilter().run(answer, SYSTEM, {})) == ()


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        ("For a coupon, call 212-555-0123.", "For a coupon, call [removed]."),
        ("Redeem your voucher at 212-555-0123.", "Redeem your voucher at [removed]."),
        ("Track your order on 212-555-0123.", "Track your order on [removed]."),
        ("Discount: 212-555-0123.", "Discount: [removed]."),  # a line for discounts
    ],
)
def test_a_made_up_phone_number_near_a_code_word_is_removed(answer: str, shown: str) -> None:
    assert postfilter().run(answer, SYSTEM, {}).shown == shown


@pytest.mark.parametrize(
    "answer",
    [
        "Size 300/400/5000 px.",
        "The box is 300-400-5000 mm.",  # a valid US number's shape: the detector's finding too
        "Pick 300_400_5000mm, 212 555 0123 kg or 300/400/5000 MB.",
        "Plans: 300/400/5000%.",
        "尺寸 300/400/5000 毫米，重量 212-555-0123克，价格 300/400/5000 元。",
        "长 300/400/5000米。",  # 米 a punctuation mark follows is a unit
        "管子 300/400/5000米长，重 212-555-0123克左右，300/400/5000元以内。",  # and 长, 左右, 以内
    ],
)
def test_a_number_a_unit_follows_is_a_measurement_not_a_phone(answer: str) -> None:
    assert without_amounts(postfilter().run(answer, SYSTEM, {})) == ()


@pytest.mark.parametrize(  # units that are words too count only straight after the number
    "answer",
    ["Call 212-555-0123 in the morning.", "Call 212/555/0123 m-f.", "拨打 212-555-0123 元旦也在"],
)
def test_a_made_up_phone_number_before_a_word_like_a_unit_is_removed(answer: str) -> None:
    result = postfilter().run(answer, SYSTEM, {})
    assert [(e.detector, e.kind) for e in result.events] == [("contact", "PHONE")]


@pytest.mark.parametrize(
    "answer",
    [
        "请拨打 +86 138 1234 5678 米家客服",  # 米家 is a brand, not metres
        "请拨打13812345678克莱尔会接听",  # 克莱尔 is a name, not grams
        "请拨打 138-1234-5678 米。",  # a mainland mobile is no measurement
        "请拨打 400-820-1234元。",  # nor a 400/800 service number
        "Call (212) 555-0123 mm today.",  # nor a number with an area code in brackets
        "Call +1 212-555-0123 cm today.",  # or a country code
    ],
)
def test_a_made_up_phone_number_a_unit_seems_to_follow_is_removed(answer: str) -> None:
    result = postfilter().run(answer, SYSTEM, {})
    assert [(e.detector, e.kind) for e in without_amounts(result)] == [("contact", "PHONE")]


def test_the_bots_own_number_without_a_label_passes() -> None:
    checker = Postfilter(PostfilterSettings(), "Questions? 123-456-7890 any time.", FACTS)
    assert checker.run("Questions? Call 123-456-7890.", SYSTEM, {}).events == ()


def test_a_number_ending_like_the_bots_is_not_the_bots() -> None:
    result = postfilter().run("Call +44 1800 555 0199.", SYSTEM, {})
    assert result.text == "Call [removed]."


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        ("IBAN DE89 3704 0044 0532 0130 00", "IBAN [removed]"),
        ("Card 4242 4242 0044 7911 1234", "Card [removed]"),
    ],
)
def test_a_phone_found_in_a_longer_values_tail_does_not_leave_its_head_shown(
    answer: str, text: str
) -> None:
    assert postfilter().run(answer, SYSTEM, {}).text == text
