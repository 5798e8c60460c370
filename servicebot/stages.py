"""The stages a bot builds from its spec alone, before any turn: see :class:`Stages`."""

from __future__ import annotations

import dataclasses

from .budget.tokens import TokenCounter, counter_for
from .checks import validate_bot
from .config import BotSpec
from .postfilter import Postfilter
from .prefilter import Prefilter
from .prompt import Renderer
from .routing import Router

__all__ = ["Stages"]


@dataclasses.dataclass(frozen=True)
class Stages:
    """What a bot builds from its spec alone: the checked templates, the filters, the routing
    index and the token counter. None keeps anything of a conversation, so bots of one spec
    may share them: ``servicebot test`` runs each script on a bot of its own (its own store
    and answer cache), and rebuilding these for each took most of its time."""

    spec: BotSpec
    renderer: Renderer
    prefilter: Prefilter
    postfilter: Postfilter
    router: Router
    counter: TokenCounter

    @classmethod
    def build(cls, spec: BotSpec) -> Stages:
        """Every stage of ``spec``; ConfigError if a template fails to render or fit."""
        settings = spec.settings
        renderer = validate_bot(spec)
        prefilter = Prefilter(settings.prefilter)
        postfilter = Postfilter.for_bot(spec, prefilter.profanity)
        router = Router(spec.intents, settings.routing, settings.languages)
        counter = counter_for(settings.model.name, settings.budget.encoding)
        return cls(spec, renderer, prefilter, postfilter, router, counter)
