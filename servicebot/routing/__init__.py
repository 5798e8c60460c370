"""Routing: decide each turn's route from how well the bot's intents match the message.

The intents are ranked by the index in ``routing/index.py`` (lexical, English and Chinese,
scores 0 to 1 that mean the same for every message); the thresholds in ``servicebot.yaml``
then decide the route: ``direct`` (a direct intent's answer as written), ``handoff`` (a
handoff intent, or a customer the bot keeps missing), ``out_of_scope`` (nothing matches well
enough) or ``model`` (the model answers with the best intents as facts). A short follow-up
("and to Germany?") is read with the customer's previous message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..filters.normalise import normalise
from ..filters.placeholders import PLACEHOLDER
from ..settings import Intent, RoutingSettings
from .features import CJK_RUN, TOKEN
from .index import IntentIndex, Match
from .languages import detect_language, language_of
from .scripts import unspoken, writing_of

__all__ = [
    "FOLLOW_UP_CHAIN",
    "Match",
    "Route",
    "Router",
    "Routing",
    "decide",
    "detect_language",
    "handed_off_by",
    "handing_off",
    "is_blank",
    "previous_message",
    "sure",
    "why_not_direct",
]

Route = Literal["direct", "handoff", "out_of_scope", "model"]

_APOSTROPHE = re.compile(r"(?<=\w)['’](?=\w)")  # inside a word: "it's", "can't", "what’s"
_FOLLOW_UP_TOKENS = 4  # a message this short may lean on the previous one ("and to Germany?")
FOLLOW_UP_CHAIN = 3  # earlier follow-ups in a row read back to the message they lean on
# How a short message shows that it leans on the previous one, besides having at most two
# words ("Germany?", "93857", "[EMAIL_1]"): it opens as a continuation ("and", "what about",
# "for", "yes", 那, 还有, 是的) or points back ("is it free?", "that one", 那个, a closing 呢).
# Chinese drops the "it" that points back, so a bare question of price, time or place with no
# topic of its own (多少钱？, 要多久？, 免费吗) leans back too: "how much?" does, being two words.
# A new request that matches nothing ("write me a poem", 帮我写代码, 写首诗) does neither.
# Chinese cues are whole words: 还 opens 还款 and 用 opens 用户名, which ask something new.
_LEANS_BACK = re.compile(
    r"^\W*(?:and|or|also|but|so|plus|then|what about|how about|what if|same|yes|yeah|yep|no"
    r"|nope|ok|okay|sure|for|to|in|on|at|by|via|with|without|from|after|before)\b"
    r"|\b(?:it|its|that|this|these|those|them|they|there|one|ones|too|either|instead|else)\b"
    r"|^\W*(?:那|还有|另外|如果|要是|是的|对的|好的|不是|不用|行|嗯)|^\W*[是对好不][吗啊呀]?\W*$"
    r"|呢\W*$|(?<!其)它|这个|那个"
    r"|^\W*(?:大概|大约|一般|通常|还)?(?:要|需要|得)?(?:多少钱|多少|多久|多长时间|几天|几个?工作日"
    r"|什么时候|啥时候|哪天|在哪里?|收费|免费|要钱)[吗呢啊呀]?\W*$",
    re.IGNORECASE,
)


def _phrases(english: Sequence[str], chinese: Sequence[str]) -> re.Pattern[str]:
    """A pattern for any of the ``english`` words and phrases, whole and in any case, or the
    ``chinese`` ones (regex fragments that each start with a plain character). It opens with
    a look-ahead for the phrases' first characters: without one, Python's re tries every
    alternative at every character of a message (a courtesy search of an 85-character
    message took 9 to 26 µs, up to a tenth of routing); with it, re skips in C to the places
    one can start (3 µs)."""
    firsts = "".join(sorted({phrase[0] for phrase in (*english, *chinese)}))
    words = "|".join(map(re.escape, english))
    return re.compile(f"(?=[{firsts}])(?:\\b(?:{words})\\b|{'|'.join(chinese)})", re.IGNORECASE)


# Courtesies: they say how a customer asks, not what. Intents for greetings and thanks have
# few phrasings, so "please", "thanks" or "hello" beside a question matched them better than the
# question's own intent ("退货 please" went to a person, "thanks, where is my refund?" got
# "you're welcome"). A message is routed without them first; with them when the rest matches
# nothing ("thanks a lot") or an intent of courtesies ("hi there!": most of its phrasings
# have one, as a greeting's do).
_COURTESY = _phrases(
    (
        "please", "pls", "plz", "kindly", "thanks", "thank you", "thankyou", "thx", "ty",
        "cheers", "hi", "hello", "hey", "hiya", "good morning", "good afternoon", "good evening",
    ),
    (
        "请问", "請問", "谢谢", "謝謝", "多谢", "多謝", "感谢", "感謝", "谢了", "谢啦", "辛苦了",
        "辛苦你了", "您好", "你好", "麻烦您", "麻烦你", "麻烦了", "早上好", "下午好", "晚上好",
    ),
)  # fmt: skip
# What a courtesy comes with that asks for nothing either: "Got it, thanks!", "Many thanks",
# 好的谢谢, 太感谢了. Left beside the request, "many" matched "too many promo emails".
_ACKNOWLEDGEMENT = _phrases(
    (
        "ok", "okay", "got it", "great", "perfect", "awesome", "cool", "alright", "all right",
        "many", "so much", "very much", "a lot", "a bunch",
    ),
    ("好的", "好吧", "非常", "真的", "太", "了(?=\\W|$)", "啦(?=\\W|$)"),
)  # fmt: skip


@dataclass(frozen=True)
class Routing:
    """What routing decided for one message, and why."""

    route: Route
    matches: tuple[Match, ...]  # the top-k intents at or above min_score, best first
    language: str
    follow_up: bool = False  # the previous customer message was read with this one
    misses: int = 0  # the conversation's turns right before this one that were out of scope
    closest: tuple[Match, ...] = ()  # with no matches, the top-k below min_score: how near
    runner_up: float = 0.0  # the second intent's score, even below min_score: direct_margin's
    runner_up_intent: str = ""  # that intent's name, to say what the best one did not lead
    handoff: Match | None = None  # the handoff intent that sent the turn to a person, if one did
    unspoken: str | None = None  # the writing system of a message in none of the bot's languages

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None

    @property
    def chosen(self) -> Match | None:
        """The intent the turn is about: the handoff intent that sent it to a person, which
        need not be the best ("can i return my blender?" may match return_item best and go to
        a person for repair_blender); otherwise the best."""
        return self.handoff or self.best


class Router:
    """Ranks intents for each message and decides the route with the bot's thresholds."""

    def __init__(
        self, intents: Sequence[Intent], settings: RoutingSettings, languages: Sequence[str]
    ) -> None:
        self.index = IntentIndex(intents)
        self.settings = settings
        self.languages = tuple(languages)
        self._courteous = frozenset(
            intent.name
            for intent in intents
            if 2 * sum(bool(_COURTESY.search(e)) for e in intent.examples) > len(intent.examples)
        )

    def route(
        self, text: str, previous: str | None = None, misses: int = 0, *, said: str | None = None
    ) -> Routing:
        """Route ``text``; ``previous`` is the customer's last message, for short follow-ups,
        and ``misses`` how many turns right before this one were out of scope. ``said`` is
        the message before the pre-filter masked words in it: with no previous message, the
        language of one of masked insults alone ("****").

        A short message that matches no intent alone and leans back ("and to Germany?") is
        read together with the previous one. One that does match ("wher is my ordr") is a new
        question, and one that does not lean back ("write me a poem") is out of scope. A
        follow-up is never answered directly: the canned answer was for the previous message,
        and this one asks something more (or is noise such as "asdfgh"). It may be handed off:
        "yes, transfer me" after asking for a person should be. Nor is a message in letters
        none of the bot's languages is written in (``Где мой заказ?`` to a bot of ``[en, zh]``;
        see ``routing/scripts.py``): the answer as written is in another language, and the
        model can answer in the customer's; with no model, the answer is still sent, as for
        any turn routing is sure of (``turn.canned_action``). A customer the bot keeps
        missing is handed off at the ``handoff_after``-th out-of-scope message in a row.
        A blank message is out of scope, and nothing more. Placeholders such as
        ``[PHONE_1]`` are read as nothing: the customer's phone number says nothing of what
        they ask, and its kind's name would pull the message to the contact intents.
        """
        if is_blank(text):
            language = detect_language(text, self.languages, previous, said)
            return Routing("out_of_scope", (), language, misses=misses)
        text, previous = _without_placeholders(text), previous and _without_placeholders(previous)
        writing = writing_of(text)  # once: detecting the language and telling it apart read it
        language = language_of(text, writing, self.languages, previous, said)
        unspoken_in = unspoken(writing, self.languages)
        text, ranked = self._rank_past_courtesies(text)
        matches, follow_up = self._cut(ranked), False
        if previous and not matches and _is_follow_up(text):
            joined = self._rank(f"{previous}\n{text}")
            if cut := self._cut(joined):
                ranked, matches, follow_up = joined, cut, True
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        second = ranked[1].intent.name if len(ranked) > 1 else ""
        if (handoff := handing_off(matches, self.settings)) is None:
            matches = [match for match in matches if not match.intent.handoff]  # see decide
        route = decide(matches, self.settings, misses, runner_up)
        if (follow_up or unspoken_in) and route == "direct":
            route = "model"
        closest = () if matches else tuple(m for m in ranked[: self.settings.top_k] if m.score > 0)
        found = (route, tuple(matches), language, follow_up, misses, closest, runner_up, second)
        return Routing(*found, handoff, unspoken_in)

    def _rank_past_courtesies(self, text: str) -> tuple[str, list[Match]]:
        """The ranking of ``text`` without its courtesies (see _COURTESY), and that text; or of
        the whole, when the rest matches nothing or an intent of courtesies. A message of
        courtesies alone matches only intents of courtesies: "please" asks for nothing, though
        "agent please" is a phrasing of talk_to_human."""
        if (rest := _without_courtesies(text)) is not None:
            if not TOKEN.search(rest):
                return text, [m for m in self._rank(text) if m.intent.name in self._courteous]
            ranked = self._rank(rest)
            if self._cut(ranked) and ranked[0].intent.name not in self._courteous:
                return rest, ranked
        return text, self._rank(text)

    def readings(self, text: str) -> tuple[str, ...]:
        """The texts :meth:`route` may rank for ``text`` with no previous message: none for a
        blank one; else the text with no placeholders, and that text without its courtesies
        when it has any (see _rank_past_courtesies). Each intent's score in the routing is
        at most its exact score (:class:`~servicebot.routing.screen.IntentScreen`) for one."""
        if is_blank(text):
            return ()
        text = _without_placeholders(text)
        rest = _without_courtesies(text)
        return (text,) if rest is None else (text, rest)

    def _rank(self, text: str) -> list[Match]:
        """The top-k intents, and at least two: the second is direct_margin's measure."""
        return self.index.rank(text, max(self.settings.top_k, 2))

    def _cut(self, ranked: list[Match]) -> list[Match]:
        """The top-k of ``ranked`` at or above min_score."""
        top = ranked[: self.settings.top_k]
        return [match for match in top if match.score >= self.settings.min_score]


def decide(
    matches: Sequence[Match],
    settings: RoutingSettings,
    misses: int = 0,
    runner_up: float | None = None,
) -> Route:
    """The route for matches already cut at ``min_score``, best first, after ``misses``
    out-of-scope turns in a row (``runner_up``: see :func:`sure`).

    :meth:`Router.route` leaves out a handoff intent below ``handoff_threshold`` before
    deciding: its answer and few-shot pairs promise a person, so as a fact the model would
    say "I'll connect you" and no one would come, and sent as written it would say the same.
    With nothing else left, the message is out of scope (and counts toward ``handoff_after``).
    """
    if not matches:
        stuck = 0 < settings.handoff_after <= misses + 1
        return "handoff" if stuck else "out_of_scope"
    if handing_off(matches, settings) is not None:
        return "handoff"
    direct = matches[0].intent.direct and sure(matches, settings, runner_up)
    return "direct" if direct else "model"


def handing_off(matches: Sequence[Match], settings: RoutingSettings) -> Match | None:
    """The first of ``matches`` that hands the customer to a person: a handoff intent at or
    above ``handoff_threshold``."""
    return next(
        (m for m in matches if m.intent.handoff and m.score >= settings.handoff_threshold), None
    )


def handed_off_by(routing: Routing) -> str | None:
    """The handoff intent that sent the turn to a person and the best intent, when the two
    differ: "repair_blender 0.53 (top: return_item 0.58)". An operator reading only the best
    would take return_item for the intent that hands off."""
    handoff, best = routing.handoff, routing.best
    if handoff is None or best is None or handoff.intent.name == best.intent.name:
        return None
    return f"{handoff.intent.name} {handoff.score:.2f} (top: {best.intent.name} {best.score:.2f})"


def sure(
    matches: Sequence[Match], settings: RoutingSettings, runner_up: float | None = None
) -> bool:
    """Whether the best of ``matches`` (best first) is sure enough for its answer to be sent
    as written: it scores at least ``direct_threshold`` and leads the next intent by
    ``direct_margin``. ``runner_up`` is that intent's score, which may be below ``min_score``
    (a close second is close whatever the cut); by default, the second of ``matches``."""
    if not matches or matches[0].score < settings.direct_threshold:
        return False
    if runner_up is None:
        runner_up = matches[1].score if len(matches) > 1 else 0.0
    return matches[0].score - runner_up >= settings.direct_margin


def why_not_direct(routing: Routing, settings: RoutingSettings) -> str | None:
    """Why a ``direct: true`` intent at or above ``direct_threshold`` was sent to the model and
    not answered as written, for an operator reading the route ("not direct: leads
    international_shipping by 0.18, direct_margin is 0.25"); None when the route says enough
    (a handoff, a follow-up, an intent that is not direct or scores below the threshold)."""
    best = routing.best
    if routing.route != "model" or routing.follow_up or best is None or not best.intent.direct:
        return None
    if best.score < settings.direct_threshold:
        return None
    if sure(routing.matches, settings, routing.runner_up):
        return _unspoken(routing)
    if routing.runner_up_intent == best.intent.name:  # the one above it was left out: see decide
        return (
            f"not direct: a handoff intent below handoff_threshold {settings.handoff_threshold}"
            " scores above it"
        )
    lead = _short(best.score - routing.runner_up, settings.direct_margin)
    if not routing.runner_up_intent:  # the bot's only intent
        return f"not direct: scores {lead} alone, less than direct_margin {settings.direct_margin}"
    return (
        f"not direct: leads {routing.runner_up_intent} by {lead}, direct_margin is "
        f"{settings.direct_margin}"
    )


def _unspoken(routing: Routing) -> str | None:
    """Why a message routing is sure of went to the model: its letters (see
    :meth:`Router.route`)."""
    if routing.unspoken is None:
        return None
    return f"not direct: written in {routing.unspoken}, which none of the bot's languages is"


def _short(lead: float, margin: float) -> str:
    """``lead`` to two decimals, or more when two would round it up to ``margin``: a lead of
    0.2496 is not "0.25" beside a margin of 0.25."""
    for places in (2, 3, 4):
        shown = f"{lead:.{places}f}"
        if float(shown) < margin:
            return shown
    return f"{lead:.6f}"


def previous_message(earlier: Sequence[str]) -> str | None:
    """What this turn's message may be read with (see :meth:`Router.route`): the customer's
    last message, and while that one is itself a short message leaning back, the ones before
    it, oldest first. "and to Japan?" after "Do you ship to Canada?" and "and to Germany?" is
    read with both, not with "and to Germany?" alone, which says nothing of shipping. Only
    the last ``FOLLOW_UP_CHAIN + 1`` messages are read."""
    if not earlier:
        return None
    chain = [earlier[-1]]
    for message in reversed(earlier[-1 - FOLLOW_UP_CHAIN : -1]):
        if not _is_follow_up(_without_placeholders(chain[0])):
            break
        chain.insert(0, message)
    return "\n".join(chain)


def is_blank(text: str) -> bool:
    """Nothing but spaces and invisible characters: no message at all, and no follow-up."""
    return not normalise(text).text.strip()


def _without_placeholders(text: str) -> str:
    return PLACEHOLDER.sub(" ", text) if "[" in text else text


def _without_courtesies(text: str) -> str | None:
    """``text`` with its courtesies and what comes with them left out (see _COURTESY), or
    None if it has none."""
    if not _COURTESY.search(text):
        return None
    return _ACKNOWLEDGEMENT.sub(" ", _COURTESY.sub(" ", text))


def _is_follow_up(text: str) -> bool:
    """Whether a message that matches no intent may be read with the previous one: four words
    or fewer (two Chinese characters count as one word) that lean back on it (see _LEANS_BACK);
    a message of one or two words (or Chinese characters) always may."""
    if len(text.split(None, 2 * _FOLLOW_UP_TOKENS)) > 2 * _FOLLOW_UP_TOKENS:
        return False  # 9 pieces between spaces, each a word unless punctuation alone: too long
    tokens = TOKEN.findall(_APOSTROPHE.sub("", text))  # "it's" is one word, not "it" and "s"
    cjk = sum(len(token) for token in tokens if CJK_RUN.match(token))
    words = sum(1 for token in tokens if not CJK_RUN.match(token))
    if words + cjk / 2 > _FOLLOW_UP_TOKENS:
        return False
    return words + cjk <= 2 or _LEANS_BACK.search(text) is not None
