"""A webhook's deliveries of one message reaching two worker processes at once (turnclaim.py):
two real processes on one SQLite file and on a real Redis, against the local model server,
whose answer takes long enough that both deliveries are under way together."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from servicebot.store import TurnRecord, open_store
from tests.conftest import REPO
from tests.e2e.conftest import KEY_ENV, STORES
from tests.openai_server import OpenAIServer


def _url(name: str, request: pytest.FixtureRequest) -> str:
    return "sqlite:///turns.db" if name == "sqlite" else str(request.getfixturevalue("redis_url"))


def _worker(
    url: str,
    root: Path,
    namespace: str,
    server: OpenAIServer,
    *message: str,
    slow: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    """A worker process with its bot built, waiting for the word to answer ``message`` (its
    id and words; by default "m1", the refunds question). ``slow``: REPLYWORKER_SLOW_* (see
    tests/replyworker.py)."""
    env = {**os.environ, KEY_ENV: "sk-e2e-not-a-real-key", **(slow or {})}
    args = [sys.executable, "-m", "tests.replyworker", url, str(root), namespace, server.url]
    args += message or ["m1"]
    worker = subprocess.Popen(
        args, cwd=REPO, env=env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert worker.stdout is not None and worker.stdout.readline() == "ready\n", worker.stderr
    return worker


def _turns(url: str, root: Path, namespace: str) -> list[TurnRecord]:
    store = open_store(url, root=root, namespace=namespace)
    try:
        return store.history("c")
    finally:
        store.close()


def _go(*workers: subprocess.Popen[str]) -> None:
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()


def _reply(worker: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    reply: dict[str, Any] = json.loads(out)
    return reply


@pytest.mark.parametrize("name", STORES)
def test_one_message_delivered_to_two_processes_at_once_is_answered_once(
    name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Both workers sent the message to the model (two answers, two turns stored): now one
    asks it, the other waits for its stored turn and returns the same text, repeated."""
    url, namespace = _url(name, request), f"test-{uuid.uuid4().hex}"
    with OpenAIServer(latency=1.0) as server:
        workers = [_worker(url, tmp_path, namespace, server) for _ in range(2)]
        _go(*workers)
        replies = [_reply(worker) for worker in workers]
        asked = len(server.requests)
    turns = _turns(url, tmp_path, namespace)
    assert asked == 1
    assert [turn.message_id for turn in turns] == ["m1"]
    assert replies[0]["text"] == replies[1]["text"] == turns[0].reply_text
    assert sorted(reply["repeated"] for reply in replies) == [False, True]
    assert [reply["turn"] for reply in replies] == [1, 1]


@pytest.mark.parametrize("name", STORES)
def test_a_delivery_whose_process_died_is_taken_over(
    name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The worker that claimed the message is killed while the model answers: its claim runs
    out (a turn's time: 4 s at the model and three store commands) and the other worker,
    which waited for it, answers the message itself, once."""
    url, namespace = _url(name, request), f"test-{uuid.uuid4().hex}"
    with OpenAIServer(latency=1.0) as server:
        first = _worker(url, tmp_path, namespace, server)
        second = _worker(url, tmp_path, namespace, server)
        _go(first)
        while not server.requests:  # the first has claimed it and asks the model
            pass
        _go(second)
        first.kill()
        first.communicate(timeout=10)
        reply = _reply(second)
        asked = len(server.requests)
    turns = _turns(url, tmp_path, namespace)
    assert asked == 2
    assert reply["repeated"] is False and reply["turn"] == 1
    assert [turn.reply_text for turn in turns] == [reply["text"]]


@pytest.mark.parametrize("name", STORES)
def test_turns_of_one_conversation_in_two_processes_are_taken_one_at_a_time(
    name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The second message reaches another worker while the first waits on the model: it
    waits for the first's stored turn, so the model reads the first message with it, and the
    turns are numbered as the messages came. Before, the second loaded no history."""
    url, namespace = _url(name, request), f"test-{uuid.uuid4().hex}"
    with OpenAIServer(latency=1.0) as server:
        first = _worker(url, tmp_path, namespace, server, "-", "My first message.")
        second = _worker(url, tmp_path, namespace, server, "-", "My second message.")
        _go(first)
        while not server.requests:  # the first holds the conversation, at the model
            pass
        _go(second)
        replies = [_reply(first), _reply(second)]
        asked = [
            [m["content"] for m in r.body["messages"] if m["role"] == "user"]
            for r in server.requests
        ]
    assert [reply["turn"] for reply in replies] == [1, 2]
    assert len(asked) == 2 and any("first" in said for said in asked[1])
    assert [turn.reply_text for turn in _turns(url, tmp_path, namespace)] == [
        reply["text"] for reply in replies
    ]


@pytest.mark.parametrize("name", STORES)
def test_a_turn_that_runs_past_its_time_keeps_its_message(
    name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The first worker takes 3 s before its model call (2.5 s): 5.5 s in all, past the 4.6 s
    its leases lasted. The second worker's delivery took the message over once they ran out,
    and asked the model again: two answers stored. Now the first keeps its leases before the
    model call, and the second waits for its stored turn and repeats it."""
    url, namespace = _url(name, request), f"test-{uuid.uuid4().hex}"
    with OpenAIServer(latency=2.5) as server:
        first = _worker(url, tmp_path, namespace, server, slow={"REPLYWORKER_SLOW_PREPARE": "3"})
        second = _worker(url, tmp_path, namespace, server)
        _go(first)
        time.sleep(1.0)  # the first holds the conversation and the message, preparing
        _go(second)
        replies = [_reply(first), _reply(second)]
        asked = len(server.requests)
    turns = _turns(url, tmp_path, namespace)
    assert asked == 1
    assert [turn.message_id for turn in turns] == ["m1"]
    assert [reply["repeated"] for reply in replies] == [False, True]
    assert replies[0]["text"] == replies[1]["text"] == turns[0].reply_text


@pytest.mark.parametrize("name", STORES)
def test_a_turn_whose_message_was_taken_over_stores_no_second_answer(
    name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The first worker's model call runs 6 s, past its leases' 4.6 s: the second worker's
    delivery takes the message over and answers it. The first then stored a second answer to
    it; now it finds the second's stored turn as it would store its own, and repeats it."""
    url, namespace = _url(name, request), f"test-{uuid.uuid4().hex}"
    with OpenAIServer(latency=0.2) as server:
        first = _worker(url, tmp_path, namespace, server, slow={"REPLYWORKER_SLOW_MODEL": "6"})
        second = _worker(url, tmp_path, namespace, server)
        _go(first)
        time.sleep(1.0)  # the first holds the conversation and the message, at the model
        _go(second)
        replies = [_reply(first), _reply(second)]
    turns = _turns(url, tmp_path, namespace)
    assert [turn.message_id for turn in turns] == ["m1"]
    assert [reply["repeated"] for reply in replies] == [True, False]
    assert replies[0]["text"] == replies[1]["text"] == turns[0].reply_text
    assert [reply["turn"] for reply in replies] == [1, 1]
