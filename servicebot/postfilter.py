"""The post-filter: what an answer must pass before the customer sees it.

    answer ─► empty? ─► leakage ─► profanity ─► contacts ─► PII leak ─► length ─► FilterResult
                        (a run of     (listed     (phones,     (cards, IDs,  (cut at a
                        the system    words)      emails and   keys the      sentence)
                        prompt)                   links that   bot was
                                                  no FAQ,      never given)
                                                  template or
                                                  setting has)

Each check's outcome is set in servicebot.yaml ``postfilter``: ``repair`` (mask or cut the
offending text), ``fallback`` (the pipeline sends the top intent's canonical answer) or
``handoff`` (a person takes over); the worst outcome of any check wins. An answer that
passes gets the customer's own values back in place of this turn's placeholders when
``restore_pii`` is on.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from functools import lru_cache

from .config import BotSpec
from .filters import FilterEvent, FilterResult, Finding
from .filters.normalise import Masks, normalise
from .filters.pii import find_pii
from .filters.placeholders import restore
from .filters.profanity import ProfanityFilter, default_filter
from .settings import PostfilterSettings

CONTACT_KINDS = ("PHONE", "EMAIL")
LEAK_KINDS = ("SECRET", "IBAN", "CN_ID", "CARD", "SSN", "IP")
REMOVED = "[removed]"
SHINGLE = 8  # this many words (or Chinese characters) in a row copied from the system prompt

_SEVERITY = {"pass": 0, "repair": 0, "fallback": 1, "handoff": 2}
# Links with a scheme, and bare domains ("maple-refunds.com/x"). A bare domain may start only
# where a dotted run starts, so no input makes the pattern retry inside a run (linear time);
# its last label must then be a top-level domain (checked in Python, see _links).
_URL_TAIL = r"(?:[^\s<>\"'，。）)\]]*[^\s<>\"'，。）)\].,;:!?])?"  # not the sentence's full stop
_URL = re.compile(
    rf"\bhttps?://{_URL_TAIL}|(?<![\w.@/-])[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:/{_URL_TAIL})?",
    re.IGNORECASE,
)
_TLDS = frozenset(
    [
        "com",
        "net",
        "org",
        "cn",
        "io",
        "co",
        "uk",
        "de",
        "info",
        "biz",
        "shop",
        "store",
        "app",
        "me",
        "hk",
        "tw",
        "jp",
        "us",
        "eu",
    ]
)
_TOKEN = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]")
_SENTENCE_END = re.compile(r"[.!?。！？](?=\s|$)|[。！？]")


class Postfilter:
    """Built once per bot from what it may say; :meth:`run` once per answer."""

    def __init__(
        self,
        settings: PostfilterSettings,
        known_text: str,
        facts: str,
        profanity: ProfanityFilter | None = None,
    ) -> None:
        """``known_text`` holds every contact the bot may give; ``facts`` what it may quote."""
        self.settings = settings
        self._profanity = profanity or default_filter()
        known = normalise(known_text).text
        self._known_values = {_canonical(f.kind, known[f.start : f.end]) for f in find_pii(known)}
        self._known_domains = {_domain(match.group()) for match in _links(known)}
        self._known_domains |= {d.lower().removeprefix("www.") for d in settings.allowed_domains}
        self._fact_shingles = _shingles(normalise(facts).text)

    @classmethod
    def for_bot(cls, spec: BotSpec, profanity: ProfanityFilter | None = None) -> Postfilter:
        """A post-filter that knows every contact and fact the bot's files contain."""
        facts = "\n".join(
            [
                *(answer for intent in spec.intents for answer in intent.answer.values()),
                *(pair.assistant for intent in spec.intents for pair in intent.few_shot),
            ]
        )
        contacts = spec.settings.contact.model_dump().values()
        known = "\n".join([facts, *spec.templates.values(), *(c for c in contacts if c)])
        return cls(spec.settings.postfilter, known, facts, profanity)

    def run(self, answer: str, system_prompt: str, values: Mapping[str, str]) -> FilterResult:
        """Review ``answer`` (written for a prompt that began ``system_prompt``)."""
        if not answer.strip():
            outcome = self.settings.empty
            event = FilterEvent("postfilter", "empty", "empty", outcome)
            return FilterResult(answer, outcome, (event,))
        review = _Review(answer)
        review.check("leakage", self._leaks(system_prompt), self.settings.leakage, None)
        review.check("profanity", self._profanity.find, self.settings.profanity, "****")
        review.check("contact", self._unknown_contacts, self.settings.unknown_contact, REMOVED)
        review.check("pii", self._leaked_pii, self.settings.pii_leak, REMOVED)
        review.check_length(self.settings.max_chars, self.settings.too_long)
        text = review.masks.apply()
        if self.settings.restore_pii:
            text = restore(text, dict(values))
        return FilterResult(text, review.verdict, tuple(review.events))

    def _leaks(self, system_prompt: str) -> Callable[[str], list[Finding]]:
        secret = _shingles(normalise(system_prompt).text) - self._fact_shingles

        def find(text: str) -> list[Finding]:
            tokens = list(_TOKEN.finditer(text.lower()))
            return [
                Finding(tokens[i].start(), tokens[i + SHINGLE - 1].end(), "system_prompt")
                for i in range(len(tokens) - SHINGLE + 1)
                if tuple(t.group() for t in tokens[i : i + SHINGLE]) in secret
            ][:1]

        return find

    def _unknown_contacts(self, text: str) -> list[Finding]:
        found = [
            f
            for f in find_pii(text, CONTACT_KINDS)
            if _canonical(f.kind, text[f.start : f.end]) not in self._known_values
        ]
        found += [
            Finding(m.start(), m.end(), "URL")
            for m in _links(text)
            if not _allowed(_domain(m.group()), self._known_domains)
            and not any(f.start <= m.start() < f.end for f in found)
        ]
        return sorted(found, key=lambda f: f.start)

    def _leaked_pii(self, text: str) -> list[Finding]:
        return [
            f
            for f in find_pii(text, LEAK_KINDS)
            if _canonical(f.kind, text[f.start : f.end]) not in self._known_values
        ]


class _Review:
    """One answer on its way through the checks."""

    def __init__(self, answer: str) -> None:
        self.normalised = normalise(answer)
        self.masks = Masks(self.normalised)
        self.events: list[FilterEvent] = []
        self.verdict = "pass"

    def check(
        self, detector: str, find: Callable[[str], list[Finding]], outcome: str, mask: str | None
    ) -> None:
        started = time.perf_counter()
        findings = find(self.normalised.text)
        ms = round((time.perf_counter() - started) * 1000, 3)
        if mask is None:
            outcome = _no_repair(outcome)
        for finding in findings:
            if outcome == "repair" and mask is not None:
                self.masks.add(finding.start, finding.end, mask)
            self._decide(outcome)
            self.events.append(FilterEvent("postfilter", detector, finding.kind, outcome, ms=ms))

    def check_length(self, limit: int, outcome: str) -> None:
        text = self.normalised.text
        if len(text) <= limit:
            return
        if outcome == "repair":
            self.masks.add(_cut_point(text, limit), len(text), "")
        self._decide(outcome)
        self.events.append(FilterEvent("postfilter", "length", "too_long", outcome))

    def _decide(self, outcome: str) -> None:
        if _SEVERITY[outcome] > _SEVERITY[self.verdict]:
            self.verdict = outcome


def _no_repair(outcome: str) -> str:
    """Leakage cannot be repaired by masking a few words: it falls back instead."""
    return "fallback" if outcome == "repair" else outcome


def _cut_point(text: str, limit: int) -> int:
    """Where to cut ``text`` to at most ``limit`` characters: after its last whole sentence."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, limit)]
    return ends[-1] if ends else limit


def _canonical(kind: str, value: str) -> str:
    """One form per value; a phone number by its last ten digits, so that "800-555-0199",
    "1-800-555-0199" and "+1 800 555 0199" are the one number the FAQ gives."""
    if kind == "PHONE":
        return re.sub(r"\D", "", value)[-10:]
    return re.sub(r"[\s\-]", "", value).casefold()


def _links(text: str) -> list[re.Match[str]]:
    return [
        match
        for match in _URL.finditer(text)
        if match.group().lower().startswith(("http://", "https://"))
        or _domain(match.group()).rsplit(".", 1)[-1] in _TLDS
    ]


def _domain(url: str) -> str:
    host = re.sub(r"^https?://", "", url.lower()).split("/")[0].split(":")[0]
    return host.removeprefix("www.").rstrip(".")


def _allowed(domain: str, known: set[str]) -> bool:
    return any(domain == k or domain.endswith("." + k) for k in known)


@lru_cache(maxsize=256)
def _shingles(text: str) -> frozenset[tuple[str, ...]]:
    tokens = _TOKEN.findall(text.lower())
    return frozenset(tuple(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1))
