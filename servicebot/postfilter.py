"""The post-filter: what an answer must pass before the customer sees it.

    answer ─► empty? ─► markup ─► leakage ─► contacts ─► PII leak ─► profanity ─► length
                        (HTML      (a run of     (phones,     (cards, IDs,  (listed     (cut at a
                        tags the   the system    emails and   keys the      words)      sentence)
                        bot's      prompt)       links that   bot was
                        files do                 no FAQ,      never given)
                        not use:                 template or
                        removed                  setting has;
                        first when               script links)
                        repaired)

Each check's outcome is set in servicebot.yaml ``postfilter``: ``repair`` (mask or cut the
offending text), ``fallback`` (the pipeline sends the top intent's canonical answer) or
``handoff`` (a person takes over); the worst outcome of any check wins. The result's ``text``
keeps this turn's placeholders (it may be stored); ``shown``, what the customer reads, has
their own values back when ``restore_pii`` is on.
"""

from __future__ import annotations

import html
import re
import time
import unicodedata
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache, partial
from typing import NamedTuple

from .config import BotSpec
from .filters import FilterEvent, FilterResult, Finding
from .filters.labelled import Labelled, find_labelled
from .filters.normalise import (
    CJK_LETTERS,
    Masks,
    Normalised,
    normalise,
    normalise_without,
    visible_only,
    without_surrogates,
)
from .filters.pii import PII_KINDS, canonical, find_pii, resolve
from .filters.placeholders import PLACEHOLDER, restore
from .filters.profanity import ProfanityFilter, default_filter
from .prefilter import bot_profanity_filter
from .settings import PostfilterSettings

CONTACT_KINDS = ("PHONE", "EMAIL")
LEAK_KINDS = ("SECRET", "IBAN", "CN_ID", "PASSPORT", "CARD", "SSN", "IP")
REMOVED = {"en": "[removed]", "zh": "[已删除]", "zh-Hant": "[已刪除]"}  # in the reply's language
# This many words in a row copied from the system prompt are a leak. A Chinese character
# counts as half a word (16 in a row), as Chinese words are one or two characters: at 8, a
# bot that said who it is ("我是小枫商城的在线客服") copied a Chinese system prompt.
SHINGLE = 8

_SEVERITY = {"pass": 0, "repair": 0, "fallback": 1, "handoff": 2}
# Links with a scheme, and bare domains ("maple-refunds.com/x"). A bare domain may start only
# where a dotted run starts, so no input makes the pattern retry inside a run (linear time);
# its last label must then be a top-level domain (checked in Python, see _links).
_URL_TAIL = r"(?:[^\s<>\"'，。）)\]]*[^\s<>\"'，。）)\].,;:!?])?"  # not the sentence's full stop
# Chinese runs straight into a link (详情请访问https://x.biz): a link may start after a
# Chinese or Japanese character, which \w counts as a letter, but not inside a word
# ("müller-shop.de" is one link, not "ller-shop.de").
_NOT_CJK_LETTER = f"[^\\W{CJK_LETTERS}]"
# A link without a scheme ("[Track it](//evil.com)") takes the page's own: it is a link too.
_URL = re.compile(
    rf"(?<!{_NOT_CJK_LETTER})(?:(?:https?|ftp):|(?<!/)(?=//[a-z0-9-]+\.[a-z0-9]))//{_URL_TAIL}"
    rf"|(?<![.@/-])(?<!{_NOT_CJK_LETTER})[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:[/?#]{_URL_TAIL})?",
    re.IGNORECASE,
)
_SCHEME = re.compile(r"(?:(?:https?|ftp):)?//", re.IGNORECASE)


def _script_link(read: Callable[[str], str]) -> re.Pattern[str]:
    """A link that runs code or carries a page in itself ("[Track it](javascript:...)", a
    "data:text/html;base64,..." page) points at no domain anyone could vouch for: always
    removed, to the end of its run. A data link has a comma ("Data:deleted" is not one).
    ``read`` gives the pattern for each word the link starts with."""
    return re.compile(
        rf"(?<!{_NOT_CJK_LETTER})(?:(?:{read('javascript:')}|{read('vbscript:')})(?=\S)"
        rf"|{read('data:')}[\w/.+-]*(?:;[\w.+=-]+)*,)"
        r'[^\s<>"，。]*',
        re.IGNORECASE,
    )


def _run_end(text: str, start: int, end: int) -> int:
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


_SCRIPT_LINK = _script_link(re.escape)
_SCRIPT_LINK_WITH_REFERENCES = _script_link(_as_browsers_read)  # slower: for text with a "&"
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
_TAG = re.compile(
    rf"</?(?:{'|'.join(_ELEMENTS)})\s*/?>"
    rf"|</?(?:{'|'.join(_ACTIVE)})(?:[\s/]+[a-z][a-z0-9-]*)*[\s/]*>"
    # a tag with an attribute; a quoted value may hold '<' (alt="<"): a quote with no partner
    # before the next '>' is read as a plain character, so each quote is scanned past once
    r"|</?[a-z][a-z0-9-]*[\s/][^<>=]*=(?:\"[^\">]*\"|'[^'>]*'|[^<>])*+(?:>|$)",
    re.IGNORECASE,
)
_REJOINS = 3  # tags inside tags removed this deep; deeper, the answer falls back
_TLDS = frozenset(
    """com net org edu gov info biz xyz top site online shop store app dev io ai ly me tv cc co
    club live link click asia cloud tech pro mobi name cn uk de jp fr ru hk tw us eu in au ca
    sg kr nl es it se ch br mx nz zip mov support help page email website space icu vip buzz
    lol sbs cfd tk ml ga cf gq pw ws su""".split()
)
# Browsers read the ideographic full stop in a domain as a dot ("evil。com" opens evil.com):
# one between a name and a top-level domain is read as a dot (not before "it", "in", "me" or
# "us", which in mixed text are more often words: "我买了 iPhone。it works").
_DOTTED_TLDS = "|".join(sorted(_TLDS - {"it", "in", "me", "us"}, key=len, reverse=True))
_IDEOGRAPHIC_DOT = re.compile(
    f"。(?<=[a-z0-9-]。)(?=(?:{_DOTTED_TLDS})(?![a-z0-9-]))", re.IGNORECASE
)
_TOKEN = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]")
_FIRST_CHINESE = "\u3400"  # a token from here on is a Chinese character, half a word
# A dot after a title or a Latin abbreviation ends no sentence: "Mr. Smith", "e.g. a receipt".
# One look-behind per length (re's must each have one width), after the stop is read: the
# pattern starts with a set, so that re skips ahead to a stop in C.
_TITLES = ("Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Jr", "Sr", "vs", "e.g", "i.e")
_NOT_A_TITLE = "".join(
    f"(?<!\\b(?:{'|'.join(re.escape(t) for t in _TITLES if len(t) == size)})\\.)"
    for size in sorted({len(title) for title in _TITLES})
)
_SENTENCE_END = re.compile(f"[.!?]{_NOT_A_TITLE}(?=\\s|$)|[。！？]")
# A sentence that is surely over, whatever comes next: an ASCII stop with a space or line break
# after it ("800." may go on "-555", "$5." as "$5.99"), or a Chinese one; a 。 after a letter or
# digit only before what no address goes on with ("help@maple-pay。" may go on "com", as 。
# stands for a dot in one; "30天。iPhone" ends a sentence). A stream shows an answer up to
# these, and an answer broken off at the token limit is cut after the last one.
_SENTENCE_OVER = re.compile(
    f"[.!?…]{_NOT_A_TITLE}(?=\\s)|[！？]|。(?:(?<![A-Za-z0-9-]。)|(?=[^A-Za-z0-9-]))"
)


class Postfilter:
    """Built once per bot from what it may say; :meth:`run` once per answer."""

    def __init__(
        self,
        settings: PostfilterSettings,
        known_text: str,
        facts: str,
        profanity: ProfanityFilter | None = None,
        public: Sequence[str] = (),
    ) -> None:
        """``known_text`` holds every contact the bot may give; ``facts`` what it may quote;
        ``public``, the bot's name and contacts: no copied run of the system prompt counts
        across one of them, so the bot may say who it is ("I'm the assistant for Maple
        Market") and how to reach it."""
        self.settings = settings
        self._profanity = profanity or default_filter()
        known = normalise(known_text).text
        allowed = {domain.lower().removeprefix("www.") for domain in settings.allowed_domains}
        self._known = _given(known) | _Given(frozenset(), frozenset(allowed))
        self._known_tags = {match.group().lower() for match in _TAG.finditer(known)}
        self._fact_shingles = _shingles(normalise(facts).text)
        self._public = tuple(tuple(run) for text in public if (run := _words(normalise(text).text)))
        # A streamed answer is reviewed once a sentence, against the same system prompt.
        self._leak_finder = lru_cache(maxsize=64)(self._leaks)
        self._known_with = lru_cache(maxsize=64)(
            lambda prompt: self._known | _given(normalise(prompt).text)
        )

    @classmethod
    def for_bot(cls, spec: BotSpec, profanity: ProfanityFilter | None = None) -> Postfilter:
        """A post-filter that knows every contact and fact the bot's files contain, and checks
        its word lists (pass the pre-filter's ``profanity`` to share one)."""
        profanity = profanity or bot_profanity_filter(spec.settings.prefilter)
        facts = "\n".join(
            [
                *(answer for intent in spec.intents for answer in intent.answer.values()),
                *(pair.assistant for intent in spec.intents for pair in intent.few_shot),
                # the bot's own canned replies: the system prompt may ask for their wording
                *(text for name, text in spec.templates.items() if name != "system.j2"),
            ]
        )
        contacts = spec.settings.contact.model_dump().values()
        known = "\n".join([facts, *spec.templates.values(), *(c for c in contacts if c)])
        public = [spec.settings.name, *(c for c in contacts if c)]
        return cls(spec.settings.postfilter, known, facts, profanity, public)

    def run(
        self, answer: str, system_prompt: str, values: Mapping[str, str], language: str = "en"
    ) -> FilterResult:
        """Review ``answer`` (written for a prompt that began ``system_prompt``) in the turn's
        ``language``, which stays the same for every part of a stream that is reviewed."""
        answer, hidden = _without_controls(answer)
        if _blank(answer):
            outcome = self.settings.empty
            event = FilterEvent("postfilter", "empty", "empty", outcome)
            return FilterResult(answer, outcome, (event,), shown=answer)
        tags, nested = 0, False
        if self.settings.markup == "repair":  # first: a tag inside a value hides it from all else
            answer, tags, nested = self._untagged(answer)
        review = _Review(self._without_own_tags(answer))
        if hidden:
            review.events["control", "invisible", "repair"] += hidden
        if tags:
            review.events["markup", "HTML", "repair"] += tags
        if nested:  # tags inside tags, ever deeper: a hostile answer
            review.note("markup", "nested", "fallback")
        review.check("leakage", self._leak_finder(system_prompt), self.settings.leakage, None)
        if self.settings.markup != "repair":
            review.check("markup", self._unknown_tags, self.settings.markup, None)
        removed = REMOVED.get(language, REMOVED["en"])
        labelled = find_labelled(review.normalised.text, PII_KINDS)  # read once, for both
        contacts = partial(self._unknown_contacts, labelled=labelled, prompt=system_prompt)
        review.check("contact", contacts, self.settings.unknown_contact, removed)
        leaks = partial(self._leaked_pii, labelled=labelled, prompt=system_prompt)
        review.check("pii", leaks, self.settings.pii_leak, removed)
        review.check("profanity", self._profanity.find, self.settings.profanity, "****")
        review.check_length(self.settings.max_chars, self.settings.too_long)
        text = review.masks.apply()
        if _blank(text):  # the repairs left nothing: "<img src=x onerror=...>" alone
            review.note("empty", "emptied", self.settings.empty)
        shown = restore(text, dict(values), language) if self.settings.restore_pii else text
        if len(shown) > (limit := self.settings.max_chars):  # values put back lengthen it
            shown = shown[: _cut_point(shown, limit) or limit]
        return review.result(text, shown)

    def _leaks(self, system_prompt: str) -> Callable[[str], list[Finding]]:
        secret = _shingles(normalise(system_prompt).text, self._public) - self._fact_shingles
        starts = {shingle[0] for shingle in secret}

        def find(text: str) -> list[Finding]:
            tokens = _words(text)
            for start, end in _runs(tokens):  # cheap first-token test, then the tuple
                if tokens[start] in starts and tuple(tokens[start:end]) in secret:
                    return [Finding(0, 0, "system_prompt")]  # the whole answer falls back
            return []

        return find

    def _unknown_contacts(self, text: str, labelled: Labelled, prompt: str) -> list[Finding]:
        """Contacts and links neither the bot's files nor this turn's system prompt (which
        may show the customer's own details, from the application) give."""
        contacts = _spans(find_pii(text, CONTACT_KINDS, labelled))
        shapes = _phone_shapes(text, contacts, labelled.references)
        candidates, links = resolve(contacts + shapes, len(text)), _links(text)
        found = _not_given(text, candidates, links, self._known)
        if found:  # the system prompt is read only for an answer with something to remove
            found = _not_given(text, candidates, links, self._known_with(prompt))
        script = _SCRIPT_LINK_WITH_REFERENCES if "&" in text else _SCRIPT_LINK
        if ":" in text or "&" in text:
            found += [
                Finding(m.start(), _run_end(text, *m.span()), "URL") for m in script.finditer(text)
            ]
        return sorted(found, key=lambda f: f.start)

    def _unknown_tags(self, text: str) -> list[Finding]:
        if "<" not in text:
            return []
        return [
            Finding(m.start(), m.end(), "HTML")
            for m in _TAG.finditer(text)
            if m.group().lower() not in self._known_tags
        ]

    def _untagged(self, answer: str) -> tuple[str, int, bool]:
        """``answer`` without its tags, and without those its pieces form once the tags inside
        them are gone (``<scr<script>ipt>`` becomes ``<script>``); how many went; and whether
        tags were still left after ``_REJOINS`` passes (then the answer is ""). Done before the
        other checks read the answer: ``evil<i></i>.com`` and ``4111 <b>1111</b> ...`` are
        whole to them only once the tags are gone. The passes are bounded: 10,000 unclosed
        tags in a row would lose one a pass, the last (it may close in a later sentence of a
        stream)."""
        if "<" not in answer and "＜" not in answer and "﹤" not in answer:  # what NFKC makes "<"
            return answer, 0, False
        removed = 0
        for _ in range(_REJOINS):
            normalised = normalise(answer)  # a full-width ＜script＞ is a tag too
            found = self._unknown_tags(normalised.text)
            if not found:
                return answer, removed, False
            removed += len(found)
            masks = Masks(normalised)
            for finding in found:
                masks.add(finding.start, finding.end, "")
            answer = masks.apply()
        nested = bool(self._unknown_tags(normalise(answer).text))
        return ("" if nested else answer), removed, nested

    def _without_own_tags(self, answer: str) -> Normalised:
        """``answer`` as the checks read it: normalised, and without the tags the bot's own
        files use (``<b>``), which must not split a value either (``4111 <b>1111</b> 1111
        1111``). They stay in the answer, unless a repair covers them."""
        if "<" not in answer or not self._known_tags:
            return normalise(answer)
        own = [m.span() for m in _TAG.finditer(answer) if m.group().lower() in self._known_tags]
        return normalise_without(answer, own)

    def _leaked_pii(self, text: str, labelled: Labelled, prompt: str) -> list[Finding]:
        found = _not_given(text, find_pii(text, LEAK_KINDS, labelled), [], self._known)
        return _not_given(text, found, [], self._known_with(prompt)) if found else []


class _Given(NamedTuple):
    """The contact and PII values (canonical) and link domains a text gives."""

    values: frozenset[str]
    domains: frozenset[str]

    def __or__(self, other: object) -> _Given:
        if not isinstance(other, _Given):
            return NotImplemented
        return _Given(self.values | other.values, self.domains | other.domains)


def _given(known: str) -> _Given:
    """What ``known`` (the bot's files, or a turn's system prompt, normalised) gives the
    model to repeat."""
    labelled = find_labelled(known, PII_KINDS)
    found = _spans(find_pii(known, labelled=labelled))
    found += _phone_shapes(known, found, labelled.references)
    values = frozenset(canonical(kind, known[start:end]) for start, end, kind in found)
    return _Given(values, frozenset(_domain(match.group()) for match in _links(known)))


def _not_given(
    text: str, findings: Sequence[Finding], links: Sequence[re.Match[str]], known: _Given
) -> list[Finding]:
    """The ``findings`` whose values, and the ``links`` (outside them) whose domains,
    ``known`` does not give."""
    found = [f for f in findings if canonical(f.kind, text[f.start : f.end]) not in known.values]
    found += [
        Finding(m.start(), m.end(), "URL")
        for m in links
        if not _allowed(_domain(m.group()), known.domains)
        and not any(f.start <= m.start() < f.end for f in found)
    ]
    return found


# What a terminal or a text renderer would act on rather than show, removed from answers
# before anyone sees or stores them: escape sequences whole (colours, cursor moves, window
# titles), control characters but tab and line breaks, and the invisible characters that hide
# or reorder text (zero-width space, word joiner, BOM, soft hyphen, bidi marks, overrides and
# isolates, tag characters). The joiners U+200C and U+200D stay: emoji and scripts need them.
# An escape sequence never ended loses only its ESC; U+0085 (next line) and the line and
# paragraph separators U+2028 and U+2029 are line breaks.
_CONTROLS = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)|\x1b"
    "|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]"
)
_LINE_BREAKS = str.maketrans("\x85\u2028\u2029", "\n\n\n")


def visible(text: str) -> str:
    """``text`` without the control and invisible characters no customer is sent: for replies
    that do not pass the post-filter (FAQ answers as written, canned replies)."""
    return _without_controls(text)[0]


def _blank(text: str) -> bool:
    """Whether ``text`` shows nothing: spaces, characters drawn blank (a Hangul filler, a
    Braille blank, variation selectors: what :func:`visible_only` drops, and U+2800), and
    their HTML references (``&nbsp;``). Cached and sent, such an answer is an empty bubble."""
    if "&" not in text and _PLAINLY_VISIBLE.search(text):  # most answers, at their start
        return False
    return not visible_only(html.unescape(text)).replace("\u2800", "").strip()


_PLAINLY_VISIBLE = re.compile("[0-9A-Za-z\u4e00-\u9fff]")


def _without_controls(answer: str) -> tuple[str, int]:
    """``answer`` without :data:`_CONTROLS`, and how many went; most answers have none, and
    ``isprintable`` (False for control and format characters, and surrogates) tells so in C.
    A model's JSON may split a character into halves (``"\\ud83d"``): a pair is made whole,
    a lone half U+FFFD, or no encoder would take the reply (the customer's screen, a log)."""
    if answer.replace("\n", "").replace("\t", "").isprintable():
        return answer, 0
    return _CONTROLS.subn("", without_surrogates(answer).translate(_LINE_BREAKS))


# Numbers a model invents are often not real ones: 555-123-4567, +1 (555) 010-9999 and
# 123-456-7890 break the North American numbering plan, so the PII detector (which must not
# mask an order number that merely looks like a phone) passes them over. In an answer,
# anything written like a phone number is one: ten digits grouped 3-3-4 (a leading +1 or 1-
# included) and the fictional 555-0100 to 555-0199.
_NANP_REST = r"[0-9]{3}[ .-][0-9]{4}(?![0-9])"
_FREE = r"(?<![\w+.-].)"  # after the first character: nothing number-like or word-like before it
_PHONE_SHAPES = re.compile(  # each branch starts with a plain character or set: re skips in C
    rf"\+{_FREE}1[ .-]?(?:\([0-9]{{3}}\) ?|[0-9]{{3}}[ .-]){_NANP_REST}"
    rf"|1{_FREE}[ .-]?(?:\([0-9]{{3}}\) ?|[0-9]{{3}}[ .-]){_NANP_REST}"
    rf"|\({_FREE}[0-9]{{3}}\) ?{_NANP_REST}"
    rf"|[0-9]{_FREE}[0-9]{{2}}[ .-]{_NANP_REST}"
    rf"|5{_FREE}55[ .-]01[0-9]{{2}}(?![0-9])"  # the range set aside for fiction
)


def _spans(findings: list[Finding]) -> list[tuple[int, int, str]]:
    return [(f.start, f.end, f.kind) for f in findings]


def _phone_shapes(
    text: str, found: list[tuple[int, int, str]], references: set[int]
) -> list[tuple[int, int, str]]:
    """Phone-shaped numbers that none of ``found`` covers, but not one named as an order,
    part or other reference number ("your order 123-456-7890 has shipped"): ``references``
    are where such numbers start (see :func:`find_labelled`)."""
    return [
        (m.start(), m.end(), "PHONE")
        for m in _PHONE_SHAPES.finditer(text)
        if not any(start <= m.start() and m.end() <= end for start, end, _ in found)
        and m.start() not in references
    ]


class _Review:
    """One answer on its way through the checks, as they read it (``normalised``)."""

    def __init__(self, normalised: Normalised) -> None:
        self.normalised = normalised
        self.masks = Masks(self.normalised)
        self.events: Counter[tuple[str, str, str]] = Counter()
        self.timings: dict[str, float] = {}
        self.verdict = "pass"

    def check(
        self, detector: str, find: Callable[[str], list[Finding]], outcome: str, mask: str | None
    ) -> None:
        """Run one check; ``mask`` replaces what it finds when the outcome is ``repair``."""
        started = time.perf_counter()
        findings = find(self.normalised.text)
        self.timings[detector] = round((time.perf_counter() - started) * 1000, 4)
        for finding in findings:
            if outcome == "repair" and mask is not None:
                self.masks.add(finding.start, finding.end, mask, merge=True)
            self.note(detector, finding.kind, outcome)

    def note(self, detector: str, kind: str, outcome: str) -> None:
        """Count one finding, and let its outcome decide the verdict if it is the gravest."""
        self._decide(outcome)
        self.events[detector, kind, outcome] += 1

    def check_length(self, limit: int, outcome: str) -> None:
        text = self.normalised.text
        if len(text) <= limit:
            return
        if outcome == "repair" and not self.masks.add(_cut_point(text, limit), len(text), ""):
            outcome = "fallback"  # a repair already covers the cut: no clean place to cut
        self.note("length", "too_long", outcome)

    def result(self, text: str, shown: str) -> FilterResult:
        events = tuple(
            FilterEvent("postfilter", detector, kind, action, count=count)
            for (detector, kind, action), count in self.events.items()
        )
        return FilterResult(text, self.verdict, events, timings=self.timings, shown=shown)

    def _decide(self, outcome: str) -> None:
        if _SEVERITY[outcome] > _SEVERITY[self.verdict]:
            self.verdict = outcome


def whole_sentences(text: str) -> str:
    """``text`` up to the end of its last whole sentence: an answer the model broke off at
    its token limit ends mid-sentence ("... takes up to 5 busin")."""
    return text if text.endswith("。") else text[: last_sentence_end(text)]


def last_sentence_end(text: str, start: int = 0) -> int:
    """Where the last whole sentence of ``text`` that ends after ``start`` ends (0: none)."""
    return max((m.end() for m in _SENTENCE_OVER.finditer(text, start)), default=0)


def _cut_point(text: str, limit: int) -> int:
    """Where to cut ``text`` to at most ``limit`` characters: after its last whole sentence,
    else at its last space in the second half of the limit (Chinese has none: at the limit,
    or before the placeholder the limit falls in)."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text) if m.end() <= limit]
    if ends:
        return ends[-1]
    head = text[: limit + 1]
    space = max(head.rfind(" "), head.rfind("\n"))
    if space > limit // 2:
        return space
    # Not inside a placeholder: "[PHO" would be restored to nothing, and shown as it is.
    start = text.rfind("[", 0, limit)
    placeholder = PLACEHOLDER.match(text, start) if start >= 0 else None
    return start if placeholder and placeholder.end() > limit else limit


def _links(text: str) -> list[re.Match[str]]:
    if "。" in text:  # one character for one: the matches' places hold
        text = _IDEOGRAPHIC_DOT.sub(".", text)
    return [match for match in _URL.finditer(text) if _is_link(match.group())]


def _is_link(found: str) -> bool:
    """A scheme makes a link; without one, a known top-level domain written in lower case
    ("maple-refunds.com", not "Node.js", "readme.md" or "today.It"), or, in a name all in
    capitals, one that is neither a word nor a product's name ("EVIL-PAY.COM"; not "ASP.NET")."""
    if _SCHEME.match(found) or found.lower().startswith("www."):
        return True
    host = re.split(r"[/?#:]", found, maxsplit=1)[0]
    label = host.rsplit(".", 1)[-1]
    shouted = host.isupper() and label.lower() in _NO_WORD_TLDS
    return label in _TLDS or shouted


# Top-level domains that are no English word nor a product's (.NET, REPORT.INFO), so that a
# name in capitals ending in one can only be a domain.
_NO_WORD_TLDS = frozenset("com org biz xyz cn uk de jp ru hk tw eu".split())


def _domain(link: str) -> str:
    """The host a link points at: what a browser would connect to, not what it seems to say."""
    if not _SCHEME.match(link):
        link = "//" + link
    try:  # a browser reads a backslash as "/" in a web link, so the host ends there
        host = urllib.parse.urlsplit(link.lower().replace("\\", "/")).hostname or ""
    except ValueError:  # such as "http://[": no host anyone could vouch for
        return ""
    return host.removeprefix("www.").rstrip(".")


def _allowed(domain: str, known: frozenset[str]) -> bool:
    return any(domain == k or domain.endswith("." + k) for k in known)


def _words(text: str) -> list[str]:
    """The words (and Chinese characters) of ``text`` that leakage compares, in lower case
    and without accents: "Nevér invént ordér détails" copies the rules as surely."""
    if not text.isascii() and not unicodedata.is_normalized("NFKD", text):  # Chinese is
        text = _ACCENTS.sub("", unicodedata.normalize("NFKD", text))
    return _TOKEN.findall(text.lower())


_ACCENTS = re.compile("[\u0300-\u036f]")


@lru_cache(maxsize=256)
def _shingles(text: str, public: tuple[tuple[str, ...], ...] = ()) -> frozenset[tuple[str, ...]]:
    """Every run of words (see :func:`_runs`) in ``text``; none spans one of the ``public``
    runs of words, which cut the text in pieces."""
    pieces = [_words(text)]
    for run in public:
        pieces = [piece for tokens in pieces for piece in _split(tokens, run)]
    return frozenset(tuple(tokens[start:end]) for tokens in pieces for start, end in _runs(tokens))


def _runs(tokens: list[str]) -> Iterator[tuple[int, int]]:
    """From each token on, the shortest run of tokens that makes ``SHINGLE`` words, a Chinese
    character being half a word: (start, end). The same tokens make the same runs, so a
    copied run is found whatever comes before it."""
    if not tokens or max(tokens) < _FIRST_CHINESE:  # no Chinese: runs of SHINGLE tokens, in C
        return zip(range(len(tokens) - SHINGLE + 1), range(SHINGLE, len(tokens) + 1), strict=True)
    return _weighted_runs(tokens)


def _weighted_runs(tokens: list[str]) -> Iterator[tuple[int, int]]:
    end = weight = 0  # in half words
    for start, token in enumerate(tokens):
        while weight < 2 * SHINGLE and end < len(tokens):
            weight += 1 if tokens[end] >= _FIRST_CHINESE else 2
            end += 1
        if weight < 2 * SHINGLE:
            return
        yield start, end
        weight -= 1 if token >= _FIRST_CHINESE else 2


def _split(tokens: list[str], run: tuple[str, ...]) -> list[list[str]]:
    """``tokens`` in the pieces between the places ``run`` occurs."""
    pieces, start, i = [], 0, 0
    while i <= len(tokens) - len(run):
        if tokens[i] == run[0] and tuple(tokens[i : i + len(run)]) == run:
            pieces.append(tokens[start:i])
            i = start = i + len(run)
        else:
            i += 1
    return [*pieces, tokens[start:]]
