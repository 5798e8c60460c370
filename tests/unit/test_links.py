"""Links in answers (``servicebot/postfilter/links.py``): a link that only looks like the
bot's own, a script link, a link read as a browser reads it (a backslash, Chinese text
before it) is removed; allowed domains extend the bot's own; words and file names with
dots are no links."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicebot.filters import emails
from servicebot.filters.boundaries import matches_from
from servicebot.postfilter import Postfilter, links, written
from servicebot.settings import PostfilterSettings
from tests.unit.postfilters import FACTS, KNOWN, SYSTEM, postfilter, without_amounts


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


def test_a_link_inside_a_word_with_an_accent_is_one_link() -> None:
    checker = Postfilter(PostfilterSettings(allowed_domains=["müller-shop.de"]), KNOWN, FACTS)
    answer = "Besuchen Sie müller-shop.de."
    assert checker.run(answer, SYSTEM, {}).shown == answer


def test_an_invented_link_is_removed_even_when_it_contains_profanity() -> None:
    result = postfilter().run("Claim at https://maple-refunds.com/?ref=hell now.", SYSTEM, {})
    assert result.text == "Claim at [removed] now."


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        ("[Track it](javascript:alert(document.cookie)) now.", "Track it [removed] now."),
        ("Open JavaScript:fetch('//evil.example') to see.", "Open [removed] to see."),
        ("[Label](data:text/html;base64,PHNjcmlwdD4=)", "Label [removed]"),
        ("点这里vbscript:msgbox(1)。", "点这里[removed]。"),
        # a browser decodes references and drops tabs in a link before it runs it
        ("[Track it](javascript&#58;alert(1)) now.", "Track it [removed] now."),
        ("[Track it](&#106;avascript&colon;alert(1)) now.", "Track it [removed] now."),
        ("[Track it](java&#x09;script:alert(1)) now.", "Track it [removed] now."),
        # the sentence's stop stays, and the Markdown around the link goes with it
        ("See [here](javascript:void(0)).", "See here [removed]."),
    ],
)
def test_script_links_are_removed_whatever_they_point_at(answer: str, text: str) -> None:
    result = postfilter().run(answer, SYSTEM, {})
    assert result.text == text
    assert [(e.detector, e.kind) for e in result.events] == [("contact", "URL")]


def test_a_backslash_is_read_as_a_browser_reads_it_in_a_link() -> None:
    # urlsplit read the host as maple.example.com; a browser opens evil.com
    answer = "[pay](https://evil.com\\@maple.example.com/pay)."
    assert postfilter().run(answer, SYSTEM, {}).text == "pay [removed]."


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


def test_a_colon_after_the_word_data_is_not_a_link() -> None:
    answer = "Your data: we keep it for 30 days. Data:deleted on request."
    assert postfilter().run(answer, SYSTEM, {}).events == ()


def test_allowed_domains_extend_the_links_the_bot_may_give() -> None:
    answer = "Track it at https://www.ups.com/track and https://tools.ups.com/x"
    assert postfilter(allowed_domains=["ups.com"]).run(answer, SYSTEM, {}).events == ()


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


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        # a scheme, defanged or not, or "//" alone before a defanged link: it passed whole, or
        # left "[removed].]com/login" where the link check read only "https://evil["
        ("Go to hxxps://evil[.]com/login now", "Go to [removed] now"),
        ("Go to //evil[.]com/login now", "Go to [removed] now"),
        ("Go to https://evil[.]com/login now", "Go to [removed] now"),
        ("Go to https://evil(dot)com/pay now", "Go to [removed] now"),
        ("Go to https://evil [.] com/login now", "Go to [removed] now"),
        ("Go to hxxp://evil.com/x now", "Go to [removed] now"),
        # dots spaced, Chinese or spoken, and a path after spaced or spoken slashes
        ("Go to evil 。com/pay now", "Go to [removed] now"),
        ("Go to www . evil . com / pay now", "Go to [removed] now"),
        ("Go to evil . com now", "Go to [removed] now"),
        ("Go to evil .com/pay now", "Go to [removed] now"),
        ("Go to evil. com/pay now", "Go to [removed] now"),
        ("Visit evil dot com slash refund now", "Visit [removed] now"),
        ("Visit evil dot example dot com now", "Visit [removed] now"),
        ("Go to the shop. evil . com now", "Go to the shop. [removed] now"),
        ("Sure. Visit evil.\ncom/pay now.", "Sure. Visit [removed] now."),  # passed whole
    ],
)
def test_a_link_with_a_scheme_or_its_dots_written_out_is_removed_whole(
    answer: str, text: str
) -> None:
    result = postfilter().run(answer, SYSTEM, {})
    assert result.text == text
    assert [(e.detector, e.kind) for e in result.events] == [("contact", "URL")]


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        ("请访问 evil点com 办理退款", "请访问 [已删除] 办理退款"),
        ("请访问evil 点 com/refund 办理退款", "请访问[已删除] 办理退款"),
        ("请访问 evil 。com 办理退款", "请访问 [已删除] 办理退款"),
        ("请访问 evil点com斜杠refund 办理退款", "请访问 [已删除] 办理退款"),
    ],
)
def test_a_link_with_chinese_dots_is_removed_whole(answer: str, shown: str) -> None:
    assert postfilter().run(answer, SYSTEM, {}, "zh").shown == shown


@pytest.mark.parametrize(
    "answer",
    [
        "See hxxps://maple[.]example[.]com/returns for the form.",
        "See https://maple[.]example[.]com/returns for the form.",
        "See www . maple . example . com / returns for the form.",
        "See maple dot example dot com slash returns for the form.",
        "请访问maple点example点com办理退款。",
        "请访问 maple 。example 。com/returns 办理退款。",
    ],
)
def test_the_bots_own_site_written_out_passes(answer: str) -> None:
    assert postfilter().run(answer, SYSTEM, {}).events == ()


@pytest.mark.parametrize(
    "answer",
    [
        "We sell .com and .net domains. Do you sell .com lists?",
        "Thanks. Net refunds take 5 days. I shopped there. Com fees apply.",
        "Step 1. com port settings; open the app. io errors are rare.",
        "I shopped there.\ncom fees apply. Open the app.\nio errors are rare.",
        "A former dot com CEO. The dot com bubble burst. Tap the red dot in the corner.",
        "e.g. this, i.e. that, U.S. orders, 3.5 kg, 3 . 5 dollars, v1 . 2 . 3, Node.js.",
        "版本 2.0 已发布。com 口设置见第 3 步。我买了 iPhone 。it works。",
    ],
)
def test_prose_with_spaced_or_chinese_dots_is_not_a_link(answer: str) -> None:
    assert without_amounts(postfilter().run(answer, SYSTEM, {})) == ()


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        ("Track it <https://evil.example.net/login|here>.", "Track it here [removed]."),
        ("Track it [here](https://evil.example.net).", "Track it here [removed]."),
        ("Track it <https://evil.example.net/login>.", "Track it [removed]."),
        (
            "Track it <https://evil.example.net|your order page>.",
            "Track it your order page [removed].",
        ),
        ('Go ![map](https://evil.example.net/a.png "Map") now.', "Go map [removed] now."),
        ("请点击[这里](https://evil.example.net)查看。", "请点击这里 [已删除]查看。"),
        # a label that could itself be a contact goes with the link
        ("Track <https://evil.example.net|evil.example.net/pay>.", "Track [removed]."),
        ("Mail <mailto:boss@evil.example|boss@evil.example>.", "Mail [removed]."),
        ("Call <tel:2125550123|212 555 0123>.", "Call [removed]."),
    ],
)
def test_a_removed_link_takes_its_slack_or_markdown_brackets_with_it(
    answer: str, text: str
) -> None:
    # It left "Track it <[removed]>." and "[here]([removed])" behind.
    language = "zh" if "请" in answer else "en"
    assert postfilter().run(answer, SYSTEM, {}, language).text == text


def test_a_link_the_bot_gives_keeps_its_markup() -> None:
    answer = (
        "See [our returns page](https://maple.example.com/returns)"
        " or <https://maple.example.com|our site>."
    )
    assert postfilter().run(answer, SYSTEM, {}).text == answer


def _every_written(text: str) -> list[tuple[int, int, str]]:
    """What the written-link reader finds without its quick test first."""
    found = (written._read(text, m) for m in written._written().finditer(text))
    return [f for f in found if f is not None]


@pytest.mark.parametrize(
    "text",
    [
        "Go to evil. com/pay now. Then evil.\ncom/pay, evil .com/pay, evil 。com/pay.",
        "Visit evil dot com slash refund, or EVIL DOT COM SLASH REFUND, or evil\tdot\tcom/x.",
        "Go to the shop. evil . com now. Track it at https://maple.example.com/orders.",
        "Go to evil. uk/pay, evil. u\u212a/pay, www . evıl . com, evil. com\t/pay.",
    ],
)
def test_the_written_link_readers_quick_test_skips_no_written_link(text: str) -> None:
    # The reader is skipped for an answer with no dot written out: it finds the same.
    assert list(written.find_written(text)) == _every_written(text) != []


_PIECES = ["evil", "com", "COM", "uk", "dot", "slash", "/pay", "www", "Net", "e", "1"]


@given(st.lists(st.sampled_from([*_PIECES, ".", " ", "\t", "\n", *"点。ıİſK"])).map("".join))
def test_the_written_link_reader_finds_the_same_with_its_quick_test(text: str) -> None:
    assert list(written.find_written(text)) == _every_written(text)


_LINK_PIECES = [
    "https://",
    "hxxps[:]//",
    "//",
    "evil",
    "a-b",
    ".com",
    "/pay",
    "@",
    ".",
    "/",
    " ",
    "\n",
    "x",
    "ſ",
    "你",
]


@given(st.lists(st.sampled_from(_LINK_PIECES)).map("".join))
def test_the_link_and_email_scans_find_what_a_scan_of_every_position_finds(text: str) -> None:
    """The searches that start at the word of the next "." or "/" (links) or "@" (emails)
    find every match a scan from each position does."""
    url = links._url()
    assert [m.span() for m in matches_from(url, text, links._DOT_OR_SLASH)] == [
        m.span() for m in url.finditer(text)
    ]
    assert [m.span() for m in matches_from(emails._EMAIL, text, emails._AT_SIGN)] == [
        m.span() for m in emails._EMAIL.finditer(text)
    ]
