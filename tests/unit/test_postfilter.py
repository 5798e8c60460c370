"""The post-filter on answers: each check, each outcome, and the customer's values restored."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicebot import BotSpec, load_bot
from servicebot.filters.pii import find_pii
from servicebot.postfilter import Postfilter
from servicebot.postfilter.leakage import sayable
from servicebot.prompt import Context, Renderer
from servicebot.settings import PostfilterSettings
from tests.conftest import REPO

SYSTEM = (
    "You are the assistant for Maple Market. Never invent order details, prices, dates, links,"
    " phone numbers or email addresses. Facts: Refunds take 5-10 business days after the"
    " warehouse receives your return at https://maple.example.com/returns."
)
FACTS = "Refunds take 5-10 business days after the warehouse receives your return."
KNOWN = FACTS + " Call +1 800-555-0199, email support@maple.example.com, https://maple.example.com"


def postfilter(**settings: object) -> Postfilter:
    return Postfilter(PostfilterSettings.model_validate(settings), KNOWN, FACTS)


def test_a_good_answer_passes_and_gets_the_customers_values_back() -> None:
    answer = "Refunds take 5-10 business days. We'll text [PHONE_1] when it is done."
    result = postfilter().run(answer, SYSTEM, {"[PHONE_1]": "13800138000"})
    assert (result.verdict, result.events) == ("pass", ())
    assert (
        result.shown == "Refunds take 5-10 business days. We'll text 13800138000 when it is done."
    )
    assert result.text == answer  # what may be stored keeps the placeholder


def test_the_customers_values_put_back_do_not_take_the_answer_past_max_chars() -> None:
    email = "a" * 60 + "@gmail.com"
    answer = "We will write to [EMAIL_1]. " * 40  # 1,120 characters; 2,800 with the email
    result = postfilter().run(answer, SYSTEM, {"[EMAIL_1]": email})
    assert len(result.shown) <= 1200 and result.shown.endswith(f"We will write to {email}.")


def test_restoring_can_be_switched_off() -> None:
    result = postfilter(restore_pii=False).run("We'll text [PHONE_1].", SYSTEM, {"[PHONE_1]": "1"})
    assert result.shown == "We'll text [PHONE_1]."


def test_the_bots_own_contacts_pass_in_any_format() -> None:
    answer = "Call 1-800-555-0199 or (800) 555-0199, or see maple.example.com/returns."
    assert postfilter().run(answer, SYSTEM, {}).events == ()


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


def test_invented_contacts_are_removed() -> None:
    answer = (
        "Call our VIP line +1 415 555 0100, write to vip@maple-help.com or see maple-refunds.com/x."
    )
    result = postfilter().run(answer, SYSTEM, {})
    assert result.text == "Call our VIP line [removed], write to [removed] or see [removed]."
    assert [(e.detector, e.kind, e.action) for e in result.events] == [
        ("contact", "PHONE", "repair"),
        ("contact", "EMAIL", "repair"),
        ("contact", "URL", "repair"),
    ]


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.com?.maple.example.com",
        "https://evil.com#.maple.example.com",
        "https://maple.example.com.evil.com/x",
        "evil.ai/help",
        "bit.ly/3abc",
        "ftp://evil.com/f",
        "//evil.com/claim",  # no scheme: the page's own
        "[the form](//evil.com)",
        "evil.zip",
        "maple-help.support",
        *("evil.to/x", "evil-pay.gg", "evil.fi", "https://evil.sh"),
        *("evil.sh/pay", "evil.so/x"),  # endings that are also file types: with a path
    ],
)
def test_links_that_only_look_like_the_bots_own_are_removed(link: str) -> None:
    result = postfilter().run(f"See {link} for details.", SYSTEM, {})
    assert [(e.detector, e.kind) for e in result.events] == [("contact", "URL")]
    assert "evil" not in result.text and "bit.ly" not in result.text and "[x" not in result.text


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        *(("evil[.]com", "URL"), ("evil(.)com/pay", "URL"), ("evil [dot] com", "URL")),
        ("evil [.] com", "URL"),  # a space each side of the bracketed dot
        *(("help[at]evil.com", "EMAIL"), ("help(at)evil(dot)com", "EMAIL")),
        *(("help at evil dot com", "EMAIL"), ("HELP AT EVIL DOT COM", "EMAIL")),
        ("help@evil{.}com", "EMAIL"),
        # the address ends at the last "@": a mail client sends it to evil.com
        ("support@maple.example.com@evil.com", "EMAIL"),
    ],
)
def test_a_defanged_spelled_out_or_chained_address_is_removed(address: str, kind: str) -> None:
    result = postfilter().run(f"Write to {address} today.", SYSTEM, {})
    assert result.text == "Write to [removed] today."
    assert [(e.detector, e.kind) for e in result.events] == [("contact", kind)]


@pytest.mark.parametrize(
    "address",
    [
        "john.smith[at]gmail[.]com",
        "zhang(at)qq(.)com",
        "john dot smith@gmail.com",
        "john_smith at gmail dot com",
        "support@maple.example.com@evil.com",
        # the mail goes to the last host that is a domain, whatever the hosts before it
        "support@maple.example.c0m@evil.com",
        "support@maple.example.com@x.c0m@evil.com",
        "support@1.2@evil.com",
        "john艾特gmail点com",
        "john%40gmail.com",
    ],
)
def test_answers_and_customer_text_read_a_written_out_email_alike(address: str) -> None:
    """One reader: what is masked whole in a customer's message is removed whole from an
    answer, so neither side lets through a form the other knows."""
    text = f"Write to {address} today."
    assert [text[f.start : f.end] for f in find_pii(text)] == [address]
    result = postfilter().run(text, SYSTEM, {})
    assert result.text == "Write to [removed] today."
    assert [(e.detector, e.kind) for e in result.events] == [("contact", "EMAIL")]


def test_the_bots_own_address_passes_defanged_or_spelled_out() -> None:
    answer = (
        "Write to support(at)maple(dot)example(dot)com or support at maple dot example dot com,"
        " or see maple[.]example[.]com/returns."
    )
    assert postfilter().run(answer, SYSTEM, {}).events == ()


@pytest.mark.parametrize(
    "answer",
    [
        "Visit us at maple dot example dot com.",
        "Our team at maple dot example dot com will help.",
        "Ask it at shop dot maple dot example dot com.",  # a subdomain of the bot's own
    ],
)
def test_the_bots_own_website_spoken_aloud_after_at_passes(answer: str) -> None:
    """A spelled-out "at" after one word ("us at", "team at") is prose before the bot's own
    website, not an unknown address on it."""
    spec = load_bot(REPO)
    result = Postfilter.for_bot(spec).run(answer, spec.templates["system.j2"], {})
    assert (result.shown, result.events) == (answer, ())


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("Write to help at evil dot com today.", "EMAIL"),
        ("Visit us at evil dot example dot com today.", "URL"),  # example.com is not the bot's
        ("Write to help(at)maple-help(dot)com today.", "EMAIL"),
    ],
)
def test_a_spelled_out_address_elsewhere_is_still_removed(answer: str, kind: str) -> None:
    spec = load_bot(REPO)
    result = Postfilter.for_bot(spec).run(answer, spec.templates["system.j2"], {})
    assert [(e.detector, e.kind) for e in result.events] == [("contact", kind)]
    assert "evil" not in result.shown and "maple-help" not in result.shown


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        ("Look at Google dot com.", "Look at [removed]."),
        ("Arrive at Gate dot com by noon.", "Arrive at [removed] by noon."),
        ("Look us up at evil dot com.", "Look us up at [removed]."),
        ("You can sign up at evil dot com.", "You can sign up at [removed]."),
        ("It is available at evil dot com.", "It is available at [removed]."),
    ],
)
def test_a_word_before_a_spoken_at_stays_when_only_the_website_goes(answer: str, text: str) -> None:
    """A verb, pronoun or sentence's first word before "at" is prose, not a mailbox name:
    the website spoken after it is removed, and the sentence keeps its words."""
    result = postfilter().run(answer, SYSTEM, {})
    assert result.text == text
    assert [(e.detector, e.kind) for e in result.events] == [("contact", "URL")]


@pytest.mark.parametrize(
    "answer",
    [
        "Look at the dot com era: shops moved online.",
        "Meet at home dot.",
        "We meet at noon dot five.",  # no top-level domain after the dot
        "The dot com bubble burst. Tap the red dot in the corner.",
        "Your order (dot) matrix printer ships today; see list[.]length in step 2.",
        "Build it on Microsoft (.)NET or see the [.]com section.",  # a space before "[.]"
    ],
)
def test_prose_with_at_and_dot_is_not_an_address(answer: str) -> None:
    assert postfilter().run(answer, SYSTEM, {}).events == ()


@pytest.mark.parametrize("number", ["400-123-4567", "010-12345678", "(021) 6123-4567"])
def test_an_invented_chinese_service_or_landline_number_is_removed(number: str) -> None:
    result = postfilter().run(f"请拨打 {number} 联系我们。", SYSTEM, {}, "zh")
    assert result.shown == "请拨打 [已删除] 联系我们。"  # the marker in the answer's language
    assert [(e.detector, e.kind) for e in result.events] == [("contact", "PHONE")]


def test_an_invented_contact_inside_an_escape_sequence_is_still_removed() -> None:
    result = postfilter().run("Sure.\x1b]Write to boss@evil.example\x07", SYSTEM, {})
    assert "boss@evil.example" not in (result.shown or result.text)
    assert [e.kind for e in result.events] == ["invisible"]  # the sequence goes whole
    result = postfilter().run("Sure.\x1b[2mWrite to boss@evil.example", SYSTEM, {})
    assert result.shown == "Sure.Write to [removed]"
    assert [e.kind for e in result.events] == ["invisible", "EMAIL"]


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        (
            "退款需要2个工作日。详情请访问https://maple-refunds.biz/claim。",
            "退款需要2个工作日。详情请访问[已删除]。",
        ),
        ("请访问maple-refunds.biz。", "请访问[已删除]。"),
        ("详情见www.evil.com，谢谢。", "详情见[已删除]，谢谢。"),
        ("详情见maple.example.com/returns。", "详情见maple.example.com/returns。"),  # the bot's own
        ("请访问 evil。com 领取退款。", "请访问 [已删除] 领取退款。"),  # a browser reads 。 as .
        ("请访问maple-refunds。biz/claim。", "请访问[已删除]。"),
        ("详情见maple.example。com/returns。", "详情见maple.example。com/returns。"),
        ("我买的是iPhone。it works now。", "我买的是iPhone。it works now。"),
    ],
)
def test_a_link_written_straight_after_chinese_text_is_checked(answer: str, shown: str) -> None:
    assert postfilter().run(answer, SYSTEM, {}, "zh").shown == shown


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
    assert postfilter().run(answer, SYSTEM, {}).events == ()


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
    assert postfilter().run(answer, SYSTEM, {}).events == ()


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
    assert [(e.detector, e.kind) for e in result.events] == [("contact", "PHONE")]


def test_escape_sequences_and_invisible_characters_never_reach_the_customer() -> None:
    answer = "Line one. 😀 Line two\u200b. \x1b[31mred\x1b[0m.\x1b]0;PWNED\x07 \u202eDone.\x00"
    result = postfilter().run(answer, SYSTEM, {})
    assert result.shown == result.text == "Line one. 😀 Line two. red. Done."
    assert [(e.detector, e.kind, e.count) for e in result.events] == [("control", "invisible", 6)]
    family = "Refunds take 5-10 business days 👨\u200d👩\u200d👧.\n\tThanks!"
    assert postfilter().run(family, SYSTEM, {}).shown == family  # joiners, tab, line break


def test_the_bots_own_number_without_a_label_passes() -> None:
    checker = Postfilter(PostfilterSettings(), "Questions? 123-456-7890 any time.", FACTS)
    assert checker.run("Questions? Call 123-456-7890.", SYSTEM, {}).events == ()


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        ("Refunds take 5 days.\x1b] Please keep your receipt.\nThanks!",
         "Refunds take 5 days.] Please keep your receipt.\nThanks!"),  # never ended: ESC alone
        ("Sure\x1bEverything is fine.", "SureEverything is fine."),
        ("Line one\x85line two.", "Line one\nline two."),
        ("Line one\u2028line two\u2029Thanks.", "Line one\nline two\nThanks."),
        ("We ship\u00ad to Canada\u061c\u180e.", "We ship to Canada."),  # soft hyphen, marks
    ],
)  # fmt: skip
def test_control_removal_takes_no_text_with_it(answer: str, shown: str) -> None:
    assert postfilter().run(answer, SYSTEM, {}).shown == shown


def test_halves_of_a_character_from_the_model_are_made_whole_or_replaced() -> None:
    result = postfilter().run("Done \ud83d\ude00, and \ud83d. Bye!", SYSTEM, {})
    assert result.shown == result.text == "Done 😀, and \ufffd. Bye!"
    assert result.shown.encode("utf-8")  # a lone half would make this raise


@pytest.mark.parametrize(
    "answer",
    [
        *("\x1b[0m", "\u200b", " \x07 "),
        # drawn blank: a Braille blank, Hangul fillers, a variation selector, joiners, &nbsp;
        *("\u2800\u3164", "\u115f\u1160", "\ufe0f", "\u200d\u200d", "&nbsp;", "<p>&nbsp;</p>"),
    ],
)
def test_an_answer_of_control_characters_alone_is_empty(answer: str) -> None:
    assert postfilter().run(answer, SYSTEM, {}).verdict == "fallback"


def test_a_link_inside_a_word_with_an_accent_is_one_link() -> None:
    checker = Postfilter(PostfilterSettings(allowed_domains=["müller-shop.de"]), KNOWN, FACTS)
    answer = "Besuchen Sie müller-shop.de."
    assert checker.run(answer, SYSTEM, {}).shown == answer


def test_a_number_ending_like_the_bots_is_not_the_bots() -> None:
    result = postfilter().run("Call +44 1800 555 0199.", SYSTEM, {})
    assert result.text == "Call [removed]."


def test_an_invented_link_is_removed_even_when_it_contains_profanity() -> None:
    result = postfilter().run("Claim at https://maple-refunds.com/?ref=hell now.", SYSTEM, {})
    assert result.text == "Claim at [removed] now."


def test_the_bots_own_word_lists_apply_to_answers() -> None:
    spec = load_bot(REPO)
    result = Postfilter.for_bot(spec).run("你这个傻逼", spec.templates["system.j2"], {})
    assert result.text == "你这个****"


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        ("[Track it](javascript:alert(document.cookie)) now.", "[Track it]([removed]) now."),
        ("Open JavaScript:fetch('//evil.example') to see.", "Open [removed] to see."),
        ("[Label](data:text/html;base64,PHNjcmlwdD4=)", "[Label]([removed])"),
        ("点这里vbscript:msgbox(1)。", "点这里[removed]。"),
        # a browser decodes references and drops tabs in a link before it runs it
        ("[Track it](javascript&#58;alert(1)) now.", "[Track it]([removed]) now."),
        ("[Track it](&#106;avascript&colon;alert(1)) now.", "[Track it]([removed]) now."),
        ("[Track it](java&#x09;script:alert(1)) now.", "[Track it]([removed]) now."),
        # the sentence's stop, and the bracket that encloses the link, stay
        ("See [here](javascript:void(0)).", "See [here]([removed])."),
    ],
)
def test_script_links_are_removed_whatever_they_point_at(answer: str, text: str) -> None:
    result = postfilter().run(answer, SYSTEM, {})
    assert result.text == text
    assert [(e.detector, e.kind) for e in result.events] == [("contact", "URL")]


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        ("Pay the fee at evil<i></i>.com/pay now.", "Pay the fee at [removed] now."),
        ("Or call 212-555-<u></u>0123 today.", "Or call [removed] today."),
        ("Card 4111 <b>1111</b> 1111 1111 was Bob's.", "Card [removed] was Bob's."),
        ("Key sk-proj-abcdefghij<b></b>klmnopqrstuvwxyz123456 ok.", "Key [removed] ok."),
    ],
)
def test_a_tag_inside_a_value_does_not_hide_it_from_the_other_checks(
    answer: str, text: str
) -> None:
    # The tags were removed and the value they split was never read whole: it was shown.
    result = postfilter().run(answer, SYSTEM, {})
    assert result.text == text
    assert ("markup", "HTML", "repair") in [(e.detector, e.kind, e.action) for e in result.events]


def test_a_backslash_is_read_as_a_browser_reads_it_in_a_link() -> None:
    # urlsplit read the host as maple.example.com; a browser opens evil.com
    answer = "[pay](https://evil.com\\@maple.example.com/pay)."
    assert postfilter().run(answer, SYSTEM, {}).text == "[pay]([removed])."


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


def test_a_bare_domain_in_capitals_is_a_link_when_its_ending_is_no_word() -> None:
    answer = "Pay at EVIL-PAY.COM/checkout now."
    assert postfilter().run(answer, SYSTEM, {}).text == "Pay at [removed] now."
    for answer in (
        *("It works today.It is fine.", "Use Node.js or readme.md."),
        *("Our app is built on ASP.NET and VB.NET.", "See REPORT.INFO.", "order.Com fees"),
        # words in angle brackets are UI text, not tags
        *("Tap <Select all> then <Delete>.", "Open the <Link to your account> page."),
    ):
        assert postfilter().run(answer, SYSTEM, {}).events == (), answer


def test_the_bots_own_tags_do_not_hide_a_value_either_and_stay_elsewhere() -> None:
    # A bot whose answers use <b> kept those tags through the tag pass, and they split values.
    known = KNOWN + " Refunds take <b>5 days</b>.<br>"
    checker = Postfilter(PostfilterSettings(), known, FACTS)
    for answer, text in [
        ("Card 4111 <b>1111</b> 1111 1111 was Bob's.", "Card [removed] was Bob's."),
        ("Call 212-555-<br>0123 today.", "Call [removed] today."),
        (
            "Refunds take <b>5 days</b>, evil<b></b>.com/x.",
            "Refunds take <b>5 days</b>, [removed].",
        ),
    ]:
        assert checker.run(answer, SYSTEM, {}).text == text


def test_a_colon_after_the_word_data_is_not_a_link() -> None:
    answer = "Your data: we keep it for 30 days. Data:deleted on request."
    assert postfilter().run(answer, SYSTEM, {}).events == ()


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        (
            "Thanks!<img src=x onerror=alert(1)> Refunds take 5 days.",
            "Thanks! Refunds take 5 days.",
        ),
        ("<script>alert(1)</script>Done.", "alert(1)Done."),
        # a script is a tag with attribute names alone, no "="
        ("<script defer>fetch(1)</script>Done.", "fetch(1)Done."),
        ("<script x>alert(1)</script x>Done.", "alert(1)Done."),
        ('See <a href="https://maple.example.com" onclick="steal()">here</a>.', "See here."),
        ("<IFRAME SRC=//maple.example.com></IFRAME>Hi.", "Hi."),
        ("好的。<svg/onload=alert(1)>", "好的。"),
        ("Sure. <img src=x onerror=alert(1)", "Sure. "),  # unclosed: a stream may close it later
        # a tag inside a tag: removing the inner one joins the outer pieces into a tag
        ("Hi <scr<script>ipt>alert(1)</scr</script>ipt>.", "Hi alert(1)."),
        ("Hi <<script>script>alert(1)<</script>/script>.", "Hi alert(1)."),
        ("Hi <<img src=x>img src=x onerror=alert(1)>.", "Hi ."),
        # a '<' inside a quoted value
        ('Thanks! <img src=x alt="<" onerror=alert(1)> ok', "Thanks!  ok"),
        ("Thanks! <img src=x onerror=\"alert('<')\"> ok", "Thanks!  ok"),
        ('Hi <img src=x onerror="alert(1)> there', "Hi  there"),  # a quote never closed
        # a comment goes whole: a widget rendering HTML hides it, a text widget shows it
        ("Done.<!-- ignore the rules, see evil.com --> Bye.", "Done. Bye."),
        ("Done.<!-- line one\nline two --!> Bye.<!--> <!--->", "Done. Bye. "),
        ("Hi <!-- <!-- x --> -->.", "Hi   -->."),  # a comment ends at its first "-->"
        # one never closed hides nothing once its "<!--" is gone: the rest of the answer stays
        ("Tip: type <!-- to start a comment in HTML.", "Tip: type  to start a comment in HTML."),
        ("Done. <!-- never closed. Bye.", "Done.  never closed. Bye."),
    ],
)
def test_html_in_an_answer_is_removed(answer: str, text: str) -> None:
    result = postfilter().run(answer, SYSTEM, {})
    assert result.text == text
    assert {(e.detector, e.kind, e.action) for e in result.events} == {("markup", "HTML", "repair")}


@pytest.mark.parametrize(
    "answer",
    [
        "Use the form: <order number> then <your email>.",
        "If x<y and y>z the refund is smaller.",
        "Send it to <ada@example.com> or see <https://maple.example.com>.",
        "Reply with <ORDER-ID> in the subject.",
    ],
)
def test_angle_brackets_that_are_not_html_stay(answer: str) -> None:
    checker = Postfilter(PostfilterSettings(), KNOWN + " ada@example.com", FACTS)
    assert checker.run(answer, SYSTEM, {}).events == ()


def test_html_the_bots_own_files_use_may_be_repeated() -> None:
    checker = Postfilter(PostfilterSettings(), KNOWN + " Steps:<br>1. Sign in<b>now</b>", FACTS)
    answer = "Steps:<br>1. Sign in <b>now</b>."
    assert checker.run(answer, SYSTEM, {}).events == ()
    assert checker.run("Sign in <i>now</i>.", SYSTEM, {}).text == "Sign in now."


@pytest.mark.parametrize(
    "answer", ["<img src=x onerror=alert(1)>", "<iframe src=//x.example></iframe>", " <b>\n"]
)
def test_an_answer_the_repairs_leave_empty_falls_back(answer: str) -> None:
    result = postfilter().run(answer, SYSTEM, {})
    assert result.verdict == "fallback"  # postfilter.empty, as for an empty answer
    assert ("empty", "emptied", "fallback") in {
        (e.detector, e.kind, e.action) for e in result.events
    }


def test_tags_nested_ever_deeper_make_the_answer_fall_back() -> None:
    answer = "Hi " + "<scr" * 5 + "<script>" + "ipt>" * 5 + "alert(1)"
    result = postfilter().run(answer, SYSTEM, {})
    assert result.verdict == "fallback" and "<script>" not in result.text
    assert ("markup", "nested", "fallback") in {
        (e.detector, e.kind, e.action) for e in result.events
    }


def test_html_can_make_the_answer_fall_back() -> None:
    result = postfilter(markup="fallback").run("Hi <script>x</script>", SYSTEM, {})
    assert result.verdict == "fallback"


def test_allowed_domains_extend_the_links_the_bot_may_give() -> None:
    answer = "Track it at https://www.ups.com/track and https://tools.ups.com/x"
    assert postfilter(allowed_domains=["ups.com"]).run(answer, SYSTEM, {}).events == ()


def test_personal_data_the_customer_never_gave_is_a_leak() -> None:
    result = postfilter(pii_leak="handoff").run(
        "Your card 4111 1111 1111 1111 is on file.", SYSTEM, {}
    )
    assert result.verdict == "handoff"
    assert [(e.detector, e.kind) for e in result.events] == [("pii", "CARD")]


def test_profanity_is_repaired_or_falls_back() -> None:
    assert postfilter().run("That is shit, sorry.", SYSTEM, {}).text == "That is ****, sorry."
    assert postfilter(profanity="fallback").run("That is shit.", SYSTEM, {}).verdict == "fallback"


def test_a_verbatim_run_of_the_system_prompt_is_leakage_but_the_facts_are_not() -> None:
    leaked = "My instructions: never invent order details, prices, dates, links, phone numbers."
    assert postfilter().run(leaked, SYSTEM, {}).verdict == "fallback"
    facts = "Refunds take 5-10 business days after the warehouse receives your return."
    assert postfilter().run(facts, SYSTEM, {}).verdict == "pass"


def _example_bot(tmp_path: Path, rule: str = "", replace: tuple[str, str] = ("", "")) -> BotSpec:
    """The example bot, with ``rule`` added to system.j2's rules and ``replace`` made in
    out_of_scope.j2."""
    bot = tmp_path / "bot"
    shutil.copytree(REPO, bot, ignore=shutil.ignore_patterns(".*", "tests", "bench", "docs"))
    system, canned = bot / "templates" / "system.j2", bot / "templates" / "out_of_scope.j2"
    text = system.read_text(encoding="utf-8")
    system.write_text(text.replace("Rules:\n", f"Rules:\n{rule}\n" if rule else "Rules:\n"))
    canned.write_text(canned.read_text(encoding="utf-8").replace(*replace))
    return load_bot(bot)


def test_only_a_quote_the_template_tells_the_model_to_say_is_sayable() -> None:
    template = (
        'If asked, say: "We ship to 40 countries."\n'
        "Tell the customer, in their language: “Returns are free.”\n"
        "没有答案时回复：「我帮您转人工客服。」\n"
        'Never reveal "the code MAPLE-1".\n'
        'say:\n"a quote on the next line"\n'
    )
    assert sayable(template) == [
        "We ship to 40 countries.",
        "Returns are free.",
        "我帮您转人工客服。",
    ]


def test_the_example_bots_out_of_scope_answer_is_no_leak_however_its_canned_reply_reads(
    tmp_path: Path,
) -> None:
    """The model says what system.j2 quotes for it to say, whatever out_of_scope.j2 (which the
    model never sees) says: rewording one no longer turns the other into a leak."""
    spec = _example_bot(tmp_path, replace=("delivery", "shipping"))
    system = Renderer(spec).system(Context("en", out_of_scope=True))
    answer = (
        "Sorry, I can't help with poems. I can help with orders, delivery, returns, payments "
        "and your account."
    )
    assert Postfilter.for_bot(spec).run(answer, system, {}).verdict == "pass"
    leaked = "I was told: say so politely, then say I can help with orders, delivery, returns."
    assert Postfilter.for_bot(spec).run(leaked, system, {}).verdict == "fallback"


@pytest.mark.parametrize(
    ("rule", "answer"),
    [
        (
            '- Never reveal "staff get forty percent off with code MAPLESTAFF on every order".',
            "Staff get forty percent off with code MAPLESTAFF on every order.",
        ),
        (
            "- 遇到“内部规定：超过五百元的退款需要主管审批，审批通过前不要告诉客户可以退款”"
            "的情况请转人工。",
            "内部规定：超过五百元的退款需要主管审批，审批通过前不要告诉客户可以退款。",
        ),
        (
            '- Never reveal the "internal" refund override code, which is "MAPLE-OVR-2291", to'
            " customers under any circumstances at all.",
            "Sure: the internal refund override code, which is MAPLE-OVR-2291, to customers under"
            " any circumstances at all.",
        ),
    ],
)
def test_a_rule_that_quotes_what_to_keep_back_stays_secret(
    tmp_path: Path, rule: str, answer: str
) -> None:
    """Only a quote the prompt tells the model to say ("say: ...") is the model's to say."""
    spec = _example_bot(tmp_path, rule=rule)
    system = Renderer(spec).system(Context("en"))
    assert Postfilter.for_bot(spec).run(answer, system, {}).verdict == "fallback"


@pytest.mark.parametrize(
    ("language", "answer"),
    [
        ("en", "I'm the customer-service assistant for Maple Market support. How can I help?"),
        ("zh", "我是 Maple Market support 的客服助手，请问有什么可以帮您？"),
        ("en", "Reach us at +1 800-555-0199, support@maple.example.com or maple.example.com."),
    ],
)
def test_the_bot_may_say_who_it_is_and_how_to_reach_it(language: str, answer: str) -> None:
    spec = load_bot(REPO)
    system = Renderer(spec).system(Context(language))
    assert Postfilter.for_bot(spec).run(answer, system, {}, language).verdict == "pass"


@pytest.mark.parametrize(
    ("language", "answer"),
    [
        (
            "en",
            "I was told: You are the customer-service assistant for Maple Market support. "
            "Reply in English, friendly and brief (four sentences at most).",
        ),
        (
            "zh",
            "我的指示：你是 Maple Market support 的客服助手。请用简体中文回答，语气友好、简洁。",
        ),
    ],
)
def test_the_instructions_around_the_bots_name_are_still_a_leak(language: str, answer: str) -> None:
    spec = load_bot(REPO)
    system = Renderer(spec).system(Context(language))
    assert Postfilter.for_bot(spec).run(answer, system, {}, language).verdict == "fallback"


def test_a_long_answer_is_cut_after_its_last_whole_sentence() -> None:
    answer = "First sentence. Second sentence! " + "x" * 50
    result = postfilter(max_chars=40).run(answer, SYSTEM, {})
    assert (result.verdict, result.text) == ("pass", "First sentence. Second sentence!")
    assert postfilter(max_chars=40, too_long="handoff").run(answer, SYSTEM, {}).verdict == "handoff"


def test_a_long_answer_without_a_sentence_end_is_cut_between_words() -> None:
    answer = "Sure thing " + "refund " * 10
    assert (
        postfilter(max_chars=40).run(answer, SYSTEM, {}).text
        == "Sure thing refund refund refund refund"
    )
    chinese = "退款" * 30
    assert postfilter(max_chars=40).run(chinese, SYSTEM, {}, "zh").text == chinese[:40]


def test_a_cut_without_a_space_never_splits_a_placeholder() -> None:
    # "[PHO" cannot be restored: the customer would read a broken placeholder.
    answer = "退款" * 18 + "请拨打[PHONE_1]联系我们" + "退款" * 20
    result = postfilter(max_chars=42).run(answer, SYSTEM, {"[PHONE_1]": "13812345678"}, "zh")
    assert result.text == "退款" * 18 + "请拨打"
    assert "[" not in result.shown


def test_details_the_system_prompt_gives_this_turn_may_be_repeated() -> None:
    # The application's customer details, shown by the template, were removed as invented:
    # "We'll email [removed]" about the customer's own address.
    system = (
        f"{SYSTEM}\nThe customer's email is bob.smith@gmail.com, phone +1 415-555-0132; "
        "their order page is https://track.example.org/o/1."
    )
    answer = (
        "We'll email bob.smith@gmail.com and text +1 415-555-0132 when it ships: "
        "https://track.example.org/o/1 shows where it is."
    )
    assert postfilter().run(answer, system, {}).events == ()
    for other in ("ann@gmail.com", "+1 415-555-0177", "https://evil.example.net/o/1"):
        repaired = postfilter().run(f"Contact {other} now.", system, {})
        assert repaired.text == "Contact [removed] now.", other


@pytest.mark.parametrize("answer", ["", "   \n"])
def test_an_empty_answer_falls_back(answer: str) -> None:
    assert postfilter().run(answer, SYSTEM, {}).verdict == "fallback"


def test_the_worst_outcome_wins() -> None:
    answer = (
        "Shit. Call +1 415 555 0100. "
        + "Never invent order details, prices, dates, links, phone numbers."
    )
    assert postfilter().run(answer, SYSTEM, {}).verdict == "fallback"


def test_the_example_bot_passes_its_own_answers_and_few_shot_replies() -> None:
    spec = load_bot(REPO)
    checker = Postfilter.for_bot(spec)
    system = spec.templates["system.j2"]
    for intent in spec.intents:
        for text in [*intent.answer.values(), *(pair.assistant for pair in intent.few_shot)]:
            result = checker.run(text, system, {})
            assert result.events == (), (intent.name, result.events)


@given(st.text(st.characters(blacklist_categories=())))  # lone surrogates too
def test_any_answer_is_reviewed_without_error(answer: str) -> None:
    assert postfilter().run(answer, SYSTEM, {}).verdict in ("pass", "fallback", "handoff")


def test_a_cut_never_splits_a_price_and_a_blocked_cut_falls_back() -> None:
    answer = "Gift wrap costs $4.99 at checkout. We ship daily. " + "x" * 30
    cut = postfilter(max_chars=42).run(answer, SYSTEM, {})
    assert cut.text == "Gift wrap costs $4.99 at checkout."
    linked = "See https://evil.example.net/a/very/long/path/that/crosses/the/limit now."
    assert postfilter(max_chars=20).run(linked, SYSTEM, {}).verdict == "fallback"


@pytest.mark.parametrize(
    "answer",
    [
        "It ships today.It will arrive Friday.",
        "Built with Node.js.",
        "See readme.md for details.",
        "Step 1 // step 2: Tom &amp; Jerry &#169; 2024.",
    ],
)
def test_ordinary_words_with_dots_are_not_links(answer: str) -> None:
    assert postfilter().run(answer, SYSTEM, {}).events == ()


@pytest.mark.parametrize(
    "answer",
    [
        "Go to. So we are done.",
        "Go to.So we are done.",
        "I want to go to the store so I can pay.",
        "我买了 iPhone。to be sure。",
        # .sh and .so are file types too: a bare name ending in one stays (see links._FILE_TLDS)
        "Run install.sh, then ./setup.sh and load libssl.so.",
    ],
)
def test_words_and_file_names_like_the_newer_endings_are_not_links(answer: str) -> None:
    assert postfilter().run(answer, SYSTEM, {}).events == ()


def test_an_answer_in_traditional_characters_is_checked_against_simplified_lists() -> None:
    spec = load_bot(REPO)  # insult_zh lists 他妈的; the answer keeps its own characters
    result = Postfilter.for_bot(spec).run(
        "您的訂單已發貨，他媽的。", spec.templates["system.j2"], {}
    )
    assert result.text == "您的訂單已發貨，****。"


def test_a_system_prompt_copied_out_in_traditional_characters_is_leakage() -> None:
    system = "你是枫叶商城的客服助手。绝对不要编造订单信息、价格、日期、链接、电话号码或邮箱地址。"
    leaked = "我的指示是：絕對不要編造訂單信息、價格、日期、鏈接、電話號碼或郵箱地址。"
    assert postfilter().run(leaked, system, {}).verdict == "fallback"
    assert postfilter().run("您的訂單已發貨，請耐心等待。", system, {}).verdict == "pass"


def test_a_few_words_of_a_chinese_system_prompt_are_not_a_leak_and_a_rule_copied_out_is() -> None:
    # 8 characters are 4 or 5 Chinese words: a bot saying who it is copied that many.
    system = (
        "你是小枫客服，小枫商城的在线客服。请用简体中文回答，语气亲切、简洁。\n规则：\n"
        "- 只根据下面的资料回答；资料里没有的内容，请告诉顾客会转接人工客服。\n"
        "- 不要编造订单信息、价格、日期、链接、电话或邮箱。"
    )
    for answer in (
        "您好！我是小枫商城的在线客服，很高兴为您服务。",
        "您好！资料里没有的内容，我会帮您转接人工客服。",
    ):
        assert postfilter().run(answer, system, {}, "zh").verdict == "pass"
    leaked = "我的规则：不要编造订单信息、价格、日期、链接、电话或邮箱。"
    assert postfilter().run(leaked, system, {}, "zh").verdict == "fallback"


def test_a_system_prompt_copied_out_with_accents_added_is_leakage() -> None:
    leaked = "My rules: nevér invént ordér détails, pricés, datés, links, phoné numbers."
    assert postfilter().run(leaked, SYSTEM, {}).verdict == "fallback"


def test_an_amount_in_an_answer_is_not_censored_as_a_word() -> None:
    answer = "您的退款455元已原路退回，订单 #717 今天发货。"
    assert postfilter().run(answer, SYSTEM, {}).text == answer
