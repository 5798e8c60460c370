"""The one form each kind of found value is compared in (:func:`canonical`), to tell whether
two findings are the same thing: a placeholder stays the same for a value written two ways,
and the post-filter knows the bot's own contacts however an answer writes them.
"""

from __future__ import annotations

import re

from servicebot.filters.emails import plain_address
from servicebot.filters.phones import dialled_at_home

_BLANKS = re.compile(r"[\s\-]")  # compiled once: canonical() runs once per finding


def canonical(kind: str, value: str) -> str:
    """One form per value of ``kind``: a phone as dialled at home (see
    :func:`.phones.dialled_at_home`); an email written out ("john dot smith at gmail dot com")
    as the address it spells; a card or ID split by "/" as one split by "-"; and any value
    without spaces and hyphens, in one case, a Chinese keyboard's 。 read as a dot."""
    if kind == "PHONE":
        return dialled_at_home(value)
    if kind == "EMAIL":
        value = plain_address(value)
    elif kind in ("CARD", "CN_ID"):  # "4111/1111/1111/1111" is 4111-1111-1111-1111
        value = value.replace("/", "")
    return _BLANKS.sub("", value).replace("。", ".").casefold()  # not IPs' dots
