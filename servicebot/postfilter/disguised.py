"""Addresses written so the link and email checks do not read them, though a customer does.

A defanged link ("evil[.]com", "evil(dot)com"), a defanged or spelled-out email
("help[at]evil.com", "help(at)evil(dot)com", "help at evil dot com") and a chained one
("support@maple.example.com@evil.com", whose mail goes to evil.com) each spell an address a
customer may type. Each is read as that address and checked as one; a match that spells none
(prose: "look at the dot com era", "meet at home dot") is left alone.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..filters import Finding
from ..filters.values import canonical
from .contacts import Given
from .links import URL_PATH, allowed_domain, domain_of, is_domain_ending

_LABEL = r"[a-z0-9-]+"
_BRACKETED_DOT = r" ?[\[({](?:\.|dot)[\])}] ?"
_SPELLED_DOT = r" +dot +"
_DOMAIN = rf"{_LABEL}(?:(?:{_BRACKETED_DOT}|{_SPELLED_DOT}|\.){_LABEL})+"
# After a spelled-out "at", a word no address starts with is prose: "look at the dot com era".
_NOT_PROSE = r"(?!(?:the|a|an|this|that|my|your|our|their|his|her|its) )"
_AT = rf"@|(?P<bracketed> ?[\[({{](?:@|at)[\])}}] ?)|(?P<spelled> +at +{_NOT_PROSE})"
# Each starts only where a run starts, so no input makes it retry inside one (linear time).
_EMAIL = re.compile(
    rf"(?<![\w.+%@-])(?P<local>[\w.+%-]+(?:@[\w.+%-]+)*)(?:{_AT})(?P<domain>{_DOMAIN})",
    re.IGNORECASE,
)
_LINK = re.compile(
    rf"(?<![\w.@/-])(?P<domain>{_LABEL}(?:(?:{_BRACKETED_DOT}|\.){_LABEL})+)(?:{URL_PATH})?",
    re.IGNORECASE,
)
_HINT = re.compile(r"[\[({]| dot |@.*@", re.IGNORECASE | re.DOTALL)  # what each needs
_DOTS = re.compile(rf"{_BRACKETED_DOT}|(?P<spelled>{_SPELLED_DOT})", re.IGNORECASE)


class Address(NamedTuple):
    """``text[start:end]`` spells ``address``, an ``EMAIL`` or a ``URL``; ``spoken``, whether
    its "at" is the plain word ("us at maple dot example dot com")."""

    start: int
    end: int
    kind: str
    address: str
    spoken: bool = False


def find_disguised(text: str) -> list[Address]:
    """The addresses ``text`` spells that the link and email checks do not read; of two
    that overlap, the longer ("help[at]evil[.]com", not its "evil[.]com")."""
    if not _HINT.search(text):  # most answers
        return []
    found = [a for m in _EMAIL.finditer(text) if (a := _email(m))]
    found += [a for m in _LINK.finditer(text) if (a := _link(m))]
    kept: list[Address] = []
    for address in sorted(found, key=lambda a: a.start - a.end):
        if all(address.end <= k.start or k.end <= address.start for k in kept):
            kept.append(address)
    return sorted(kept)


def _email(match: re.Match[str]) -> Address | None:
    """The email ``match`` spells, unless it is plain (the email check reads it) or spells
    none: a spelled-out "at" needs a spelled-out "dot" ("help at evil dot com")."""
    local, (domain, spelled) = match["local"], _refanged(match["domain"])
    disguised = "@" in local or match["bracketed"] or domain != match["domain"]
    if not disguised or (match["spelled"] and not spelled) or not _ends_well(domain):
        return None
    address = f"{local}@{domain}"
    return Address(match.start(), match.end(), "EMAIL", address, bool(match["spelled"]))


def _link(match: re.Match[str]) -> Address | None:
    """The link ``match`` spells, if a bracketed dot disguises it ("evil[.]com/pay"); a
    spelled-out "dot" with no "at" is prose ("the dot com era")."""
    domain, spelled = _refanged(match["domain"])
    if domain == match["domain"] or spelled or not _ends_well(domain):
        return None
    address = domain + match.group()[len(match["domain"]) :]
    return Address(match.start(), match.end(), "URL", address)


def _refanged(domain: str) -> tuple[str, bool]:
    """``domain`` with each disguised dot a dot, and whether one was spelled out."""
    spelled = False

    def dot(match: re.Match[str]) -> str:
        nonlocal spelled
        spelled = spelled or match["spelled"] is not None
        return "."

    return _DOTS.sub(dot, domain), spelled


def _ends_well(domain: str) -> bool:
    return is_domain_ending(domain.rsplit(".", 1)[-1])


def not_given_addresses(addresses: list[Address], known: Given) -> list[Finding]:
    """The ``addresses`` ``known`` does not give: an email by its value, a link by its
    domain, as the email and link checks judge them."""
    return [Finding(a.start, a.end, a.kind) for a in addresses if not _given(a, known)]


def _given(address: Address, known: Given) -> bool:
    """Whether ``known`` gives ``address``. An email whose "at" is the plain word passes on
    its domain, as a link does: "visit us at maple dot example dot com" is the bot's own
    website read aloud after prose, not a mailbox "us" on it."""
    if address.kind == "URL":
        return allowed_domain(domain_of(address.address), known.domains)
    domain = domain_of(address.address.rsplit("@", 1)[-1])
    if address.spoken and allowed_domain(domain, known.domains):
        return True
    return canonical("EMAIL", address.address) in known.values
