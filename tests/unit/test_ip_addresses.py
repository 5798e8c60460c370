"""IP addresses, for the PII detector (``servicebot/filters/pii.py``): IPv4 and IPv6 found
whole, with a zone, prefix or port beside them, exactly where ``ipaddress`` accepts them;
and version numbers, times and MAC addresses, which are no address."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.unit.piifindings import found


@pytest.mark.parametrize(
    "text, expected",
    [
        ("from 192.168.0.1.", ["192.168.0.1"]),
        ("(10.0.0.1), 172.16.0.1", ["10.0.0.1", "172.16.0.1"]),
        ("subnet 192.168.1.0/24 and 10.0.0.0/123", ["192.168.1.0/24", "10.0.0.0"]),
        ("ipv6 2001:db8::1.", ["2001:db8::1"]),
        ("[2001:db8::1]:8080", ["2001:db8::1"]),
        ("fe80::1%eth0/64 ::ffff:192.0.2.1", ["fe80::1%eth0/64", "::ffff:192.0.2.1"]),
        ("684D:1111:222:3333:4444:5555:6:77", ["684D:1111:222:3333:4444:5555:6:77"]),
        ("2001:db8::/9999", ["2001:db8::"]),
    ],
)
def test_ip_positives(text: str, expected: list[str]) -> None:
    assert found(text, "IP") == expected


@pytest.mark.parametrize(
    "text",
    [
        "256.1.1.1",
        "192.168.1.256",
        "192.168.1",
        "01.02.03.04",  # leading zeros are not accepted by ipaddress either
        "IP192.168.1.1text",
        "2001::db8::1",
        "12345:db8::1",
        "fe80::1text",
        "aa:bb:cc:dd:ee:ff",
        "Time 12:34:56",
        "std::cout and ::",
        "Version 1.2.3",
    ],
)
def test_ip_negatives(text: str) -> None:
    assert found(text, "IP") == []


@given(st.tuples(*[st.integers(0, 300)] * 4))
def test_ipv4_agrees_with_ipaddress(octets: tuple[int, int, int, int]) -> None:
    address = ".".join(map(str, octets))
    try:
        ipaddress.IPv4Address(address)
        valid = True
    except ValueError:
        valid = False
    assert found(f"ip {address} here", "IP") == ([address] if valid else [])


_GROUPS = st.lists(st.text(alphabet="0123456789abcdefABCDEF", max_size=5), min_size=1, max_size=9)


@given(_GROUPS, st.integers(0, 9), st.booleans())
def test_ipv6_agrees_with_ipaddress(groups: list[str], gap: int, shortened: bool) -> None:
    """Addresses in hexadecimal groups are read without ipaddress (for speed): every one it
    accepts, and only those, is found whole."""
    if shortened:
        address = ":".join(groups[:gap]) + "::" + ":".join(groups[gap:])
    else:
        address = ":".join(groups)
    assume(address.strip(":"))  # a bare "::" is punctuation (see test_ip_negatives)
    try:
        ipaddress.IPv6Address(address)
        valid = True
    except ValueError:
        valid = False
    assert (found(f"ip {address} here", "IP") == [address]) == valid


@pytest.mark.parametrize(
    "text",
    [
        "my router firmware is 2.0.1.12, update fails",
        "version 10.0.0.1",
        "版本号 4.2.0.1",
        "After updating to 4.2.0.1 the app crashes",
        "更新到 3.2.1.5 之后闪退",
    ],
)
def test_a_version_number_is_not_an_address(text: str) -> None:
    assert found(text, "IP") == []
