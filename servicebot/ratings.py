"""What customers say of the bot's answers: a thumbs up or down on a turn, with a comment
(``Bot.rate``), kept in the store beside the turn (``Store.rate_turn``) and read back by
``servicebot history``, ``report`` and ``export``.

A turn is named as its reply names it (``reply.turn``, the stored turn's number); one the
store does not hold (never stored, purged, a number it never gave) is refused with
ValueError, as a blank conversation id is, and nothing is written. Rating a turn again
replaces its rating: the customer changed their mind.

The comment is the customer's text, so it is kept as their message is: cut at
``MAX_COMMENT`` characters, its personal data masked with the conversation's placeholders
as ``prefilter.pii`` / ``pii_kinds`` say (``Prefilter.mask_pii``, as a person's message is:
personturn.py). A value the conversation has not had yet gets its next placeholder, kept in
its state by compare-and-swap against the turns of the conversation at once (as a turn keeps
its own: turnstorage.py), so that ``history --holding`` and ``purge --holding`` find it. The
state is kept before the rating, which the store keeps only for a turn it still holds; if the
conversation was purged in between, the rating is refused and the state purged again, so a
rating never undoes an erasure.

A comment adds at most ``NEW_PLACEHOLDERS`` new placeholders, and none once the conversation
has issued ``RATED_PLACEHOLDERS`` (its turns' counted too): a value past that is masked as
its kind (``[PHONE]``), no digest kept. The rating endpoint is the customer's to call as
often as they like, on one turn, each time with new values: without a bound, 2,000 ratings
of five new numbers each grew the state to 10,000 placeholders (839 KB), read and written by
every turn after.

Nothing here is blocked or masked for profanity: the rating is the customer's to give.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import StorageError
from .filters.normalise import shows_nothing
from .filters.placeholders import PLACEHOLDER, Placeholders
from .handover import kept_mark
from .store import Rating, Store
from .turnstart import checked_conversation_id, plain_text
from .turnstorage import off_loop, opened_through_pause

if TYPE_CHECKING:
    from .pipeline import Bot

MAX_COMMENT = 1000  # characters: a comment box's, not a message's (prefilter.max_chars)
NEW_PLACEHOLDERS = 3  # that one comment may add to its conversation's; and none past
RATED_PLACEHOLDERS = 50  # placeholders issued in the conversation, so that ratings cannot grow it
_TRIES = 64  # at keeping the comment's placeholders while turns of the conversation keep theirs


def rate(
    bot: Bot, conversation_id: str, turn: int | None, helpful: bool, comment: str | None
) -> None:
    """Keep the customer's rating of the conversation's turn ``turn`` (see the module
    docstring): ValueError for a turn the store does not hold; StorageError if it fails."""
    rating = checked_rating(conversation_id, turn, helpful, comment)
    bot.store_pause.run(_keep, bot, opened_through_pause(bot), rating)


async def arate(
    bot: Bot, conversation_id: str, turn: int | None, helpful: bool, comment: str | None
) -> None:
    """:func:`rate` for asyncio, the store read and written off the event loop."""
    rating = checked_rating(conversation_id, turn, helpful, comment)
    await off_loop(bot, lambda: bot.store_pause.run(_keep, bot, opened_through_pause(bot), rating))


def checked_rating(
    conversation_id: str, turn: int | None, helpful: bool, comment: str | None
) -> Rating:
    """The caller's arguments as a Rating, its comment not masked yet; refused at once
    (TypeError, ValueError) if one is of the wrong type or cannot name a turn."""
    if conversation_id is None:
        raise TypeError("conversation_id is the conversation the rated answer is in, not None")
    conversation_id = checked_conversation_id(conversation_id) or conversation_id
    if turn is None:
        raise ValueError(
            "turn is None: the reply was not stored (reply.turn is None), so there is no "
            "turn to rate; see the reply's trace for why"
        )
    if isinstance(turn, bool) or not isinstance(turn, int):
        raise TypeError(f"turn is the reply's turn number (reply.turn), not {type(turn).__name__}")
    if turn < 1:
        raise ValueError(f"turn {turn} is no turn's number: turns are numbered from 1")
    if not isinstance(helpful, bool):
        raise TypeError(f"helpful is True or False, not {type(helpful).__name__}")
    return Rating(conversation_id, turn, helpful, _comment(comment))


def _comment(comment: str | None) -> str | None:
    """The customer's comment as text, cut at ``MAX_COMMENT``; None for none or one that
    shows nothing: blank, or only control or invisible characters (``"\\x00"``, a zero-width
    space), which a widget's empty box or a stray keystroke sends, and which would be shown
    as a comment of escapes (``rated: not helpful: \\x00``)."""
    if comment is None:
        return None
    if not isinstance(comment, str):
        raise TypeError(f"comment is the customer's text or None, not {type(comment).__name__}")
    text = plain_text(comment).strip()
    return None if shows_nothing(text) else text[:MAX_COMMENT]


def _keep(bot: Bot, store: Store, rating: Rating) -> None:
    """Check that the turn is stored, mask the comment, and keep the rating."""
    last = store.history(rating.conversation_id, limit=1)
    if not last or rating.turn > last[0].number:
        raise ValueError(_no_turn(rating))
    kept = False  # whether the comment's placeholders were kept in the state
    if rating.comment is not None:
        comment, kept = _masked(bot, store, rating)
        rating = Rating(rating.conversation_id, rating.turn, rating.helpful, comment)
    if not store.rate_turn(rating):  # purged meanwhile
        if kept:
            _erase_again(store, rating.conversation_id)
        raise ValueError(_no_turn(rating))


def _masked(bot: Bot, store: Store, rating: Rating) -> tuple[str, bool]:
    """The rating's comment with the customer's values as the conversation's placeholders,
    a new one's kept in its state first (compare-and-swap: see the module docstring); and
    whether one was kept."""
    assert rating.comment is not None
    for _ in range(_TRIES):
        before = store.load_state(rating.conversation_id)
        placeholders = _Bounded.of(before)
        loaded = placeholders.to_state()
        masked = bot.prefilter.mask_pii(rating.comment, placeholders).text
        after = placeholders.to_state()
        if after == loaded:  # no new value: nothing to keep
            return masked, False
        if store.swap_state(rating.conversation_id, before, kept_mark(after, before)):
            return masked, True
    raise StorageError("other turns of the conversation kept changing its placeholders first")


@dataclass
class _Bounded(Placeholders):
    """A conversation's placeholders that issue at most ``left`` new ones (a comment's:
    see the module docstring): past that, a value the conversation has not had is masked as
    its kind (``[PHONE]``), with no number and no digest kept."""

    left: int = 0

    @classmethod
    def of(cls, state: dict[str, Any] | None) -> _Bounded:
        """The placeholders of ``state``, left as many new ones as a comment may add."""
        placeholders = cls.from_state(state)
        issued = sum(placeholders.counts.values())
        placeholders.left = max(0, min(NEW_PLACEHOLDERS, RATED_PLACEHOLDERS - issued))
        return placeholders

    def placeholder_for(self, kind: str, value: str) -> str:
        if self.left <= 0 and self.placeholder_of(kind, value) is None:
            return f"[{kind}]"
        return super().placeholder_for(kind, value)

    def _next(self, kind: str) -> str:
        self.left -= 1
        return super()._next(kind)

    def mark_piece(self, placeholder: str) -> None:
        """Only a numbered placeholder: a ``[PHONE]`` stands for no value of the state."""
        if PLACEHOLDER.fullmatch(placeholder):
            super().mark_piece(placeholder)


def _erase_again(store: Store, conversation_id: str) -> None:
    """Purge the conversation again if it has no turn: it was purged (an erasure request,
    the retention) after its turn was checked and before the rating was stored, and the
    state just kept brought its salt and the comment's digests back, where ``purge
    --holding`` would find the customer's value again. It holds nothing else to lose. One
    with turns again was begun anew meanwhile, and keeps its state."""
    if not store.history(conversation_id, limit=1):
        store.purge_conversation(conversation_id)


def _no_turn(rating: Rating) -> str:
    return (
        f"conversation {rating.conversation_id!r} has no stored turn {rating.turn}: rate a "
        "turn by its reply's number (reply.turn), in its own conversation"
    )
