"""What the routing thresholds decide for a message, from its intents' scores alone: the
route (direct, handoff, model, out of scope), the matches kept as facts, and the handoff
intent that hands the customer to a person. Pure functions of the ranking and the settings,
so that :meth:`~servicebot.routing.Router.route` and ``servicebot eval --thresholds`` (which
decides again at other thresholds) cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

from ..settings import RoutingSettings
from .index import Match

Route = Literal["direct", "handoff", "out_of_scope", "model"]


class Decision(NamedTuple):
    """What the thresholds decide for a ranking: see :func:`decide_ranked`."""

    route: Route
    matches: tuple[Match, ...]  # the top-k at or above min_score, best first, as facts
    handoff: Match | None  # the handoff intent that sends the message to a person, if one does
    closest: tuple[Match, ...]  # with no matches, the top-k below min_score: how near


def decide_ranked(
    ranked: Sequence[Match],
    settings: RoutingSettings,
    misses: int = 0,
    *,
    direct: bool = True,
    missed: bool = True,
) -> Decision:
    """What ``settings``' thresholds decide for a message whose intents are ``ranked`` (best
    first, the second included whatever its score: direct_margin's measure), after ``misses``
    out-of-scope turns in a row; ``direct`` False: never answered as written (a follow-up,
    see :meth:`Router.route`). The whole decision from scores, for the router and
    ``servicebot eval --thresholds`` to make alike: a handoff intent below
    ``handoff_threshold`` is left out of the matches (see :func:`decide`); ``missed``: see
    :func:`decide`."""
    top = ranked[: settings.top_k]
    matches = [match for match in top if match.score >= settings.min_score]
    if (handoff := handing_off(matches, settings)) is None:
        matches = [match for match in matches if not match.intent.handoff]
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    route = decide(matches, settings, misses, runner_up, missed=missed)
    if route == "direct" and not direct:
        route = "model"
    closest = () if matches else tuple(m for m in top if m.score > 0)
    return Decision(route, tuple(matches), handoff, closest)


def decide(
    matches: Sequence[Match],
    settings: RoutingSettings,
    misses: int = 0,
    runner_up: float | None = None,
    *,
    missed: bool = True,
) -> Route:
    """The route for matches already cut at ``min_score``, best first, after ``misses``
    out-of-scope turns in a row (``runner_up``: see :func:`sure`). ``missed``: whether the
    message, matching nothing, counts toward ``handoff_after`` (one with no words does not).

    :meth:`Router.route` leaves out a handoff intent below ``handoff_threshold`` before
    deciding: its answer and few-shot pairs promise a person, so as a fact the model would
    say "I'll connect you" and no one would come, and sent as written it would say the same.
    With nothing else left, the message is out of scope (and counts toward ``handoff_after``).
    """
    if not matches:
        stuck = missed and 0 < settings.handoff_after <= misses + 1
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
