"""Leases in the store (store/leases.py): one holder at a time across connections (two
processes' stores), a lease that runs out is taken over, and only its holder lets it go."""

from __future__ import annotations

import contextlib
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from servicebot.errors import StorageError, StorePausedError
from servicebot.store import Pause, Store, open_store
from servicebot.store.leases import Lease, lease_for
from tests.unit.storedturns import turn

STORES = ["sqlite", pytest.param("redis", marks=pytest.mark.redis)]


def _two_stores(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> list[Store]:
    """Two stores on one file or server, as two processes open it."""
    url = "sqlite:///turns.db" if name == "sqlite" else str(request.getfixturevalue("redis_url"))
    namespace = f"test-{uuid.uuid4().hex}"
    return [open_store(url, root=tmp_path, namespace=namespace) for _ in range(2)]


def _leases(stores: list[Store], seconds: float) -> tuple[Lease, Lease]:
    first, second = (lease_for(store, "c", "message m1", seconds) for store in stores)
    assert first is not None and second is not None
    return first, second


@pytest.mark.parametrize("name", STORES)
def test_a_lease_has_one_holder_until_it_lets_go(
    name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    first, second = _leases(_two_stores(name, tmp_path, request), 30)
    assert first.acquire()
    assert not second.acquire()
    first.release()
    assert second.acquire()
    assert not first.acquire()


@pytest.mark.parametrize("name", STORES)
def test_a_lease_that_ran_out_is_taken_over_and_kept_from_its_old_holder(
    name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A holder that died (or overran) loses the lease once it runs out; its late release
    leaves the new holder's alone."""
    first, second = _leases(_two_stores(name, tmp_path, request), 0.2)
    assert first.acquire()
    time.sleep(0.3)
    assert second.acquire()
    first.release()
    assert not first.acquire()


@pytest.mark.parametrize("name", STORES)
def test_a_holder_keeps_its_lease_by_taking_it_again(
    name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A turn running long takes its lease again (turnclaim.keep_leases): it holds it its
    time once more, from then. Redis refused the take (``SET NX``: the key was there)."""
    first, second = _leases(_two_stores(name, tmp_path, request), 0.4)
    assert first.acquire()
    time.sleep(0.25)
    assert first.left() < 0.2
    assert first.acquire()
    assert first.left() > 0.3
    time.sleep(0.25)  # past its first take's time
    assert not second.acquire()
    first.release()
    assert second.acquire()
    assert not first.acquire()


def test_a_lease_another_holds_is_refused_on_sqlite_without_the_write_lock(tmp_path: Path) -> None:
    """A turn waiting for another process's lease looks every 50 ms: each look took the
    file's write lock, so while a write held it (a long purge, another turn's), the look
    waited ``store.timeout`` and failed. Now it reads the lease first, beside the writer."""
    import sqlite3

    first, second = (
        open_store("sqlite:///turns.db", root=tmp_path, namespace="shop", timeout=0.5)
        for _ in range(2)
    )
    held, waiting = (lease_for(store, "c", "turns", 30) for store in (first, second))
    assert held is not None and waiting is not None and held.acquire()
    writer = sqlite3.connect(tmp_path / "turns.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        start = time.monotonic()
        assert not waiting.acquire()
        assert time.monotonic() - start < 0.25
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_store_of_one_process_has_no_leases() -> None:
    assert lease_for(open_store("memory://"), "c", "message m1", 1) is None


@pytest.mark.parametrize(("slow_counts", "paused"), [(True, True), (False, False)])
def test_only_a_slow_lease_failure_pauses_the_store_and_only_where_it_counts(
    slow_counts: bool, paused: bool
) -> None:
    """A lease is an extra command per turn: fast failures of it (a Redis server refusing
    connections) must not pause turns the store could serve; a slow one pauses them on Redis,
    but not on SQLite, whose reads work beside another process's write lock."""
    clock = [0.0]
    pause = Pause(clock=lambda: clock[0])

    def fail(seconds: float) -> bool:
        clock[0] += seconds
        raise StorageError("down")

    for _ in range(Pause.FAILURES):
        with pytest.raises(StorageError):
            pause.run_lease(lambda: fail(0.0), slow_counts=slow_counts)
    assert pause.run_lease(lambda: True, slow_counts=slow_counts)
    with pytest.raises(StorageError):
        pause.run_lease(lambda: fail(1.0), slow_counts=slow_counts)
    with pytest.raises(StorePausedError) if paused else contextlib.nullcontext():
        pause.run(lambda: None)


def test_a_purge_leaves_no_lease_a_dead_holder_left_on_sqlite(tmp_path: Path) -> None:
    """A lease row names its conversation, whose id may be the customer's phone number: a
    purge (an erasure request) takes those whose holder died with it, not at the next turn."""
    store = open_store("sqlite:///turns.db", root=tmp_path, namespace="shop")
    lease = lease_for(store, "+14155552671", "turns", 0.1)
    assert lease is not None and lease.acquire()  # and its process is killed: no release
    time.sleep(0.2)
    store.purge_conversation("c-other")
    store.close()
    assert b"+14155552671" not in (tmp_path / "turns.db").read_bytes()


class _SlowLease:
    """A lease whose takes each take ``pause`` seconds and fail ``refusals`` times first."""

    slow_counts = False

    def __init__(self, pause: float, refusals: int) -> None:
        self.pause, self.refusals = pause, refusals

    def acquire(self) -> bool:
        time.sleep(self.pause)
        self.refusals -= 1
        return self.refusals < 0

    def release(self) -> None:
        pass


@pytest.mark.parametrize(("pause", "refusals", "said"), [(0.12, 0, False), (0.0, 2, True)])
def test_a_hold_says_it_waited_only_when_another_turn_held_the_conversation(
    monkeypatch: pytest.MonkeyPatch, pause: float, refusals: int, said: bool
) -> None:
    """A first take that is slow (a Redis connection being opened) is no wait for another
    process's turn: the trace said "held after another process's turn" of a new conversation."""
    from types import SimpleNamespace

    from servicebot import turnclaim

    lease = _SlowLease(pause, refusals)
    monkeypatch.setattr(turnclaim, "lease_for", lambda *args: lease)
    turn: Any = SimpleNamespace(
        bot=SimpleNamespace(store_pause=Pause()),
        conversation_id="c",
        trace=[],
        leases=[],
        _opened=lambda: None,
    )
    turnclaim.hold_conversation(turn, 5.0)
    assert turn.leases == [lease]
    assert any("another process" in step.decision for step in turn.trace) is said


@pytest.mark.parametrize("name", STORES)
def test_a_conversation_named_after_anothers_lease_takes_nothing_of_it(
    name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """On Redis, conversation ``c:lease``'s turns were kept under the key of ``c``'s
    ``turns`` lease: every turn of ``c`` then waited the whole lease out, and while ``c``
    held it, a turn of ``c:lease`` could not be stored."""
    first, second = _two_stores(name, tmp_path, request)
    first.append_turn(turn("c:lease"))
    lease = lease_for(second, "c", "turns", 30)
    assert lease is not None and lease.acquire()
    first.append_turn(turn("c:lease", "again"))
    assert [t.customer_text for t in second.history("c:lease")] == ["hi", "again"]
    lease.release()
