"""The stores under real concurrency and real failures: a SQLite file and a redis-server."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any, cast

import pytest

from servicebot import StorageError
from servicebot.store import Store, TurnRecord, open_store
from tests.conftest import REPO, at_once
from tests.redisserver import RedisServer

WRITERS, TURNS, CONVERSATIONS = 4, 500, 50


def writer(url: str, root: Path, worker: int, turns: int, namespace: str) -> subprocess.Popen[str]:
    args = [url, str(root), str(worker), str(turns), str(CONVERSATIONS), namespace]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.storeworker", *args],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def backend(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if name in ("sqlite", "memory"):
        return {"sqlite": "sqlite:///turns.db", "memory": "memory://"}[name]
    return str(request.getfixturevalue("redis_url"))


@pytest.mark.parametrize("name", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def test_four_processes_leave_every_turn_ordered_and_gapless(
    name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url, namespace = backend(name, tmp_path, request), f"load-{uuid.uuid4().hex}"
    processes = [writer(url, tmp_path, w, TURNS, namespace) for w in range(WRITERS)]
    for process in processes:
        _, errors = process.communicate(timeout=300)
        assert process.returncode == 0, errors
    store = open_store(url, root=tmp_path, namespace=namespace)
    histories = {f"c{i}": store.history(f"c{i}") for i in range(CONVERSATIONS)}
    assert sum(len(turns) for turns in histories.values()) == WRITERS * TURNS
    for turns in histories.values():
        assert [t.number for t in turns] == list(range(1, len(turns) + 1))
        by_worker: dict[str, list[int]] = defaultdict(list)
        for t in turns:
            who, _, i = t.customer_text.split()
            by_worker[who].append(int(i))
        assert all(sent == sorted(sent) for sent in by_worker.values())  # each writer's order
    store.close()


@pytest.mark.parametrize("name", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def test_a_writer_killed_mid_run_loses_no_acknowledged_turn(
    name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url, namespace = backend(name, tmp_path, request), f"kill-{uuid.uuid4().hex}"
    process = writer(url, tmp_path, 0, 1_000_000, namespace)
    assert process.stdout is not None
    acknowledged = [process.stdout.readline().split() for _ in range(300)]
    os.kill(process.pid, signal.SIGKILL)
    rest, _ = process.communicate(timeout=30)
    acknowledged += [line.split() for line in rest.splitlines() if line]
    assert process.returncode == -signal.SIGKILL
    store = open_store(url, root=tmp_path, namespace=namespace)
    for conversation in {c for c, _ in acknowledged}:
        numbers = [t.number for t in store.history(conversation)]
        assert numbers == list(range(1, len(numbers) + 1))  # readable and gapless
        promised = {int(n) for c, n in acknowledged if c == conversation}
        assert promised <= set(numbers)
    store.close()


@pytest.mark.redis
def test_a_redis_restart_is_survived_and_a_failed_write_is_reported(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)
    server.start()
    try:
        store = open_store(server.url, namespace="restart")
        for i in range(10):
            store.append_turn(TurnRecord("c", f"m{i}", "r", "answer"))
        server.stop()
        with pytest.raises(StorageError, match="failed"):
            store.append_turn(TurnRecord("c", "while down", "r", "answer"))
        server.start()
        assert store.append_turn(TurnRecord("c", "after", "r", "answer")).number == 11
        assert [t.customer_text for t in store.history("c")][-2:] == ["m9", "after"]
        store.close()
    finally:
        server.stop()


@pytest.mark.redis
def test_bot_replies_through_a_redis_restart_and_reports_the_turn_it_could_not_store(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from servicebot import Bot, load_bot

    server = RedisServer(tmp_path)
    server.start()
    bot = Bot(load_bot(REPO), offline=True, store=open_store(server.url, namespace="bot"))
    try:
        assert bot.reply("how long do refunds take?", conversation_id="c").turn == 1
        server.stop()
        down = bot.reply("退货政策是什么？", conversation_id="c")
        assert (down.action, down.intent, down.turn) == ("direct", "return_item", None)
        assert "not stored" in down.trace[-1].decision
        assert "not held" in down.trace[0].decision  # the conversation, in the store
        assert "history not loaded" in down.trace[1].decision
        assert "turn not stored" in caplog.text
        server.start()
        after = bot.reply("I want to talk to a human", conversation_id="c")
        assert after.turn == 2 and after.action == "handoff"
        assert [t.action for t in bot.store.history("c")] == ["direct", "handoff"]
    finally:
        bot.close()
        server.stop()


class _Blip:
    """A store whose next history read fails, as during a network blip or a lock timeout."""

    def __init__(self, store: Store) -> None:
        self.store, self.fail_next = store, False

    def history(self, conversation_id: str, limit: int | None = None) -> list[TurnRecord]:
        if self.fail_next:
            self.fail_next = False
            raise StorageError("read failed (blip)")
        return self.store.history(conversation_id, limit)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_a_turn_whose_history_could_not_be_read_keeps_the_conversations_placeholders(
    tmp_path: Path,
) -> None:
    from servicebot import Bot, load_bot

    store = _Blip(open_store("sqlite:///turns.db", root=tmp_path))
    bot = Bot(load_bot(REPO), offline=True, store=cast(Store, store))
    try:
        assert bot.reply("call me on 13800138000", conversation_id="c").turn == 1
        store.fail_next = True
        blip = bot.reply("my other number is 13900139000", conversation_id="c")
        # Numbered afresh, its number would be stored as [PHONE_1] too: answered, not stored.
        assert "history not loaded" in blip.trace[0].decision and blip.turn is None
        bot.reply("call me on 13800138000 please", conversation_id="c")
        first, again = (t.customer_text for t in store.history("c"))
        assert first.endswith("[PHONE_1]") and "[PHONE_1]" in again  # the same number, kept
    finally:
        bot.close()


class _Unswappable:
    """A store that never keeps a placeholder state: its write fails, or another turn always
    seems to have changed the state first."""

    def __init__(self, store: Store, fails: bool) -> None:
        self.store, self.fails, self.swaps = store, fails, 0

    def swap_state(self, conversation_id: str, before: Any, after: Any) -> bool:
        self.swaps += 1
        if self.fails:
            raise StorageError("write failed (blip)")
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


@pytest.mark.parametrize(
    ("fails", "why", "swaps"),
    [(True, "write failed (blip)", 1), (False, "other turns of the conversation kept coming", 64)],
)
def test_a_turn_whose_placeholders_cannot_be_kept_is_answered_but_not_stored(
    fails: bool, why: str, swaps: int, tmp_path: Path
) -> None:
    from servicebot import Bot, load_bot

    store = _Unswappable(open_store("sqlite:///turns.db", root=tmp_path), fails)
    bot = Bot(load_bot(REPO), offline=True, store=cast(Store, store))
    try:
        assert bot.reply("where is my order?", conversation_id="c").turn == 1  # nothing to keep
        reply = bot.reply("call me on 13800138000", conversation_id="c")
        assert reply.text and reply.turn is None and store.swaps == swaps
        assert any(f"placeholders not kept ({why}" in step.decision for step in reply.trace)
        assert "its placeholders could not be kept" in reply.trace[-1].decision
        # Stored, its [PHONE_1] would be given to the next number too.
        assert [t.customer_text for t in store.history("c")] == ["where is my order?"]
    finally:
        bot.close()


class _Together:
    """A store whose first ``turns`` placeholder reads wait for one another, so that every
    turn starts from the same placeholders, as turns of one conversation sent at once can."""

    def __init__(self, store: Store, turns: int) -> None:
        self.store, self._all_read = store, threading.Barrier(turns, timeout=30)
        self._reads, self._counting = 0, threading.Lock()

    def load_state(self, conversation_id: str) -> dict[str, Any] | None:
        state = self.store.load_state(conversation_id)
        with self._counting:
            self._reads += 1
            first_reads = self._reads <= self._all_read.parties
        if first_reads:
            self._all_read.wait()
        return state

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


@pytest.mark.parametrize(
    ("name", "asynchronous"),
    [
        ("memory", False),  # the memory store never waits: areply reads it on the event loop
        ("sqlite", False),
        ("sqlite", True),
        pytest.param("redis", False, marks=pytest.mark.redis),
        pytest.param("redis", True, marks=pytest.mark.redis),
    ],
)
def test_turns_of_one_conversation_at_once_give_each_number_its_own_placeholder(
    name: str,
    asynchronous: bool,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from servicebot import Bot, load_bot, turnstart

    # Each turn in a line of its own, as in processes of their own: within one, turns of a
    # conversation wait for each other (turnorder.py) and never load its placeholders at once.
    monkeypatch.setattr(turnstart, "_line_key", lambda bot, turn: object())
    # A burst of ten; three at once when asynchronous, as the sqlite store is read in
    # asyncio's default thread pool, which has as few as five threads on this machine.
    numbers = [f"13{n}00138000" for n in range(3 if asynchronous else 10)]
    url = backend(name, tmp_path, request)
    store = _Together(open_store(url, root=tmp_path, namespace=uuid.uuid4().hex), len(numbers))
    bot = Bot(load_bot(REPO), offline=True, store=cast(Store, store))
    try:
        if asynchronous:
            asyncio.run(_areplies(bot, [f"call me on {n}" for n in numbers]))
        else:
            texts = [f"call me on {n}" for n in numbers]
            assert at_once(*[lambda t=t: bot.reply(t, conversation_id="c") for t in texts]) == []
        stored = [t.customer_text for t in store.history("c")]
        placeholders = {text.removeprefix("call me on ") for text in stored}
        assert placeholders == {f"[PHONE_{n}]" for n in range(1, len(numbers) + 1)}, stored
        for number in numbers:  # and each number keeps its own in the turns after
            bot.reply(f"call me on {number}", conversation_id="c")
        again = [t.customer_text for t in store.history("c")][len(numbers) :]
        assert sorted(again) == sorted(stored)
    finally:
        bot.close()


async def _areplies(bot: Any, texts: list[str]) -> None:
    await asyncio.gather(*[bot.areply(text, conversation_id="c") for text in texts])
