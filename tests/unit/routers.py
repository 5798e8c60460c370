"""What the routing tests (test_routing.py, test_features.py, test_index.py) route with: the
example bot's languages, a small bot of four intents (``SMALL``, ``intent``) and a router
over it with any thresholds changed (``small_router``), the intent a message goes to
(``best``) and one intent's score (``score``). The example bot's ``router`` fixture is in
conftest.py."""

from __future__ import annotations

from servicebot.routing import Router
from servicebot.routing.index import IntentIndex
from servicebot.settings import Intent, RoutingSettings

LANGUAGES = ("en", "zh")
SHIPPING = ("shipping_times_costs", "international_shipping")


def intent(name: str, *examples: str, direct: bool = False, handoff: bool = False) -> Intent:
    """An intent with these example phrasings and a one-line English answer."""
    return Intent(
        name=name, examples=examples, answer={"en": "The answer."}, direct=direct, handoff=handoff
    )


SMALL = (
    intent("shipping", "how long does shipping take", "运费多少", "多久能到货"),
    intent("refund", "when will i get my refund", "怎么退款", "退款什么时候到账"),
    intent("greeting", "hello there", "你好", direct=True),
    intent("human", "talk to a person", "转人工", handoff=True),
)


def best(router: Router, text: str, previous: str | None = None) -> str | None:
    """The name of the intent ``text`` goes to, or None when nothing matches."""
    match = router.route(text, previous).best
    return match.intent.name if match else None


def score(index: IntentIndex, text: str, name: str) -> float:
    """The score of intent ``name`` for ``text``."""
    names = [item.name for item in index.intents]
    return float(index.scores(text)[names.index(name)])


def small_router(**thresholds: float) -> Router:
    """A router over ``SMALL``, with ``thresholds`` changed from the defaults."""
    return Router(SMALL, RoutingSettings(**thresholds), LANGUAGES)  # type: ignore[arg-type]
