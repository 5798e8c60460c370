"""A reasoning model's thinking, split from its answer where the answer is read.

Open-weight reasoning models (Qwen3, DeepSeek-R1 and its distills, QwQ) served without a
reasoning parser (vLLM without ``--reasoning-parser``, Ollama, llama.cpp) write their
thinking into ``message.content``, in a ``<think>...</think>`` block before the answer; or,
when the chat template already put ``<think>`` in the prompt (R1 distills, QwQ), with no
opening tag at all: the content starts with the reasoning and a lone ``</think>`` ends it.
Reasoning is never an answer: shown, stored, sent back as history, reviewed by the
post-filter (where quoting the system prompt is a leak, and its length cut the answer away),
it did harm. So it is removed here, before any of them sees it; its tokens still count in
the usage the server reports. A separate field (``reasoning_content``, ``reasoning``) is not
content, and is never read as the answer. The tags are read in any case (``<THINK>``), the
opening one with attributes (``<think type="x">``) and after a byte order mark or blank
lines; wherever a stream's deltas split them.

``model.reasoning`` says how to read the content:

- ``auto`` (the default): a block that opens the content is removed (a stream is held until
  it closes); a lone ``</think>`` (no ``<think>`` before it) also ends the reasoning before
  it, where it stands at a line break as R1 writes it: alone at its line's start, or with
  only a line break between it and the text after it. One inside a line of text (``the
  closing tag is </think>, which ...``) is an answer quoting the tag, and so is any after a
  ``<think>`` the answer wrote; a complete answer and a stream read it alike (one rule,
  :meth:`ReasoningSplit._lone`). A stream cannot tell reasoning with no opening tag from an
  answer until that ``</think>`` comes, by when it was passed on; the tag itself is
  dropped, and a warning says to set ``tags``. What came before it is still no answer: the
  stream marks where the answer begins (:class:`AnswerBegins`), and the completion, stored
  and sent back as history, holds only what follows, as a complete answer's does. Passed on,
  it counts towards ``postfilter.max_chars`` as an answer would (shown.Shown cannot tell it
  from one), and one longer ends the stream before its answer: ``tags`` holds it.
- ``tags``: the model thinks before it answers. A stream is held until ``</think>`` (or its
  end), and a lone ``</think>``, wherever it stands, splits reasoning from answer; content
  with no tag at all that the token limit broke off is reasoning, with no answer.
- ``off``: the content is the answer as it came.

A block never closed (the token limit came first) is reasoning with no answer: the turn
falls back, and says why (see turn.py).
"""

from __future__ import annotations

import re
from typing import Literal

from ..notices import warn_once

Reasoning = Literal["auto", "tags", "off"]
OPEN, CLOSE = "<think>", "</think>"
# Where a split is in its content: before any text; in reasoning opened by <think>; in what
# may be reasoning with no opening tag (held); in an answer; or in an answer that may still
# hold a lone </think> (auto), whose tag is dropped.
_State = Literal["start", "opened", "unopened", "answer", "unsure"]
# The tags as models write them: any case, the opening one with attributes; after a byte
# order mark or blank lines. An opening tag's attributes longer than this make it no tag.
_OPEN = re.compile(r"<think(?:\s[^<>]{0,200})?>", re.IGNORECASE | re.ASCII)
_OPENING = re.compile(r"<think\s[^<>]{0,200}\Z", re.IGNORECASE | re.ASCII)
_CLOSE = re.compile(re.escape(CLOSE), re.IGNORECASE | re.ASCII)
_LEADING = re.compile(r"^[\s\ufeff]+")
_MENTION = re.compile(r"<think\b", re.IGNORECASE | re.ASCII)  # an answer writing the tag


class ReasoningSplit:
    """A model's content, read a piece at a time (a stream's deltas, or a complete answer as
    one piece): :meth:`feed` gives what of it is answer, holding reasoning back and dropping
    it; :meth:`end` gives what was held that turns out to be answer. ``removed``: how many
    characters of reasoning (and its tags) were dropped. ``whole``: the content is a complete
    answer, read at once: it may hold a lone ``</think>`` to its end, and is never warned of.
    ``model``: the model the content is from, named in the warning (once per process)."""

    def __init__(self, mode: Reasoning, *, whole: bool = False, model: str = "") -> None:
        self.mode, self.whole, self.model = mode, whole, model
        self.state: _State = "answer" if mode == "off" else "start"
        self.held = ""  # the text not yet searched for </think>, or held for a tag's start
        # Reasoning with no opening tag, searched, that may yet be answer (no </think> came):
        # kept in pieces, as one string it was copied whole with every piece (quadratic).
        self._searched: list[str] = []
        self.removed = 0
        self.passed = 0  # what was passed on that may yet be reasoning (auto, streamed)
        # Where the answer begins in what feed last gave, once a lone </think> showed that all
        # before it was reasoning: the caller takes it (and sets it back to None).
        self.answer_at: int | None = None
        self._answered = False  # the answer has begun: its leading whitespace is passed on
        # What a lone </think> is told by (auto), in what was passed on: the line it ends is
        # blank so far; the answer wrote <think> (any </think> after it is quoted); its end.
        self._bare, self._quoted, self._last = True, False, ""

    def feed(self, text: str) -> str:
        """The answer in ``text``, with what came before it; reasoning is held or dropped."""
        if self.state == "answer":
            return self._answer(text)
        self.held += text
        if self.state == "start":
            self._start()
        return self._onward()

    def _onward(self) -> str:
        """What the held text gives, now that the state it is in may have changed."""
        if self.state in ("opened", "unopened"):
            return self._think()
        if self.state == "unsure":
            return self._unsure()
        return self._answer(self._release()) if self.state == "answer" else ""

    def end(self, finish_reason: str | None) -> str:
        """What was held that is answer, once the content ended with ``finish_reason``:
        reasoning never closed is dropped (no answer); content with no tag at all is the
        answer, unless the model ``tags`` its reasoning and the token limit broke it off."""
        cut = finish_reason == "length"
        if (
            self.state == "opened"
            or (self.state == "unopened" and self.mode == "tags" and cut)
            or (self.state == "start" and cut and self.held.strip())  # "<thi", cut off
        ):
            self.removed += len(self._release())
            return ""
        return self._answer(self._release())

    def _start(self) -> None:
        """Decide, from the content's first characters, whether it opens with ``<think>``
        (``<THINK>``, ``<think type="x">``), after blank lines or a byte order mark: a
        prefix of the tag waits for more."""
        begun = _LEADING.sub("", self.held, count=1)
        if opened := _OPEN.match(begun):
            self.removed += len(self.held) - len(begun) + opened.end()
            self.held, self.state = begun[opened.end() :], "opened"
        elif begun and not (OPEN.startswith(begun.lower()) or _OPENING.match(begun)):
            self.state = "unopened" if self.mode == "tags" else "unsure"

    def _think(self) -> str:
        """Reasoning held until its ``</think>``; then the answer after it."""
        at = _find_close(self.held)
        if at < 0:  # a long reasoning comes in many pieces: each is searched once
            searched = max(0, len(self.held) - len(CLOSE) + 1)
            if self.state == "opened":  # reasoning for certain: dropped as it comes
                self.removed += searched
            else:
                self._searched.append(self.held[:searched])
            self.held = self.held[searched:]
            return ""
        self.removed += sum(map(len, self._searched)) + at + len(CLOSE)
        self._searched.clear()
        self.held, self.state = self.held[at + len(CLOSE) :], "answer"
        return self._answer(self._release())

    def _unsure(self) -> str:
        """An answer passed on as it comes, which may still hold a lone ``</think>``: the
        reasoning before it was passed on (too late to hold, streamed), the tag is dropped.
        A ``</think>`` quoted in the answer is passed on as text; a tail that may be the start
        of the tag, or a tag whose line is not yet known, waits for the next piece."""
        passed = ""
        while (at := _find_close(self.held)) >= 0:
            lone = self._lone(at)
            if lone is None:
                return passed + self._pass(at)
            if not lone:
                passed += self._pass(at + len(CLOSE))
                continue
            self.answer_at = len(passed) + at
            return passed + self._close(at)
        return passed + self._pass(len(self.held) - _tag_start(self.held))

    def _lone(self, at: int) -> bool | None:
        """Whether the ``</think>`` at ``at`` in what is held ends reasoning (auto): where R1
        writes it, at a line break, and no ``<think>`` the answer wrote before it. None: its
        line is not known yet. A complete answer and a stream are told apart by this alone."""
        before = self.held[:at]
        if self._quoted or _MENTION.search(self._last + before):
            return False
        _, newline, line = before.rpartition("\n")
        if not line.strip() and (newline or self._bare):  # alone at its line's start
            return True
        after = self.held[at + len(CLOSE) :]
        gap = after[: len(after) - len(after.lstrip())]
        return None if gap == after else "\n" in gap  # text after it, a line break between

    def _pass(self, size: int) -> str:
        """The first ``size`` characters held, passed on as (so far) the answer; what tells a
        lone ``</think>`` in what follows is kept."""
        out, self.held = self.held[:size], self.held[size:]
        self._quoted = self._quoted or bool(_MENTION.search(self._last + out))
        self._last = (self._last + out)[-len(OPEN) :]
        _, newline, line = out.rpartition("\n")
        self._bare = not line.strip() and (bool(newline) or self._bare)
        self._answered = self._answered or bool(out.strip())
        self.passed += len(out)
        return out

    def _close(self, at: int) -> str:
        """Reasoning passed on ends at the lone ``</think>`` at ``at``: the tag is dropped,
        and the answer follows, from its first word."""
        if not self.whole:  # every turn would say it: once per process, for each model
            warn_once(
                ("reasoning tags", self.model),
                "the answer of model %s has a </think> with no <think> before it: the "
                "reasoning before it was streamed as the answer; set model.reasoning: tags for "
                "a model that thinks before it answers (said once per process)",
                self.model,
            )
        after = self.held[at + len(CLOSE) :]
        before, self.held = self.held[:at], after.lstrip()
        self.removed += self.passed + len(before) + len(CLOSE) + len(after) - len(self.held)
        self.state, self._answered = "answer", False  # what follows, from its first word
        return before + self._answer(self._release())

    def _release(self) -> str:
        """All that is held, searched or not, given up."""
        held, self.held = "".join(self._searched) + self.held, ""
        self._searched.clear()
        return held

    def _answer(self, text: str) -> str:
        """Answer text, its leading whitespace dropped until the answer begins."""
        if not self._answered and self.removed:
            begun = text.lstrip()
            self.removed += len(text) - len(begun)  # all but the answer is counted removed
            text = begun
        self._answered = self._answered or bool(text)
        return text


class AnswerBegins(str):
    """A streamed piece of text where the answer begins, after reasoning with no opening tag
    that was passed on before its lone ``</think>`` came (auto): what a stream shows may set
    what it showed before apart from the answer. A ``str``, read as any other piece."""


def _find_close(text: str) -> int:
    """Where the first ``</think>`` (in any case) is in ``text``; -1 if none is."""
    found = _CLOSE.search(text)
    return found.start() if found else -1


def _tag_start(text: str) -> int:
    """How many of ``text``'s last characters may be the start of ``</think>``."""
    sizes = range(min(len(text), len(CLOSE) - 1), 0, -1)
    return next((size for size in sizes if CLOSE.startswith(text[-size:].lower())), 0)


def split_reasoning(text: str, mode: Reasoning, finish_reason: str | None) -> tuple[str, int]:
    """A complete answer's content as its answer, and how many characters of reasoning were
    removed from it."""
    split = ReasoningSplit(mode, whole=True)
    answer = split.feed(text) + split.end(finish_reason)
    if split.answer_at is not None:  # what was passed on before a lone </think>: reasoning
        answer = answer[split.answer_at :]
    return answer, split.removed
