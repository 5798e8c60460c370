"""The ways a script's turns reach the bot (its ``via:`` key): ``Bot.reply``, ``Bot.stream``,
``Bot.areply`` and ``Bot.astream``. A chat widget streams, and a web server awaits: a script
run through those paths tests the code production runs, on the same recordings (a
recording replayed as a stream is cut into pieces as a model streams it).

:func:`answer` sends one customer line one way, and gives the :class:`Reply` whose ``text``
is, for a stream, the pieces as the customer saw them, joined; :func:`stream_check` says
when those differ from the text the turn stored as its reply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..pipeline import Bot
from ..reply import Reply
from .expectations import Check
from .files import Via


def answer(
    bot: Bot, via: Via, text: str, conversation_id: str, metadata: Mapping[str, Any] | None
) -> tuple[Reply, str | None]:
    """The reply to ``text`` sent ``via`` that way, with the text the customer reads as it
    came (a stream's pieces joined), and the reply's own text (None when not streamed)."""
    import asyncio  # here, not at the top: see pipeline.py

    if via == "reply":
        return bot.reply(text, conversation_id, metadata), None
    if via == "areply":
        return asyncio.run(bot.areply(text, conversation_id, metadata)), None
    if via == "stream":
        stream = bot.stream(text, conversation_id, metadata)
        shown, reply = "".join(stream), stream.reply
    else:
        shown, reply = asyncio.run(_astreamed(bot, text, conversation_id, metadata))
    assert reply is not None  # a stream read to its end holds its reply
    return replace(reply, text=shown), reply.text


async def _astreamed(
    bot: Bot, text: str, conversation_id: str, metadata: Mapping[str, Any] | None
) -> tuple[str, Reply | None]:
    """``bot.astream``'s pieces joined, and its reply, in one event loop."""
    stream = bot.astream(text, conversation_id, metadata)
    shown = "".join([piece async for piece in stream])
    return shown, stream.reply


def stream_check(via: Via, reply: Reply, stored: str | None) -> Check | None:
    """A failure when a stream's joined pieces (``reply.text``) are not the text its reply
    holds (``stored``): the customer read other words than the turn kept."""
    if stored is None or reply.text == stored:
        return None
    return Check(
        "customer",
        f"the pieces of bot.{via}() to join into the reply's text {stored!r}",
        repr(reply.text),
    )
