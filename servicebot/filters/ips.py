"""IP addresses, for ``pii.find_pii``: IPv4 with its octets in range and IPv6 in every text
form RFC 4291 allows, an address's prefix length and zone kept when well formed; a version
number shaped like an address ("firmware 2.0.1.12", 更新到 3.2.1.5) is none.

Owns :func:`ip_spans`. Like ``pii.py``'s, every regex is linear-time, and ``ipaddress`` is
asked only about what the cheap shapes leave.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final

from .boundaries import ALNUM, ASCII, Spans, glued, starts_free

_IPV4: Final = re.compile(
    r"[0-9][0-9]{0,2}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?![0-9A-Za-z_])(?:/[0-9]{1,3}(?![0-9]))?",
    ASCII,
)
# Exactly what ipaddress.IPv4Address accepts (0-255, no leading zeros), without its cost.
_OCTETS: Final = re.compile(r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\.|$)){4}", ASCII)
_IPV6: Final = re.compile(
    r"(?P<addr>[0-9A-Fa-f.:](?<![0-9A-Za-z_:.].)(?:(?<=:)|[0-9A-Fa-f.]*:)[0-9A-Fa-f:.]*)"
    r"(?P<zone>%[0-9A-Za-z]+)?(?P<prefix>/[0-9]{1,3})?",
    ASCII,
)
_IP_BLOCKED: Final = ALNUM | {"_", "."}
# "firmware 2.0.1.12", "version 10.0.0.1", "updated to 4.2.0.1", "更新到 3.2.1.5": a version,
# shaped like an address.
_VERSION: Final = re.compile(
    r"(?=[VvFfBbRrUu版固更升])(?<![A-Za-z])"
    r"(?:version|firmware|build|release|ver\.?|v\.|版本号?|固件"
    r"|(?:updat|upgrad)(?:e|es|ed|ing) to|(?:更新|升级)[到至]?)"
    r"[ \t:：#]*(?:is[ \t]+|是|为)?[ \t]*",
    re.IGNORECASE,
)


def ip_spans(text: str) -> Spans:
    """IPv4 addresses (with a prefix length up to 32) and IPv6 ones (with a zone and a prefix
    length up to 128) in normalised ``text``; not a version number ("firmware 2.0.1.12")."""
    versions: set[int] | None = None  # where a version number would start, found when needed
    for match in _IPV4.finditer(text) if "." in text else ():
        addr, _, prefix = match[0].partition("/")
        start = match.start()
        if not (starts_free(text, start, _IP_BLOCKED) and _OCTETS.fullmatch(addr)):
            continue
        if versions is None:
            versions = {version.end() for version in _VERSION.finditer(text)}
        if start not in versions:
            keep = prefix and int(prefix) <= 32
            yield match.start(), match.end() if keep else match.start() + len(addr)
    for match in _IPV6.finditer(text) if ":" in text else ():
        end = _ipv6_end(text, match)
        if end is not None:
            yield match.start(), end


def _ipv6_end(text: str, match: re.Match[str]) -> int | None:
    """Trim a trailing sentence dot or colon; bare "::" is punctuation far more than an address."""
    addr = match["addr"].rstrip(".")
    if addr.count(":") < 2 or not addr.strip(":."):  # every IPv6 address has two colons
        return None
    if not _is_ipv6(addr):
        addr = addr[:-1] if addr.endswith(":") else ""
        if not _is_ipv6(addr):
            return None
    end = match.start() + len(addr)
    if glued(text, end):
        return None
    return _ipv6_suffix_end(text, match, addr) if end == match.end("addr") else end


def _ipv6_suffix_end(text: str, match: re.Match[str], addr: str) -> int:
    """Extend over a zone (``%eth0``) and a prefix length of 0-128 when they are well formed."""
    end = match.end("addr")
    if match["zone"]:
        if not _is_ipv6(addr + match["zone"]):
            return end
        end = match.end("zone")
    prefix = match["prefix"]
    if prefix and int(prefix[1:]) <= 128 and not glued(text, match.end()):
        end = match.end()
    return end


# RFC 4291's text forms of an address in hexadecimal groups alone: what ipaddress accepts
# of them, at a fraction of its cost (it took most of the time a text full of addresses did).
_G = "[0-9A-Fa-f]{1,4}"
_HEX_IPV6: Final = re.compile(
    f"(?:{_G}:){{7}}{_G}|(?:{_G}:){{1,7}}:|:(?::{_G}){{1,7}}|::"
    + "".join(f"|(?:{_G}:){{1,{n}}}(?::{_G}){{1,{7 - n}}}" for n in range(1, 7)),
    ASCII,
)


def _is_ipv6(value: str) -> bool:
    # Cheap shapes first: an address has "::" or eight groups (seven colons, or six and an
    # IPv4 tail); ipaddress costs an exception per failure, and "1:2: 1:2: ..." has thousands.
    colons = value.count(":")
    if "::" not in value and colons != 7 and not (colons == 6 and "." in value):
        return False
    if _HEX_IPV6.fullmatch(value):
        return True
    try:  # an IPv4 tail, a zone, or no address
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True
