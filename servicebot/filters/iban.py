"""IBANs: each country's length, the shape they give, and the mod-97 check.

Shared by ``pii.py``, which finds upper-case IBANs whose check digits are right, and
``labelled.py``, which takes any IBAN the customer names as one ("my iban is de89...").
"""

from __future__ import annotations

import re
from typing import Final

_LENGTHS: Final = {
    country: int(length)
    for country, length in re.findall(
        r"([A-Z]{2})([0-9]{2})",
        "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 "
        "DJ27 DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HN28 "
        "HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 "
        "MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 "
        "RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 "
        "VA22 VG24 XK20 YE30",
    )
}
# Country code and check digits, then exactly that country's length (a look-behind on the
# country code picks the length), so the regex itself rejects wrong lengths and glued text.
# Upper case; compiled with re.IGNORECASE, any case.
SHAPE: Final = (
    "[A-Z][A-Z][0-9]{2}(?:"
    + "|".join(
        f"(?<=(?:{'|'.join(sorted(c for c, n in _LENGTHS.items() if n == size))})..)"
        f"(?:[ -]?[0-9A-Z]){{{size - 4}}}"
        for size in sorted(set(_LENGTHS.values()))
    )
    + ")(?![0-9A-Za-z])"
)
_LETTER_DIGITS: Final = {ord(c): str(int(c, 36)) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def check_digits_ok(iban: str) -> bool:
    """ISO 13616's mod-97 check of an upper-case IBAN, spaces and dashes allowed."""
    compact = iban.replace(" ", "").replace("-", "")
    return int((compact[4:] + compact[:4]).translate(_LETTER_DIGITS)) % 97 == 1
