"""Phone numbers: the patterns that find them (international, mainland China, Taiwan mobiles,
landlines and toll-free numbers, UK, Hong Kong, North American numbers, and Japanese and Korean
mobiles), and :func:`dialled_at_home`, the one form a phone number is compared in (see
:func:`.values.canonical`).
"""

from __future__ import annotations

import re
from typing import Final

from servicebot.filters.boundaries import ALNUM_PLUS, ASCII, Spans, glued, starts_free

# "+" and a country code; groups split by one separator, or an area code in parentheses. Also
# the country code in parentheses, "(+852) 9123 4567" or "(852) ...", and "00" for "+" when a
# separator sets the country code apart, "0044 7700 900123" (an order number may start 00).
_INTL_PHONE: Final = re.compile(
    r"(?:\+(?=[1-9])|\((?:\+[1-9][0-9]{0,2}|(?:00)?[1-9][0-9]{1,2})\)[ .-]?"
    r"|00(?=[1-9][0-9]{0,2}[ -]))"
    r"[0-9](?=[0-9 ().-]{7})[0-9]*"
    r"(?:[ .-]?\([0-9]+\)[ .-]?[0-9]+|[ .-][0-9]+)*",
    ASCII,
)
# Mainland China mobile: optional +86 / 0086 / 86 / trunk 0, then 1[3-9]x xxxx xxxx.
_CN_MOBILE: Final = re.compile(
    r"(?:\+86[ -]?1|0086[ -]?1|86[ -]?1|01|1)[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9A-Za-z])", ASCII
)
# Mainland China and Taiwan landlines, with the area code set apart (010-12345678,
# (0755) 8601-3388, (02)2345-6789, 07-123-4567),
# and the nationwide 400/800 service numbers (400-123-4567; ten bare digits are as often an
# order number): the numbers a Chinese support answer is likeliest to make up.
_CN_FIXED: Final = re.compile(
    r"[(048]"  # a character class first lets the search for a start run in C: 2 us a message
    r"(?:(?<=\()0[1-9][0-9]{0,2}\) ?[1-9][0-9]{2,3}[ -]?[0-9]{4}"  # (0755) 8601-3388
    r"|(?<=0)[1-9][0-9]{0,2}[ -][1-9][0-9]{2,3}[ -]?[0-9]{4}"  # 010-12345678
    r"|(?<=[48])00([ -])[0-9]{3}\1[0-9]{4})(?![0-9A-Za-z])",  # 400-123-4567, not 4001234567
    ASCII,
)
# Taiwan's numbering plan: a trunk 0, an area code, and a subscriber number whose length the
# area code fixes, so 9 or 10 digits in all with the 0:
#   02 Taipei, New Taipei, Keelung: 8 digits (02-2345-6789)
#   03 Taoyuan, Hsinchu, Yilan, Hualien; 05 Chiayi, Yunlin; 06 Tainan, Penghu; 07 Kaohsiung;
#   08 Pingtung: 7 digits (07-123-4567)
#   04 Taichung 8 digits, Changhua 7 (04-2345-6789, 04-712-3456); 049 Nantou 7 (049-234-5678)
#   037 Miaoli, 082 Kinmen, 089 Taitung: 6 digits (037-123456)
#   0826 Wuqiu, 0836 Matsu: 5 digits (0826-12345)
# and the toll-free 0800 and 0809 numbers, 6 digits after them (0800-123-456). Mobiles (09) are
# _TW_MOBILE. A landline is found with its area code set apart (037-123456, (037)123456) or
# bare (0287654321, subscriber starting 2-9), whole: a longer or shorter run is no Taiwan
# number ("订单号 07551234567"). No 7-digit local number without its area code (412-8888):
# that is a price range (300-5000) or a model number as often; a phone label finds it.
_TW_SUBSCRIBERS: Final = {
    "2": (8,), "3": (7,), "37": (6,), "4": (7, 8), "49": (7,), "5": (7,), "6": (7,),
    "7": (7,), "8": (7,), "82": (6,), "826": (5,), "836": (5,), "89": (6,),
}  # fmt: skip
_TW_GROUPED: Final = {  # a subscriber number after its area code set apart, in its groupings
    8: "[1-9][0-9]{3}[ -]?[0-9]{4}",
    7: "[1-9][0-9]{2}[ -]?[0-9]{4}",
    6: "[1-9][0-9]{2}[ -]?[0-9]{3}",
    5: "[1-9][0-9]{4}",
}


def _tw_landline(paren: bool) -> str:
    """One alternative per area code and subscriber length, read after the area code's 0:
    ``AC) SUB`` after "(0" (``paren``), else ``AC-SUB`` or bare digits. Each is of fixed
    length, so a failed one costs a few steps."""
    forms = []
    for area, sizes in _TW_SUBSCRIBERS.items():
        for size in sizes:
            grouped, bare = _TW_GROUPED[size], f"[2-9][0-9]{{{size - 1}}}"
            forms.append(f"{area}\\) ?{grouped}" if paren else f"{area}(?:[ -]{grouped}|{bare})")
    return "|".join(forms)


# The first character a set, so that ``re`` skips ahead in C; then, at a "0" followed by an
# area code's first digit (2-8) only, the alternatives: a run of zeros tries none.
_TW_FIXED: Final = re.compile(
    f"[(0](?:(?<=\\()0(?=[2-8])(?:{_tw_landline(paren=True)})"
    f"|(?<=0)(?=[2-8])(?:80[09][ -]?[0-9]{{3}}[ -]?[0-9]{{3}}|{_tw_landline(paren=False)}))"
    "(?![0-9A-Za-z])",
    ASCII,
)
# North American numbers written with separators: (212) 555-0199, 212-555-0199, 212.555.0199.
_US_PHONES: Final = (
    re.compile(r"\([2-9][0-9]{2}\) ?[2-9][0-9]{2}[ .-][0-9]{4}(?![0-9A-Za-z])", ASCII),
    re.compile(r"[2-9][0-9]{2}([ .-])[2-9][0-9]{2}\1[0-9]{4}(?![0-9A-Za-z])", ASCII),
)
# Taiwan mobiles: 09xx xxx xxx or 09xx xxxxxx (+886 9xx xxx xxx is an international number).
_TW_MOBILE: Final = re.compile(r"09[0-9]{2}[ -]?[0-9]{3}[ -]?[0-9]{3}(?![0-9A-Za-z])", ASCII)
# UK mobiles, 07xxx xxxxxx in their usual groupings (eleven bare digits may be an order
# number), and Hong Kong numbers after a bare 852.
_UK_MOBILE: Final = re.compile(
    r"07[0-9]{3}(?: [0-9]{6}| [0-9]{3} [0-9]{3}|-[0-9]{3}-[0-9]{3})(?![0-9A-Za-z])", ASCII
)
# Japanese (070, 080, 090) and Korean (010) mobiles: 0x0 and eight digits, bare or as 4-4.
JP_KR_MOBILE: Final = re.compile(r"0[1789]0([ -]?)[0-9]{4}\1[0-9]{4}(?![0-9A-Za-z])", ASCII)
_HK_BARE: Final = re.compile(r"852[ -][2-9][0-9]{3}[ -]?[0-9]{4}(?![0-9A-Za-z])", ASCII)
_NANP: Final = re.compile(r"1[2-9][0-9]{2}[2-9][0-9]{6}", ASCII)
_CN_NATIONAL_1: Final = re.compile(r"861[3-9][0-9]{9}|8610[0-9]{8}", ASCII)


# Every phone pattern above reads only digits, spaces and ( ) + . -, and every number it
# finds holds at least 8 digits (_valid_intl asks as many of an international one): the
# patterns run only on such runs of the text, which most messages have one or none of (each
# pattern's scan of a whole 60-word message took 1-2 us). A text with many such runs (a
# pasted list of order numbers) is scanned whole, once per pattern, which is then cheaper.
_PHONE_RUN: Final = re.compile(r"[0-9+(][0-9 ().+-]*", ASCII)
_PHONE_DIGITS: Final = 8
_MOST_PHONE_RUNS: Final = 4
# Each pattern with the fewest digits a match of it holds: a run with fewer is not read for
# it (a North American number's run has 10 digits; each pattern's scan of a run took 0.3 us).
# 11: a mainland mobile (1, 3-9, nine more), a UK mobile (07 and nine), a bare Hong Kong number
# (852 and eight), a Japanese or Korean mobile (0x0 and eight); 10: a Taiwan mobile (09 and
# eight); 9: a landline with its area code (0 and two, then seven; 0826 and five).
# And whether every match of it holds a space, dash or bracket (a mainland landline's or
# 400 number's, a UK mobile's, a bare Hong Kong number's): a run of digits alone
# ("13800138000", a mainland mobile) is not read for it, nor for an international number
# ("+", "(", or "00" and a space or dash after the country code) or a North American one.
_PHONE_PATTERNS: Final = (
    (_CN_MOBILE, 11, False),
    (_CN_FIXED, 9, True),
    (_TW_FIXED, 9, False),
    (_TW_MOBILE, 10, False),
    (_UK_MOBILE, 11, True),
    (_HK_BARE, 11, True),
    (JP_KR_MOBILE, 11, False),
)


def phone_spans(text: str) -> Spans:
    runs: list[tuple[int, int, int, bool]] = []  # start, end, digits, digits alone
    for run in _PHONE_RUN.finditer(text):
        if (
            run.end() - run.start() >= _PHONE_DIGITS
            and (digits := sum(map(str.isdigit, run[0]))) >= _PHONE_DIGITS
        ):
            runs.append((*run.span(), digits, digits == run.end() - run.start()))
            if len(runs) > _MOST_PHONE_RUNS:
                runs = [(0, len(text), len(text), False)]  # no more digits than characters
                break
    for start, end, digits, bare in runs:
        # One character more, so that "no letter or digit follows" reads the text's own.
        # The character after a run is none of its characters: a run of digits alone is
        # followed by no space or dash that a pattern may read (see _PHONE_PATTERNS).
        yield from _phones_in(text, start, end + 1, digits, bare=bare)


def _phones_in(text: str, start: int, end: int, digits: int, *, bare: bool = False) -> Spans:
    """Phone numbers in ``text[start:end]``, which holds at most ``digits`` digits, and only
    digits but for its last character if ``bare``; the patterns' look-behinds read on
    before it."""
    for match in _INTL_PHONE.finditer(text, start, end) if not bare else ():
        if (
            starts_free(text, match.start(), ALNUM_PLUS)
            and not glued(text, match.end())
            and _valid_intl(match[0])
        ):
            yield match.span()
    for pattern, fewest, separated in _PHONE_PATTERNS:
        readable = digits >= fewest and not (bare and separated)
        for match in pattern.finditer(text, start, end) if readable else ():
            if starts_free(text, match.start(), ALNUM_PLUS):
                yield match.span()
    for pattern in _US_PHONES if not bare else ():
        for match in pattern.finditer(text, start, end):
            if starts_free(text, match.start(), ALNUM_PLUS):
                yield _with_trunk(text, match.start()), match.end()


def _valid_intl(number: str) -> bool:
    """E.164 length, plus the numbering plans we know: +1 (NANP) and +86 1x (mobile, Beijing)."""
    digits = "".join(c for c in number if c.isdigit())
    digits = digits[2:] if number.startswith("00") else digits
    if digits.startswith("1"):
        return _NANP.fullmatch(digits) is not None
    if digits.startswith("861"):
        return _CN_NATIONAL_1.fullmatch(digits) is not None
    return 8 <= len(digits) <= 15


def _with_trunk(text: str, start: int) -> int:
    """Include a leading "1-", "1 " or "1." (1-800-555-0199) in a North American number."""
    has_trunk = text[max(0, start - 2) : start] in ("1-", "1 ", "1.")
    return start - 2 if has_trunk and starts_free(text, start - 2, ALNUM_PLUS) else start


def dialled_at_home(value: str) -> str:
    """A phone number as dialled at home, to tell whether two findings are one number.

    Separators and an international prefix (``+``, ``00``, ``(+852)``) go, and the country
    code of the numbering plans we know is replaced by the trunk zero where that plan has one.
    "+86 138 0013 8000", "86 138 0013 8000", "013800138000" and "13800138000" are one number;
    so are "+1 800 555 0199", "001 800 555 0199", "1-800-555-0199" and "(800) 555-0199";
    "+886 2 2345 6789" and "(02)2345-6789"; "+44 20 7946 0958" and "020 7946 0958"; "(+852)
    9123 4567" and "9123 4567".
    """
    digits = _NOT_DIGIT.sub("", value)
    international = _INTERNATIONAL.match(value) is not None
    if international:
        digits = digits.removeprefix("00")
    if digits.startswith("86") and (international or len(digits) == 13):
        national = digits[2:]  # a landline gets back the trunk 0 it is written with at home
        mobile = national.startswith("1") and len(national) == 11
        return national if mobile or national.startswith(("400", "800")) else f"0{national}"
    if international or (digits.startswith(("886", "852")) and len(digits) in (11, 12)):
        for code, trunk in _COUNTRY_TRUNKS:
            if digits.startswith(code):
                return trunk + digits[len(code) :].removeprefix("0")
    if len(digits) == 12 and digits.startswith("01"):
        return digits[1:]
    if len(digits) == 11 and digits.startswith("1") and _NANP_WRITTEN.match(value.strip()):
        return digits[1:]
    return digits


_NOT_DIGIT: Final = re.compile(r"\D")  # compiled once: re.sub's look-up took 0.4 us a call
_INTERNATIONAL: Final = re.compile(r"\s*\(?(?:\+|00)")
# Country codes and the trunk prefix their numbers are written with at home.
_COUNTRY_TRUNKS: Final = (("1", ""), ("886", "0"), ("852", ""), ("44", "0"))
# A North American number with its leading 1, written with any separator an answer's phone
# shapes may have (1-800-555-0199, 1/800/555/0199, 1_800_555_0199).
_NANP_WRITTEN: Final = re.compile(
    r"\+?1[\s./_\-]+\(?[2-9]\d{2}\)?[\s./_\-]*\d{3}[\s./_\-]*\d{4}$|\+1"
)
