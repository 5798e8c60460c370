"""What a stream has shown: :class:`Shown` takes the model's answer as it arrives, reviews
it with the post-filter up to its last sentence end, and lets out only what the review
passes; it stops the stream once the answer is too long. ``stream.py`` reads the model
through it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .filters import FilterResult
from .model import Completion, ModelRequest
from .model.client import Showing
from .model.reasoning import AnswerBegins
from .postfilter.sentences import sentence_ends
from .postfilter.written import spells_through

if TYPE_CHECKING:
    from .turn import Turn


def _too_long(reviewed: FilterResult) -> bool:
    """Whether the review found the answer past ``postfilter.max_chars`` (or ``max_bytes``)."""
    return any(e.detector == "length" and e.kind == "too_long" for e in reviewed.events)


_REVIEWED_UP_TO = 4  # times postfilter.max_chars: see Shown.take


class Shown:
    """What a stream has shown: whole sentences only, each cleared by the post-filter first.

    The answer so far is reviewed up to its last sentence end; what the review lets through
    beyond what was already shown goes out. A sentence end whose dot a link written out may
    use ("Visit evil ." before "com / pay") waits for the words after it: shown before them,
    the customer read half a link, and then its sentence again repaired. If a later sentence
    turns the verdict to a fallback or handoff, nothing more of the answer is shown. Once a
    review finds the answer so far over ``postfilter.max_chars`` or ``max_bytes`` (as the
    post-filter measures it: markup and runs of spaces left out), which the review cuts it
    to, the stream is
    ``full``: the model is not read further, and its answer so far is the turn's (see
    :meth:`cut`). A server that ignores ``max_tokens`` (or a model caught in a loop) held the
    turn, the customer's ``reply`` and the event loop's time for as long as it went on; one
    with no sentence end to review at is measured as it grows (see :meth:`_measure`). An
    answer four times ``max_chars`` long that the review still finds short enough is read to
    its end.

    Reasoning shown before a lone ``</think>`` said what it was (``model.reasoning: auto``,
    see reasoning.py) is set apart where the answer begins (:class:`AnswerBegins`): the
    answer is reviewed, shown and stored on its own, as ``reply()`` has it, after a blank
    line. What was shown cannot be taken back, but it is never the answer.
    """

    def __init__(self, turn: Turn) -> None:
        self.turn = turn
        # In characters: max_bytes bounds them too, as a character is a byte at least.
        settings = turn.bot.spec.settings.postfilter
        self.longest = min(settings.max_chars, settings.max_bytes or settings.max_chars)
        self.answer = ""
        self.emitted = ""  # as the customer saw it, their details restored
        self.cleared = ""  # the same, as the post-filter passed it (placeholders kept)
        self.reviewed = 0  # how much of the answer the post-filter has seen
        self.held = 0  # a sentence end a written link may run through: see _sentence_over
        self.measure_at = 2 * self.longest  # see _measure
        self.stopped = False
        self.full = False
        self.gap = ""  # put before the answer's first text, after reasoning shown
        self.showing = Showing()  # set as the first text goes out: see watched

    def watched(self, request: ModelRequest) -> ModelRequest:
        """``request``, telling the model's guard (model/guarded.py) when the customer is
        shown its first text: until then the turn's deadline holds, and a failure is an
        outage for the breaker, though the model has sent words (all held, short of a
        sentence end, or refused by the post-filter)."""
        return dataclasses.replace(request, showing=self.showing)

    def take(self, piece: str | Completion) -> Iterator[str]:
        """A piece of the model's stream in; whatever may now be shown out."""
        if isinstance(piece, Completion):
            self.turn.model_answered(piece)
            return
        if isinstance(piece, AnswerBegins):
            self._answer_begins()
        # A sentence end needs the character after it: look again from the last one seen.
        scan_from, self.answer = max(self.reviewed, len(self.answer) - 1), self.answer + piece
        if self.stopped:
            return
        if (end := self._sentence_over(scan_from)) > self.reviewed:
            yield from self._review(end)
        elif len(self.answer) >= self.measure_at:
            self._measure()

    def _sentence_over(self, scan_from: int) -> int:
        """The last sentence end the answer may be shown up to, of those seen since
        ``scan_from`` and the one held back before: not one whose dot a written link may be
        using ("Visit evil ." before "com / pay"), which is held until the words after it
        tell (see :func:`spells_through`). Held, a later end takes its place: a run of them
        ("a. b. c.") is held by the last, and all shown as it is."""
        ends = sorted({e for e in (self.held, *sentence_ends(self.answer, scan_from)) if e})
        ends = [e for e in ends if e > self.reviewed]
        end = next((e for e in reversed(ends) if not spells_through(self.answer, e)), 0)
        self.held = ends[-1] if ends and ends[-1] > end else 0
        return end

    def _review(self, end: int) -> Iterator[str]:
        """The answer reviewed up to the sentence end ``end``; what it lets through, out."""
        self.reviewed = end
        reviewed = self.turn.review(self.answer[:end])
        self.full = _too_long(reviewed)
        # Far past max_chars and still not too long (mostly markup or spaces): the rest is
        # only collected, and reviewed once at the end.
        self.stopped = end > _REVIEWED_UP_TO * self.longest
        shown = reviewed.shown or reviewed.text
        if reviewed.verdict != "pass" or not shown.startswith(self.emitted):
            self.stopped = True
            return
        if new := shown[len(self.emitted) :]:
            self.emitted, self.cleared = shown, reviewed.text
            yield self._after_gap(new)

    def _measure(self) -> None:
        """No sentence shown since the answer went past twice ``max_chars`` ("$5,000 $5,000
        ..." has no sentence end, a written link's dots are held): the answer so far is
        reviewed only to learn whether it is too long, which stops the stream as a sentence's
        review does, and again at each doubling up to four times ``max_chars``. Not at once
        past it: what stands at the cut (a link, an amount) is read whole then, as
        ``reply()`` reads it."""
        self.measure_at = 2 * len(self.answer)
        self.full = _too_long(self.turn.review(self.answer))
        self.stopped = len(self.answer) > _REVIEWED_UP_TO * self.longest

    def _answer_begins(self) -> None:
        """All that came before was reasoning: the answer starts afresh, unreviewed, and the
        reasoning shown is left where it is, a blank line before it."""
        self.gap = "\n\n" if self.emitted.strip() else ""
        self.answer, self.emitted, self.cleared = "", "", ""
        self.reviewed, self.held, self.stopped = 0, 0, False
        self.measure_at = 2 * self.longest

    def _after_gap(self, text: str) -> str:
        """``text`` shown, after the gap before the answer's first text, if any."""
        text, self.gap = self.gap + text, ""
        self.showing.shown = True
        return text

    def cut(self, request: ModelRequest) -> Completion:
        """The answer so far, with the finish reason ``max_chars``. Already too long, it is
        reviewed as ``reply()`` reviews the whole answer (``postfilter.too_long`` applies):
        the same verdict, and repaired, the same text. What follows could never be shown."""
        return Completion(self.answer, "max_chars", model=request.model)

    def rest(self, final: str) -> Iterator[str]:
        """The end of the final reply text, after what was already shown."""
        if final.startswith(self.emitted) and (tail := final[len(self.emitted) :]):
            yield self._after_gap(tail)
