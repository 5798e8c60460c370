"""Payment cards and mainland China resident ID numbers, for the PII detector.

Both are windows of whole digit groups ("4111 1111 1111 1111", "1101 0119 9001 0112 37")
inside a run of digit groups, checked by issuer prefixes, lengths and Luhn, or by the
ISO 7064 MOD 11-2 check digit and a real birth date. Windows are tried from each of a run's
first few groups (again after each number found) and then ending at its end, so a number with
other groups on both sides that do not belong to it is missed, and time stays linear.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Collection, Iterator
from functools import lru_cache
from operator import mul
from typing import Final

from .boundaries import glued

_A: Final = re.ASCII
_Found = Iterator[tuple[int, int, str]]


# Groups are split by one or two spaces, "-", " - ", "/" or " / " ("4111/1111/1111/1111"; a
# date, "2024/12/05", has too few digits, and groups under 3 digits never combine, see
# _longest).
_SEPARATOR: Final = "(?: {1,2}|-| - |/| / )"
_SEPARATORS: Final = " -/"
_NO_SEPARATORS: Final = str.maketrans("", "", _SEPARATORS)
_RUN: Final = re.compile(
    rf"[0-9](?<![0-9A-Za-z].)[0-9]{{2}}(?=(?:{_SEPARATOR}?[0-9]){{10}})"  # 13+ digits, a run start
    rf"[0-9]*(?:{_SEPARATOR}[0-9]+)*[Xx]?",
    _A,
)
_GROUP: Final = re.compile(r"[0-9]+[Xx]?", _A)
# A window is at most 19 digits and 4 separators of up to 3 characters (31), and the group
# read last may be cut short, so is dropped: reach on over a separator to the next digit.
_REACH: Final = 35
_Classify = Callable[[str], str | None]
_MAX_MISSES: Final = 6  # group starts tried per run before only its end is: keeps time linear


def find_numbers(text: str, kinds: Collection[str]) -> _Found:
    """CARD and CN_ID windows from each of a run's first groups, then ending at its end."""
    checks = [(kind, _NUMBER_CHECKS[kind]) for kind in ("CN_ID", "CARD") if kind in kinds]

    def classify(value: str) -> str | None:
        for kind, check in checks:
            if check(value):
                return kind
        return None

    for run in _RUN.finditer(text) if checks else ():
        start, end = run.span()
        misses = (
            0  # windows tried from a group that starts no number ("+86 138 0013 8000 4111 ...")
        )
        while start < end and misses < _MAX_MISSES:
            found = _head(text, start, end, classify)
            if found is None:
                misses += 1
            else:
                yield found
            resume = found[1] if found else _group_end(text, start, end)
            after = _GROUP.search(text, resume, end)  # the separator is one to three characters
            start = end if after is None else after.start()
        while start < end and (found := _tail(text, start, end, classify)) is not None:
            yield found
            end = found[0]
            while end > start and text[end - 1] in _SEPARATORS:
                end -= 1


def _group_end(text: str, start: int, end: int) -> int:
    """Where the group at ``start`` ends (``end`` if none starts there): read only when no
    number starts there, as a number found ends where the next search resumes."""
    group = _GROUP.match(text, start)
    return group.end() if group else end


def _head(text: str, start: int, end: int, classify: _Classify) -> tuple[int, int, str] | None:
    groups = [m.span() for m in _GROUP.finditer(text, start, min(end, start + _REACH))]
    if start + _REACH < end:
        groups.pop()  # may be cut short
    count, kind = _longest(text, groups, classify, backwards=False)
    return (groups[0][0], groups[count - 1][1], kind) if kind else None


def _tail(text: str, start: int, end: int, classify: _Classify) -> tuple[int, int, str] | None:
    groups = [m.span() for m in _GROUP.finditer(text, max(start, end - _REACH), end)]
    if end - _REACH > start:
        groups.pop(0)  # may be cut short
    groups.reverse()
    count, kind = _longest(text, groups, classify, backwards=True)
    return (groups[count - 1][0], groups[0][1], kind) if kind else None


def _longest(
    text: str, groups: list[tuple[int, int]], classify: _Classify, backwards: bool
) -> tuple[int, str | None]:
    """How many of ``groups`` (read away from the run's start or end) form the longest number.

    Every group but the last has at least 3 digits, so lists of small numbers never combine.
    """
    best: tuple[int, str | None] = (0, None)
    size = 0
    for n, (a, b) in enumerate(groups):
        inner = (a, b) if backwards else groups[n - 1]  # the group that is no longer the last
        if n and inner[1] - inner[0] < 3:
            break
        size += b - a
        if size > 19:
            break
        if size >= 13:
            low, high = (a, groups[0][1]) if backwards else (groups[0][0], b)
            kind = classify(text[low:high].translate(_NO_SEPARATORS))
            if kind and not glued(text, high):
                best = (n + 1, kind)
    return best


# Issuer prefixes (first-last, compared as equal-length strings) and lengths: Visa; Mastercard
# and its 2-series; Mir; Amex; Discover; JCB; UnionPay; Diners; Maestro (from 13 digits, as
# shorter numbers are order numbers); Dankort; UATP (15 digits: "1" + 12 is a ms timestamp).
_ISSUER_TABLE: Final = (
    "4:13,16,19 51-55:16 2221-2720:16 2200-2204:16-19 34:15 37:15 6011:16-19 644-649:16-19 "
    "65:16-19 3528-3589:16-19 62:16-19 300-305:14-19 3095:14-19 36:14-19 38-39:14-19 "
    "5018:13-19 5020:13-19 5038:13-19 5893:13-19 6304:13-19 6759:13-19 6761-6763:13-19 "
    "5019:16 1:15"
)


def _parse_issuers(table: str) -> tuple[tuple[str, str, frozenset[int]], ...]:
    issuers = []
    for entry in table.split():
        prefixes, _, lengths = entry.partition(":")
        low, _, high = prefixes.partition("-")
        sizes = {int(n) for n in lengths.split(",") if "-" not in n}
        for span in (n for n in lengths.split(",") if "-" in n):
            first, last = span.split("-")
            sizes.update(range(int(first), int(last) + 1))
        issuers.append((low, high or low, frozenset(sizes)))
    return tuple(issuers)


_ISSUERS: Final = _parse_issuers(_ISSUER_TABLE)
_DOUBLED: Final = bytes.maketrans(b"0123456789", b"0246813579")


def _valid_card(value: str) -> bool:
    return value.isdigit() and _known_issuer(value[:4], len(value)) and _luhn_ok(value)


@lru_cache(maxsize=4096)
def _known_issuer(prefix: str, length: int) -> bool:
    return any(
        length in sizes and low <= prefix[: len(low)] <= high for low, high, sizes in _ISSUERS
    )


def _luhn_ok(digits: str) -> bool:
    raw = digits.encode()
    return (sum(raw[-1::-2]) + sum(raw[-2::-2].translate(_DOUBLED)) - 48 * len(raw)) % 10 == 0


_PROVINCES: Final = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91}
)
_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_ZEROS: Final = ord("0") * sum(_ID_WEIGHTS)


def _valid_cn_id(value: str) -> bool:
    """18 characters: province code, a real birth date not in the future, MOD 11-2 check."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(map(mul, value[:17].encode(), _ID_WEIGHTS)) - _ID_ZEROS
    return (
        "10X98765432"[total % 11] == value[17].upper()
        and int(value[:2]) in _PROVINCES
        and _is_birth_date(value[6:14])
    )


def _is_birth_date(yyyymmdd: str) -> bool:
    """Whether eight ASCII digits are a real date from 1850 to today. ``fromisoformat`` reads
    them (YYYYMMDD) in C and rejects the dates ``date(y, m, d)`` does: 0.4 -> 0.06 us."""
    try:
        born = _dt.date.fromisoformat(yyyymmdd)
    except ValueError:
        return False
    return _EARLIEST_BIRTH <= born <= _dt.date.today()


_EARLIEST_BIRTH: Final = _dt.date(1850, 1, 1)


_NUMBER_CHECKS: Final[dict[str, Callable[[str], bool]]] = {
    "CN_ID": _valid_cn_id,
    "CARD": _valid_card,
}
