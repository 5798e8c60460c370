"""Replaying and recording model replies, so that a bot's tests run offline and repeatably.

:class:`Replayer` is a :class:`~servicebot.model.ModelClient`. In ``replay`` mode it answers
from a cassette (one YAML file of recorded requests and replies: see
:mod:`servicebot.cassette`, and its format in :mod:`servicebot.cassetteformat`), and a request
with no entry raises :class:`~servicebot.cassette.ReplayMissError`, which shows a diff against
the closest recorded request. In ``record`` mode it asks the real model and writes the answer
down; a call that fails is not written (a recording is what the model said: an outage to test
is scripted, with ``model_error`` or :func:`add_hand_written`), and the cassette keeps any
earlier answer to that request.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .cassette import HEADER, RECORD_HINT, Cassette, store_entry
from .cassetteformat import Entry, request_key
from .model import Completion, ErrorKind, ModelClient, ModelError, ModelRequest

if TYPE_CHECKING:
    from .config import BotSpec

_CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_BREAK_AFTER = frozenset(".,;:!?…。，、；：！？")
# How the bot's own cassette (``<replay.cassettes>/bot.yaml``) is recorded: `servicebot record`
# writes the conversations' cassettes, never this one.
BOT_RECORD_HINT = (
    "set replay.mode: record in servicebot.yaml and run the bot (`servicebot chat`, or "
    "Bot.reply() in code) with the model's API key set to record it"
)
# The bot's own cassette's name in the cassettes folder, beside the conversations' own.
BOT_CASSETTE = "bot"
BOT_HEADER = (  # not HEADER: neither `servicebot test` nor `servicebot record` uses this file
    "# The bot's own recorded model replies: with replay.mode: replay in servicebot.yaml, the\n"
    "# bot (`servicebot chat`, or Bot.reply() in code) answers from them instead of a live model.\n"
    "# The bot run with replay.mode: record adds the model's replies to this file; an entry\n"
    "# written by hand may leave out `key`.\n"
)


_KEYLESS_RECORD_HINT = (  # model.api_key_env: null, a local server that takes no key
    "set replay.mode: record in servicebot.yaml and run the bot (`servicebot chat`, or "
    "Bot.reply() in code) with its server at model.base_url running to record it (no API "
    "key: model.api_key_env is null)"
)


def bot_record_hint(spec: BotSpec) -> str:
    """How the bot's own cassette is recorded: with the model's API key set, or, for a
    server that takes none (``model.api_key_env: null``), with that server running."""
    return BOT_RECORD_HINT if spec.settings.model.api_key_env else _KEYLESS_RECORD_HINT


def bot_cassette(spec: BotSpec) -> Path:
    """The bot's own cassette, which ``replay.mode`` replays or records (``servicebot test``
    keeps one per conversation script instead)."""
    return spec.root / spec.settings.replay.cassettes / f"{BOT_CASSETTE}.yaml"


class Replayer:
    """A :class:`ModelClient` that answers from a cassette, or records the model's answers."""

    def __init__(
        self,
        cassette: str | os.PathLike[str],
        mode: Literal["replay", "record"],
        model: ModelClient | None = None,
        today: Callable[[], date] = date.today,
        longest: int | None = None,
        hint: str = RECORD_HINT,
        header: str = HEADER,
        longest_bytes: int | None = None,
    ) -> None:
        """``hint`` ends the error for a request with no entry: how this cassette is recorded
        (a conversation's by ``servicebot record``, the bot's own by ``replay.mode: record``);
        ``header`` begins the file when a recording writes it, saying the same.

        ``longest`` (the bot's ``postfilter.max_chars``): a recorded stream closed after
        more characters than this is recorded as far as it came, with the finish reason
        ``max_chars``, and so is one past ``longest_bytes`` bytes of UTF-8 (the bot's
        ``postfilter.max_bytes``). A bot's stream stops reading the model there (see
        ``shown.Shown``), and its replay must find the request; one closed sooner was left by
        its reader."""
        if mode not in ("replay", "record"):
            raise ValueError(f"mode must be 'replay' or 'record', not {mode!r}")
        if mode == "record" and model is None:
            raise ValueError("record mode needs the model to record from")
        self.path, self.mode, self._model, self._today = Path(cassette), mode, model, today
        self._longest, self._longest_bytes, self._hint = longest, longest_bytes, hint
        self.cassette = Cassette.load(self.path, header)  # a broken file fails now, not mid-test

    def complete(self, request: ModelRequest) -> Completion:
        if self._model is None or self.mode == "replay":
            return self._replayed(request)
        completion = self._model.complete(request)
        self._record(request, completion)
        return completion

    async def acomplete(self, request: ModelRequest) -> Completion:
        import asyncio  # here, not at the top: see pipeline.py

        if self._model is None or self.mode == "replay":
            return self._replayed(request)
        completion = await self._model.acomplete(request)
        await asyncio.to_thread(self._record, request, completion)
        return completion

    def stream(self, request: ModelRequest) -> Iterator[str | Completion]:
        if self._model is None or self.mode == "replay":
            completion = self._replayed(request)
            yield from stream_chunks(completion.text)
            yield completion
            return
        parts: list[str] = []
        try:
            for item in self._model.stream(request):
                if isinstance(item, Completion):
                    self._record(request, item)
                else:
                    parts.append(item)
                yield item
        except GeneratorExit:
            self._record_cut(request, parts)
            raise

    async def astream(self, request: ModelRequest) -> AsyncIterator[str | Completion]:
        import asyncio  # here, not at the top: see pipeline.py

        if self._model is None or self.mode == "replay":
            completion = self._replayed(request)
            for chunk in stream_chunks(completion.text):
                yield chunk
            yield completion
            return
        parts: list[str] = []
        items = self._model.astream(request)
        try:
            async for item in items:
                if isinstance(item, Completion):
                    await asyncio.to_thread(self._record, request, item)
                else:
                    parts.append(item)
                yield item
        except GeneratorExit:
            await asyncio.to_thread(self._record_cut, request, parts)
            raise
        finally:  # closed now, not when asyncio finalises it: its connection ends with it
            if aclose := getattr(items, "aclose", None):
                await aclose()

    def _replayed(self, request: ModelRequest) -> Completion:
        entry = self.cassette.get(request)
        if entry is None:
            raise self.cassette.miss(request, self._hint)
        if entry.error is not None:
            raise ModelError(entry.error, "recorded outage")
        assert entry.completion is not None  # an entry holds one or the other
        return dataclasses.replace(entry.completion, replayed=True)

    def _record_cut(self, request: ModelRequest, parts: list[str]) -> None:
        """Record a stream closed early, if past ``longest`` or ``longest_bytes`` (see
        __init__)."""
        text = "".join(parts)
        chars, size = self._longest, self._longest_bytes
        if (chars is not None and len(text) > chars) or (
            size is not None and len(text.encode("utf-8", "replace")) > size
        ):
            self._record(request, Completion(text, "max_chars", model=request.model))

    def _record(self, request: ModelRequest, completion: Completion) -> None:
        origin = {"recorded_from": completion.model or request.model, "on": self._today()}
        entry = Entry(request_key(request), origin, request, completion, None)
        self.cassette = store_entry(self.path, entry, self.cassette.header)


def add_hand_written(
    cassette: Path,
    request: ModelRequest,
    content: str | None = None,
    *,
    error: ErrorKind | None = None,
    note: str = "no live model was reachable",
) -> Entry:
    """Write an answer (``content``) or an outage (``error``) for ``request`` by hand."""
    if (content is None) == (error is None):
        raise ValueError("give either the content of the answer or the kind of error")
    completion = None if content is None else Completion(content, "stop", None, request.model)
    entry = Entry(request_key(request), {"written_by_hand": note}, request, completion, error)
    store_entry(cassette, entry)
    return entry


@functools.cache
def _pieces() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """One character, or one word; and a Chinese character. Compiled on first use: the two
    took 4 ms of every start, and only a replayed answer streamed is cut."""
    return re.compile(f"[{_CJK}]\\s*|[^\\s{_CJK}]+\\s*|\\s+"), re.compile(f"[{_CJK}]")


def stream_chunks(text: str) -> list[str]:
    """``text`` cut as a model streams it: about three words, or four Chinese characters,
    and a cut after punctuation. The chunks join back to exactly ``text``."""
    chunks, current, words, characters = [], "", 0, 0
    piece_pattern, cjk_character = _pieces()
    for piece in piece_pattern.findall(text):
        current += piece
        if piece.strip():
            chinese = bool(cjk_character.match(piece))
            characters, words = characters + chinese, words + (not chinese)
        if words >= 3 or characters >= 4 or piece.rstrip()[-1:] in _BREAK_AFTER:
            chunks.append(current)
            current, words, characters = "", 0, 0
    return [*chunks, current] if current else chunks
