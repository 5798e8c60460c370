"""Links in an answer: where they are, the host each points at, and script links.

A link with a scheme, or a bare domain ending in a known top-level domain ("maple-refunds.com",
not "Node.js"), is checked against the domains the bot's files and this turn's system prompt
give; a script or data link ("javascript:", "data:text/html,...") is always removed.
"""

from __future__ import annotations

import functools
import re
import urllib.parse
from collections.abc import Callable

from ..filters.boundaries import matches_from
from ..filters.domains import TLDS
from ..filters.normalise import CJK_LETTERS

# Links with a scheme, and bare domains ("maple-refunds.com/x"). A bare domain may start only
# where a dotted run starts, so no input makes the pattern retry inside a run (linear time);
# its last label must then be a top-level domain (checked in Python, see find_links).
# A link ends at "|" too: Slack writes "<https://x|label>", and the label is no part of it.
_URL_TAIL = r"(?:[^\s<>\"'|，。）)\]]*[^\s<>\"'|，。）)\].,;:!?])?"  # not the sentence's full stop
# Chinese runs straight into a link (详情请访问https://x.biz): a link may start after a
# Chinese or Japanese character, which \w counts as a letter, but not inside a word
# ("müller-shop.de" is one link, not "ller-shop.de").
NOT_CJK_LETTER = f"[^\\W{CJK_LETTERS}]"
URL_PATH = rf"[/?#]{_URL_TAIL}"  # what may follow a bare domain in a link
# A scheme, or "//" alone, as a link starts; defanged too ("hxxps://", "hxxp[:]//"), as
# a customer reads it and may type it back in.
SCHEME = r"(?:(?:h[tx]{2}ps?|f[tx]p)(?::|\[:\]))?//"


# Compiled on first use, as are the script links' patterns: together they took 18 ms to
# compile, a tenth of `servicebot check`'s startup, and only answers need them.
@functools.cache
def _url() -> re.Pattern[str]:
    """A link without a scheme ("[Track it](//evil.com)") takes the page's own: it is a link
    too."""
    return re.compile(
        rf"(?<!{NOT_CJK_LETTER})(?:(?:h[tx]{{2}}ps?|f[tx]p)(?::|\[:\])|(?<!/)(?=//[a-z0-9-]+\.[a-z0-9]))//"
        rf"{_URL_TAIL}"
        rf"|(?<![.@/-])(?<!{NOT_CJK_LETTER})[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:{URL_PATH})?",
        re.IGNORECASE,
    )


_SCHEME = re.compile(SCHEME, re.IGNORECASE)


def _script_link(read: Callable[[str], str]) -> re.Pattern[str]:
    """A link that runs code or carries a page in itself ("[Track it](javascript:...)", a
    "data:text/html;base64,..." page) points at no domain anyone could vouch for: always
    removed, to the end of its run. A data link has a comma ("Data:deleted" is not one).
    ``read`` gives the pattern for each word the link starts with."""
    return re.compile(
        rf"(?<!{NOT_CJK_LETTER})(?:(?:{read('javascript:')}|{read('vbscript:')})(?=\S)"
        rf"|{read('data:')}[\w/.+-]*(?:;[\w.+=-]+)*,)"
        r'[^\s<>"，。]*',
        re.IGNORECASE,
    )


def run_end(text: str, start: int, end: int) -> int:
    """The end of a script link's run without the sentence's stop after it, or the bracket
    that encloses it: "[here](javascript:alert(1))." keeps its ")." when the link goes."""
    opened, closed = text.count("(", start, end), text.count(")", start, end)
    while end > start and text[end - 1] in ".,;!?)":
        if text[end - 1] == ")":
            if closed <= opened:
                break  # the link's own: "alert(1)"
            closed -= 1
        end -= 1
    return end


def _as_browsers_read(word: str) -> str:
    """``word`` as a browser reads it in a link before running it: any character may be an
    HTML character reference ("javascript&#58;", "&#106;avascript:"), and tabs and line breaks
    written as references are dropped ("java&#x09;script:")."""
    gap = r"(?:&#0*(?:9|10|13);?|&#x0*[9ad];?|&tab;|&newline;)*"
    return gap.join(
        rf"(?:{re.escape(c)}|&#0*(?:{ord(c.lower())}|{ord(c.upper())});?"
        rf"|&#x0*(?:{ord(c.lower()):x}|{ord(c.upper()):x});?{'|&colon;' if c == ':' else ''})"
        for c in word
    )


@functools.cache
def script_link(references: bool) -> re.Pattern[str]:
    """The script link pattern; with ``references`` (slower: for text with a "&"), one that
    also reads HTML character references as a browser does."""
    return _script_link(_as_browsers_read if references else re.escape)


def may_script_link(text: str) -> bool:
    """Whether ``text``, with no "&" in it, may hold a script link: without a character
    reference, :func:`script_link`'s pattern matches "javascript:", "vbscript:" or "data:" as
    written, in any case, so one of "script:" and "data:" is in the text lowered (as
    ``re.IGNORECASE`` reads the letters: it matches ı and İ to i and ſ to s as well). Most
    answers with a ":" (a time, "https:") have neither, and the pattern, which tries every
    position, is not read."""
    lowered = text.lower()
    if not text.isascii():
        lowered = lowered.replace("ı", "i").replace("\u0307", "").replace("ſ", "s")
    return "script:" in lowered or "data:" in lowered


# Endings that are also file types a support answer names: "run install.sh", "libssl.so". A
# name ending in one is a link only with a path after it ("evil.sh/pay", "notion.so/x"): a bare
# "evil.sh" passes, as "install.sh" must.
_FILE_TLDS = frozenset({"sh", "so"})
_ENDINGS = TLDS | _FILE_TLDS
# Browsers read the ideographic full stop in a domain as a dot ("evil。com" opens evil.com):
# one between a name and a top-level domain is read as a dot (not before "it", "in", "me",
# "us" or "to", which in mixed text are more often words: "我买了 iPhone。it works").
WORD_TLDS = frozenset({"it", "in", "me", "us", "to"})
_DOTTED_TLDS = "|".join(sorted(TLDS - WORD_TLDS, key=len, reverse=True))
_IDEOGRAPHIC_DOT = re.compile(
    f"。(?<=[a-z0-9-]。)(?=(?:{_DOTTED_TLDS})(?![a-z0-9-]))", re.IGNORECASE
)


def is_domain_ending(label: str) -> bool:
    """Whether ``label``, in any case, is a top-level domain a link may end in (a file type's
    too: an address spelled out or defanged is one whatever its ending)."""
    return label.lower() in _ENDINGS


def find_links(text: str) -> list[re.Match[str]]:
    if "。" in text:  # one character for one: the matches' places hold
        text = _IDEOGRAPHIC_DOT.sub(".", text)
    return [match for match in matches_from(_url(), text, _DOT_OR_SLASH) if _is_link(match.group())]


# Every link has a "." or "/" (a bare domain's dot, a link's "//"), and no space before the
# first one (a scheme, "hxxps[:]", or the letters, digits and hyphens of a domain's first
# label): a search for links starts at the word of the next one (see matches_from).
_DOT_OR_SLASH = re.compile(r"[./]")


def _is_link(found: str) -> bool:
    """A scheme makes a link; without one, a known top-level domain written in lower case
    ("maple-refunds.com", not "Node.js", "readme.md" or "today.It"), or, in a name all in
    capitals, one that is neither a word nor a product's name ("EVIL-PAY.COM"; not "ASP.NET")."""
    if _SCHEME.match(found) or found.lower().startswith("www."):
        return True
    host = re.split(r"[/?#:]", found, maxsplit=1)[0]
    label = host.rsplit(".", 1)[-1]
    shouted = host.isupper() and label.lower() in _NO_WORD_TLDS
    return label in TLDS or shouted or (label in _FILE_TLDS and len(found) > len(host) + 1)


# Top-level domains that are no English word nor a product's (.NET, REPORT.INFO), so that a
# name in capitals ending in one can only be a domain.
_NO_WORD_TLDS = frozenset("com org biz xyz cn uk de jp ru hk tw eu".split())


def domain_of(link: str) -> str:
    """The host a link points at: what a browser would connect to, not what it seems to say."""
    scheme = _SCHEME.match(link)  # read as "//": "hxxps[:]//" is no scheme urlsplit knows
    link = "//" + link[scheme.end() if scheme else 0 :]
    try:  # a browser reads a backslash as "/" in a web link, so the host ends there
        host = urllib.parse.urlsplit(link.lower().replace("\\", "/")).hostname or ""
    except ValueError:  # such as "http://[": no host anyone could vouch for
        return ""
    return host.removeprefix("www.").rstrip(".")


def allowed_domain(domain: str, known: frozenset[str]) -> bool:
    return any(domain == k or domain.endswith("." + k) for k in known)


# A link written inside a chat platform's markup: Slack's "<https://x|label>" (or "<https://x>")
# and Markdown's "[label](https://x)" (an image's "![label](...)" too, and a title after the
# link). "mailto:" or "tel:" may stand before the address a finding starts at.
_SLACK_OPEN = re.compile(r"<(?:mailto:|tel:)?\Z", re.IGNORECASE)
_MARKDOWN_OPEN = re.compile(r"!?\[([^\[\]\n]*)\]\((?:mailto:|tel:)?\Z", re.IGNORECASE)
_MARKDOWN_CLOSE = re.compile(r"(?:\s+\"[^\"\n]*\")?\)")
_LABEL_REACH = 300  # how far before a link its Markdown label may start


def link_masks(text: str, start: int, end: int, removed: str) -> list[tuple[int, int, str]]:
    """The masks (start, end, replacement) that remove the link or address at
    ``text[start:end]``: the markup around it goes with it, and its label stays, followed by
    ``removed``: "Track it <https://evil.example/login|here>." and "Track it
    [here](https://evil.example)." both read "Track it here [removed].". The label is the
    sentence's own words, which read on without the link, and the customer is told a link was
    there, as for a bare one; left in place, the brackets showed "<[removed]>" or
    "[here]([removed])". A Slack label that could be a contact itself (a link, an address, a
    number) goes with the link: no other check reads it apart from the link it was joined to.
    Outside such markup, the link alone."""
    # Both markups' openings end right before the link: "<", "(" or "mailto:"'s or "tel:"'s
    # ":". Before any other character, neither pattern matches (each a search of up to
    # _LABEL_REACH characters, per finding).
    if text[start - 1 : start] not in ("<", "(", ":"):
        return [(start, end, removed)]
    slack = _in_slack_markup(text, start, end, removed)
    return slack or _in_markdown(text, start, end, removed) or [(start, end, removed)]


def _in_slack_markup(
    text: str, start: int, end: int, removed: str
) -> list[tuple[int, int, str]] | None:
    """The masks for a link inside "<...|label>" (see :func:`link_masks`), or None."""
    opened = _SLACK_OPEN.search(text, max(0, start - 8), start)
    close = text.find(">", end)
    if opened is None or close == -1 or "<" in text[start:close] or "\n" in text[start:close]:
        return None
    pipe = text.find("|", start, close)
    label = text[pipe + 1 : close] if pipe != -1 else ""
    if not label.strip() or "@" in label or re.search(r"[0-9]{3}", label) or find_links(label):
        return [(opened.start(), close + 1, removed)]
    return [(opened.start(), pipe + 1, ""), (close, close + 1, f" {removed}")]


def _in_markdown(
    text: str, start: int, end: int, removed: str
) -> list[tuple[int, int, str]] | None:
    """The masks for a link inside "[label](...)" (see :func:`link_masks`), or None. The
    label is outside the link, and every check reads it as any other text."""
    opened = _MARKDOWN_OPEN.search(text, max(0, start - _LABEL_REACH), start)
    closed = _MARKDOWN_CLOSE.match(text, end)
    if opened is None or closed is None:
        return None
    if not opened.group(1).strip():
        return [(opened.start(), closed.end(), removed)]
    return [(opened.start(), opened.start(1), ""), (opened.end(1), closed.end(), f" {removed}")]
