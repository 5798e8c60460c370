"""Two shops' bots in one process on one store and namespace (a folder copied with its
``store.namespace``) share every conversation: the second one made warns, naming both
folders; a reload of one folder, and bots apart by namespace or store, do not."""

from __future__ import annotations

import gc
import logging
from pathlib import Path

import pytest

from servicebot.pipeline import Bot
from tests.unit.botcopies import make_bot

EXAMPLE_URL = "  url: sqlite:///.servicebot/conversations.db"


def _folder(tmp_path: Path, folder: str, name: str, url: str, namespace: str) -> Path:
    """A copy of the example bot named ``name`` on the store ``url``, in ``namespace``."""
    (tmp_path / folder).mkdir()
    store = f"  url: {url}\n  namespace: {namespace}"
    settings = [("name: Maple Market support", f"name: {name}"), (EXAMPLE_URL, store)]
    return make_bot(tmp_path / folder, settings=settings)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "use one store" in r.getMessage()]


def test_two_shops_on_one_namespace_are_warned_of(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path}/all.db"
    bakery = Bot.load(_folder(tmp_path, "a", "Bakery support", url, "shop1"), offline=True)
    with caplog.at_level(logging.WARNING, logger="servicebot"):
        florist = Bot.load(_folder(tmp_path, "b", "Florist support", url, "shop1"), offline=True)
    [warning] = _warnings(caplog)
    assert warning.startswith(
        f"bot 'Florist support' ({tmp_path / 'b' / 'bot'}) and bot 'Bakery support' "
        f"({tmp_path / 'a' / 'bot'}) use one store in namespace 'shop1': each reads "
        "and writes the other's conversations"
    )
    assert warning.endswith("give each bot its own store.namespace")
    assert bakery.spec.root != florist.spec.root


def test_a_reload_and_bots_apart_are_not_warned_of(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path}/all.db"
    folder = _folder(tmp_path, "a", "Bakery support", url, "shop1")
    with caplog.at_level(logging.WARNING, logger="servicebot"):
        kept = [Bot.load(folder, offline=True), Bot.load(folder, offline=True)]  # a reload
        kept.append(Bot.load(_folder(tmp_path, "b", "Florist", url, "shop2"), offline=True))
        other = f"sqlite:///{tmp_path}/other.db"
        kept.append(Bot.load(_folder(tmp_path, "c", "Grocer", other, "shop1"), offline=True))
    assert _warnings(caplog) == []


def test_a_bot_collected_is_no_longer_warned_of(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path}/all.db"
    Bot.load(_folder(tmp_path, "a", "Bakery support", url, "shop1"), offline=True)  # dropped
    gc.collect()
    with caplog.at_level(logging.WARNING, logger="servicebot"):
        Bot.load(_folder(tmp_path, "b", "Florist support", url, "shop1"), offline=True)
    assert _warnings(caplog) == []
