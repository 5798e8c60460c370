"""Routing: decide each turn's route from how well the bot's intents match the message.

The intents are ranked by the index in ``routing/index.py`` (lexical, English and Chinese,
scores 0 to 1 that mean the same for every message); the thresholds in ``servicebot.yaml``
then decide the route (``routing/decisions.py``): ``direct`` (a direct intent's answer as
written), ``handoff`` (a handoff intent, or a customer the bot keeps missing),
``out_of_scope`` (nothing matches well enough) or ``model`` (the model answers with the best
intents as facts). A short follow-up
("and to Germany?", "is it free?") is read with the customer's previous message.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..faq import Intent
from ..filters.normalise import shows_nothing, visible_only
from ..settings import RoutingSettings
from .decisions import Decision, Route, decide, decide_ranked, handing_off, sure
from .explain import handed_off_by, why_not_direct, why_out_of_scope
from .features import TOKEN
from .followups import (
    FOLLOW_UP_CHAIN,
    asks,
    is_follow_up,
    keeping_topic,
    leans_back,
    points_back,
    previous_message,
)
from .index import IntentIndex, Match
from .languages import detect_language, language_of, locale_language
from .phrases import (
    COURTESY,
    acknowledges,
    bids_farewell,
    names_nothing,
    refuses,
    says_nothing,
    the_request,
    without_courtesies,
    without_placeholders,
    words_of,
)
from .scripts import unspoken, writing_of
from .wordless import says_no_words, without_mentions

__all__ = [
    "FOLLOW_UP_CHAIN",
    "Decision",
    "Match",
    "Route",
    "Router",
    "Routing",
    "counts_as_miss",
    "decide",
    "decide_ranked",
    "detect_language",
    "handed_off_by",
    "handing_off",
    "is_blank",
    "locale_language",
    "previous_message",
    "routed_part",
    "says_no_words",
    "sure",
    "why_not_direct",
    "why_out_of_scope",
]

_SPACE_RUN = re.compile(r"(\s)\s+")
# Routing reads a message's first this many characters (cut at a space near there): a
# customer's question is in them, and a pasted log or 50,000 characters of noise after it
# would cost routing a second of CPU in every turn while adding nothing to its scores.
ROUTED_CHARS = 4_000


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
    # the intents as ranked for the reading routed, best first, before min_score cut them:
    # what decide_ranked decided on (`servicebot eval --thresholds` decides again on it)
    ranked: tuple[Match, ...] = ()

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
            if 2 * sum(bool(COURTESY.search(e)) for e in intent.examples) > len(intent.examples)
        )
        # Intents that carry no topic: greetings, thanks, farewells (most phrasings say
        # nothing but those). A refusal matches only these, and nothing leans on them.
        self._topicless = self._courteous | frozenset(
            intent.name
            for intent in intents
            if 2 * sum(map(says_nothing, intent.examples)) > len(intent.examples)
        )
        # A refusal's: "no thanks" declines more help, and got thanks' answer as written.
        self._closing = self._topicless - self._courteous
        # Their words name nothing a customer asks for (see _past_pleasantries).
        self._pleasantries = words_of(
            e for intent in intents if intent.name in self._topicless for e in intent.examples
        )

    def with_settings(self, settings: RoutingSettings) -> Router:
        """This router with other thresholds, sharing its index (built once, and the slow
        part): for ``servicebot eval --thresholds`` to route again at another min_score."""
        other = copy.copy(self)
        other.settings = settings
        return other

    def route(
        self,
        text: str,
        previous: str | None = None,
        misses: int = 0,
        *,
        said: str | None = None,
        replied: str | None = None,
        default_language: str | None = None,
    ) -> Routing:
        """Route ``text``; ``previous`` is the customer's last message, for short follow-ups,
        and ``misses`` how many turns right before this one were out of scope. ``said`` is
        the message before the pre-filter masked words in it: with no previous message, the
        language of one of masked insults alone ("****"). ``replied`` is the bot's last
        reply: an acknowledgement ("好的", "got it") after one that asked the customer
        something ("Could you share your order number?") answers it, and is read as a
        follow-up of the previous message, never answered as written, and never thanks.
        ``default_language``: the language of a message whose words (and earlier messages)
        do not tell ("👍" first), the application's locale's (see ``locale_language``).

        A short message that matches no intent alone and leans back ("and to Germany?") is
        read together with the previous one, and so is one that points back at the previous
        topic whatever it matches alone ("is it free?", 那要多久？: see ``points_back``). One
        that matches and names its own topic ("wher is my ordr", "what about exchanges?") is
        a new question; one that matches only through a courtesy beside a follow-up ("thanks,
        and to Germany?") is read as that follow-up, without the courtesy; and one that does
        not lean back ("write me a poem"), or says goodbye ("bye, and write a poem"), is out of
        scope. Nothing
        leans on a message that carries no topic ("hi", "thanks", "no"; see
        ``routing/phrases.py``), and a refusal ("no", "forget it", 算了) is never read with the
        message it refuses: it matches only intents that carry no topic and are no courtesy
        (goodbye, not thanks: "no thanks" declines more help), or none. A
        follow-up is never answered directly: the canned answer was for the previous message,
        and this one asks something more (or is noise such as "asdfgh"). It may be handed off:
        "yes, transfer me" after asking for a person should be. Nor is a message in letters
        none of the bot's languages is written in (``Где мой заказ?`` to a bot of ``[en, zh]``;
        see ``routing/scripts.py``): the answer as written is in another language, and the
        model can answer in the customer's; with no model, the answer is still sent, as for
        any turn routing is sure of (``turn.canned_action``). A customer the bot keeps
        missing is handed off at the ``handoff_after``-th out-of-scope message in a row; one
        with no words ("👍", "<@U0123ABC>": see ``routing/wordless.py``) or acknowledgements
        alone ("ok", "alright") is no miss, and hands no one off. A blank message is out of
        scope, and nothing more. Placeholders such as
        ``[PHONE_1]`` are read as nothing: the customer's phone number says nothing of what
        they ask, and its kind's name would pull the message to the contact intents. Only the
        first ``ROUTED_CHARS`` characters of ``text`` are read (see :func:`routed_part`).
        """
        text, said = routed_part(text), said and routed_part(said)
        previous = previous and routed_part(previous)
        if is_blank(text):
            language = detect_language(
                text, self.languages, previous, said, default=default_language
            )
            return Routing("out_of_scope", (), language, misses=misses)
        # Whether it counts toward handoff_after if it matches nothing: asked only when this
        # turn would reach the count (the only use of it), as reading it costs a few µs.
        stuck = 0 < self.settings.handoff_after <= misses + 1
        missed = not stuck or counts_as_miss(text)  # before "[PHONE_1]" is read as nothing
        text, said_before = without_placeholders(without_mentions(text)), previous
        previous = previous and without_placeholders(previous)
        writing = writing_of(text)  # once: detecting the language and telling it apart read it
        language = language_of(
            text, writing, self.languages, previous, said, default=default_language
        )
        unspoken_in = unspoken(writing, self.languages)
        answering = asks(replied) and acknowledges(text)
        ranked, follow_up = self._rank_in_context(text, said_before, answering)
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        second = ranked[1].intent.name if len(ranked) > 1 else ""
        may_be_direct = not (follow_up or unspoken_in or answering)
        decided = decide_ranked(ranked, self.settings, misses, direct=may_be_direct, missed=missed)
        route, matches, handoff, closest = decided
        found = (route, matches, language, follow_up, misses, closest, runner_up, second)
        return Routing(*found, handoff, unspoken_in, tuple(ranked))

    def _rank_in_context(
        self, text: str, previous: str | None, answering: bool = False
    ) -> tuple[list[Match], bool]:
        """The ranking of ``text``, and whether it was read with ``previous`` (as said,
        placeholders and all) to get them, keeping its topic: see :meth:`route`, keeping_topic.
        A refusal is ranked alone among the intents that carry no topic and are no courtesy
        (goodbye, not thanks): "no" after "talk to a human" was handed off, and "cancel that"
        alone matches cancel_order. ``answering``: ``text`` acknowledges a question the bot
        asked, so it matches nothing alone (no thanks) and is read with ``previous``."""
        if refuses(text):
            return self._rank_among(text, self._closing), False
        said, (text, ranked) = text, self._rank_past_courtesies(text)  # said: as sent
        if answering:  # "好的" to "Could you share your order number?" is no thanks
            ranked = [m for m in ranked if m.intent.name not in self._topicless]
        if not previous:
            return ranked, False
        leaning = self._leaning(said, text, self._cut(ranked), answering)
        if leaning is None or not self._has_topic(previous):  # last: it ranks the previous
            return ranked, False
        previous = without_placeholders(previous)
        topic = [m for m in self._cut(self._rank(previous)) if m.intent.name not in self._topicless]
        joined = keeping_topic(self._rank(f"{previous}\n{leaning}"), topic, self.settings.min_score)
        if answering:
            joined = [m for m in joined if m.intent.name not in self._topicless]
        return (joined, True) if self._cut(joined) else (ranked, False)

    def _leaning(self, said: str, text: str, matches: list[Match], answering: bool) -> str | None:
        """What of a message (``said``; ``text`` the reading that matched ``matches``) leans on
        the previous one: ``text`` when it matches nothing and is a follow-up, or points back
        (a message that matches leans back only then); or its part beside a courtesy that
        alone matched ("and to Germany?" of "thanks, and to Germany?" matched thanks). None
        for one that does not lean back, or says goodbye: "bye, and write a poem" closes the
        conversation, and its "and" joins the request to the farewell, not to the topic."""
        if not matches:
            leaning = text if answering or is_follow_up(text) else None
        elif self._points_back(said, matches):  # "hi there" is no pointing "there"
            leaning = text
        else:
            leaning = self._past_courtesy(said, matches)
        return None if leaning is None or bids_farewell(said) else leaning

    def _past_courtesy(self, said: str, matches: list[Match]) -> str | None:
        """``said`` without its courtesies when only they matched (the best of ``matches``
        carries no topic) and the rest leans back and names something: "and to Germany?" of
        "thanks, and to Germany?", "is it free?" of "thanks, is it free?"; not "for that" of
        "thanks for that", nor a name ("thanks John")."""
        if matches[0].intent.name not in self._topicless:
            return None
        rest = without_courtesies(said)
        if rest is None or not leans_back(rest) or names_nothing(rest, self._pleasantries):
            return None
        return rest

    def _points_back(self, text: str, matches: list[Match]) -> bool:
        """Whether ``text``, which matches ``matches`` alone, asks about the previous topic all
        the same: it points back at it ("is it free?" matched domestic shipping's costs after
        "Do you ship to Canada?"), and is no courtesy ("thanks for that" is thanks) nor a
        complaint (a ``complaint: true`` intent): "that didn't help" after "i got the wrong
        item" faults the answer, and read with the question it was wrong_item's."""
        best = matches[0].intent
        return points_back(text) and best.name not in self._topicless and not best.complaint

    def _has_topic(self, previous: str) -> bool:
        """Whether the customer's last message (the last line of ``previous``) has a topic for
        a follow-up to take on: not when it says nothing but courtesies, refusals and
        farewells, or is routed to an intent that carries no topic ("在吗", "hi again"). A
        value alone ("[EMAIL_1]") has one: what it was given for."""
        last = previous.rsplit("\n", 1)[-1]
        if says_nothing(last):
            return False
        if not TOKEN.search(plain := without_placeholders(last)):
            return True
        matches = self._cut(self._rank_past_courtesies(plain)[1])
        return not matches or matches[0].intent.name not in self._topicless

    def _rank_past_courtesies(self, text: str) -> tuple[str, list[Match]]:
        """The ranking of ``text`` without its courtesies (see COURTESY), and that text; or of
        the whole, when the rest matches nothing or an intent of courtesies. A message of
        courtesies alone matches only intents of courtesies: "please" asks for nothing, though
        "agent please" is a phrasing of talk_to_human. So does one of acknowledgements alone
        ("ok", "got it", 好的: see ``acknowledges``), which asks nothing and closes nothing:
        "ok" matched goodbye ("ok bye 拜拜") and "alright" price_adjustment."""
        if (rest := without_courtesies(text)) is not None:
            if not TOKEN.search(rest):
                return text, self._rank_among(text, self._courteous)
            ranked = self._rank(rest)
            if self._cut(ranked) and ranked[0].intent.name not in self._courteous:
                if self._names_topic(rest, ranked[0]):
                    return rest, ranked
                return text, self._rank_among(text, self._topicless)
        elif acknowledges(text):  # "ok", 好的: as "ok thanks" is, but no farewell ("ok bye")
            return text, self._rank_among(text, self._courteous)
        return self._past_pleasantries(text, self._rank(text))

    def _names_topic(self, rest: str, best: Match) -> bool:
        """Whether ``rest``, a message without its courtesies, asks for its ``best`` intent:
        one that carries no topic ("bye" of "thanks, bye!"), or one it names a word for. Praise
        names nothing: "you guys are" of "thanks, you guys are awesome" matched about_store
        ("who are you guys"), and the message is thanks."""
        return best.intent.name in self._topicless or not names_nothing(rest, self._pleasantries)

    def _past_pleasantries(self, text: str, ranked: list[Match]) -> tuple[str, list[Match]]:
        """``text`` and its ``ranked`` intents; or, when the best of them carries no topic
        (thanks, goodbye) and the rest of ``text`` asks for something no intent matches (see
        the_request), that rest and its ranking without such intents, which is out of scope:
        "thanks! now write me a poem" matched thanks through "thanks" alone, and went to the
        model with thanks' answer as its facts. "thanks, that's great" and 谢谢，太好了 keep
        them; so does a rest that matches an intent, whose words may be a closing's leftovers
        (问题 of 谢谢，问题解决了 matched damaged_item)."""
        matches = self._cut(ranked)
        if not matches or matches[0].intent.name not in self._topicless:
            return text, ranked
        if (request := the_request(text, self._pleasantries)) is None:
            return text, ranked
        asked = [m for m in self._rank(request) if m.intent.name not in self._topicless]
        return (text, ranked) if self._cut(asked) else (request, asked)

    def readings(self, text: str) -> tuple[str, ...]:
        """The texts :meth:`route` may rank for ``text`` with no previous message: none for a
        blank one; else the text with no placeholders, and that text without its courtesies
        when it has any (see _rank_past_courtesies), and what it asks for besides its
        pleasantries (see _past_pleasantries). Each intent's score in the routing is
        at most its exact score (:class:`~servicebot.routing.screen.IntentScreen`) for one."""
        text = routed_part(text)
        if is_blank(text):
            return ()
        text = without_placeholders(without_mentions(text))
        rests = (without_courtesies(text), the_request(text, self._pleasantries))
        return tuple(dict.fromkeys(r for r in (text, *rests) if r is not None))

    def _rank(self, text: str) -> list[Match]:
        """The top-k intents, and at least two: the second is direct_margin's measure."""
        return self.index.rank(text, max(self.settings.top_k, 2))

    def _rank_among(self, text: str, names: frozenset[str]) -> list[Match]:
        """The ranking of ``text`` among the intents named ``names`` alone."""
        return [m for m in self._rank(text) if m.intent.name in names]

    def _cut(self, ranked: list[Match]) -> list[Match]:
        """The top-k of ``ranked`` at or above min_score."""
        top = ranked[: self.settings.top_k]
        return [match for match in top if match.score >= self.settings.min_score]


def is_blank(text: str) -> bool:
    """Nothing but spaces and invisible characters: no message at all, and no follow-up.
    Read without normalising ``text``, which for 50,000 characters of noise took 190 ms,
    and a stored turn's text is read again at each later turn of its conversation."""
    return shows_nothing(text)


def counts_as_miss(text: str) -> bool:
    """Whether a message that matches nothing counts toward ``routing.handoff_after``: not one
    with no words ("👍", a mention alone: see ``routing/wordless.py``) nor acknowledgements
    alone ("alright", "noted"), which ask nothing the bot could miss. ``[PHONE_1]`` alone is a
    miss: read it before placeholders are read as nothing. The router asks it of this message,
    and the turn of each stored message before it (``turnhistory.count_misses``)."""
    return not (says_no_words(text) or acknowledges(text))


def routed_part(text: str) -> str:
    """What routing reads of ``text``: all of it, up to ``ROUTED_CHARS`` characters. A longer
    one loses its invisible characters and each run of spaces becomes its first (so that no
    padding pushes the question past the limit), then its first ``ROUTED_CHARS`` characters
    are read, cut at the last space in the 100 before the limit, so the last word is whole."""
    if len(text) <= ROUTED_CHARS:
        return text
    text = _SPACE_RUN.sub(r"\1", visible_only(text))
    if len(text) <= ROUTED_CHARS:
        return text
    space = max(text.rfind(" ", ROUTED_CHARS - 100, ROUTED_CHARS + 1), 0)
    return text[: space or ROUTED_CHARS]
