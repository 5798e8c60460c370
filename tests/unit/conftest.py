"""Unit-test fixtures: the example bot, loaded once, and its router (for the routing tests);
a pre-filter with Chinese words listed (for test_prefilter.py and
test_prefilter_traditional.py; test_prefilter_turns.py keeps its own, with the defaults); and
a fresh conversation store of each kind (for the store tests)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from servicebot import load_bot
from servicebot.config import BotSpec
from servicebot.pipeline import Bot
from servicebot.prefilter import Prefilter
from servicebot.routing import Router
from servicebot.settings import PrefilterSettings
from servicebot.store import Store, open_store
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


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A new store of each kind, in a namespace of its own on the shared Redis server."""
    if request.param == "redis":
        opened = open_store(request.getfixturevalue("redis_url"), namespace=uuid.uuid4().hex)
    else:
        url = {"memory": "memory://", "sqlite": "sqlite:///conversations.db"}[request.param]
        opened = open_store(url, root=tmp_path)
    yield opened
    opened.close()
