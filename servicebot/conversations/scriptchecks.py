"""What ``servicebot check`` says of the bot's conversation scripts (``tests/conversations``).

A script is a test, not part of the bot, so its mistakes are warnings: a file ``servicebot
test`` cannot read, and a turn expecting an intent the bot no longer has (renamed or removed
in ``faq/``), which ``test`` would otherwise show first, after a run. Owns
:func:`script_warnings`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..config import BotSpec
from ..errors import Problem
from ..routing import Router
from ..validation import closest
from .files import CONVERSATIONS_FOLDER, Conversation, Turn, read_conversations


def script_warnings(spec: BotSpec) -> list[Problem]:
    """The mistakes in the bot folder's conversation scripts, and each turn whose ``expect:
    intent:`` names no intent of the bot, with where its message routes (the likeliest new
    name) or, failing that, the closest name. None without a scripts folder."""
    folder = spec.root / CONVERSATIONS_FOLDER
    if not folder.is_dir():
        return []
    conversations, problems = read_conversations(folder)
    names = {intent.name for intent in spec.intents}
    stale = [
        (conversation, turn)
        for conversation in conversations
        for turn in conversation.turns
        if (name := _expected(turn)) is not None and name not in names
    ]
    return problems + list(_stale_intents(spec, stale))


def _expected(turn: Turn) -> str | None:
    """The intent a turn expects by name (``intent: null`` expects none)."""
    return turn.spec.expect.intent if "intent" in turn.spec.expect.model_fields_set else None


def _stale_intents(spec: BotSpec, stale: list[tuple[Conversation, Turn]]) -> Iterator[Problem]:
    """A warning at each turn of ``stale``: the router is built only when there is one."""
    if not stale:
        return
    routed = _router(spec)
    names = [intent.name for intent in spec.intents]
    for conversation, turn in stale:
        name = _expected(turn) or ""
        message = f"expects intent {name}, but the bot has no intent of that name"
        close = closest(name, names)
        if (went := routed(turn.spec.customer)) is not None:
            guess = "did you mean it?" if went[0] == close else "was it renamed?"
            message += f"; its message routes to {went[0]} ({went[1]:.3f}): {guess}"
        elif close:
            message += f" (did you mean '{close}'?)"
        line = turn.line_of("intent")
        yield (
            conversation.source.problem(message, line)
            if conversation.source
            else Problem(conversation.path, message, line)
        )


def _router(spec: BotSpec) -> Callable[[str], tuple[str, float] | None]:
    """Where a message routes alone (a follow-up's history is left out): the intent's name
    and score, or None below ``min_score``."""
    router = Router(spec.intents, spec.settings.routing, spec.settings.languages)
    least = spec.settings.routing.min_score

    def routed(text: str) -> tuple[str, float] | None:
        best = next(iter(router.route(text).matches), None)
        return (best.intent.name, best.score) if best and best.score >= least else None

    return routed
