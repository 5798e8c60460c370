"""The answer cache: which questions share an answer, and for how long."""

from __future__ import annotations

import pytest

from servicebot import load_bot
from servicebot.cache import AnswerCache, fingerprint
from servicebot.config import BotSpec
from servicebot.routing import Router
from servicebot.settings import CacheSettings
from tests.conftest import REPO


@pytest.fixture(scope="module")
def spec() -> BotSpec:
    return load_bot(REPO)


@pytest.fixture(scope="module")
def router(spec: BotSpec) -> Router:
    return Router(spec.intents, spec.settings.routing, spec.settings.languages)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_same_question_asked_another_way_shares_a_key(router: Router) -> None:
    cache = AnswerCache(CacheSettings(enabled=True), "f")
    text = "How long do refunds take?"
    key = cache.key(text, router.route(text), ())
    for same in (
        "how long do refunds take",
        "  HOW LONG   do refunds take?!",
        "ｈｏｗ long do refunds take",
    ):
        assert cache.key(same, router.route(same), ()) == key
    other = "How long does shipping take?"
    assert cache.key(other, router.route(other), ()) != key
    assert cache.key(text, router.route(text), ("injection",)) != key  # flags change the prompt


def test_an_answer_expires_after_its_ttl_and_the_oldest_goes_first() -> None:
    clock = Clock()
    cache = AnswerCache(CacheSettings(enabled=True, ttl_seconds=60, max_entries=2), "f", clock)
    cache.put("a", "answer a")
    clock.now = 59
    assert cache.get("a") == "answer a"
    clock.now = 61
    assert cache.get("a") is None
    cache.put("a", "1")
    cache.put("b", "2")
    cache.put("c", "3")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, "2", "3")


def test_editing_an_answer_or_a_template_changes_the_fingerprint(spec: BotSpec) -> None:
    import dataclasses

    edited_faq = dataclasses.replace(
        spec, intents=(spec.intents[0].model_copy(update={"description": "new"}), *spec.intents[1:])
    )
    templates = dict(spec.templates)
    templates["system.j2"] += "\nBe brief."
    edited_template = dataclasses.replace(spec, templates=templates)
    prints = {fingerprint(spec), fingerprint(edited_faq), fingerprint(edited_template)}
    assert len(prints) == 3
    assert fingerprint(load_bot(REPO)) == fingerprint(spec)  # stable for the same files
