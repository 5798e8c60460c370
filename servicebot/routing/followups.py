"""Follow-ups: a short message that leans on the customer's previous one ("and to Germany?").

:meth:`~servicebot.routing.Router.route` reads such a message with the previous one when it
matches nothing alone, or when it points back at the previous topic ("is it free?", 那要多久？),
whatever its own words match. This module tells which messages lean back (:func:`is_follow_up`,
:func:`points_back`) and what they are read with (:func:`previous_message`); read so, a
follow-up keeps the topic the previous message matched (:func:`keeping_topic`). A message
that carries no topic (a greeting, thanks, a farewell or a refusal; see
``routing/phrases.py``) is never leaned on, and a follow-up chain does not reach back past one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .features import CJK_RUN, TOKEN
from .index import Match
from .phrases import says_nothing, without_placeholders

__all__ = [
    "FOLLOW_UP_CHAIN",
    "asks",
    "is_follow_up",
    "keeping_topic",
    "leans_back",
    "points_back",
    "previous_message",
]

_APOSTROPHE = re.compile(r"(?<=\w)['’](?=\w)")  # inside a word: "it's", "can't", "what’s"
_FOLLOW_UP_TOKENS = 4  # a message this short may lean on the previous one ("and to Germany?")
_POINTING_TOKENS = 8  # and one this short that points back ("and how long does it take?")
FOLLOW_UP_CHAIN = 3  # earlier follow-ups in a row read back to the message they lean on
# How a short message shows that it leans on the previous one, besides having at most two
# words ("Germany?", "93857", "[EMAIL_1]"): it opens as a continuation ("and", "what about",
# "for", "yes", 还有, 是的, a closing 呢, 的话 "as for": 德国的话多久, "and Germany, how long?")
# or points back (see _POINTING).
# A new request that matches nothing ("write me a poem", 帮我写代码, 写首诗) does neither.
# Chinese cues are whole words: 还 opens 还款 and 用 opens 用户名, which ask something new.
_OPENING = (
    r"^\W*(?:and|or|also|but|so|plus|then|what about|how about|what if|same|yes|yeah|yep|no"
    r"|nope|ok|okay|sure|for|to|in|on|at|by|via|with|without|from|after|before)\b"
    r"|\b(?:too|either|instead|else)\b"
    r"|^\W*(?:那|还有|另外|如果|要是|是的|对的|好的|不是|不用|行|嗯)|^\W*[是对好不][吗啊呀]?\W*$"
    r"|呢\W*$|的话"
)
# "there" after a greeting points at nothing: "hi there, i'd like to track my warranty" was read
# as pointing back, and took the previous message's topic (prompt_bench's top-1 99.9% -> 97.0%).
# One lookbehind a greeting, as each must have a fixed width.
_THERE = "".join(f"(?<!{greeting})" for greeting in ("hi ", "hey ", "hello ", "hiya ", "hi, "))
# How a message points back at the previous one's topic instead of naming its own: a pronoun
# ("is it free?", "how long does that take?", "that one", 它, 那个) or, as Chinese drops the
# "it", a bare question of price, time or place (多少钱？, 要多久？, 免费吗, 那要多久). Its own
# words ask about that topic ("free", "how long"), so what they match alone is not its topic.
# An opening 那 alone ("then") is a continuation, as "and" is: 那换货呢 names a new topic.
_POINTING = (
    r"\b(?:it|its|that|this|these|those|them|they|one|ones|" + _THERE + r"there)\b"
    r"|(?<!其)它|这个|那个"
    r"|^\W*那?(?:大概|大约|一般|通常|还)?(?:要|需要|得)?(?:多少钱|多少|多久|多长时间|几天|几个?工作日"
    r"|什么时候|啥时候|哪天|在哪里?|收费|免费|要钱)[吗呢啊呀]?\W*$"
)
_LEANS_BACK = re.compile(f"{_OPENING}|{_POINTING}", re.IGNORECASE)
_POINTS_BACK = re.compile(_POINTING, re.IGNORECASE)

# A reply that ends by asking: its last "?" (or "？") has no word after it ("Could you share
# your order number?", "方便提供订单号吗？😊").
_ASKS = re.compile(r"[?？][^\w?？]*$")


def asks(reply: str | None) -> bool:
    """Whether the bot's last reply ends with a question to the customer: an acknowledgement
    after it ("好的", "got it") answers that question, and is no thanks (see
    :meth:`~servicebot.routing.Router.route`)."""
    # its end alone: a question is at the end, and a long answer is read at each turn after it
    return reply is not None and _ASKS.search(reply[-200:]) is not None


def previous_message(earlier: Sequence[str]) -> str | None:
    """What this turn's message may be read with (see :meth:`Router.route`): the customer's
    last message, and while that one is itself a short message leaning back, the ones before
    it, oldest first. "and to Japan?" after "Do you ship to Canada?" and "and to Germany?" is
    read with both, not with "and to Germany?" alone, which says nothing of shipping. Only
    the last ``FOLLOW_UP_CHAIN + 1`` messages are read.

    The chain ends at a message that carries no topic ("hi", "thanks", "no, forget it"): a
    customer who greets, thanks or refuses between two messages has closed the topic before,
    or started anew, so "100482" after "Do you ship to Canada?" and "hi" is not read as a
    shipping question. Reaching back past it would guess at a topic the customer left; out
    of scope, the model asks instead."""
    if not earlier:
        return None
    chain = [earlier[-1]]
    for message in reversed(earlier[-1 - FOLLOW_UP_CHAIN : -1]):
        # past the last message, chain[0] was a ``before`` found to say something
        if not _leans_on(chain[0], message, says_something=len(chain) > 1):
            break
        chain.insert(0, message)
    return "\n".join(chain)


def _leans_on(message: str, before: str, says_something: bool = False) -> bool:
    """Whether ``message`` is read with the message ``before`` it in a follow-up chain: it
    leans back, and neither carries no topic. ``says_something``: ``message`` is known to
    carry one (the previous step of the chain found so), not to be read again."""
    # is_follow_up first: most messages are too long to lean back, and it tells so after one
    # bounded split, where says_nothing runs five substitutions over each of the two. All
    # three are pure, so the order changes only the cost (0.1 ms of a 0.67 ms prepare).
    if not is_follow_up(without_placeholders(message)):
        return False
    if not says_something and says_nothing(message):
        return False
    return not says_nothing(before)


def is_follow_up(text: str) -> bool:
    """Whether a message that matches no intent may be read with the previous one: four words
    or fewer (two Chinese characters count as one word) that lean back on it (see _LEANS_BACK),
    or eight or fewer that point back (see :func:`points_back`); a message of one or two
    words (or Chinese characters) always may."""
    words = _words(text)
    if words is None:
        return False
    if words[0] > _FOLLOW_UP_TOKENS:
        return words[0] <= _POINTING_TOKENS and _POINTS_BACK.search(text) is not None
    return sum(words[1:]) <= 2 or _LEANS_BACK.search(text) is not None


def leans_back(text: str) -> bool:
    """Whether ``text`` is a follow-up that shows it leans back: it opens as a continuation
    or points back ("and to Germany?", "is it free?"), not merely short. Beside a courtesy,
    a word or two alone is more often a name than a value ("thanks John")."""
    return is_follow_up(text) and _LEANS_BACK.search(text) is not None


def points_back(text: str) -> bool:
    """Whether a message is a follow-up that points back at the previous message's topic
    rather than naming one ("is it free?", "and how long does it take?", 那要多久？, 免费吗):
    even when its own words match an intent ("how long" matches the domestic shipping
    times), it asks about the topic before, so it is read with that message."""
    # is_follow_up's test, its pattern searched once: a message that points back leans back
    # (_LEANS_BACK holds _POINTING), so it is a follow-up of eight words or fewer.
    words = _words(text)
    pointing = words is not None and words[0] <= _POINTING_TOKENS
    return pointing and _POINTS_BACK.search(text) is not None


def _words(text: str) -> tuple[float, int, int] | None:
    """How many words ``text`` counts as (two Chinese characters as one), its words and its
    Chinese characters; None for one too long to be a follow-up at all."""
    if len(text.split(None, _POINTING_TOKENS)) > _POINTING_TOKENS:
        return None  # 9 pieces between spaces, each a word unless punctuation alone: too long
    tokens = TOKEN.findall(_APOSTROPHE.sub("", text))  # "it's" is one word, not "it" and "s"
    cjk = sum(len(token) for token in tokens if CJK_RUN.match(token))
    words = sum(1 for token in tokens if not CJK_RUN.match(token))
    return words + cjk / 2, words, cjk


def keeping_topic(joined: Sequence[Match], topic: Sequence[Match], floor: float) -> list[Match]:
    """The ranking of a follow-up read with the previous message (``joined``, best first), in
    which each intent the previous message matched alone (``topic``) scores at least
    ``floor`` (min_score): the follow-up leans on that topic, so reading it along must not
    lose it. Its words can dilute the previous message's: "德国呢？" after "你们发货到德国吗"
    (international_shipping 0.27) read 0.21 together, under min_score, and was out of scope.
    Lifted to min_score and no higher, the topic stays among the facts but does not outrank
    a new one the joined reading found ("and exchanges?" after a question on returns)."""
    names = {match.intent.name for match in topic}
    lifted = [Match(m.intent, max(m.score, floor)) if m.intent.name in names else m for m in joined]
    ranked = {match.intent.name for match in joined}
    lifted += [Match(m.intent, floor) for m in topic if m.intent.name not in ranked]
    return sorted(lifted, key=lambda match: -match.score)[: len(joined)]
