"""The ``servicebot`` logger's records say which conversation and bot they are about, as the
attributes ``conversation_id`` and ``bot`` (see servicebot/turnlog.py), whatever logged them
during the turn, in every call form; and only during it."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from tests.e2e.conftest import REFUNDS
from tests.openai_server import Fault, OpenAIServer

BOT = "Maple Market support"  # the example bot's name
FORMS = ["reply", "areply", "stream", "astream"]


def answer(bot: Any, form: str, conversation_id: str) -> None:
    """One turn of ``bot`` in call form ``form``, read to its end."""

    async def in_loop() -> None:
        if form == "areply":
            await bot.areply(REFUNDS, conversation_id=conversation_id)
            return
        async for _ in bot.astream(REFUNDS, conversation_id=conversation_id):
            pass

    if form == "reply":
        bot.reply(REFUNDS, conversation_id=conversation_id)
    elif form == "stream":
        list(bot.stream(REFUNDS, conversation_id=conversation_id))
    else:
        asyncio.run(in_loop())


def fields(caplog: pytest.LogCaptureFixture, starts: str) -> list[tuple[str, str]]:
    """The conversation_id and bot of each servicebot record whose message starts so."""
    records = [r for r in caplog.records if r.name == "servicebot"]
    said = [r for r in records if r.getMessage().startswith(starts)]
    return [(r.conversation_id, r.bot) for r in said]  # type: ignore[attr-defined]


@pytest.mark.parametrize("form", FORMS)
def test_a_failed_turn_logs_its_conversation_and_bot(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture, form: str
) -> None:
    server.fail(Fault.status(500))
    with caplog.at_level(logging.INFO, logger="servicebot"):
        answer(make_bot(), form, "t-1")
    # The message is as it was: applications grep it.
    assert fields(caplog, "conversation t-1: the model did not answer") == [("t-1", BOT)]


@pytest.mark.parametrize("form", ["stream", "astream"])
def test_a_streams_retry_logged_by_the_model_says_its_turn(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture, form: str
) -> None:
    """The model's client knows no conversation: its line had no id at all."""
    server.fail(Fault.cut(0, abrupt=False))
    with caplog.at_level(logging.INFO, logger="servicebot"):
        answer(make_bot(max_retries=1), form, "t-2")
    assert fields(caplog, "Retrying the stream") == [("t-2", BOT)]


def test_records_between_a_streams_pieces_and_after_a_turn_carry_no_turn(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    log = logging.getLogger("servicebot")
    bot = make_bot()
    with caplog.at_level(logging.INFO, logger="servicebot"):
        with bot.stream(REFUNDS, conversation_id="t-3") as stream:
            for _ in stream:
                log.info("the caller's own line")  # another bot's turn could run here
        bot.reply(REFUNDS, conversation_id="t-4")
        log.info("after the turns")
        log.info("given its own", extra={"conversation_id": "mine"})
    assert set(fields(caplog, "the caller's own line")) == {(None, None)}
    assert fields(caplog, "after the turns") == [(None, None)]
    assert fields(caplog, "given its own") == [("mine", None)]
