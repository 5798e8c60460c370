"""Email addresses, for the PII detector (``servicebot/filters/emails.py``): as typed, and as
customers write them out to get past a form ("john at gmail dot com", 。 for a dot); and
what is no address ("at" and "dot" as words, the prose before one)."""

from __future__ import annotations

import pytest

from tests.unit.piifindings import found

# --- EMAIL ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("write to john.doe+shop@example.co.uk today", ["john.doe+shop@example.co.uk"]),
        ("邮箱test@qq.com和test@163.com", ["test@qq.com", "test@163.com"]),
        ("punycode a@xn--d1acufc.xn--p1ai.", ["a@xn--d1acufc.xn--p1ai"]),
        ("(mailto:info@presidio.site)", ["info@presidio.site"]),
        ("...bob@example.com", ["bob@example.com"]),
    ],
)
def test_email_positives(text: str, expected: list[str]) -> None:
    assert found(text, "EMAIL") == expected


@pytest.mark.parametrize(
    "text",
    [
        "my email is info@presidio.",
        "test@example..com",
        "@example.com",
        "test@",
        "a@b.c",
        "x@-a.com",
    ],
)
def test_email_negatives(text: str) -> None:
    assert found(text, "EMAIL") == []


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("my email is john@gmail。com", "john@gmail。com"),
        ("邮箱是 zhang。san。feng@qq。com", "zhang。san。feng@qq。com"),  # every dot a 。
        ("郵箱 chen。wei@gmail。com，衣服小了能退嗎", "chen。wei@gmail。com"),
        ("请发到我的邮箱。zhang@qq.com", "zhang@qq.com"),  # a sentence's 。 before it
        ("email josé.garcía@example.com", "josé.garcía@example.com"),
    ],
)
def test_emails_as_chinese_keyboards_and_accented_names_write_them(text: str, email: str) -> None:
    assert found(text, "EMAIL") == [email]


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("it's john dot smith at gmail dot com thanks", "john dot smith at gmail dot com"),
        ("mail john.smith at gmail.com. Thanks", "john.smith at gmail.com"),
        ("jane_doc at yahoo.com", "jane_doc at yahoo.com"),  # after "_", "doc" is no file type
        ("my_name at gmail dot com", "my_name at gmail dot com"),  # nor "name" a domain
        # one word before "at", introduced as an address, and a domain read aloud
        ("alice at example dot org", "alice at example dot org"),
        ("my email is alice at example dot org", "alice at example dot org"),
        ("Email: Bob at gmail dot com", "Bob at gmail dot com"),
        ("我的邮箱是 alice at example dot org", "alice at example dot org"),
        ("it's bob_info at yahoo.com", "bob_info at yahoo.com"),
        ("JOHN_SMITH AT GMAIL DOT COM", "JOHN_SMITH AT GMAIL DOT COM"),
        ("write to john[at]gmail[dot]com", "john[at]gmail[dot]com"),
        ("john [at] gmail [dot] co [dot] uk", "john [at] gmail [dot] co [dot] uk"),
        ("contact: john(at)gmail.com", "john(at)gmail.com"),
        ("john @ gmail . com please", "john @ gmail . com"),
        ("john . smith @ gmail . com", "john . smith @ gmail . com"),  # not "smith @ ..." alone
        ("mail john . smith [at] gmail . com", "john . smith [at] gmail . com"),
        ("john@gmail dot com", "john@gmail dot com"),
        ("mailto:john%40gmail.com", "john%40gmail.com"),
        ("我的邮箱john艾特gmail点com谢谢", "john艾特gmail点com"),
        ("邮箱 zhang.san 艾特 qq 点 com", "zhang.san 艾特 qq 点 com"),
        ("QQ邮箱12345678(at)qq.com", "12345678(at)qq.com"),
        # defanged, as security mail writes links so no one clicks them
        ("write to john.smith[at]gmail[.]com", "john.smith[at]gmail[.]com"),
        ("mail john@gmail[.]com ok", "john@gmail[.]com"),
        ("邮箱 zhang(at)qq(.)com", "zhang(at)qq(.)com"),
        # a name written out before a typed "@" belongs to the address
        ("it's john dot smith@gmail.com", "john dot smith@gmail.com"),
        ("it's john[.]smith@gmail.com", "john[.]smith@gmail.com"),
        # chained: a mail client sends it to the last domain, so all of it is the address
        ("cc support@maple.example.com@evil.com now", "support@maple.example.com@evil.com"),
    ],
)
def test_an_email_written_out_to_get_past_a_form_is_found_whole(text: str, email: str) -> None:
    assert found(text, "EMAIL") == [email]


@pytest.mark.parametrize(
    "text",
    [
        "john#gmail.com",
        "I'm at home dot",
        "look at the dot com boom",
        "meet me at 5 dot",
        "we met at google",
        "email me at the office",
        "I ordered at amazon.com",  # "at" as a word needs a local part of two parts
        "I ordered at amazon dot com",  # or one introduced as an address
        "shop at walmart dot com",
        "my order is here at amazon dot com",
        # "is" introduces any word, not an address
        "Shipping is free at target dot com",
        "it is cheaper at ebay dot com",
        "The tracking is broken at ups dot com",
        "alice at example.org",  # and a domain read aloud
        "we met at google. It was great",  # a sentence's stop is no dot of a domain
        "ping @ home. It works",
        "cc @john.doe",
        "hi @amazon.com",
        "track ups.com at ups.com/track",  # a domain, not a local part
        "fixed in 2.1 at github.com",
        "x (at) y",
        "the file setup.py at github.com",  # a file or a version says where it is, not who
        "The file config.yaml at app.io",
        "file report_2024.pdf at docs.google.com",
        "Updated v2.0 at apple.com",
    ],
)
def test_at_and_dot_as_words_are_not_an_email(text: str) -> None:
    assert found(text, "EMAIL") == []


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("Connect the dot john@gmail.com", "john@gmail.com"),  # "the dot" is no name
        ("a@b.com@x.c0m", "a@b.com"),  # a chain ends at its last host that is a domain
    ],
)
def test_an_address_takes_no_prose_before_it_nor_hosts_after_its_domain(
    text: str, email: str
) -> None:
    assert found(text, "EMAIL") == [email]


@pytest.mark.parametrize(
    "text",
    [
        "Ordered at amazon dot com",
        "ordered at amazon dot com",
        "Hi\nBooked at hotels dot com last week",
        "Shopped at walmart dot com",
        "Applied at acme dot org",
        "Arrived at gate dot com",
        "Bought at ebay dot com",
        "我的邮箱是 ordered at amazon dot com",  # a verb, even where an address is expected
    ],
)
def test_a_verb_beginning_a_line_before_a_spoken_at_is_no_mailbox(text: str) -> None:
    """A sentence may begin with a verb that takes "at" as it may with a mailbox name, and
    in the past tense ("Ordered at amazon dot com") it names the shop, not an address."""
    assert found(text, "EMAIL") == []


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("alice at example dot org", "alice at example dot org"),
        ("Ahmed at gmail dot com", "Ahmed at gmail dot com"),  # a name ending as a verb does
        ("Fred at gmail dot com", "Fred at gmail dot com"),
        ("Hi\nBob at gmail dot com", "Bob at gmail dot com"),
        ("我的邮箱是 ahmed at example dot org", "ahmed at example dot org"),
    ],
)
def test_a_name_beginning_a_line_before_a_spoken_at_is_a_mailbox(text: str, email: str) -> None:
    assert found(text, "EMAIL") == [email]


def test_a_spaced_local_part_stops_at_a_plain_space() -> None:
    # The local part joins words by dots only (" . " too, after a spaced @), so the prose before
    # "me" stays: "hi . Mail" is joined by a spaced dot, but "Mail me" by a space. "me" itself
    # is masked: after "@ " a one-word name ("john @ gmail . com") is the usual address, and
    # hiding a pronoun costs the model less than showing an address costs the customer.
    assert found("I said hi . Mail me @ gmail . com", "EMAIL") == ["me @ gmail . com"]
    assert found("home. john @ gmail . com", "EMAIL") == ["john @ gmail . com"]  # not " . "
