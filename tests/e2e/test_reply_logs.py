"""The ``servicebot`` logger's records say which conversation and bot they are about, as the
attributes ``conversation_id`` and ``bot`` (see servicebot/turnlog.py), whatever logged them
during the turn, in every call form; and only during it."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from typing import Any

import pytest

from servicebot.errors import StorageError
from servicebot.store import TurnRecord
from servicebot.store.memory import MemoryStore
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


REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


class _RequestId(logging.Filter):
    """The README's recipe: the application's request id on each record, from its context."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class _UnstoringStore(MemoryStore):
    """A store that may wait, as SQLite and Redis do (async turns call it in a worker
    thread), and cannot be written."""

    blocking = True

    def append_turn(self, turn: TurnRecord) -> TurnRecord:
        raise StorageError("redis: connection refused")


def test_the_applications_request_id_reaches_records_logged_in_a_worker_thread(
    make_bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    bot = make_bot(store=_UnstoringStore())
    caplog.handler.addFilter(_RequestId())

    async def request(request_id: str, conversation_id: str) -> None:
        REQUEST_ID.set(request_id)  # as a web framework's middleware sets it
        await bot.areply(REFUNDS, conversation_id=conversation_id)

    async def both() -> None:
        await asyncio.gather(request("req-1", "c-1"), request("req-2", "c-2"))

    with caplog.at_level(logging.ERROR, logger="servicebot"):
        asyncio.run(both())
    lost = [r for r in caplog.records if "turn not stored" in r.getMessage()]
    assert {(r.conversation_id, r.request_id) for r in lost} == {  # type: ignore[attr-defined]
        ("c-1", "req-1"),
        ("c-2", "req-2"),
    }
    assert {r.threadName for r in lost} != {"MainThread"}  # written by the worker threads


@pytest.mark.parametrize("form", FORMS)
def test_a_turns_records_carry_its_number_in_the_conversation(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture, form: str
) -> None:
    """A record said which conversation it was about, not which of its turns."""
    bot = make_bot()
    answer(bot, form, "t-5")
    server.fail(Fault.status(500))
    with caplog.at_level(logging.INFO, logger="servicebot"):
        answer(bot, form, "t-5")
        logging.getLogger("servicebot").info("after the turn")
    said = [r for r in caplog.records if r.getMessage().startswith("conversation t-5: the model")]
    assert [r.turn for r in said] == [2]  # type: ignore[attr-defined]
    after = [r for r in caplog.records if r.getMessage() == "after the turn"]
    assert [r.turn for r in after] == [None]  # type: ignore[attr-defined]
