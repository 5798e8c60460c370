"""Sync streams dropped unclosed, against the local server: one read partly is stored with
what it showed, one an error ended stores nothing (as ``reply()``), and one never read stores
nothing either, its customer shown nothing, and says so."""

from __future__ import annotations

import gc
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

from servicebot.cassette import ReplayMissError
from servicebot.filters import FilterEvent
from servicebot.pipeline import Bot
from tests.conftest import REPO
from tests.e2e.conftest import REFUNDS
from tests.openai_server import Fault, OpenAIServer

TWO_SENTENCES = "Refunds take 2 business days. Your bank may add a few more."
STOPPED = FilterEvent("model", "caller", "stopped", "kept")


def test_a_sync_stream_read_partly_then_dropped_is_stored_with_what_it_showed(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.responder = lambda body: TWO_SENTENCES
    server.fail(Fault.drip(0.05))  # the second sentence still on its way
    bot = make_bot()
    stream = bot.stream(REFUNDS, conversation_id="dropped")
    pieces = iter(stream)
    shown = next(pieces)
    with caplog.at_level(logging.WARNING, logger="servicebot"):
        del stream, pieces  # let go of, unclosed
        gc.collect()
    assert shown == "Refunds take 2 business days."
    (stored,) = bot.store.history("dropped")
    assert (stored.reply_text, stored.events[-1]) == (shown, STOPPED)
    assert len(server.requests) == 1 and caplog.messages == []


def _replaying_bot(tmp_path: Path, server: OpenAIServer) -> Bot:
    """The example bot replaying from an empty cassette: every model turn is a miss."""
    folder = tmp_path / "bot"
    for name in ("faq", "templates"):
        shutil.copytree(REPO / name, folder / name)
    settings = (REPO / "servicebot.yaml").read_text("utf-8")
    settings = settings.replace("  timeout: 20\n", f"  timeout: 5\n  base_url: {server.url}\n")
    settings += "\nreplay:\n  mode: replay\n  cassettes: replies\n"
    (folder / "servicebot.yaml").write_text(settings, "utf-8")
    return Bot.load(folder)


def test_a_sync_stream_an_error_ended_stores_nothing_when_dropped(
    server: OpenAIServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Stored as it was collected, the miss had a stopped turn and an ERROR "never closed",
    # where reply() stores nothing for it.
    monkeypatch.setenv("SERVICEBOT_PII_KEY", "k")  # its warning is not this test's
    bot = _replaying_bot(tmp_path, server)
    stream = bot.stream("Can I change the delivery address of my order?", conversation_id="miss")
    with caplog.at_level(logging.WARNING, logger="servicebot"):
        with pytest.raises(ReplayMissError):
            next(iter(stream))
        del stream
        gc.collect()
    assert bot.store.history("miss") == []
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    bot.close()
    assert not server.requests


def test_a_sync_stream_dropped_unread_stores_nothing_and_says_so(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    # Its message was taken in, but the customer was shown nothing: as reply() stores nothing
    # for a turn begun and not finished. It went without a word.
    server.responder = lambda body: TWO_SENTENCES
    bot = make_bot()
    stream = bot.stream(REFUNDS, conversation_id="unread")
    with caplog.at_level(logging.WARNING, logger="servicebot"):
        del stream
        gc.collect()
    assert bot.store.history("unread") == [] and not server.requests
    assert caplog.messages == [
        "conversation unread: a stream was never read nor closed; its turn is not stored. "
        "Read it, or close it: `with bot.stream(...)`"
    ]
