"""Email addresses written out (``john dot smith at gmail dot com``, ``john[at]gmail[dot]com``,
``john%40gmail.com``, ``john艾特gmail点com``), for the PII detector (through
:func:`~.emails.email_spans`), and :func:`spoken_emails`, for the post-filter.

A written-out address is read from its "at" outwards: back over the local part, forward over
the domain, which must end in a known top-level domain (:data:`~.domains.TLDS`, which the
post-filter reads links by too). "at" as a plain word is English more often than an address
("look at the dot com boom", "I ordered at amazon.com"), so there the local part must have two
parts ("john.smith", "john dot smith", "john_smith") and not be a domain, a file name or a
version itself ("setup.py at github.com"), or be one word introduced as an address before a
domain read aloud ("alice at example dot org" alone, "my email is bob at gmail dot com").
Each "at" reads at most a bounded stretch either side of it, so time stays linear. This is
the one reader of written-out addresses: customer text and answers are read by the same rules.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Final

from servicebot.filters.boundaries import Spans
from servicebot.filters.domains import TLDS
from servicebot.filters.normalise import CJK_LETTERS

# --- written out ------------------------------------------------------------------------------

_I: Final = re.IGNORECASE | re.ASCII
_BRACKETED_DOT: Final = r"[\[({<](?:dot|\.)[\])}>]"  # [dot] (dot) [.] (.) and the like
_WRITTEN_DOT: Final = rf"[ \t]+dot[ \t]+|[ \t]*(?:{_BRACKETED_DOT}|[点。])[ \t]*"
_DOT: Final = re.compile(rf"\.|{_WRITTEN_DOT}", _I)
_LOOSE_DOT: Final = rf"{_DOT.pattern}|[ \t]+\.[ \t]+"  # "gmail . com", not "home. It"
_LABEL: Final = "[a-z0-9-]+"
# Some labels and a known top-level domain follow (checked again, exactly, in _domain_end).
_TO_TLD: Final = (
    rf"(?=[ \t]*{_LABEL}(?:(?:{_LOOSE_DOT}){_LABEL}){{0,8}}(?:{_LOOSE_DOT})"
    rf"(?:{'|'.join(sorted(TLDS, key=len, reverse=True))})(?![a-z0-9-]))"
)
# The "at": @ with a space each side, or with none and a dot written out after it ("john@gmail
# dot com"; "john@gmail.com" is typed); [at] (at) {at} <at> [@], 艾特, %40, or the word "at"
# between spaces; then a domain. A set first lets ``re`` skip ahead to a candidate in C, and
# the rest is checked there too: a text of "@", "a@" or "[at]" costs no Python per character.
_AT: Final = re.compile(
    r"[@\[({<艾%a](?:(?<=[ \t]@)(?=[ \t])"
    rf"|(?<=@)(?=[a-z0-9-]+(?:\.[a-z0-9-]+)*(?:[ \t]+dot[ \t]+|[ \t]*(?:{_BRACKETED_DOT}|点)))"
    r"|(?<=[\[({<])(?:at|@)[\])}>]|(?<=艾)特|(?<=%)40|(?<=[ \t]a)t(?=[ \t]))"
    rf"{_TO_TLD}",
    _I,
)
# The domain after the "at": its group 1 begins where its first label does.
_DOMAIN: Final = re.compile(rf"[ \t]*({_LABEL}(?:(?:{_DOT.pattern}){_LABEL})*)", _I)
_LOOSE_DOMAIN: Final = re.compile(rf"[ \t]*({_LABEL}(?:(?:{_LOOSE_DOT}){_LABEL})*)", _I)
# The local part, read backwards from the "at" over the text reversed: words joined by dots;
# in the loose form also by spaced dots, as its domain is ("john . smith @ gmail . com").
_PART: Final = "[a-z0-9\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f_+-]+"  # as LOCAL, no dots
_WRITTEN_DOT_REVERSED: Final = r"[ \t]+tod[ \t]+|[ \t]*(?:[\])}>](?:tod|\.)[\[({<]|点)[ \t]*"
_DOT_REVERSED: Final = rf"\.|{_WRITTEN_DOT_REVERSED}"
_LOCAL_REVERSED: Final = re.compile(rf"[ \t]*({_PART}(?:(?:{_DOT_REVERSED}){_PART})*)", _I)
_LOOSE_LOCAL_REVERSED: Final = re.compile(
    rf"[ \t]*({_PART}(?:(?:{_DOT_REVERSED}|[ \t]+\.[ \t]+){_PART})*)", _I
)
_WRITTEN_BEFORE: Final = re.compile(rf"(?:(?:{_WRITTEN_DOT_REVERSED}){_PART})+", _I)
LOOSE_DOTS: Final = re.compile(_LOOSE_DOT, _I)
_LOCAL_DOT: Final = re.compile(rf"\.|{_WRITTEN_DOT}|_", _I)
_LOCAL_REACH: Final = 128  # 64 characters, with each dot written as " dot "
_DOMAIN_REACH: Final = 320  # 253 characters, and some written-out dots


# Where each domain's text, read plainly or loosely, ends past its start (None: it has no
# top-level domain): one call's, so that an answer repeating "help at evil dot com" 4,762
# times reads its domain once, and no customer text stays past the call.
_Ends = dict[tuple[str, bool], int | None]


def written_out(text: str) -> Spans:
    ends: _Ends = {}
    for at in _ats(text):
        found = _address_around(text, at, ends=ends)
        if found is not None:
            yield found


def _ats(text: str) -> Iterator[re.Match[str]]:
    """Every "at" of :data:`_AT` in ``text``, if it may hold one (no cache of them: the
    pre-filter reads a customer's messages with this module, and none is kept past its call)."""
    return _AT.finditer(text) if _may_write_out_at(text) else iter(())


def _may_write_out_at(text: str) -> bool:
    """Whether ``text`` holds a character or word an "at" of :data:`_AT` starts with: most
    messages have none, and a search for one ("a" is any word's letter) took as long as the
    rest of the email check."""
    if any(start in text for start in "@[({<艾%"):
        return True
    lowered = text.lower()
    return " at " in lowered or "\tat" in lowered or "at\t" in lowered


def spoken_emails(text: str) -> Spans:
    """Addresses read aloud, "at" a plain word: those :func:`email_spans` finds, and also
    those with a one-word name before "at" and a dot written out after it ("help at evil dot
    com"). In customer text that is as often prose ("I ordered at amazon dot com"); in an
    answer it is an address to check, as the post-filter does. After a word that is prose
    before "at" ("Look at Google dot com", "sign up at evil dot com"; see
    :func:`_prose_before_at`) or a Chinese word ("客服 at evil dot com") the span is the
    domain alone, a link read aloud."""
    ends: _Ends = {}
    for at in _ats(text):
        if at[0].lower() == "at" and (found := _address_around(text, at, True, ends=ends)):
            yield found


def _address_around(
    text: str, at: re.Match[str], one_word: bool = False, *, ends: _Ends
) -> tuple[int, int] | None:
    """The written-out address whose "at" is ``at``, if the text around it makes one;
    ``one_word``: whether a one-word name may come before a plain "at" (see
    :func:`spoken_emails`); ``ends``: the call's domains read so far."""
    word, bare = at[0].lower() == "at", at[0] == "@"
    spaced = bare and text[at.end()] in " \t"
    loose = not word and (spaced or not bare)  # "john @ gmail . com", "john(at)gmail . com"
    domain = (_LOOSE_DOMAIN if loose else _DOMAIN).match(text, at.end(), at.end() + _DOMAIN_REACH)
    if domain is None or (end := _read_end(text, domain, loose, ends)) is None:
        return None
    before = text[max(0, at.start() - _LOCAL_REACH) : at.start()][::-1]
    local = (_LOOSE_LOCAL_REVERSED if loose else _LOCAL_REVERSED).match(before)
    if local is None:
        spoken = word and one_word and _after_chinese(before, text, domain.start(1), end)
        return (domain.start(1), end) if spoken else None
    name, start = local[1][::-1], at.start() - local.end(1)
    if word and not _plausible_local(name):
        introduced = not one_word and _introduced(text, start, name)
        if not ((one_word or introduced) and _one_word_name(name, text, domain.start(), end)):
            return None
        if not introduced and _prose_before_at(name, at[0]):  # "Look at evil dot com"
            return domain.start(1), end  # the link alone
    return start, end


def _read_end(text: str, domain: re.Match[str], loose: bool, ends: _Ends) -> int | None:
    """:func:`_domain_end` of ``domain``, read once per domain text in ``ends``: it reads no
    character outside ``domain[1]`` (no pattern it splits by looks around), so the same
    text ends at the same distance from its start."""
    key, start = (domain[1], loose), domain.start(1)
    if key not in ends:
        end = _domain_end(text, domain, LOOSE_DOTS if loose else _DOT)
        ends[key] = None if end is None else end - start
    return None if (length := ends[key]) is None else start + length


def _domain_end(text: str, domain: re.Match[str], dot: re.Pattern[str]) -> int | None:
    """Where the domain ends: after its last label that is a top-level domain ("gmail.com" of
    "gmail.com. Thanks"), with a label before it; None if it has none."""
    labels = list(_labels(text, domain.start(1), domain.end(), dot))
    for n in range(len(labels) - 1, 0, -1):
        low, high = labels[n]
        if text[low:high].lower() in TLDS and _valid_labels(text, labels[: n + 1]):
            return high
    return None


def _labels(text: str, start: int, end: int, dot: re.Pattern[str]) -> Spans:
    for separator in dot.finditer(text, start, end):
        yield start, separator.start()
        start = separator.end()
    yield start, end


def _valid_labels(text: str, labels: list[tuple[int, int]]) -> bool:
    return all(text[low] != "-" and text[high - 1] != "-" for low, high in labels)


# A local part whose last dotted part is one of these is a file ("setup.py at github.com"),
# and one whose first is a number a version ("v2.0 at apple.com"): "at" says where they are.
_FILE_TYPES: Final = frozenset(
    """py yaml yml json pdf txt csv png jpg jpeg gif zip sh exe doc docx xls xlsx md html js
    ts""".split()
)
_NOT_LAST: Final = TLDS | _FILE_TYPES
_VERSION: Final = re.compile(r"v?[0-9]+", _I)


def _plausible_local(local: str) -> bool:
    """Whether a local part before the plain word "at" is one: two parts ("john.smith",
    "john dot smith", "john_smith") with a letter, and not itself a domain ("ups.com at
    ups.com/track"), a file ("setup.py at github.com") or a version ("v2.0 at apple.com").
    "look at the dot com boom" has one part. Only a part after a dot is read as a top-level
    domain or a file type: after "_" it is a word of the name ("my_name", "jane_doc")."""
    parts = _LOCAL_DOT.split(local)
    dotted = [separator != "_" for separator in _LOCAL_DOT.findall(local)]
    return (
        len(parts) > 1
        and all(parts)
        and any(c.isalpha() for c in local)
        and not (dotted[-1] and parts[-1].lower() in _NOT_LAST)
        and not (dotted[0] and _VERSION.fullmatch(parts[0]) is not None)
    )


# After a plain "at", a word no address starts with is prose: "look at the dot com era".
_PROSE: Final = frozenset("the a an this that my your our their his her its".split())
_FIRST_LABEL: Final = re.compile(rf"[ \t]*({_LABEL})", _I)


# Words English puts before a plain "at" that name no mailbox: pronouns and particles
# ("reach us at", "sign up at", "log in at") and verbs and adjectives that take "at" ("shop
# at", "available at"). Mailbox names that are words too ("help", "sales", "info") are not here.
_BEFORE_AT: Final = frozenset(
    """us me you him her them it up in on out back here there online now today anytime
    directly again also only is are was be look looking arrive meet stay shop buy order find
    found available located listed hosted live work apply pay book register purchase bought
    paid sold""".split()
)


def _before_at(name: str) -> bool:
    """Whether ``name`` is one of :data:`_BEFORE_AT`, or a past tense of one ("Ordered at
    amazon dot com", "booked at", "shopped at", "applied at"): a sentence may begin with it, as
    a mailbox name does, and only its ending tells it from one ("ahmed", "fred" are names)."""
    word = name.lower()
    if word in _BEFORE_AT:
        return True
    if not word.endswith("ed") or len(word) < 5:
        return False
    stem = word[:-2]
    return (
        stem in _BEFORE_AT  # ordered, booked
        or stem + "e" in _BEFORE_AT  # arrived, located
        or (stem[-1] == stem[-2] and stem[:-1] in _BEFORE_AT)  # shopped
        or (stem[-1] == "i" and stem[:-1] + "y" in _BEFORE_AT)  # applied
    )


# What introduces an address in customer text: a colon, "email" or "address" (with "is" or
# not), 是, 邮箱, or nothing (the line's start), as in "alice at example dot org" or "my email is
# alice at example dot org". "is" alone introduces any word: "Shipping is free at target dot
# com" names a shop.
_INTRODUCTION: Final = re.compile(
    r"(?:[:：\n]|(?<![a-z])(?:e-?mail|address)(?:[ \t]+is)?|是|邮箱)[ \t]*\Z", _I
)


def _introduced(text: str, start: int, name: str) -> bool:
    """Whether the one-word name at ``start`` before a plain "at" is introduced as an address
    (see :data:`_INTRODUCTION`), and no word English puts before "at": in customer text, "I
    ordered at amazon dot com" names a shop, "alice at example dot org" a mailbox."""
    before = max(0, start - 16)  # bounded, as every "at" is read: time stays linear
    window = text[before:start].rstrip(" \t")
    if window[-1:] not in _INTRODUCTION_ENDS:  # most words before a name: checked in C
        return False
    if _before_at(name) or name.lower() in _PROSE:
        return False
    return not window or bool(_INTRODUCTION.search(window))


# The last character of each introduction, and "" for the text's start (the window is empty
# only there: the normalised text has no run of spaces).
_INTRODUCTION_ENDS: Final = frozenset(":：\nsSlL是箱") | {""}


def _prose_before_at(name: str, at: str) -> bool:
    """Whether the one word ``name`` before the plain word ``at`` is prose, not a mailbox:
    one of :data:`_BEFORE_AT`, or, before a lower-case "at", a capitalised word ("Look at
    Google dot com", "Meet at ..."; a mailbox name is written in one case, as in "HELP AT
    EVIL DOT COM"). The spoken domain after it is then a link read aloud, and only it goes:
    what a customer could type is the domain either way."""
    capitalised = name[0].isupper() and not name.isupper() and at == "at"
    return capitalised or _before_at(name)


def _one_word_name(name: str, text: str, start: int, end: int) -> bool:
    """Whether ``name`` before a plain "at" and ``text[start:end]``, the domain after it,
    read as an address: a name with a letter, and a spoken domain (:func:`_spoken_domain`)."""
    return any(c.isalpha() for c in name) and _spoken_domain(text, start, end)


def _spoken_domain(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]``, after a plain "at", is a domain read aloud: a dot written
    out ("evil dot com"; "at evil.com" is prose before a link), and a first word that is no
    article or pronoun ("at the dot com era")."""
    first = _FIRST_LABEL.match(text, start, end)
    return (
        any(dot != "." for dot in _DOT.findall(text, start, end))
        and first is not None
        and first[1].lower() not in _PROSE
    )


@functools.cache
def _chinese_before() -> re.Pattern[str]:
    """Spaces and a CJK letter; compiled for the first spoken address met (re fills in the
    letters' ranges one by one: 1 ms that `servicebot check` never needs)."""
    return re.compile(f"[ \t]*[{CJK_LETTERS}]")


def _after_chinese(before: str, text: str, start: int, end: int) -> bool:
    """Whether a Chinese word stands before a plain "at" (``before``, the text before it
    reversed) and a spoken domain after it ("客服 at evil dot com"): the word names no mailbox
    the local part could hold, so the domain is a link read aloud, as after English prose
    ("Look at Google dot com")."""
    return _chinese_before().match(before) is not None and _spoken_domain(text, start, end)


def written_before(text: str, start: int) -> int:
    """How many characters before ``start`` are names joined by written-out dots ("john dot
    smith@..."); none if one is an article or a pronoun ("connect the dot john@...")."""
    before = text[max(0, start - _LOCAL_REACH) : start][::-1]
    written = _WRITTEN_BEFORE.match(before)
    if written is None:
        return 0
    names = _LOCAL_DOT.split(written[0][::-1])
    return 0 if any(name.strip().lower() in _PROSE for name in names) else written.end()
