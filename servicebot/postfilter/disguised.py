"""Addresses written so the link and contact checks do not read them, though a customer does.

A defanged link ("evil[.]com", "hxxps://evil(dot)com/pay"), or one with its dots
written out (``written.py``: "evil . com", "evil点com"), and an email read aloud after a one-word
name ("help at evil dot com"; after a word that is prose, "Look at evil dot com", the
website alone) each spell an address a customer may type. Each is read as that
address and checked as one; a match that spells none (prose: "look at the dot com era", "meet
at home dot") is left alone. The other written-out, defanged and chained emails are the PII
check's (``filters/emails.py``), which reads answers by the same rules as customer text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from typing import NamedTuple

from ..filters import Finding
from ..filters.boundaries import Marked
from ..filters.emails import plain_address
from ..filters.values import canonical
from ..filters.writtenemails import spoken_emails
from .contacts import Given
from .links import SCHEME, URL_PATH, WORD_TLDS, allowed_domain, domain_of, is_domain_ending
from .written import find_written

_LABEL = r"[a-z0-9-]+"
# A dot in brackets, "[.]" or "[dot]", with a space before it, after it, both or neither
# ("evil [.] com", "evil[.] com", as the email reader takes "help at evil [.]com").
_BRACKET = r"[\[({](?:\.|dot)[\])}]"
_BRACKETED_DOT = rf" ?{_BRACKET} ?"
# "[.]" with a space before it and none after names a top-level domain as often as it hides a
# dot ("the [.]com section", "Microsoft (.)NET"): a link only with a path after it
# ("evil [.]com/pay"), as a file type's ending is (see links.py).
_NAMED_ENDING = re.compile(r" [\[({]\.[\])}](?! )")
# A spaced bracketed dot before an ending that is also a word is prose ("see [.] to list").
_WORD_ENDING = re.compile(rf"(?: {_BRACKET}|{_BRACKET} )(?:{'|'.join(WORD_TLDS)})\Z", re.I)
# A bracketed dot with a space after it, before a capitalised word, ends a sentence ("Done[.]
# So you can go", "Thanks[.] Click Save"): many endings are words too (so, click, help,
# live). A link only with a path after it, as with _NAMED_ENDING; "evil[.] com" is one, and
# so is "Evil[.] Com": an ending that is no word a sentence starts with (_NO_WORD_ENDINGS).
_SENTENCE_END = re.compile(rf"(?i:{_BRACKET}) (?P<word>[A-Z][a-z0-9-]*)\Z")
# The endings a sentence never starts with, whatever their case; "net" too, though a
# sentence may ("Net refunds..."): a bracketed dot before it hides a dot far more often.
_NO_WORD_ENDINGS = frozenset(
    """com net org edu gov biz xyz io cn uk de jp fr ru hk tw eu au nl ch se sg kr nz mx br
    es icu sbs cfd tk ml ga gq pw ws su gg fi ly cc tv mobi""".split()
)
# The last bracketed dot, a space after it, and the word after it: a sentence's end that a
# link may stand before ("evil[.]com[.] So", read as "evil[.]com").
_LAST_WORD = re.compile(rf" ?{_BRACKET} {_LABEL}\Z", re.IGNORECASE)
# Each starts only where a run starts, so no input makes it retry inside one (linear time);
# a scheme before it is part of the link ("hxxps://evil[.]com", "//evil[.]com"), not a run
# the link may not start after.
_LINK = re.compile(
    rf"(?<![\w.@/-])(?:{SCHEME})?(?P<domain>{_LABEL}(?:(?:{_BRACKETED_DOT}|\.){_LABEL})+)(?:{URL_PATH})?",
    re.IGNORECASE,
)
_DOTS = re.compile(_BRACKETED_DOT, re.IGNORECASE)
# Whether a text has a bracketed dot: the same answer as _DOTS.search, whose optional space
# first gave ``re`` no first character to skip ahead to (it tried every position); a bracket
# first lets it skip to one in C.
_ANY_DOT = re.compile(_BRACKET, re.IGNORECASE)


class Address(NamedTuple):
    """``text[start:end]`` spells ``address``, an ``EMAIL`` (read aloud) or a ``URL``."""

    start: int
    end: int
    kind: str
    address: str


def find_disguised(text: str, taken: Sequence[Finding]) -> list[Address]:
    """The addresses ``text`` spells that the link and contact checks do not read, outside
    the findings ``taken`` (the contact check's), in order and none overlapping: see
    :func:`_joined`."""
    found = _links(text) if _ANY_DOT.search(text) else []
    found += [Address(start, end, "URL", link) for start, end, link in find_written(text)]
    for start, end in spoken_emails(text):  # a link alone after prose: "Look at evil dot com"
        address = plain_address(text[start:end])
        found.append(Address(start, end, "EMAIL" if "@" in address else "URL", address))
    if not found:
        return []
    marked = Marked(len(text), [(f.start, f.end) for f in taken])
    return _joined([a for a in found if not marked.overlaps(a.start, a.end)])


def _joined(addresses: list[Address]) -> list[Address]:
    """``addresses`` with those that overlap as one, read as the longest of them ("help at
    evil [.]com", not its "evil [.]com") and spanning them all: "help at evil [.]com/x" is
    removed whole, not leaving "/x" of the link the email's reading cut short."""
    joined: list[tuple[int, int, Address]] = []  # each span, and the longest address in it
    for address in sorted(addresses):
        if joined and address.start < joined[-1][1]:
            start, end, longest = joined[-1]
            if address.end - address.start > longest.end - longest.start:
                longest = address
            joined[-1] = (start, max(end, address.end), longest)
        else:
            joined.append((address.start, address.end, address))
    return [
        longest if longest[:2] == (start, end) else longest._replace(start=start, end=end)
        for start, end, longest in joined
    ]  # the same address where it overlapped none: no copy of it made


def widened(findings: list[Finding], addresses: Sequence[Address]) -> list[Finding]:
    """``findings`` (the link and contact checks') each widened to the whole of the
    ``addresses`` (:func:`find_disguised`'s, in order, none overlapping) it overlaps: in
    "maple[.] example.com/x" the link check reads "example.com/x", and removing only that
    would leave "maple[.] " of what may be read as one link. A finding one of them reads on
    from the same start is dropped: the link check's "https://maple[" is the start of
    "https://maple[.]example[.]com/returns", judged whole, as the bot's own."""
    if not addresses:
        return findings
    starts = [address.start for address in addresses]
    found = []
    for finding in findings:
        start, end = finding.start, finding.end
        if (at := bisect.bisect_left(starts, start)) < len(starts) and _reads_on(
            addresses[at], finding
        ):
            continue
        # Those that start before the finding ends, back to one that ends before it starts.
        at = bisect.bisect_left(starts, finding.end) - 1
        while at >= 0 and addresses[at].end > finding.start:
            start, end = min(start, addresses[at].start), max(end, addresses[at].end)
            at -= 1
        found.append(Finding(start, end, finding.kind))
    return found


def _reads_on(address: Address, finding: Finding) -> bool:
    """Whether ``address`` is the link ``finding`` is, read further from the same start."""
    same = address.start == finding.start and address.end >= finding.end
    return same and address.kind == finding.kind == "URL"


def _links(text: str) -> list[Address]:
    """The links ``text`` spells with bracketed dots (see :func:`_link`), each match's text
    read once per call: an answer that repeats one defanged link 5,000 times spells the same
    address at the same place in each match (``_link`` reads nothing outside it)."""
    read: dict[tuple[str, int, int], tuple[str, int] | None] = {}
    found = []
    for match in _LINK.finditer(text):
        start = match.start()
        key = (match.group(), match.start("domain") - start, match.end("domain") - start)
        if key not in read:
            link = _link(match)
            read[key] = (link.address, link.end - start) if link else None
        if (spelled := read[key]) is not None:
            found.append(Address(start, start + spelled[1], "URL", spelled[0]))
    return found


def _link(match: re.Match[str]) -> Address | None:
    """The link ``match`` spells, if a bracketed dot disguises it ("evil[.]com/pay"); with
    no path, read without its last bracketed dot and word when they end a sentence after the
    link ("evil[.]com[.] So you can go", "evil[.]com[.] Thanks"), which would otherwise hide
    it as prose."""
    domain, path = match["domain"], match.group()[match.end("domain") - match.start() :]
    address = _spelled(domain, path)
    if address is None and not path and (last := _LAST_WORD.search(domain)):
        domain = domain[: last.start()]  # cut once, so that the scan stays linear
        address = _spelled(domain, "")
    end = match.start("domain") + len(domain) + len(path)
    return Address(match.start(), end, "URL", address) if address else None


def _spelled(domain: str, path: str) -> str | None:
    """The address ``domain`` (its dots bracketed, some or all) and ``path`` spell, unless
    no dot is bracketed, the last label is no ending, or the dots read as prose."""
    plain = _DOTS.sub(".", domain)
    if plain == domain or not is_domain_ending(plain.rsplit(".", 1)[-1]):
        return None
    return None if _prose(domain, path) else plain + path


def _prose(domain: str, path: str) -> bool:
    """Whether the bracketed dots of ``domain`` read as prose, not a hidden dot: one spaced
    before a word ("see [.] to"); with no ``path`` after it, one naming an ending ("the
    [.]com section") or ending a sentence ("Done[.] So you can go")."""
    named = _NAMED_ENDING.search(domain) or _sentence_end(domain)
    return bool((named and not path) or _WORD_ENDING.search(domain))


def _sentence_end(domain: str) -> bool:
    """Whether ``domain`` ends in a bracketed dot, a space and a capitalised word that starts
    a sentence ("Done[.] So"), not an ending no sentence starts with ("Evil[.] Com")."""
    end = _SENTENCE_END.search(domain)
    return end is not None and end["word"].lower() not in _NO_WORD_ENDINGS


def not_given_addresses(addresses: list[Address], known: Given) -> list[Finding]:
    """The ``addresses`` ``known`` does not give: a link by its domain, as the link check
    judges one, and an email read aloud by its domain too, or else by its value."""
    # An answer may spell one address many times ("help at evil dot com" on each line): each
    # is read once (its domain, a urlsplit), as the verdict depends on nothing else.
    given: dict[tuple[str, str], bool] = {}
    found = []
    for a in addresses:
        if (key := (a.kind, a.address)) not in given:
            given[key] = _given(a, known)
        if not given[key]:
            found.append(Finding(a.start, a.end, a.kind))
    return found


def _given(address: Address, known: Given) -> bool:
    """Whether ``known`` gives ``address``: see :func:`not_given_addresses`."""
    domain = domain_of(address.address.rsplit("@", 1)[-1])
    return allowed_domain(domain, known.domains) or (
        address.kind == "EMAIL" and canonical("EMAIL", address.address) in known.values
    )
