"""Shared test setup: nothing reaches beyond 127.0.0.1, and no real API key is ever used."""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import settings

if TYPE_CHECKING:
    from tests.redisserver import RedisServer

# The default draws the same examples every run, so the suite passes or fails on the code, not
# on which random texts came up; HYPOTHESIS_PROFILE=deep explores 20 times as many, afresh.
settings.register_profile("default", max_examples=150, derandomize=True)
settings.register_profile("deep", max_examples=3000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
EVALDATA = REPO.parent / "shared" / "evaldata"  # public datasets; see README "Development"


def pytest_report_header() -> str:
    """Say up front whether the public evaluation data is there: without it, the tests that
    read it are skipped, and a run that looks green has not checked against it."""
    if EVALDATA.is_dir():
        return f"public evaluation data: {EVALDATA}"
    return (
        f"public evaluation data: {EVALDATA} not found; the tests that read it are skipped "
        "(see README 'Development')"
    )


_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
            raise OSError(f"tests may not reach {host}: only 127.0.0.1 is allowed")
    return _connect(self, address)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("SERVICEBOT_HOME", str(tmp_path / "home"))


@pytest.fixture(autouse=True)
def _new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees the warnings said once per process as a new process would."""
    from servicebot import notices

    monkeypatch.setattr(notices, "_said", set())


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The redis-server .ci/run started (SERVICEBOT_TEST_REDIS_URL), or one of our own."""
    from tests.redisserver import RedisServer

    if url := os.environ.get("SERVICEBOT_TEST_REDIS_URL"):
        yield url
        return
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, to reconfigure or pause: stopped afterwards."""
    from tests.redisserver import RedisServer

    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process is not None:
        server.process.send_signal(signal.SIGCONT)  # a test may have paused it
    server.stop()


def run_python(
    code: str, *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None
) -> str:
    """Run ``code`` in a fresh Python process (in the repository); what it printed."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def at_once(*works: Callable[[], object]) -> list[BaseException]:
    """Run each of ``works`` in a thread of its own, all started together; what they raised."""
    errors: list[BaseException] = []

    def run(work: Callable[[], object]) -> None:
        try:
            work()
        except BaseException as exc:  # pragma: no cover - the caller asserts there are none
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
