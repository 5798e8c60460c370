"""Email addresses, for the PII detector: as typed (``john@gmail.com``) and as customers write
them out to get past a form's check (``john dot smith at gmail dot com``, ``john[at]gmail[dot]com``,
``john @ gmail . com``, ``john%40gmail.com`` pasted from a link, ``john艾特gmail点com``,
``john@gmail[.]com`` defanged) or chained (``support@maple.example.com@evil.com``, whose mail
goes to evil.com); :func:`~.writtenemails.spoken_emails`, the one-word names before a plain
"at" that the post-filter reads in answers (``help at evil dot com``); and
:func:`plain_address`, the one form all are compared in, so an address written two ways
keeps one placeholder.

Typed addresses are read here; written-out ones, and :func:`~.writtenemails.spoken_emails`,
by ``writtenemails.py``, the one reader of written-out addresses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from servicebot.filters.boundaries import ASCII, Spans, matches_from
from servicebot.filters.idnemails import LOCAL, idn_email_spans
from servicebot.filters.writtenemails import LOOSE_DOTS, written_before, written_out

# --- as typed ---------------------------------------------------------------------------------

# The local part may hold accented Latin letters (josé.garcía@...), and a Chinese keyboard's
# 。 may stand for any of the address's dots (zhang。san@qq。com), though not begin it: one
# before an address ends a sentence. (Latin text, 。 and an address with no space between,
# "iPhone。zhang@qq.com", is masked whole: more than the address, rather than part of it.)
_HOST: Final = "[A-Za-z0-9-]+(?:[.。][A-Za-z0-9-]+)+"
_EMAIL: Final = re.compile(f"[{LOCAL}](?<![{LOCAL}].)[。{LOCAL}]*@{_HOST}(?:@{_HOST})*")
# Every typed address has an "@", and before its first one a local part, with no space.
_AT_SIGN: Final = re.compile("@")
_TLD: Final = re.compile(r"[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59}", ASCII)


def email_spans(text: str) -> Spans:
    """Email addresses in ``text``, as typed (with letters beyond Latin ones too: see
    ``idnemails.py``) and as written out."""
    yield from _typed(text)
    if not text.isascii() and "@" in text:
        yield from idn_email_spans(text)
    yield from written_out(text)


def _typed(text: str) -> Spans:
    """Typed addresses, each with the names written out before it ("john dot smith@gmail.com")
    and the hosts chained after it ("support@maple.example.com@evil.com"): the run up to its
    last host that is a domain is one address, which a mail client sends to that domain."""
    if "@" not in text:  # most messages
        return
    written = "dot" in text.lower() or any(end in text for end in "])}>点")  # a written dot's
    domains: dict[str, bool] = {}  # whether each domain is one: one call's, as in written_out
    for match in _typed_matches(text):
        start = match.start()
        while text[start] in ".'":  # a sentence's dots and quotes are not part of the address
            start += 1
        local, _, domain = text[start : match.end()].replace("。", ".").partition("@")
        if "@" in domain:
            domain = _to_last_domain(domain)
        if local and domain and _valid_local(local) and _known_domain(domain, domains):
            end = start + len(local) + 1 + len(domain)
            yield (start - written_before(text, start) if written else start), end


def _typed_matches(text: str) -> Iterator[re.Match[str]]:
    """``_EMAIL``'s matches: with an "@" every 32 characters or more often (a pasted list), one
    scan in C (16 ns a character) beats a search per "@" (0.5 us), and finds the same."""
    dense = text.count("@") * 32 >= len(text)
    return _EMAIL.finditer(text) if dense else matches_from(_EMAIL, text, _AT_SIGN)


def _known_domain(domain: str, domains: dict[str, bool]) -> bool:
    """``_valid_domain``, each domain read once a call (a list of addresses repeats one)."""
    if (valid := domains.get(domain)) is None:
        valid = domains[domain] = _valid_domain(domain)
    return valid


def _to_last_domain(hosts: str) -> str:
    """``hosts`` ("maple.example.c0m@evil.com@x.c0m", after an address's first "@") up to
    the last one that is a domain, where the mail goes ("" if none is)."""
    chain = hosts.split("@")
    for n in range(len(chain), 0, -1):
        if _valid_domain(chain[n - 1]):
            return "@".join(chain[:n])
    return ""


def _valid_local(local: str) -> bool:
    return ".." not in local and not local.endswith(".")


def _valid_domain(domain: str) -> bool:
    return (
        _TLD.fullmatch(domain[domain.rfind(".") + 1 :]) is not None
        and "-." not in domain
        and ".-" not in domain
        and domain[0] != "-"
        and domain[-1] != "-"
    )


def plain_address(value: str) -> str:
    """``value``, a found address, as typed: "john dot smith at gmail dot com", "john(at)gmail
    [dot]com" and "john@gmail.com" all read "john@gmail.com" (case kept)."""
    if "@" not in value:
        value = _AT_IN_VALUE.sub("@", value, count=1)
    return re.sub(r"[ \t]+", "", LOOSE_DOTS.sub(".", value))


_AT_IN_VALUE: Final = re.compile(
    r"[ \t]*(?:[\[({<](?:at|@)[\])}>]|艾特|%40)[ \t]*|[ \t]+at[ \t]+", re.IGNORECASE | re.ASCII
)
