"""What the injection check (``servicebot/filters/injection.py``) leaves alone: ordinary
support messages that share an attack's words ("ignore my previous message", "the system
says", "你现在是人工客服吗？", a customer correcting themselves), and every example phrasing of
the example bot."""

import pytest

from servicebot import load_bot
from servicebot.filters.injection import find_injection
from servicebot.filters.normalise import normalise
from tests.conftest import REPO
from tests.unit.supportmessages import SUPPORT


@pytest.mark.parametrize("text", SUPPORT)
def test_ordinary_support_messages_are_not_flagged(text: str) -> None:
    assert find_injection(normalise(text).text) == []


def test_no_example_phrasing_of_the_example_bot_is_flagged() -> None:
    bot = load_bot(REPO)
    flagged = [e for i in bot.intents for e in i.examples if find_injection(normalise(e).text)]
    assert flagged == []
