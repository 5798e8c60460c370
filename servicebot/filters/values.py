"""The one form each kind of found value is compared in (:func:`canonical`), to tell whether
two findings are the same thing: a placeholder stays the same for a value written two ways,
and the post-filter knows the bot's own contacts however an answer writes them.
"""

from __future__ import annotations

import re

from servicebot.filters.birthdates import birth_date_form
from servicebot.filters.emails import plain_address
from servicebot.filters.phones import dialled_at_home

_BLANKS = re.compile(r"[\s\-]")  # compiled once: canonical() runs once per finding
_NO_BRACKETS = str.maketrans("", "", "()[]")
# An address's punctuation, and its street's suffix written in full (read in lower case).
_ADDRESS_MARKS = re.compile(r"[\s\-.,，。、#]")
_SHORT = {"street": "st", "road": "rd", "avenue": "ave", "lane": "ln", "drive": "dr",
          "boulevard": "blvd", "court": "ct", "place": "pl", "square": "sq",
          "parkway": "pkwy", "highway": "hwy"}  # fmt: skip
_SUFFIX = re.compile(f"(?<![a-z])({'|'.join(_SHORT)})(?![a-z])")


def canonical(kind: str, value: str) -> str:
    """One form per value of ``kind``: a phone as dialled at home (see
    :func:`.phones.dialled_at_home`); an email written out ("john dot smith at gmail dot com")
    as the address it spells; a date of birth as ``birthdates.birth_date_form`` writes it; a
    postal address without its punctuation, its street's suffix short ("Street" as "st"); a
    card or ID split by "/" as one split by "-"; a messenger id without its "@"; and any value
    without spaces and hyphens, in one case, a Chinese keyboard's 。 read as a dot."""
    if kind == "PHONE":
        return dialled_at_home(value)
    if kind == "DATE_OF_BIRTH":
        return birth_date_form(value)
    if kind == "ADDRESS":
        return _address_form(value)
    if kind == "EMAIL":
        value = plain_address(value)
    elif kind == "MESSENGER_ID":  # "telegram @john_doe" is john_doe
        value = value.removeprefix("@")
    elif kind in ("CARD", "CN_ID"):  # "4111/1111/1111/1111" is 4111-1111-1111-1111
        value = value.replace("/", "")
    elif kind == "HK_ID":  # A123456(3) and A123456[3] are A1234563, as a form takes it
        value = value.translate(_NO_BRACKETS)
    return _BLANKS.sub("", value).replace("。", ".").casefold()  # not IPs' dots


def _address_form(value: str) -> str:
    """A postal address in one case, its suffix short, no spaces or punctuation: "12 Baker
    Street, London" and "12 baker st london" are one."""
    folded = _SUFFIX.sub(lambda m: _SHORT[m[1]], value.casefold())
    return _ADDRESS_MARKS.sub("", folded)
