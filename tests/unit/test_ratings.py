"""``Bot.rate`` and ``Bot.arate``: a customer's thumbs up or down on a stored turn, with a
comment masked as their messages are, through the example bot (offline) on each store."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from servicebot import ConversationIdError
from servicebot.config import BotSpec
from servicebot.pipeline import Bot
from servicebot.ratings import MAX_COMMENT, NEW_PLACEHOLDERS, RATED_PLACEHOLDERS
from servicebot.store import Store
from servicebot.store.holding import conversations_holding

ASKED = "how long does shipping take?"  # the example bot answers it as written, offline


@pytest.fixture
def bot(spec: BotSpec, store: Store) -> Bot:
    return Bot(spec, store=store, offline=True)


def test_a_rating_is_kept_with_the_turn_its_reply_names(bot: Bot, store: Store) -> None:
    bot.reply("hello", conversation_id="c")
    reply = bot.reply(ASKED, conversation_id="c")
    bot.rate("c", reply.turn, False, comment="  too slow, I need it by Friday ")
    (rating,) = store.ratings("c").values()
    assert (rating.turn, rating.helpful, rating.comment) == (
        2,
        False,
        "too slow, I need it by Friday",
    )


def test_rating_a_turn_again_replaces_its_rating(bot: Bot, store: Store) -> None:
    reply = bot.reply(ASKED, conversation_id="c")
    bot.rate("c", reply.turn, False, comment="no")
    bot.rate("c", reply.turn, True)
    assert [(r.helpful, r.comment) for r in store.ratings("c").values()] == [(True, None)]


def test_a_turn_the_store_does_not_hold_is_refused(bot: Bot, store: Store) -> None:
    bot.reply(ASKED, conversation_id="c")
    with pytest.raises(ValueError, match="conversation 'c' has no stored turn 2"):
        bot.rate("c", 2, True)
    with pytest.raises(ValueError, match="no stored turn 1"):
        bot.rate("elsewhere", 1, True)
    with pytest.raises(ValueError, match=r"reply.turn is None"):
        bot.rate("c", None, True)
    with pytest.raises(ValueError, match="numbered from 1"):
        bot.rate("c", 0, True)
    with pytest.raises(ConversationIdError, match="blank"):
        bot.rate(" ", 1, True)
    with pytest.raises(TypeError, match="True or False"):
        bot.rate("c", 1, "yes")  # type: ignore[arg-type]
    assert store.ratings("c") == {} and store.ratings("elsewhere") == {}


def test_a_phone_in_a_comment_is_stored_as_its_placeholder_and_found(
    bot: Bot, store: Store
) -> None:
    bot.reply("my number is 13800138000, " + ASKED, conversation_id="c")
    reply = bot.reply(ASKED, conversation_id="c")
    bot.rate("c", reply.turn, False, comment="call me on 13800138000 or +1 415 555 2671")
    comment = store.ratings("c")[2].comment
    assert comment == "call me on [PHONE_1] or [PHONE_2]"  # the conversation's own placeholders
    (found,) = conversations_holding(store, ["415-555-2671"])
    assert (found.conversation_id, found.placeholders) == ("c", ("[PHONE_2]",))
    later = bot.reply("it is +14155552671", conversation_id="c")  # the comment's value, again
    assert store.history("c")[later.turn - 1].customer_text == "it is [PHONE_2]"
    store.purge_conversation("c")  # the erasure request
    assert store.ratings("c") == {}


def test_a_long_comment_is_cut(bot: Bot, store: Store) -> None:
    reply = bot.reply(ASKED, conversation_id="c")
    bot.rate("c", reply.turn, False, comment="slow " * 1000)
    comment = store.ratings("c")[1].comment
    assert comment is not None and len(comment) == MAX_COMMENT


def test_arate_keeps_the_rating_too(bot: Bot, store: Store) -> None:
    async def rate() -> int | None:
        reply = await bot.areply(ASKED, conversation_id="c")
        await bot.arate("c", reply.turn, True, comment="great, thanks")
        return reply.turn

    turn = asyncio.run(rate())
    assert store.ratings("c")[1].comment == "great, thanks" and turn == 1


def test_a_rating_racing_an_erasure_does_not_bring_its_values_back(
    bot: Bot, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The erasure lands after the rating checked the turn, as it keeps the comment's new
    placeholder: the rating is refused, and nothing of the conversation is left."""
    reply = bot.reply("my number is 13800138000, " + ASKED, conversation_id="c")
    swap = store.swap_state
    purges = []

    def purged_first(conversation_id: str, before: Any, after: Any) -> bool:
        if not purges:
            purges.append(store.purge_conversation(conversation_id))
        return swap(conversation_id, before, after)

    monkeypatch.setattr(store, "swap_state", purged_first)
    with pytest.raises(ValueError, match="no stored turn 1"):
        bot.rate("c", reply.turn, False, comment="call me on +1 415 555 2671")
    assert purges and store.load_state("c") is None and store.ratings("c") == {}
    assert conversations_holding(store, ["+1 415 555 2671", "13800138000"]) == []


def _phones(start: int, count: int) -> str:
    """``count`` US numbers, none the conversation has had: +1 415 555 0100 on."""
    return " or ".join(f"+1 415 555 {number:04d}" for number in range(start, start + count))


def test_a_comment_adds_at_most_a_few_placeholders(bot: Bot, store: Store) -> None:
    reply = bot.reply(ASKED, conversation_id="c")
    bot.rate("c", reply.turn, False, comment="call " + _phones(100, 5))
    comment = store.ratings("c")[1].comment
    assert comment == "call [PHONE_1] or [PHONE_2] or [PHONE_3] or [PHONE] or [PHONE]"
    state = store.load_state("c")
    assert state is not None and state["counts"] == {"PHONE": NEW_PLACEHOLDERS}
    assert len(state["by_digest"]) == NEW_PLACEHOLDERS  # none kept for the two past them
    (found,) = conversations_holding(store, ["+1 415 555 0102"])
    assert found.placeholders == ("[PHONE_3]",)
    assert conversations_holding(store, ["+1 415 555 0103"]) == []  # nothing of it kept


def test_rating_a_turn_again_and_again_cannot_grow_its_state(bot: Bot, store: Store) -> None:
    """The rating endpoint is the customer's: each rating of one turn with new numbers."""
    reply = bot.reply(ASKED, conversation_id="c")
    for each in range(30):
        bot.rate("c", reply.turn, False, comment="call " + _phones(100 + 5 * each, 5))
    state = store.load_state("c")
    assert state is not None and state["counts"] == {"PHONE": RATED_PLACEHOLDERS}
    assert store.ratings("c")[1].comment == "call " + " or ".join(["[PHONE]"] * 5)
    later = bot.reply("it is +1 415 555 0101", conversation_id="c")  # still its placeholder
    assert store.history("c")[later.turn - 1].customer_text == "it is [PHONE_2]"


@pytest.mark.parametrize("comment", ["\x00\x00", "\u200b", " \u202e\u2028\ufeff ", "\x1b\x07"])
def test_a_comment_that_shows_nothing_is_no_comment(bot: Bot, store: Store, comment: str) -> None:
    reply = bot.reply(ASKED, conversation_id="c")
    bot.rate("c", reply.turn, False, comment=comment)
    assert [(r.helpful, r.comment) for r in store.ratings("c").values()] == [(False, None)]
