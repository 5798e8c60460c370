"""How a turn begins: the caller's arguments checked, then everything before the model call.

:func:`begin_turn` starts a :class:`~servicebot.turn.Turn` for one customer message: it refuses
arguments of the wrong type at once, loads the conversation, prepares the prompt (see
:meth:`~servicebot.pipeline.Bot.prepare`), keeps the placeholders the message's personal data
got (see :meth:`Turn.keep_placeholders`), and answers from the cache when it can.
:func:`abegin_turn` does the same for asyncio, with the store read and written off the event
loop. :func:`plain_text` is how every entry point reads the customer's text, and
:func:`checked_conversation_id` its conversation's id.
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import UNPRINTABLE, ConversationIdError
from .filters.normalise import decoded, without_surrogates
from .handover import Spoken
from .model import OpenAIClient
from .shown import Shown
from .turn import Prepared, Turn
from .turnclaim import claim_delivery, hold_conversation, keep_leases
from .turnhistory import Loaded
from .turnlog import logged_as
from .turnorder import atake, take
from .turnstorage import off_loop

if TYPE_CHECKING:
    from .pipeline import Bot

MAX_CONVERSATION_ID = 200  # characters; see conversation_id_problem for why
_ID_RULE = f"an id is at most {MAX_CONVERSATION_ID} characters, none of them a control character"


def begin_turn(
    bot: Bot,
    text: str | bytes,
    conversation_id: str | None,
    metadata: Mapping[str, Any] | None,
    message_id: str | None = None,
    person: Spoken | None = None,
) -> Turn:
    """Everything before the model call: load the conversation, prepare the prompt, and
    keep the placeholders its personal data got (see :meth:`Turn.keep_placeholders`).
    ``person``: a person's turn, whose ``text`` is the customer's message, if any."""
    turn, text = _start(bot, text, conversation_id, metadata, message_id, person)
    with logged_as(turn.log_fields):
        if conversation_id is not None:  # a new conversation has no other turn to wait for
            turn.place = take(_line_key(bot, turn), turn.conversation_id, bound(bot))
        return _load_and_prepare(turn, text)


async def abegin_turn(
    bot: Bot,
    text: str | bytes,
    conversation_id: str | None,
    metadata: Mapping[str, Any] | None,
    message_id: str | None = None,
    person: Spoken | None = None,
) -> Turn:
    """:func:`begin_turn` with the store read and written off the event loop.

    A caller cancelled meanwhile (a web client that went away) does not wait for the
    store, which may be locked or slow: the worker thread cannot be stopped anyway, so the
    rest of the turn is handed to it, and it stores the turn as stopped once its
    placeholders are kept (see :meth:`Turn.stopped`). Otherwise the customer's message
    was lost, and a placeholder it had taken ([PHONE_1]) was used up with no turn
    holding it."""
    import asyncio  # here, not at the top: see pipeline.py

    turn, text = _start(bot, text, conversation_id, metadata, message_id, person)
    with logged_as(turn.log_fields):  # the worker thread gets a copy
        if conversation_id is not None:  # cancelled while it waits: it leaves the line
            turn.place = await atake(_line_key(bot, turn), turn.conversation_id, bound(bot))
        try:
            return await off_loop(bot, _begin_for_caller, turn, text)
        except asyncio.CancelledError:
            if not turn.leave():  # the thread had handed the turn back: this task stores it
                await turn.astopped(Shown(turn))
            raise


def _begin_for_caller(turn: Turn, text: str) -> Turn:
    """:func:`_load_and_prepare`, in a worker thread: the turn is stored as stopped here
    if its caller was cancelled meanwhile, as no one else will."""
    _load_and_prepare(turn, text)
    if not turn.hand_back():
        turn.stopped(Shown(turn))
    return turn


def _load_and_prepare(turn: Turn, text: str) -> Turn:
    """The turn loaded, prepared, and its placeholders kept, ready for the model. One that
    fails here is never stored: the conversation's next turn goes ahead."""
    try:
        return _loaded_and_prepared(turn, text)
    except BaseException:
        turn.let_go()
        raise


def _loaded_and_prepared(turn: Turn, text: str) -> Turn:
    if turn.place is not None:  # its turns in other processes too: see turnclaim.py
        hold_conversation(turn, bound(turn.bot))
    loaded = turn.load()
    turn.find_repeat()  # after the turn before it is stored: a retry sent at once finds it
    claim_delivery(turn, bound(turn.bot))  # or repeat another process's answer to it
    prepared = _prepare(turn, text, loaded)
    while (stored := turn.keep_placeholders(loaded.placeholders)) is not None:
        loaded = loaded._replace(placeholders=stored)
        prepared = _prepare(turn, text, loaded)
    if turn.repeat is None:  # its leases last the model call and the store's commands after it
        keep_leases(turn, bound(turn.bot) - turn.bot.spec.settings.store.timeout)
    return _ready(turn, prepared, loaded)


def _line_key(bot: Bot, turn: Turn) -> Hashable:
    """The line ``turn`` waits in (see :func:`line_key`)."""
    return line_key(bot, turn.conversation_id)


def line_key(bot: Bot, conversation_id: str) -> Hashable:
    """Which conversation's line the turn waits in: its store's (the bot's folder, for a
    relative SQLite path), namespace and id. Bots on one store, and a reloaded bot with
    the turns of the bot it replaces, share lines."""
    store = bot.spec.settings.store
    return (str(bot.spec.root), store.url, store.namespace, conversation_id)


def bound(bot: Bot) -> float:
    """How long a turn may hold its conversation before the next goes ahead without it: as
    long as its model call may take (``model.turn_timeout``, or ``model.timeout`` for every
    attempt; the client's own, for a client passed in), and its three store commands
    (``store.timeout`` each)."""
    settings = bot.spec.settings
    model = bot.model.settings if isinstance(bot.model, OpenAIClient) else settings.model
    call = model.turn_timeout or model.timeout * (model.max_retries + 1)
    return call + 3 * settings.store.timeout


def _start(
    bot: Bot,
    text: str | bytes,
    conversation_id: str | None,
    metadata: Mapping[str, Any] | None,
    message_id: str | None,
    person: Spoken | None = None,
) -> tuple[Turn, str]:
    """A new turn, and its text as a str."""
    text = checked_text(text, metadata)
    conversation_id = checked_conversation_id(conversation_id) or uuid.uuid4().hex
    message_id = checked_message_id(message_id)
    return Turn(bot, conversation_id, metadata, message_id, person), text


def _prepare(turn: Turn, text: str, loaded: Loaded) -> Prepared:
    """The turn prepared with ``loaded``'s placeholders; a person's text masked with them
    too (and cut at ``prefilter.max_chars``), after the customer's message (whose values come
    first), so that both are kept before either is stored and a value either typed has one
    placeholder (see :meth:`Turn.keep_placeholders`)."""
    prepared = turn.bot.prepare(
        text,
        loaded.history,
        turn.metadata,
        loaded.placeholders,
        misses=loaded.misses,
        said_before=loaded.said_before,
    )
    if turn.person is not None:
        turn.person_written = turn.bot.prefilter.mask_pii(turn.person.text, loaded.placeholders)
    return prepared


def _ready(turn: Turn, prepared: Prepared, loaded: Loaded) -> Turn:
    """The turn with its prompt, answered from the cache if it can be."""
    turn.prepared(prepared)
    answered = turn.person is not None or turn.with_person  # by a person: see handover.py
    if turn.bot.cache is not None and not loaded.history and not answered:
        turn.look_up(turn.bot.cache)
    return turn


def checked_text(text: str | bytes, metadata: Mapping[str, Any] | None) -> str:
    """The customer's text as a str; arguments of the wrong type are refused at once."""
    if metadata is not None and not isinstance(metadata, Mapping):
        kind = type(metadata).__name__
        raise TypeError(f"metadata must be a mapping such as a dict, or None; not {kind}")
    return plain_text(text)


def checked_conversation_id(conversation_id: str | None) -> str | None:
    """The conversation's id as given; one no conversation may have is refused at once,
    before anything is stored or any model asked (see :func:`conversation_id_problem`). A
    blank id is refused too: it is a session value that went missing, and starting a new
    conversation for it would quietly lose the customer's history every turn."""
    return _checked_id("conversation_id", conversation_id, "to start a new conversation")


def checked_message_id(message_id: str | None) -> str | None:
    """The message's id as given (a platform's id for a webhook delivery: Slack's
    ``client_msg_id``, WhatsApp's ``id``, WeChat's ``MsgId``, LINE's ``webhookEventId``), held
    to the rules of a conversation id (see :func:`conversation_id_problem`): it is stored with
    the turn. A blank one is refused: a value that went missing would make every message of
    the conversation a repeat of the first."""
    return _checked_id("message_id", message_id, "for a message without one")


def _checked_id(name: str, value: str | None, none_is: str) -> str | None:
    """``value``, the argument ``name``, as given: TypeError if it is no str, and
    ConversationIdError if it is blank (``none_is``: what None would mean instead) or one
    no conversation may have (see :func:`conversation_id_problem`)."""
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a str or None, not {type(value).__name__}")
    if value is not None and not value.strip():
        raise ConversationIdError(f"{name} is blank: pass None {none_is}")
    if value and (problem := conversation_id_problem(value)):
        raise ConversationIdError(f"{name} {problem}")
    return value


def conversation_id_problem(conversation_id: str) -> str | None:
    """What makes ``conversation_id`` one no conversation may have, or None.

    An id is a session or ticket id, typed back into ``servicebot history ID`` and
    ``chat --conversation``, printed in the log's lines and kept in every turn's row (a key of
    SQLite's index, part of Redis keys): at most ``MAX_CONVERSATION_ID`` characters, so that
    even one of Chinese characters (3 bytes each) stays within a SQLite index cell, and no
    control character (a newline would forge a log line, an escape recolour the terminal, a
    NUL cannot be typed). Any other character is fine: ``客户-42`` is an id. A lone surrogate
    is refused as no store can encode it (a JSON store takes none)."""
    if len(conversation_id) > MAX_CONVERSATION_ID:
        return f"is {len(conversation_id):,} characters long: {_ID_RULE}"
    if found := UNPRINTABLE.search(conversation_id):
        return (
            f"holds the control character {found[0]!r} (character {found.start() + 1}): {_ID_RULE}"
        )
    if without_surrogates(conversation_id) != conversation_id:
        return "holds a lone surrogate: no store can keep it"
    return None


def plain_text(text: str | bytes) -> str:
    """Customer text as a str: bytes are decoded as UTF-8, undecodable bytes replaced (see
    :func:`~servicebot.filters.normalise.decoded`)."""
    if isinstance(text, bytes | bytearray):
        return decoded(text, "a customer message")
    if not isinstance(text, str):  # str(None) would be answered, and stored, as "None"
        raise TypeError(f"a customer message is str or bytes, not {type(text).__name__}")
    return without_surrogates(text)
