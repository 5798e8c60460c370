"""HTML and control characters in answers (the post-filter's markup check and
``servicebot/postfilter/controls.py``): tags, comments and escape sequences are removed
without taking text with them or hiding a value from the other checks; angle brackets that
are no HTML stay; an answer they leave empty, or tags nested ever deeper, fall back."""

from __future__ import annotations

import pytest

from servicebot.postfilter import Postfilter
from servicebot.settings import PostfilterSettings
from tests.unit.postfilters import FACTS, KNOWN, SYSTEM, postfilter


def test_an_invented_contact_inside_an_escape_sequence_is_still_removed() -> None:
    result = postfilter().run("Sure.\x1b]Write to boss@evil.example\x07", SYSTEM, {})
    assert "boss@evil.example" not in (result.shown or result.text)
    assert [e.kind for e in result.events] == ["invisible"]  # the sequence goes whole
    result = postfilter().run("Sure.\x1b[2mWrite to boss@evil.example", SYSTEM, {})
    assert result.shown == "Sure.Write to [removed]"
    assert [e.kind for e in result.events] == ["invisible", "EMAIL"]


def test_escape_sequences_and_invisible_characters_never_reach_the_customer() -> None:
    answer = "Line one. 😀 Line two\u200b. \x1b[31mred\x1b[0m.\x1b]0;PWNED\x07 \u202eDone.\x00"
    result = postfilter().run(answer, SYSTEM, {})
    assert result.shown == result.text == "Line one. 😀 Line two. red. Done."
    assert [(e.detector, e.kind, e.count) for e in result.events] == [("control", "invisible", 6)]
    family = "Refunds take 5-10 business days 👨\u200d👩\u200d👧.\n\tThanks!"
    assert postfilter().run(family, SYSTEM, {}).shown == family  # joiners, tab, line break


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        ("Refunds take 5 days.\x1b] Please keep your receipt.\nThanks!",
         "Refunds take 5 days.] Please keep your receipt.\nThanks!"),  # never ended: ESC alone
        ("Sure\x1bEverything is fine.", "SureEverything is fine."),
        ("Line one\x85line two.", "Line one\nline two."),
        ("Line one\u2028line two\u2029Thanks.", "Line one\nline two\nThanks."),
        ("We ship\u00ad to Canada\u180e.", "We ship to Canada."),  # soft hyphen, U+180E
    ],
)  # fmt: skip
def test_control_removal_takes_no_text_with_it(answer: str, shown: str) -> None:
    assert postfilter().run(answer, SYSTEM, {}).shown == shown


@pytest.mark.parametrize(
    "answer",
    [
        "رقم طلبك \u200f#123456\u200f سيصل غدا.",  # RLM: the number stays where it belongs
        "الطلب \u061c(5)\u061c جاهز",  # ALM
        "Order \u200e#123456\u200e: שלום",  # LRM
    ],
)
def test_direction_marks_stay_in_answers(answer: str) -> None:
    # Unlike embeddings, overrides and isolates, a mark overrides nothing after it.
    result = postfilter().run(answer, SYSTEM, {})
    assert (result.shown, result.events) == (answer, ())


def test_a_direction_mark_hides_nothing_from_the_other_checks() -> None:
    assert (
        postfilter().run("That is sh\u200fit, sorry.", SYSTEM, {}).shown == "That is ****, sorry."
    )
    assert postfilter().run("\u200f\u200e", SYSTEM, {}).verdict == "fallback"


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
        ("Sure. <img src=x onerror=alert(1)", "Sure."),  # unclosed: a stream may close it later
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
        (
            "Done.<!-- line one\nline two --!> Bye.<!--> <!--->",
            "Done. Bye.",
        ),  # the space left at the end goes too
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


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        ("Hi <@U0123ABC>, your order ships soon. <!channel>", "Hi, your order ships soon."),
        ("<!here> Your order ships today.", "Your order ships today."),
        ("Ask <!subteam^S0123|@support> or <@W0456|ana>. <!everyone>", "Ask or."),
        ("Noted <@123456789> <@!42> <@&7>. @everyone @here", "Noted."),
        ("提醒 <!channel> 您的订单已发货。", "提醒 您的订单已发货。"),
        # an email's "@" before a mention in capitals: the quick test for one still reads it
        ("Mail support@maple.example.com. @EVERYONE @Here", "Mail support@maple.example.com."),
    ],
)
def test_platform_mentions_in_an_answer_are_removed(answer: str, text: str) -> None:
    # An injected model could ping a whole shared Slack or Discord channel through the bot.
    result = postfilter().run(answer, SYSTEM, {})
    assert result.text == text
    assert {(e.detector, e.kind, e.action) for e in result.events} == {
        ("markup", "mention", "repair")
    }


@pytest.mark.parametrize("answer", ["Write to bob@here.example.com.", "Visit @hereford today."])
def test_an_at_sign_that_is_no_mention_is_no_markup(answer: str) -> None:
    assert "markup" not in {e.detector for e in postfilter().run(answer, SYSTEM, {}).events}


def test_mentions_the_bots_own_files_write_stay_and_others_can_fall_back() -> None:
    checker = Postfilter(PostfilterSettings(), KNOWN + " Ask <!subteam^S0123|@support>.", FACTS)
    answer = "Ask <!subteam^S0123|@support> today."
    assert checker.run(answer, SYSTEM, {}).text == answer
    result = postfilter(markup="fallback").run("Done. <!channel>", SYSTEM, {})
    assert result.verdict == "fallback"
