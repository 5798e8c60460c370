"""Unit-test fixtures: the example bot, loaded once, and its router (for the routing tests)."""

from __future__ import annotations

import pytest

from servicebot import load_bot
from servicebot.config import BotSpec
from servicebot.pipeline import Bot
from servicebot.routing import Router
from tests.conftest import REPO


@pytest.fixture(scope="session")
def spec() -> BotSpec:
    return load_bot(REPO)


@pytest.fixture(scope="session")
def bot(spec: BotSpec) -> Bot:
    """The example bot, for Bot.prepare (it is never asked to reply)."""
    return Bot(spec)


@pytest.fixture(scope="module")
def router(spec: BotSpec) -> Router:
    """The example bot's router, for test_routing.py, test_features.py and test_index.py."""
    return Router(spec.intents, spec.settings.routing, spec.settings.languages)
