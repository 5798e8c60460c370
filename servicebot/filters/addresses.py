"""Postal addresses (the ``ADDRESS`` kind): a value after an address's label ("my address is
12 Baker Street, London NW1 6XE", "ship to 221B Baker St", "postcode NW1 6XE", 地址...), an
English street line with no label (a house number, one to four words and a street's suffix,
and a UK postcode or US ZIP after it: "12 Baker Street, London NW1 6XE", "1600 Pennsylvania
Ave NW, Washington, DC 20500"), and a Chinese structured address (``addresseszh.py``).

Precision first: an address is masked only where its shape says it is one. "Do you ship to
Canada?" and "寄到德国要多久" name a country, which routing needs; "Baker Street station" has
no number; "2 Abbey Road mugs" is an order line (the word after a street decides: a name
ends at punctuation, a postcode or a word such as "please", not at a noun); "5 minutes down
the road" has words no street name has. An address runs to the end of its line or clause,
through a postcode, and stops before other personal data (``clipped``): "ship to 12 Baker
Street, phone 020 7946 0958" gives an address and a phone, each found by its own placeholder.

Owns :func:`address_spans`, and :func:`postal_data`, called by ``pii.find_pii`` for it and
dates of birth (``birthdates.py``). Each detector runs only when the text
holds what it needs (a label's letters, a digit before a street's word, 路 and a number), so
a message with none pays a few substring checks.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection, Sequence
from typing import Final

from .addresseszh import MOST_LABELS, chinese_address_spans, may_hold_chinese
from .birthdates import birth_date_spans
from .boundaries import Spans

_SUFFIXES: Final = (
    "Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl"
    "|Crescent|Terrace|Close|Square|Sq|Parkway|Pkwy|Highway|Hwy"
)
# Suffixes a customer may type in lower case with a lower-case name ("12 baker street"): the
# others ("way", "place", "close", "dr") end too many phrases ("5 minutes each way").
_LOWER_OK: Final = frozenset({"street", "road", "avenue", "boulevard", "lane"})
_UK_POSTCODE: Final = r"[A-Z]{1,2}[0-9][A-Z0-9]?[ ]?[0-9][A-Z]{2}(?![A-Za-z0-9])"
_US_ZIP: Final = r"(?:[A-Z]{2}[ ]+)?[0-9]{5}(?:-[0-9]{4})?(?![0-9])"
_ORDINAL: Final = "[0-9]{1,3}(?:st|nd|rd|th)"  # a street's name: 350 5th Avenue
# Suffixes that are everyday words too ("2 Square plates"): a street line only with a postcode
# or ZIP after it (labels.CUES).
_NEEDS_TAIL: Final = frozenset({"place", "square"})
# A house number that starts a token (not "#12", "$12", "v1.12", "order-12"), its name and
# suffix, a direction (NW), and a city and a postcode or ZIP after it, if there.
_STREET_LINE: Final = re.compile(
    r"[0-9](?<![0-9A-Za-z.$£€#/:-].)[0-9]{0,4}[A-Za-z]?(?:-[0-9]{1,5}[A-Za-z]?)?,?[ ]"
    rf"(?P<name>(?:(?:[A-Za-z][A-Za-z'’-]*|{_ORDINAL})[ ]){{1,4}})"
    rf"(?P<suffix>(?i:{_SUFFIXES}))(?![A-Za-z])\.?"
    r"(?:[ ](?:NW|NE|SW|SE|N|S|E|W)(?![A-Za-z]))?"
    rf"(?P<tail>(?:,?[ ]+[A-Z][A-Za-z]+){{0,3}},?[ ]+(?:{_UK_POSTCODE}|{_US_ZIP}))?",
    re.ASCII,
)
# Words no street's name holds ("5 minutes down the road", "3 of them on the street").
_FUNCTION_WORDS: Final = frozenset(
    "a an the of on in at to for from by with and or but my your our their his her its this "
    "that these those is are was were be been it i we you they me us them down up over off "
    "each every per more less many some any all no not".split()
)
# Words after a street's name that end it as an address does: a sentence goes on.
_AFTER_OK: Final = frozenset(
    "please pls and in for to is was but or so thanks thank asap which that instead by from "
    "with apt flat unit suite not yet as if when".split()
)
# Matched only where labelled.py found a word of labels.CUES ("address"), so it reads those
# words alone: a label that is none of them ("our address", "send us to") is never read.
_LABEL: Final = re.compile(
    r"(?<![a-z])(?P<strong>(?:(?:my|new|home|shipping|delivery|billing|postal|mailing)[ ]+)?"
    r"address(?:[ ]+is)?|i[ ]+live[ ]+at|i(?:['’]m|[ ]+am)[ ]+living[ ]+at)"
    r"|(?<![a-z])(?P<weak>(?:ship|deliver|send|mail|post)(?:[ ]+(?:it|them))?[ ]+to)"
    r"|(?<![a-z])(?P<code>post[ ]?code|postal[ ]+code|zip(?:[ ]?code)?)(?:[ ]+is)?(?![a-z])",
    re.IGNORECASE,
)
_LINK: Final = re.compile(r"[ \t]*(?:[:=-][ \t]*(?:\n[ \t]*)?|is[ \t]+)?")
# A house number ("12", "221B", "12-14,"), or a flat, unit or PO box and its number.
_VALUE_START: Final = re.compile(
    r"[0-9]{1,5}[A-Za-z]?(?:-[0-9]{1,5}[A-Za-z]?)?,?[ ]"
    r"|(?i:flat|apt|apartment|unit|suite|room|p\.?[ ]?o\.?[ ]+box)[ ]*[0-9]"
)
# Addresses no post goes to: "my wallet address is: 16Yeky...", "MAC address 00:1A:...".
_NOT_POSTAL: Final = re.compile(
    r"(?<![a-z])(?:wallet|mac|ip|ipv4|ipv6|e-?mail|web|website|bitcoin|btc|eth|ethereum"
    r"|crypto|ethernet|server|memory|url|contract|hardware|network|physical|wi-?fi|bluetooth"
    r"|deposit|receiving|sending|public|ens)[ ]*\Z",
    re.IGNORECASE,
)
_VALUE: Final = re.compile(r"[^\n!?;]{1,120}")
# A value with no street's suffix or postcode: a name with a capital, after its house number if
# there, or a flat, unit or PO box and its number.
_NAMED: Final = re.compile(
    r"(?:[0-9]{1,5}[A-Za-z]?(?:-[0-9]{1,5}[A-Za-z]?)?,?[ ]+)?[A-Z]"
    r"|(?i:flat|apt|apartment|unit|suite|room|p\.?[ ]?o\.?[ ]+box)[ ]*[0-9]"
)
# Where a labelled value ends: a full stop (not an abbreviation's: "Baker St. London"), or a
# word that starts a new clause or other data.
_VALUE_END: Final = re.compile(
    r"(?<![A-Z][a-z])(?<![A-Z])(?<![0-9])\.(?:\s|$)"
    r"|\s(?:and|but|please|pls|thanks|thank|so|because|can|could|would|will|when|if|which"
    r"|call|phone|tel|mobile|email|e-mail|my|i|i'm|it|or|not|asap)(?![A-Za-z])",
    re.IGNORECASE,
)
_SUFFIX_WORD: Final = re.compile(rf"(?<![A-Za-z])(?i:{_SUFFIXES})(?![A-Za-z])")
_POSTCODE: Final = re.compile(f"(?i:{_UK_POSTCODE}|[A-Z][0-9][A-Z][ ]?[0-9][A-Z][0-9]|{_US_ZIP})")
# Words right after a street's name that make it a place, not an address: "Baker Street station".
_NOT_AFTER: Final = frozenset(
    "station tube underground stop mall market shop store branch location hotel restaurant "
    "cafe school hospital exit line platform bridge bus train".split()
)


def postal_data(
    text: str, kinds: Collection[str], cues: Sequence[tuple[int, int, str]]
) -> list[tuple[int, int, str]]:
    """The postal addresses and dates of birth in ``text``, of ``kinds``, read near ``cues``
    (see :func:`address_spans`): what ``pii.find_pii`` asks of this module and
    ``birthdates.py``."""
    if not cues and (text.isascii() or not may_hold_chinese(text)):
        return []  # most messages
    found = [(*span, "ADDRESS") for span in address_spans(text, cues)] if "ADDRESS" in kinds else []
    if "DATE_OF_BIRTH" in kinds:
        found += [(*span, "DATE_OF_BIRTH") for span in birth_date_spans(text, cues)]
    return found


def address_spans(text: str, cues: Sequence[tuple[int, int, str]]) -> Spans:
    """Postal addresses in normalised ``text`` (see the module docstring); ``cues``: where
    ``labelled.find_labelled`` found the words that may stand near one ("address", "ship to",
    "street": ``labels.CUES``). Without a cue, an English message is read for none."""
    labelled = list(_labelled(text, cues))
    yield from labelled
    streets = [(start, end) for start, end, cue in cues if cue == "street"]
    for start, end in _street_lines(text, streets):
        if not any(a < end and start < b for a, b in labelled):
            yield start, end
    if not text.isascii():
        yield from chinese_address_spans(text)


def clipped(text: str, found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """``found`` in ``text``, each address cut before other data that starts inside it
    ("ship to 12 Baker Street, phone 020 7946 0958"): the phone keeps its own placeholder,
    and an erasure request for it finds it (``store/holding.py``)."""
    starts = sorted(start for start, _, kind in found if kind != "ADDRESS")
    # No other value for an address to be cut before (12,500 addresses of a paste of
    # estates), or no address to cut (9,091 dates of birth): each stays as found.
    if not starts or len(starts) == len(found):
        return [finding for finding in found if finding[0] < finding[1]]
    kept = []
    for start, end, kind in found:
        if kind == "ADDRESS":
            after = bisect.bisect_right(starts, start)  # the first other value after its start
            if after < len(starts) and starts[after] < end:
                end = _trimmed(text, start, starts[after])
        if start < end:
            kept.append((start, end, kind))
    return kept


def _trimmed(text: str, start: int, end: int) -> int:
    """``end`` moved back over the separators and label words before it ("..., phone ")."""
    end = _end_before(text, start, end, " ,;:-\n")
    while (word := _TRAILING_LABEL.search(text, start, end)) is not None:
        end = _end_before(text, start, word.start(), " ,;:-\n")
    return end


def _end_before(text: str, start: int, end: int, marks: str) -> int:
    """``end`` moved back over the ``marks`` before it, to ``start`` at most."""
    return start + len(text[start:end].rstrip(marks))


_TRAILING_LABEL: Final = re.compile(
    r"(?<![A-Za-z])(?:phone|tel|mobile|cell|email|e-mail|call|number|no|and|or|my|is"
    r"|wechat|weixin|wx|vx|qq|line id|telegram)\Z"
    r"|(?:电话|電話|手机|手機|邮箱|郵箱|号码|號碼|是|微信|微信号|微信號|扣扣)\Z",
    re.IGNORECASE,
)


def _labelled(text: str, cues: Sequence[tuple[int, int, str]]) -> Spans:
    """The addresses after the first ``MOST_LABELS`` labels, each after the last one's end."""
    done = 0
    starts = [start for start, _, cue in cues if cue == "address"][:MOST_LABELS]
    for cue_start in starts:
        label = _LABEL.match(text, cue_start) if cue_start >= done else None
        if label is None:
            continue
        if label["strong"] and _NOT_POSTAL.search(text, max(0, label.start() - 12), label.start()):
            continue
        link = _LINK.match(text, label.end())
        start = link.end() if link else label.end()
        if label["code"]:
            if code := _POSTCODE.match(text, start):
                yield code.span()
            continue
        end = _value_end(text, start)
        if end > start and _an_address(text[start:end], strong=label["strong"] is not None):
            yield start, end
            done = end


def _value_end(text: str, start: int) -> int:
    """Where an address after its label ends: at its line's or clause's end (``_VALUE_END``),
    or right after a postcode or ZIP in it."""
    value = _VALUE.match(text, start)
    if value is None:
        return start
    end = value.end()
    if stop := _VALUE_END.search(text, start, end):
        end = stop.start()
    codes = list(_POSTCODE.finditer(text, start, end))
    end = codes[-1].end() if codes else end
    return _end_before(text, start, end, " ,-.")


def _an_address(value: str, *, strong: bool) -> bool:
    """Whether a labelled ``value`` is an address: it starts with a house number (or a flat,
    unit or PO box), or, after "my address is" or "I live at", with a capital letter (Rose
    Cottage, Mill Lane); and has a street's suffix or a postcode in it, or (after those) a
    number and a capital or a flat's number ("12 Rose Cottage", "Flat 3"). "ship to Canada",
    "deliver to 5 addresses", "my address is wrong", "my address is 2 lines long" are none."""
    numbered = _VALUE_START.match(value) is not None
    if not (numbered or (strong and value[:1].isupper())):
        return False
    if _SUFFIX_WORD.search(value) or _POSTCODE.search(value):
        return True
    # With neither, a name after its number: "my address is 2 lines long" is about it.
    return strong and any(c.isdigit() for c in value) and _NAMED.match(value) is not None


def _street_lines(text: str, streets: list[tuple[int, int]]) -> Spans:
    """Street lines whose suffix is one of ``streets``: each read from the few words before it."""
    done = 0
    for start, end in streets[:MOST_LABELS]:
        window = (max(done, start - _NAME_REACH), end + _TAIL_REACH)
        for match in _STREET_LINE.finditer(text, *window):
            if match.end("suffix") == end and _a_street_line(text, match):
                # without a postcode after it, a dot is the sentence's ("14 Oak Lane.")
                done = match.end() - (not match["tail"] and text[match.end() - 1] == ".")
                yield match.start(), done


_NAME_REACH: Final = 48  # a house number and four words before a street's suffix, at most
_TAIL_REACH: Final = 64  # a direction, a city, a state and a postcode or ZIP after it


def _a_street_line(text: str, match: re.Match[str]) -> bool:
    """Whether ``match`` of ``_STREET_LINE`` is an address: its name has no word a name has
    not ("5 minutes down the road"), is capitalised or an ordinal (350 5th Avenue; or lower
    case before "street", "road" and the like: "5 minutes each way" is no address), and it
    ends as an address does, after "Place" or "Square" with a postcode or ZIP."""
    words = match["name"].split()
    suffix = match["suffix"]
    if any(word.lower() in _FUNCTION_WORDS for word in words):
        return False
    if suffix.lower() in _NEEDS_TAIL and not match["tail"]:
        return False
    if not all(word[0].isupper() or word[0].isdigit() for word in (*words, suffix)) and (
        suffix.lower() not in _LOWER_OK or not suffix.islower()
    ):
        return False
    return bool(match["tail"]) or _ends_here(text, match.end())


def _ends_here(text: str, end: int) -> bool:
    """Whether a street's line may end at ``end``: at the text's end, punctuation, or a word
    that goes on with the sentence ("please", "and"), not a noun ("station", "mugs")."""
    rest = text[end : end + 24]
    if not rest or rest[0] in ",.;:!?)\n\t":
        return True
    word, _, after = rest[1:].partition(" ")
    word = word.strip(",.;:!?").lower()
    if word == "in":  # "12 Main St in London", not "12 Main St. in stock": a place's capital
        return rest[0] == " " and after[:1].isupper()
    return rest[0] == " " and word in _AFTER_OK and word not in _NOT_AFTER
