"""What the pre- and post-filter share: detector findings, trace events and results.

Detectors (normalisation, profanity, PII, injection) take a normalised string and return
:class:`Finding` spans on it; the filter stages (``prefilter.py``, ``postfilter/``) decide
what to do with them and report each decision as a :class:`FilterEvent`, which carries the
detector, the kind and any placeholder, and never the text it found.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

import ahocorasick


@dataclass(frozen=True, slots=True)
class Finding:
    """``text[start:end]`` is something a detector found, of ``kind`` (such as ``PHONE``)."""

    start: int
    end: int
    kind: str
    piece: bool = False  # PII: part of a value typed in pieces, one message each (pieces.py)

    def __init__(self, start: int, end: int, kind: str, piece: bool = False) -> None:
        """The dataclass's own, but each field set through its slot: a frozen dataclass sets
        them through ``object.__setattr__``, a third of the time a finding took to make (a
        100 KB attack with 12,500 profane words makes as many)."""
        _SET_START(self, start)
        _SET_END(self, end)
        _SET_KIND(self, kind)
        _SET_PIECE(self, piece)


# The slots' setters, which a frozen dataclass's __setattr__ does not stand in front of.
_SET_START, _SET_END, _SET_KIND, _SET_PIECE = (
    vars(Finding)[name].__set__ for name in ("start", "end", "kind", "piece")
)


@dataclass(frozen=True)
class FilterEvent:
    """One filter decision, for the turn's trace. Holds no customer text."""

    stage: str  # prefilter | postfilter | model (the call failed, or the caller stopped it)
    detector: str  # profanity | pii | injection | placeholder | contact | amount | leakage
    # | length | empty | model (the provider's content filter stopped the answer, or the call
    # failed)
    # | caller (the caller stopped reading a stream, or cancelled the turn)
    kind: str  # what was found: PHONE, override, profanity, ...; or timeout, rate_limit, stopped
    action: str  # allow | mask | flag | block (prefilter); repair | fallback | handoff (postfilter)
    # | kept (what the customer was shown before the caller stopped)
    placeholder: str | None = None
    count: int = 1  # how many times it was found in this text

    def __init__(
        self,
        stage: str,
        detector: str,
        kind: str,
        action: str,
        placeholder: str | None = None,
        count: int = 1,
    ) -> None:
        """The dataclass's own, but the fields set in one update of the instance's dict: a
        frozen dataclass sets each through ``object.__setattr__``, half the time an event took
        to make (the pre-filter makes one per decision, per message)."""
        vars(self).update(
            stage=stage,
            detector=detector,
            kind=kind,
            action=action,
            placeholder=placeholder,
            count=count,
        )

    def __str__(self) -> str:
        """The event as a trace shows it: ``pii PHONE mask -> [PHONE_1]``, ``profanity
        profanity mask (2 times)``."""
        placeholder = f" -> {self.placeholder}" if self.placeholder else ""
        times = f" ({self.count} times)" if self.count > 1 else ""
        return f"{self.detector} {self.kind} {self.action}{placeholder}{times}"


# What FilterResult's __init__ takes for "not given" (its fields' default_factory=dict): a
# new dict then, never this one.
_NEW_DICT: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class FilterResult:
    """A filter stage's verdict on one text."""

    text: str  # what goes on and may be stored: masked, with placeholders, never raw PII
    verdict: str  # pass | block (prefilter); pass | fallback | handoff (postfilter)
    events: tuple[FilterEvent, ...] = ()
    flags: frozenset[str] = frozenset()  # detectors whose action was "flag"
    timings: Mapping[str, float] = field(default_factory=dict)  # ms per detector
    # Prefilter: this turn's placeholders and the customer's values behind them, to restore in
    # the answer. Postfilter: the answer as the customer sees it, values restored. Both live in
    # memory for the turn only: never stored, logged or shown in a repr.
    values: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    shown: str | None = field(default=None, repr=False, compare=False)

    def __init__(
        self,
        text: str,
        verdict: str,
        events: tuple[FilterEvent, ...] = (),
        flags: frozenset[str] = frozenset(),
        timings: Mapping[str, float] = _NEW_DICT,
        values: Mapping[str, str] = _NEW_DICT,
        shown: str | None = None,
    ) -> None:
        """The dataclass's own (a new dict for ``timings`` or ``values`` not given), but the
        fields set in one update of the instance's dict, as :class:`FilterEvent` does: each
        message's pre-filter and each answer's post-filter make one."""
        vars(self).update(
            text=text,
            verdict=verdict,
            events=events,
            flags=flags,
            timings={} if timings is _NEW_DICT else timings,
            values={} if values is _NEW_DICT else values,
            shown=shown,
        )


class Automaton(Protocol):
    """What the filters use of ``ahocorasick.Automaton``, which ships no type information."""

    def iter(self, text: str, start: int = 0, end: int = ...) -> Iterator[tuple[int, Any]]: ...


def word_automaton(values: Mapping[str, Any]) -> Automaton:
    """An Aho-Corasick automaton over the words in ``values``: its ``iter(text)`` yields
    ``(index of the last character, value)`` for every occurrence of every word, in one pass
    in C, where a substring test or a regex alternation per word costs a pass each."""
    automaton = ahocorasick.Automaton()
    for word, value in values.items():
        automaton.add_word(word, value)
    automaton.make_automaton()
    found: Automaton = automaton
    return found
