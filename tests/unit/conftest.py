"""Unit-test fixtures: the example bot, loaded once."""

from __future__ import annotations

import pytest

from servicebot import load_bot
from servicebot.config import BotSpec
from servicebot.pipeline import Bot
from tests.conftest import REPO


@pytest.fixture(scope="session")
def spec() -> BotSpec:
    return load_bot(REPO)


@pytest.fixture(scope="session")
def bot(spec: BotSpec) -> Bot:
    """The example bot, for Bot.prepare (it is never asked to reply)."""
    return Bot(spec)
