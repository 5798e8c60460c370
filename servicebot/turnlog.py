"""Which bot and conversation a log line is about, as attributes of its record.

Every record the ``servicebot`` logger emits carries ``conversation_id``, ``bot`` (the
bot's ``name``) and ``turn``, as ``extra=`` would set them: a turn's id, bot and number while
a turn runs, None otherwise. The number is known once the turn has loaded its conversation
(the stored turns' last, plus one; a repeated message's, its turn's) and is the store's once
it is stored; None before, or if the store could not be read. So a JSON formatter, or a
``%(conversation_id)s`` format, can tell 40 bots in one process apart, whichever stage logged
(a stream's retry, a template's or a customer detail's error), without the stages knowing of
turns: :class:`TurnFields`, a filter on the logger, copies them from a context variable onto
each record. The messages are unchanged.

The variable is set around each stretch of a turn that runs servicebot's code (see
:func:`logged_as`), and never held across a stream's ``yield``: between its pieces the
caller's code runs, maybe another bot's turn (see :func:`logged_steps`). A worker thread a
turn hands work to gets a copy (``turnstorage.off_loop``), as an asyncio task does.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator, Callable, Generator, Iterator, Mapping
from contextvars import ContextVar
from types import MappingProxyType

Fields = Mapping[str, str | int | None]

NO_TURN: Fields = MappingProxyType({"conversation_id": None, "bot": None, "turn": None})


def _no_turn() -> Fields:
    return NO_TURN


# What gives the fields, read as each record is made: a stream's first step begins its turn.
_FIELDS: ContextVar[Callable[[], Fields]] = ContextVar("servicebot_turn_fields", default=_no_turn)


class TurnFields(logging.Filter):
    """Sets the running turn's fields on each record of the logger it is added to; a field
    the call passed in ``extra`` is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _FIELDS.get()().items():
            record.__dict__.setdefault(name, value)
        return True


def logged_as(fields: Fields) -> contextlib.AbstractContextManager[None]:
    """Records logged inside the block carry ``fields``."""
    return _logged_by(lambda: fields)


@contextlib.contextmanager
def _logged_by(fields: Callable[[], Fields]) -> Iterator[None]:
    """Records logged inside the block carry what ``fields()`` returns as each is made."""
    token = _FIELDS.set(fields)
    try:
        yield
    finally:
        _FIELDS.reset(token)


def logged_steps(
    fields: Callable[[], Fields], pieces: Generator[str, None, None]
) -> Generator[str, None, None]:
    """``pieces``, each step of it (and its closing) run with ``fields()`` as its records'
    fields, and none of the caller's code between them."""
    while True:
        with _logged_by(fields):
            try:
                piece = next(pieces)
            except StopIteration:
                return
        try:
            yield piece
        except GeneratorExit:  # the caller stopped reading: pieces stores what it showed
            with _logged_by(fields):
                pieces.close()
            raise


async def alogged_steps(
    fields: Callable[[], Fields], pieces: AsyncGenerator[str, None]
) -> AsyncGenerator[str, None]:
    """:func:`logged_steps` for an async generator; a cancelled step closes nothing here:
    ``pieces`` met the cancel itself, and stored what it showed."""
    while True:
        with _logged_by(fields):
            try:
                piece = await anext(pieces)
            except StopAsyncIteration:
                return
        try:
            yield piece
        except GeneratorExit:
            with _logged_by(fields):
                await pieces.aclose()
            raise
