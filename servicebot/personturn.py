"""A person's side of a conversation handed over: their messages added as turns, and the
conversation given back to the bot (see handover.py for when a person has it).

:func:`add_person_turn` runs as a customer's turn does, in its conversation's line
(turnorder.py): the customer's message, if given, through the pre-filter with the
conversation's placeholders; the person's text stored with that conversation's placeholders
for the customer's values (see :meth:`Turn._handed_over`), action ``person``; no model.
:func:`release` unmarks the conversation in its line, so that a turn loading it after the
release is the bot's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .handover import Spoken, mark
from .reply import Reply
from .turnlog import logged_as
from .turnorder import atake, take
from .turnstart import abegin_turn, begin_turn, bound, checked_conversation_id, line_key, plain_text
from .turnstorage import off_loop

if TYPE_CHECKING:
    from .pipeline import Bot


def add_person_turn(
    bot: Bot,
    conversation_id: str,
    text: str,
    customer: str | None,
    final: bool,
    message_id: str | None = None,
) -> Reply:
    """Store what a person wrote in the conversation (see the module docstring).
    ``message_id``: the platform's id of the person's message; a delivery of it again
    stores nothing and returns what the first did, as a customer's message does in
    :meth:`~servicebot.pipeline.Bot.reply` (``turn.find_repeat``)."""
    spoken, conversation_id = _spoken(conversation_id, text, final)
    turn = begin_turn(bot, customer or "", conversation_id, None, message_id, spoken)
    with logged_as(turn.log_fields):
        try:
            reply = turn.finish()
        finally:
            turn.let_go()
    turn.raise_for_setup(reply)
    return reply


async def aadd_person_turn(
    bot: Bot,
    conversation_id: str,
    text: str,
    customer: str | None,
    final: bool,
    message_id: str | None = None,
) -> Reply:
    """:func:`add_person_turn` for asyncio, the store read and written off the event loop."""
    spoken, conversation_id = _spoken(conversation_id, text, final)
    turn = await abegin_turn(bot, customer or "", conversation_id, None, message_id, spoken)
    with logged_as(turn.log_fields):
        try:
            reply = await turn.afinish()
        finally:
            turn.let_go()
    turn.raise_for_setup(reply)
    return reply


def release(bot: Bot, conversation_id: str) -> None:
    """Give the conversation back to the bot, in its line: raises StorageError if the store
    fails (the conversation stays with a person until its timeout)."""
    conversation_id = _checked_id(conversation_id)
    place = take(line_key(bot, conversation_id), conversation_id, bound(bot))
    try:
        bot.store_pause.run(mark, bot.store, conversation_id, None)
    finally:
        place.let_go()


async def arelease(bot: Bot, conversation_id: str) -> None:
    """:func:`release` for asyncio, the store written off the event loop."""
    conversation_id = _checked_id(conversation_id)
    place = await atake(line_key(bot, conversation_id), conversation_id, bound(bot))
    try:
        await off_loop(bot, lambda: bot.store_pause.run(mark, bot.store, conversation_id, None))
    finally:
        place.let_go()


def _spoken(conversation_id: str, text: str, final: bool) -> tuple[Spoken, str]:
    """The person's message, checked, and the conversation it belongs to. Blank text is
    refused, as a blank conversation id is: a value that went missing, stored as an empty
    turn the customer never saw, and holding the conversation from the bot all the same."""
    written = plain_text(text)
    if not written.strip():
        raise ValueError("the person's text is blank: pass what they wrote to the customer")
    return Spoken(written, final), _checked_id(conversation_id)


def _checked_id(conversation_id: str) -> str:
    """A conversation's id as a turn's is checked; None is refused: a person answers in a
    conversation that has begun."""
    if conversation_id is None:
        raise TypeError("conversation_id is the conversation the person answers in, not None")
    return checked_conversation_id(conversation_id) or conversation_id
