"""The pre-filter: what happens to a customer's message before anything else reads it.

    message ─► normalise ─► profanity ─► PII ─► injection ─► FilterResult
                 (NFKC,       mask, flag, block or allow, per servicebot.yaml `prefilter`;
                 invisible)   PII becomes [PHONE_1]-style placeholders from the conversation

Detectors read the normalised text; masks are applied to the customer's own characters (the
spans mapped back), so nothing outside a detected span changes. Text the customer typed that
looks like one of our placeholders is neutralised (``[PHONE_1]`` becomes ``(PHONE_1)``), so
a placeholder always means a value we masked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import MappingProxyType

from .filters import FilterEvent, FilterResult, Finding
from .filters.injection import find_injection
from .filters.normalise import Masks, Normalised, normalise
from .filters.pii import find_pii
from .filters.placeholders import PLACEHOLDER, Placeholders
from .filters.profanity import DEFAULT_KIND, ProfanityFilter, better_profanity_words
from .settings import PrefilterSettings

PROFANITY_MASK = "****"


class Prefilter:
    """Built once per bot (the word lists take a moment); :meth:`run` once per message."""

    def __init__(self, settings: PrefilterSettings) -> None:
        self.settings = settings
        categories = {DEFAULT_KIND: better_profanity_words(), **settings.words}
        self._profanity = ProfanityFilter(categories, allow=settings.allow_words)

    def run(self, text: str, placeholders: Placeholders) -> FilterResult:
        """Filter one message; ``placeholders`` (the conversation's) gains any new values."""
        normalised = normalise(text)
        turn = _Turn(normalised, placeholders)
        turn.neutralise_lookalikes()
        turn.apply("profanity", self._profanity.find, lambda f: self.settings.profanity)
        turn.apply("pii", find_pii, self._pii_action)
        turn.apply("injection", find_injection, lambda f: self.settings.injection)
        return turn.result()

    def _pii_action(self, finding: Finding) -> str:
        return self.settings.pii_kinds.get(finding.kind, self.settings.pii)  # type: ignore[call-overload, no-any-return]


class _Turn:
    """One message on its way through the detectors."""

    def __init__(self, normalised: Normalised, placeholders: Placeholders) -> None:
        self.normalised, self.placeholders = normalised, placeholders
        self.masks = Masks(normalised)
        self.events: list[FilterEvent] = []
        self.flags: set[str] = set()
        self.blocked = False
        self.values: dict[str, str] = {}

    def neutralise_lookalikes(self) -> None:
        for match in PLACEHOLDER.finditer(self.normalised.text):
            self.masks.add(match.start(), match.end(), f"({match.group()[1:-1]})")
            self.events.append(FilterEvent("prefilter", "placeholder", "lookalike", "mask"))

    def apply(
        self,
        detector: str,
        find: Callable[[str], list[Finding]],
        action_for: Callable[[Finding], str],
    ) -> None:
        started = time.perf_counter()
        findings = find(self.normalised.text)
        ms = (time.perf_counter() - started) * 1000
        for finding in findings:
            action = action_for(finding)
            placeholder = self._act(detector, finding, action)
            self.events.append(
                FilterEvent("prefilter", detector, finding.kind, action, placeholder, round(ms, 3))
            )

    def _act(self, detector: str, finding: Finding, action: str) -> str | None:
        if action == "flag":
            self.flags.add(detector)
        elif action == "block":
            self.blocked = True
        elif action == "mask" and detector == "pii":
            value = self.normalised.text[finding.start : finding.end]
            placeholder = self.placeholders.placeholder_for(
                finding.kind, value, avoid=self.normalised.text
            )
            if self.masks.add(finding.start, finding.end, placeholder):
                self.values[placeholder] = value
                return placeholder
        elif action == "mask":
            self.masks.add(finding.start, finding.end, PROFANITY_MASK)
        return None

    def result(self) -> FilterResult:
        return FilterResult(
            text=self.masks.apply(),
            verdict="block" if self.blocked else "pass",
            events=tuple(self.events),
            flags=frozenset(self.flags),
            values=MappingProxyType(self.values),
        )
