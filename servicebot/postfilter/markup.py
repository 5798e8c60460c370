"""Markup in an answer: the HTML tags and platform mentions (``<@U0123ABC>``, ``@everyone``)
the bot's own files do not use. :class:`Markup` knows those the files use, finds the others
(the post-filter's ``markup`` check), removes them before the other checks read the answer,
and reads an answer past the bot's own tags.
"""

from __future__ import annotations

import re
from collections import Counter

from ..filters import Finding
from ..filters.mentions import MENTION
from ..filters.normalise import Masks, Normalised, normalise, normalise_without

# HTML in an answer: a widget that renders HTML or Markdown would run it, and customer
# service answers are text. A tag with an attribute is HTML whatever its name ("<svg/onload=",
# closed or not: a stream may close it in a later sentence); a bare tag only when HTML has
# the element, so "<order number>", "<ORDER-ID>" and "x<y and y>z" stay.
_ELEMENTS = """a abbr audio b base big blink blockquote body br button canvas center code del
    details dialog div em embed font form frame frameset h1 h2 h3 h4 h5 h6 head hr html i iframe
    img input ins kbd label li link marquee math meta noscript object ol option p pre q s
    script select small source span strike strong style sub summary sup svg table tbody td
    template textarea th title tr u ul video""".split()
# A script runs whatever its attributes, so <script defer> is a tag with attribute names alone,
# no "=". Other elements do nothing harmful without an "=" (<img src>), and their names are words
# a support answer puts in brackets as UI text (<Select all>, <Link to your account>).
_ACTIVE = ("script",)
# An HTML comment hides its text from a customer whose widget renders HTML and shows it (a
# note to someone, an instruction, a link) to one whose widget does not: it goes whole, as a
# browser reads it ("<!-->" and "<!--->" end at once, "--!>" ends one too). Of one not
# closed before the next "<!--" only the "<!--" goes: with it gone nothing is hidden, and
# the text after it ("Tip: type <!-- to start a comment") is checked as any other. (A stream
# that closes it in a later sentence has already shown that text, to every widget alike.)
# Each "<!--" reads on to the next one at most, so the time stays linear in the answer.
_COMMENT = r"<!--(?:-?>|(?:(?!<!--).)*?--!?>)?"
_TAG = re.compile(
    rf"{_COMMENT}"
    rf"|</?(?:{'|'.join(_ELEMENTS)})\s*/?>"
    rf"|</?(?:{'|'.join(_ACTIVE)})(?:[\s/]+[a-z][a-z0-9-]*)*[\s/]*>"
    # a tag with an attribute; a quoted value may hold '<' (alt="<"): a quote with no partner
    # before the next '>' is read as a plain character, so each quote is scanned past once
    r"|</?[a-z][a-z0-9-]*[\s/][^<>=]*=(?:\"[^\">]*\"|'[^'>]*'|[^<>])*+(?:>|$)",
    re.IGNORECASE | re.DOTALL,
)
_REJOINS = 3  # tags inside tags removed this deep; deeper, the answer falls back
# A platform mention in an answer ("<!channel>", "<@U0123ABC>", "@everyone"; see
# filters/mentions.py) would notify a whole shared channel, or a person, for whoever steered
# the model: markup like a tag, removed with the spaces before it ("Hi <@U0123ABC>, your
# order..." reads "Hi, your order...").
_MENTION = re.compile(rf"[ \t]*(?:{MENTION.pattern})", re.IGNORECASE)
# Every mention starts "<" or is "@everyone" or "@here" (in any case: no letter of theirs
# matches another under re.IGNORECASE); an email's "@" alone is none.
_BROADCAST = re.compile(r"@(?:everyone|here)", re.IGNORECASE)


def _may_mention(text: str) -> bool:
    """Whether ``text`` may hold a mention: :data:`_MENTION`, which tries each run of
    spaces, is read only then."""
    return "<" in text or ("@" in text and _BROADCAST.search(text) is not None)


class Markup:
    """The tags and mentions of the bot's files (``known``, normalised): the answer's others
    are unknown."""

    def __init__(self, known: str) -> None:
        self.known_tags = {match.group().lower() for match in _TAG.finditer(known)}
        self.known_mentions = {match.group().lower() for match in MENTION.finditer(known)}

    def unknown(self, text: str) -> list[Finding]:
        """The tags (``HTML``) and platform mentions (``mention``) the bot's files do not use."""
        mentions = [
            Finding(m.start(), m.end(), "mention")
            for m in (_MENTION.finditer(text) if _may_mention(text) else ())
            if m.group().lstrip(" \t").lower() not in self.known_mentions
        ]
        return sorted(self._unknown_tags(text) + mentions, key=lambda f: f.start)

    def _unknown_tags(self, text: str) -> list[Finding]:
        if "<" not in text:
            return []
        return [
            Finding(m.start(), m.end(), "HTML")
            for m in _TAG.finditer(text)
            if m.group().lower() not in self.known_tags
        ]

    def untagged(self, answer: str) -> tuple[str, Counter[str], bool]:
        """``answer`` without its tags, and without those its pieces form once the tags inside
        them are gone (``<scr<script>ipt>`` becomes ``<script>``), and without its platform
        mentions (``<!channel>``); how many of each kind went; and whether
        tags were still left after ``_REJOINS`` passes (then the answer is ""). Done before the
        other checks read the answer: ``evil<i></i>.com`` and ``4111 <b>1111</b> ...`` are
        whole to them only once the tags are gone. The passes are bounded: 10,000 unclosed
        tags in a row would lose one a pass, the last (it may close in a later sentence of a
        stream)."""
        removed: Counter[str] = Counter()
        if not any(c in answer for c in "<＜﹤@＠﹫"):  # what NFKC makes "<" or "@"
            return answer, removed, False
        for _ in range(_REJOINS):
            normalised = normalise(answer)  # a full-width ＜script＞ is a tag too
            found = self.unknown(normalised.text)
            if not found:
                return answer, removed, False
            removed.update(finding.kind for finding in found)
            masks = Masks(normalised)
            for finding in found:
                masks.add(finding.start, finding.end, "")
            answer = masks.apply()
        nested = bool(self.unknown(normalise(answer).text))
        return ("" if nested else answer), removed, nested

    def without_own_tags(self, answer: str) -> Normalised:
        """``answer`` as the checks read it: normalised, and without the tags the bot's own
        files use (``<b>``), which must not split a value either (``4111 <b>1111</b> 1111
        1111``). They stay in the answer, unless a repair covers them."""
        if "<" not in answer or not self.known_tags:
            return normalise(answer)
        own = [m.span() for m in _TAG.finditer(answer) if m.group().lower() in self.known_tags]
        return normalise_without(answer, own)
