"""Contacts in answers (``servicebot/postfilter/contacts.py`` and ``disguised.py``): the bot's
own contacts pass, its email and website however an answer writes them; invented ones are
removed, defanged, spelled out or chained; prose with "at" and "dot" is no address. Phone
numbers one by one are test_contacts_phones.py's."""

from __future__ import annotations

import pytest

from servicebot import load_bot
from servicebot.filters.pii import find_pii
from servicebot.postfilter import Postfilter
from tests.conftest import REPO
from tests.unit.postfilters import SYSTEM, postfilter, without_amounts


def test_the_bots_own_contacts_pass_in_any_format() -> None:
    answer = "Call 1-800-555-0199 or (800) 555-0199, or see maple.example.com/returns."
    assert postfilter().run(answer, SYSTEM, {}).events == ()


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
    ("address", "kind"),
    [
        *(("evil[.]com", "URL"), ("evil(.)com/pay", "URL"), ("evil [dot] com", "URL")),
        ("evil [.] com", "URL"),  # a space each side of the bracketed dot
        *(("evil[.] com", "URL"), ("evil [.]com/pay", "URL")),  # or on one side
        ("evil (.) com/pay", "URL"),
        ("Evil[.] Com/pay", "URL"),  # a capitalised word after "[.] " with a path: a link
        # with none, a capitalised ending no sentence starts with: it passed, read as "Done[.] So"
        *(("Evil[.] Com", "URL"), ("Evil[.] NET", "URL"), ("evil [.] Io", "URL")),
        # Removed whole, not leaving "/x" after the email read aloud, nor "maple[.] " before
        # the plain link "example.com/x" (though maple.example.com is the bot's own site).
        *(("help at evil [.]com/x", "EMAIL"), ("maple[.] example.com/x", "URL")),
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


@pytest.mark.parametrize("after", ["So you can pay.", "Click Save to pay.", "Thanks for waiting."])
def test_a_defanged_link_before_a_bracketed_sentence_end_is_removed(after: str) -> None:
    # "[.] So" ends the sentence, not the link: read whole as prose, "evil[.]com" passed
    result = postfilter().run(f"Visit evil[.]com[.] {after}", SYSTEM, {})
    assert result.text == f"Visit [removed][.] {after}"
    assert [(e.detector, e.kind) for e in result.events] == [("contact", "URL")]


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
    ("answer", "shown"),
    [
        ("请联系客服 at evil dot com。", "请联系客服 at [已删除]。"),
        ("Write to 客服 at evil dot com today.", "Write to 客服 at [已删除] today."),
        ("客服 AT EVIL DOT COM", "客服 AT [已删除]"),
        # the bot's own website and prose pass, as in English
        ("客服 at maple dot example dot com。", "客服 at maple dot example dot com。"),
        (
            "请看 at the dot com 时代, 价格 at $12.50, 版本 at 1.2.3.",
            "请看 at the dot com 时代, 价格 at $12.50, 版本 at 1.2.3.",
        ),
    ],
)
def test_a_website_spoken_after_a_chinese_word_is_read_as_after_english_prose(
    answer: str, shown: str
) -> None:
    """A Chinese word before "at" names no mailbox: the spoken domain after it is a link read
    aloud, as in "Look at Google dot com"; it went through unread."""
    result = postfilter().run(answer, SYSTEM, {}, "zh")
    assert result.shown == shown
    removed = [("contact", "URL")] if shown != answer else []
    assert [(e.detector, e.kind) for e in without_amounts(result)] == removed


@pytest.mark.parametrize(
    "answer",
    [
        "Look at the dot com era: shops moved online.",
        "Meet at home dot.",
        "We meet at noon dot five.",  # no top-level domain after the dot
        "The dot com bubble burst. Tap the red dot in the corner.",
        "Your order (dot) matrix printer ships today; see list[.]length in step 2.",
        "Build it on Microsoft (.)NET or see the [.]com section.",  # a space before "[.]"
        "Type see [.] to list [.] item names, e.g. report.pdf, v1.2.3, $12.50 for 2024-03-15.",
        "End the line with [.] then com: list[.] item, see [.]com domains in order 12345.",
        # "[.] " before a capitalised word ends a sentence, though "so" and "click" are endings
        "Done[.] So you can go. Thanks [.] Click Save to finish.",
        "Done[.] Then you can go. Done[.] The end. Done [.] It works.",
    ],
)
def test_prose_with_at_and_dot_is_not_an_address(answer: str) -> None:
    assert without_amounts(postfilter().run(answer, SYSTEM, {})) == ()


def test_every_ending_no_sentence_starts_with_is_an_ending() -> None:
    from servicebot.filters.domains import TLDS
    from servicebot.postfilter.disguised import _NO_WORD_ENDINGS

    assert _NO_WORD_ENDINGS <= TLDS


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
