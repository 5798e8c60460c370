"""The pre-filter: what happens to a customer's message before anything else reads it.

    message ─► cut ─► normalise ─► PII ─► placeholder ─► profanity ─► injection ─► FilterResult
                 (NFKC,             lookalikes
                 invisible)   mask, flag, block or allow, per servicebot.yaml `prefilter`;
                              PII becomes [PHONE_1]-style placeholders from the conversation

Detectors read the normalised text; masks are applied to the customer's own characters (the
spans mapped back), so nothing outside a detected span changes. PII goes first so that no
other mask can shield a value from it, and a blocked value is masked too: what goes on (and
may be stored) never holds raw PII unless the operator chose ``allow`` or ``flag``. Text the
customer typed that looks like one of our placeholders loses its brackets (``[PHONE_1]``
becomes ``(PHONE_1)``), so a placeholder always means a value we masked.
"""

from __future__ import annotations

import functools
import re
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import cast

from .filters import FilterEvent, FilterResult, Finding
from .filters.cjkwords import INSIGNIFICANT, builtin_chinese_exceptions, builtin_chinese_words
from .filters.followup import find_pii_after
from .filters.injection import find_injection
from .filters.normalise import Masks, Normalised, lower_in_place, normalise, visible_only
from .filters.placeholders import PLACEHOLDER, Placeholders
from .filters.profanity import DEFAULT_KIND, ProfanityFilter, better_profanity_words
from .filters.traditional import fold_traditional
from .filters.wordscan import scan_words
from .settings import PrefilterSettings

PROFANITY_MASK = "****"
FLAGS = ("injection", "pii", "profanity")  # detectors whose action may be "flag"


class Prefilter:
    """Built once per bot (the word lists take a moment); :meth:`run` once per message."""

    def __init__(self, settings: PrefilterSettings) -> None:
        self.settings = settings
        self.profanity = bot_profanity_filter(settings)

    def run(
        self, text: str, placeholders: Placeholders, previous: str | Sequence[str] | None = None
    ) -> FilterResult:
        """Filter one message; ``placeholders`` (the conversation's) gains any new values.
        ``previous``: the customer's last message as stored, or their last few, the newest
        last, whose label may name this one's value ("my password is", then "Hunter2!x": see
        ``filters/followup.py``) or a piece of it ("my phone is", "415", then "555": see
        ``filters/pieces.py``)."""
        turn = self._cut_turn(text, placeholders)
        # Labels and injection triggers found in one pass (see filters/wordscan.py), as both
        # detectors read the same text.
        # Lower-cased once for the three: the detectors read turn.normalised.text, which no
        # step changes (masks apply to the original text), so each would make the same.
        lowered = lower_in_place(turn.normalised.text)
        words = scan_words(lowered)
        pii = functools.partial(
            find_pii_after,
            previous=_messages(previous),
            pieces=placeholders.pieces,
            label_hits=words.label_hits,
            lowered=lowered,
        )
        turn.apply("pii", pii, self._pii_action)
        turn.neutralise_lookalikes()
        # The typed characters too: 幹 listed must not mask 乾 (dry), which folds as it does.
        profanity = functools.partial(self.profanity.find, source=turn.normalised)
        turn.apply("profanity", profanity, self._profanity_action)
        # The text is normalise's: undisguising it need not fold traditional characters again.
        injection = functools.partial(
            find_injection, triggered=words.triggered, normalised=True, lowered=lowered
        )
        turn.apply("injection", injection, self._injection_action)
        return turn.result()

    def mask_pii(self, text: str, placeholders: Placeholders) -> FilterResult:
        """``text`` the shop wrote (a person's message: personturn.py) with the customer's
        personal data as the conversation's ``placeholders``, each kind masked or left as
        ``prefilter.pii`` / ``pii_kinds`` say for a customer's message (a kind that blocks is
        masked, as in a blocked message): an agent who types the customer's number back must
        not store it where an erasure request cannot find it. Cut at ``max_chars`` first, as
        a customer's message is: a paste of megabytes would be stored whole, and the next
        prompt would drop all history to fit it. Only that: the shop's own text is never
        blocked or masked for profanity."""
        turn = self._cut_turn(text, placeholders)
        turn.apply("pii", find_pii_after, self._pii_action)
        turn.neutralise_lookalikes()  # a placeholder still means a value we masked
        return turn.result()

    def _cut_turn(self, text: str, placeholders: Placeholders) -> _Turn:
        """``text`` cut at ``max_chars`` (see :func:`_cut`) and normalised for the detectors,
        with a ``length too_long cut`` event if it was cut."""
        cut = _cut(text, self.settings.max_chars)
        turn = _Turn(normalise(cut), placeholders)
        if cut != text:
            turn.count(("length", "too_long", "cut", None))
        return turn

    def _pii_action(self, finding: Finding) -> str:
        actions = cast(Mapping[str, str], self.settings.pii_kinds)  # keys are PII kind names
        return actions.get(finding.kind, self.settings.pii)

    def _profanity_action(self, finding: Finding) -> str:
        """What ``prefilter.profanity`` says to do with any word found (a method, not a
        lambda made per message)."""
        return self.settings.profanity

    def _injection_action(self, finding: Finding) -> str:
        """What ``prefilter.injection`` says to do with any attempt found."""
        return self.settings.injection


def _messages(previous: str | Sequence[str] | None) -> tuple[str, ...]:
    """The customer's previous messages, the newest last: ``previous`` as a tuple, one message
    alone as one (a str is a sequence of characters, none of which is a message)."""
    if previous is None or isinstance(previous, str):
        return () if previous is None else (previous,)
    return tuple(previous)


def _cut(text: str, limit: int) -> str:
    """``text``'s first ``limit`` characters, ending at a space if there is one near the end,
    and before any digit groups that go on past the cut: "my card 4111 1111 1111" would keep
    three quarters of a card number that no detector can tell from other digits. Invisible
    characters go first: a padding of zero-width spaces must not push the question past it."""
    if len(text) <= limit:
        return text
    text = visible_only(text)
    if len(text) <= limit:
        return text
    space = text.rfind(" ", max(limit - 100, 0), limit + 1)
    end = space if space > 0 else limit
    if _DIGIT_AHEAD.match(text, end) and (tail := _NUMBER_TAIL.search(text, end - 64, end)):
        end = tail.start()
    return text[:end]


# Read on the text as typed, so any digit (full-width ４ too) and any dash (‐, –) counts.
_DASH = "\\s\\-\u2010-\u2015\u2212\uff0d"
_DIGIT_AHEAD = re.compile(f"[{_DASH}]?[+(＋（]?\\d")
# Digit groups ending at the cut: each starts with a digit and holds no space or dash, one
# space or dash between groups, so the search cannot split the same text two ways.
_GROUP = f"[+(＋（]?\\d[^{_DASH}]*"
_NUMBER_TAIL = re.compile(f"[{_DASH}]?(?:{_GROUP}[{_DASH}])*{_GROUP}$")


# Words in better-profanity's list that are also names, which customers sign with and ship
# to, so they are not profanity by default; a bot may list them again in prefilter.words.
# Chinese names in pinyin: Wang (王, the most common surname), Dong (董) and Gai (盖). Hong
# Kong and Malaysian names in Cantonese romanisation: Fuk (福, "Fuk Wing Street", "Lee Fuk
# Sang") and Kum (金, "Hoe Kum Seng"). And Cumming, a town in Georgia and a surname. The list
# matches whole words (see profanity.py), so "cum", "fuker" or "kums" stay listed.
NAMES = frozenset({"cumming", "dong", "fuk", "gai", "kum", "wang"})


# Filters built, by the lists they were built from: bots with the same lists share one (0.9 MB
# each) while any of them holds it. A filter never changes once built (see ProfanityFilter).
_Lists = tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[str, ...], tuple[str, ...]]
_SHARED: weakref.WeakValueDictionary[_Lists, ProfanityFilter] = weakref.WeakValueDictionary()


def bot_profanity_filter(settings: PrefilterSettings) -> ProfanityFilter:
    """The built-in lists plus the bot's own lists and allow-list (both filters use it),
    shared by every bot in the process with the same lists."""
    key = (tuple(settings.words.items()), settings.allow_words, settings.builtin_words)
    shared = _SHARED.get(key)
    if shared is None:
        shared = _SHARED[key] = _build_profanity_filter(settings)
    return shared


def _build_profanity_filter(settings: PrefilterSettings) -> ProfanityFilter:
    extra = dict(settings.words)
    listed: list[str] = []
    allow = list(settings.allow_words)
    if "en" in settings.builtin_words:
        listed += [word for word in better_profanity_words() if word not in NAMES]
    if "zh" in settings.builtin_words:
        listed += _unless_listed(builtin_chinese_words(), extra)
        allow += builtin_chinese_exceptions()  # 你老母亲: the list's own everyday words
    default = [*listed, *extra.pop(DEFAULT_KIND, ())]  # added to, not replaced
    return ProfanityFilter({DEFAULT_KIND: default, **extra}, allow=allow)


def _unless_listed(builtin: Sequence[str], lists: Mapping[str, Sequence[str]]) -> list[str]:
    """The built-in Chinese words the bot does not list itself: a bot's own category names
    what a trace calls its words (``insult_zh``), which the default one, listed first,
    would otherwise take over."""
    own = {fold_traditional(INSIGNIFICANT.sub("", w.lower())) for ws in lists.values() for w in ws}
    return [word for word in builtin if word not in own]


class _Turn:
    """One message on its way through the detectors."""

    def __init__(self, normalised: Normalised, placeholders: Placeholders) -> None:
        self.normalised, self.placeholders = normalised, placeholders
        self.masks = Masks(normalised)
        # A plain dict counted by count(): Counter's += calls its __missing__ in Python.
        self.events: dict[tuple[str, str, str, str | None], int] = {}
        self.timings: dict[str, float] = {}
        self.flags: set[str] = set()
        self.blocked = False
        self.values: dict[str, str] = {}
        # Each value's placeholder, by kind and value as typed, for this message only: a
        # paste of 12,500 copies of one address computed the same HMAC digest 12,500 times.
        self.issued: dict[tuple[str, str], str] = {}

    def neutralise_lookalikes(self) -> None:
        for match in PLACEHOLDER.finditer(self.normalised.text):
            self.masks.add(match.start(), match.start() + 1, "(")
            self.masks.add(match.end() - 1, match.end(), ")")
            self.count(("placeholder", "lookalike", "mask", None))

    def count(self, event: tuple[str, str, str, str | None]) -> None:
        """One more of ``event`` (detector, kind, action, placeholder) in the trace."""
        self.events[event] = self.events.get(event, 0) + 1

    def apply(
        self,
        detector: str,
        find: Callable[[str], list[Finding]],
        action_for: Callable[[Finding], str],
    ) -> None:
        started = time.perf_counter()
        findings = find(self.normalised.text)
        self.timings[detector] = round((time.perf_counter() - started) * 1000, 4)
        for finding in findings:
            action = action_for(finding)
            placeholder = self._act(detector, finding, action)
            self.count((detector, finding.kind, action, placeholder))

    def _act(self, detector: str, finding: Finding, action: str) -> str | None:
        if action in ("flag", "block"):  # blocked.j2 may say why: "don't send passwords"
            self.flags.add(detector)
        self.blocked |= action == "block"
        if action not in ("mask", "block"):
            return None
        if detector == "profanity":
            self.masks.add(finding.start, finding.end, PROFANITY_MASK)
        elif detector == "pii":
            value = self.normalised.text[finding.start : finding.end]
            placeholder = self._placeholder_for(finding.kind, value)
            if self.masks.add(finding.start, finding.end, placeholder):
                self.values[placeholder] = value
                if finding.piece:  # so the next message may be its next piece (pieces.py)
                    self.placeholders.mark_piece(placeholder)
                return placeholder
        return None

    def _placeholder_for(self, kind: str, value: str) -> str:
        """``placeholders.placeholder_for(kind, value)``, asked once per value of a message:
        asked again, it gives what it gave (the digest it issued stays in the map), and
        issues nothing."""
        key = (kind, value)
        if (placeholder := self.issued.get(key)) is None:
            placeholder = self.issued[key] = self.placeholders.placeholder_for(kind, value)
        return placeholder

    def result(self) -> FilterResult:
        events = tuple(
            FilterEvent("prefilter", detector, kind, action, placeholder, count)
            for (detector, kind, action, placeholder), count in self.events.items()
        )
        return FilterResult(
            text=self.masks.apply(),
            verdict="block" if self.blocked else "pass",
            events=events,
            flags=frozenset(self.flags),
            timings=self.timings,
            values=self.values,
        )
