"""The post-filter: what an answer must pass before the customer sees it.

    answer ─► empty? ─► markup ─► leakage ─► contacts ─► amounts ─► PII leak ─► profanity ─► length
                        (HTML     (a run of  (phones,    (money,    (cards,     (listed      (cut at
                        tags the  the system emails,     percents   IDs, keys   words)       a full
                        bot's     prompt)    links no    no file    never                    stop)
                        files do             FAQ,        nor this   given)
                        not use:             template or turn's
                        removed              setting     messages
                        first                has; script give)
                        when                 links)
                        repaired)

Each check's outcome is set in servicebot.yaml ``postfilter``: ``repair`` (mask or cut the
offending text), ``fallback`` (the pipeline sends the top intent's canonical answer when
routing is sure of it, else ``handoff.j2``, as for a model outage: see ``actions.py``) or
``handoff`` (a person takes over); the worst outcome of any check wins. The result's ``text``
keeps this turn's placeholders (it may be stored); ``shown``, what the customer reads, has
their own values back when ``restore_pii`` is on.

The checks' parts live beside this file: ``links.py`` (links and script links),
``contacts.py`` (the contacts and values the bot's files give), ``amounts.py`` (amounts of
money and percentages), ``derived.py`` (the amounts that follow from given ones: zero, sums,
differences, the customer's bare numbers), ``disguised.py`` (defanged links
and emails read aloud: "evil[.]com", "help at evil dot com"), ``written.py`` (links with their
dots written out: "www . evil . com / pay", "evil点com"), ``leakage.py`` (runs of the
system prompt), ``controls.py`` (control and invisible characters), ``markup.py`` (the HTML
tags and platform mentions the bot's files do not use) and ``sentences.py`` (where to cut an
answer).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property, lru_cache, partial

from ..config import BotSpec
from ..filters import FilterEvent, FilterResult, Finding
from ..filters.boundaries import Marked
from ..filters.labelled import Labelled, find_labelled
from ..filters.normalise import Masks, Normalised, normalise
from ..filters.pii import PII_KINDS, find_pii, resolve
from ..filters.placeholders import restore
from ..filters.profanity import ProfanityFilter, default_filter
from ..prefilter import bot_profanity_filter
from ..settings import PostfilterSettings
from .amounts import find_amounts
from .contacts import Given, finding_spans, given_by, not_given, phone_shapes, unmeasured
from .controls import blank, visible, without_controls
from .derived import bare_numbers, not_given_amounts, outside_links
from .disguised import find_disguised, not_given_addresses, widened
from .leakage import SHINGLE, leak_words, sayable, shingle_runs, shingles
from .links import find_links, link_masks, may_script_link, run_end, script_link
from .markup import Markup
from .sentences import chars_within, cut_point, last_sentence_end, whole_sentences

__all__ = [
    "CONTACT_KINDS",
    "LEAK_KINDS",
    "REMOVED",
    "SHINGLE",
    "Postfilter",
    "last_sentence_end",
    "visible",
    "whole_sentences",
]

CONTACT_KINDS = ("PHONE", "EMAIL")
# Not ADDRESS, DATE_OF_BIRTH or MESSENGER_ID: the shop's own addresses and ids (客服微信) are
# in its files in forms an answer rewords ("our returns centre at 5 Dock Road"), and an
# invented one misleads no more than any wrong sentence; a check would refuse answers that
# give the shop's address (README).
LEAK_KINDS = ("SECRET", "IBAN", "CN_ID", "HK_ID", "PASSPORT", "CARD", "SSN", "IP")
REMOVED = {"en": "[removed]", "zh": "[已删除]", "zh-Hant": "[已刪除]"}  # in the reply's language

_SEVERITY = {"pass": 0, "repair": 0, "fallback": 1, "handoff": 2}


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
        self._known_source = known, frozenset(allowed)  # read by _known, on first use
        self._markup = Markup(known)
        self._fact_shingles = shingles(normalise(facts).text)
        self._public = tuple(
            tuple(run) for text in public if (run := leak_words(normalise(text).text))
        )
        # A streamed answer is reviewed once a sentence, against the same system prompt.
        self._leak_finder = lru_cache(maxsize=64)(self._leaks)
        self._known_with = lru_cache(maxsize=64)(
            lambda prompt: self._known | given_by(normalise(prompt).text)
        )
        self._turn_amounts = lru_cache(maxsize=64)(
            lambda prompt, said: (
                self._known_with(f"{prompt}\n{said}").values | bare_numbers(normalise(said).text)
            )
        )

    @cached_property
    def _known(self) -> Given:
        """What the bot's files (and ``allowed_domains``) give the model to repeat: found as
        the first answer is reviewed, not as the bot loads. It took a quarter of each bot's
        load (16 ms of 65 for `servicebot init`'s), which 200 shops' bots in one process
        spent at start, most of them for no answer soon. Threads reviewing the first answers
        at once may each find it: they find the same."""
        known, allowed = self._known_source
        return given_by(known) | Given(frozenset(), allowed)

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
                *sayable(spec.templates["system.j2"]),
            ]
        )
        contacts = spec.settings.contact.model_dump().values()
        known = "\n".join([facts, *spec.templates.values(), *(c for c in contacts if c)])
        public = [spec.settings.name, *(c for c in contacts if c)]
        return cls(spec.settings.postfilter, known, facts, profanity, public)

    def run(
        self,
        answer: str,
        system_prompt: str,
        values: Mapping[str, str],
        language: str = "en",
        said: str = "",
    ) -> FilterResult:
        """Review ``answer`` (written for a prompt that began ``system_prompt``) in the turn's
        ``language``, which stays the same for every part of a stream that is reviewed.
        ``said`` is what the customer wrote (the history's messages and this one), not the
        bot's earlier answers: an amount the customer gave ("I paid $45.99") may be repeated."""
        answer, hidden = without_controls(answer)
        if blank(answer):
            outcome = self.settings.empty
            event = FilterEvent("postfilter", "empty", "empty", outcome)
            return FilterResult(answer, outcome, (event,), shown=answer)
        tags: Counter[str] = Counter()
        nested = False
        if self.settings.markup == "repair":  # first: a tag inside a value hides it from all else
            answer, tags, nested = self._markup.untagged(answer)
        review = _Review(self._markup.without_own_tags(answer))
        if hidden:
            review.events["control", "invisible", "repair"] += hidden
        for kind, count in tags.items():
            review.events["markup", kind, "repair"] += count
        if nested:  # tags inside tags, ever deeper: a hostile answer
            review.note("markup", "nested", "fallback")
        review.check("leakage", self._leak_finder(system_prompt), self.settings.leakage, None)
        if self.settings.markup != "repair":
            review.check("markup", self._markup.unknown, self.settings.markup, None)
        removed = REMOVED.get(language, REMOVED["en"])
        labelled = find_labelled(review.normalised.text, PII_KINDS)  # read once, for both
        contacts = partial(self._unknown_contacts, labelled=labelled, prompt=system_prompt)
        review.check("contact", contacts, self.settings.unknown_contact, removed)
        amounts = partial(self._unknown_amounts, prompt=system_prompt, said=said)
        review.check("amount", amounts, self.settings.unknown_amount, removed)
        leaks = partial(self._leaked_pii, labelled=labelled, prompt=system_prompt)
        review.check("pii", leaks, self.settings.pii_leak, removed)
        profanity = partial(
            self._profanity.find, source=review.normalised
        )  # as typed: 乾 is not 幹
        review.check("profanity", profanity, self.settings.profanity, "****")
        review.check_length(self._limit, self.settings.too_long)
        # Without the whitespace at either end a model often leaves ("It ships today.\n\n"):
        # a widget shows it as an empty bubble or a gap. Every review of a stream does the
        # same, so what a stream shows is a start of what the whole answer's review keeps.
        text = review.masks.apply().strip()
        if blank(text):  # the repairs left nothing: "<img src=x onerror=...>" alone
            review.note("empty", "emptied", self.settings.empty)
        kinds = self.settings.restore_pii
        shown = restore(text, dict(values), language, kinds) if kinds else text
        if len(shown) > (limit := self._limit(shown)):  # values put back lengthen it
            shown = shown[: cut_point(shown, limit) or limit]
        return review.result(text, shown)

    def _limit(self, text: str) -> int:
        """How many characters of ``text`` may be shown: ``max_chars``, fewer if they would
        be more than ``max_bytes`` bytes of UTF-8 (see :func:`~.sentences.chars_within`)."""
        return chars_within(text, self.settings.max_chars, self.settings.max_bytes)

    def _leaks(self, system_prompt: str) -> Callable[[str], list[Finding]]:
        secret = shingles(normalise(system_prompt).text, self._public) - self._fact_shingles
        starts = {shingle[0] for shingle in secret}

        def find(text: str) -> list[Finding]:
            tokens = leak_words(text)
            for start, end in shingle_runs(tokens):  # cheap first-token test, then the tuple
                if tokens[start] in starts and tuple(tokens[start:end]) in secret:
                    return [Finding(0, 0, "system_prompt")]  # the whole answer falls back
            return []

        return find

    def _unknown_contacts(self, text: str, labelled: Labelled, prompt: str) -> list[Finding]:
        """Contacts and links neither the bot's files nor this turn's system prompt (which
        may show the customer's own details, from the application) give."""
        contacts = unmeasured(text, finding_spans(find_pii(text, CONTACT_KINDS, labelled)))
        links = find_links(text)  # first: a phone shape in a link's path is the link's
        shapes = phone_shapes(text, contacts, labelled, links)
        candidates = resolve(contacts + shapes, len(text))
        found = self._not_known(partial(not_given, text, candidates, links), prompt)
        addresses = find_disguised(text, candidates)
        found = widened(found, addresses)  # a link read inside one is removed with all of it
        disguised = self._not_known(partial(not_given_addresses, addresses), prompt)
        if disguised:  # each covers what it spells
            spelled = Marked(len(text), [(d.start, d.end) for d in disguised])
            found = [f for f in found if not spelled.covers(f.start, f.end)] + disguised
        if "&" in text or (":" in text and may_script_link(text)):
            script = script_link("&" in text)
            found += [
                Finding(m.start(), run_end(text, *m.span()), "URL") for m in script.finditer(text)
            ]
        return sorted(found, key=lambda f: f.start)

    def _unknown_amounts(self, text: str, prompt: str, said: str) -> list[Finding]:
        """Amounts of money and percentages that neither the bot's files nor this turn's
        messages (the system ``prompt``, and the customer's messages ``said``) give, nor let
        follow (``derived.py``): a price, fee or refund the model made up."""
        if not (found := find_amounts(text)):
            return []
        if found := not_given_amounts(text, found, self._known.values):
            found = not_given_amounts(text, found, self._turn_amounts(prompt, said))
        return outside_links(text, found)

    def _leaked_pii(self, text: str, labelled: Labelled, prompt: str) -> list[Finding]:
        return self._not_known(
            partial(not_given, text, find_pii(text, LEAK_KINDS, labelled), []), prompt
        )

    def _not_known(
        self, not_given_by: Callable[[Given], list[Finding]], prompt: str
    ) -> list[Finding]:
        """What ``not_given_by`` finds that neither the bot's files nor this turn's system
        ``prompt`` give: the prompt is read only for an answer with something to remove."""
        found = not_given_by(self._known)
        return not_given_by(self._known_with(prompt)) if found else []


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
                for start, end, replacement in self._masks_for(detector, finding, mask):
                    self.masks.add(start, end, replacement, merge=True)
            self.note(detector, finding.kind, outcome)

    def _masks_for(self, detector: str, finding: Finding, mask: str) -> list[tuple[int, int, str]]:
        """What repairs ``finding``: ``mask`` over it, and for a link or address, the chat
        markup around it too (see :func:`~.links.link_masks`)."""
        if detector != "contact":
            return [(finding.start, finding.end, mask)]
        return link_masks(self.normalised.text, finding.start, finding.end, mask)

    def note(self, detector: str, kind: str, outcome: str) -> None:
        """Count one finding, and let its outcome decide the verdict if it is the gravest."""
        self._decide(outcome)
        self.events[detector, kind, outcome] += 1

    def check_length(self, limit_of: Callable[[str], int], outcome: str) -> None:
        """Cut the answer after its last whole sentence within ``limit_of`` it characters
        (``max_chars``, or fewer for ``max_bytes``): a ``too_long`` event either way."""
        text = self.normalised.text
        if len(text) <= (limit := limit_of(text)):
            return
        if outcome == "repair" and not self.masks.add(cut_point(text, limit), len(text), ""):
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
