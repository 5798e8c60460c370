"""Unit-test fixtures: the example bot, loaded once, and its router (for the routing tests);
a pre-filter with Chinese words listed (for test_prefilter.py and
test_prefilter_traditional.py; test_prefilter_turns.py keeps its own, with the defaults)."""

from __future__ import annotations

import pytest

from servicebot import load_bot
from servicebot.config import BotSpec
from servicebot.pipeline import Bot
from servicebot.prefilter import Prefilter
from servicebot.routing import Router
from servicebot.settings import PrefilterSettings
from tests.conftest import REPO

ZH_WORDS = {"insult_zh": ("傻逼", "滚", "滚蛋")}


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


@pytest.fixture(scope="module")
def prefilter() -> Prefilter:
    """The pre-filter with ``ZH_WORDS`` listed, and 滚筒 (a drum) allowed beside 滚."""
    return Prefilter(PrefilterSettings(words=ZH_WORDS, allow_words=("滚筒",)))
