"""`servicebot chat` and `servicebot check` on a bot set to ``replay.mode``: replaying the
bot's own recordings (``<replay.cassettes>/bot.yaml``), or recording them from the model."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from servicebot.replay import BOT_RECORD_HINT
from tests.conftest import REPO
from tests.openai_server import OpenAIServer

ASKED = "Can I change the delivery address of my order?"  # routed to the model
DIRECT = "thanks"  # answered from the FAQ: no model, no recording


def _bot(tmp_path: Path, server: OpenAIServer, mode: str) -> Path:
    """A copy of the example bot on the local test server, its replies kept in replies/."""
    bot = tmp_path / "bot"
    if not bot.exists():
        for name in ("faq", "templates"):
            shutil.copytree(REPO / name, bot / name)
    settings = (REPO / "servicebot.yaml").read_text("utf-8")
    settings = settings.replace("  timeout: 20\n", f"  timeout: 5\n  base_url: {server.url}\n")
    settings += f"\nreplay:\n  mode: {mode}\n  cassettes: replies\n"
    (bot / "servicebot.yaml").write_text(settings, "utf-8")
    return bot


def _env(bot: Path, key: str | None) -> dict[str, str]:
    """The environment of a ``servicebot`` process: OPENAI_API_KEY set only to ``key``; a
    placeholder key, as where a bot runs."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(bot.parent), "SERVICEBOT_PII_KEY": "k"}
    if key is not None:
        env["OPENAI_API_KEY"] = key
    return env


def _run(
    bot: Path, *command: str, lines: str = "", key: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``servicebot COMMAND BOT`` in its own process, with OPENAI_API_KEY set only to ``key``."""
    env = _env(bot, key)
    return subprocess.run(
        [sys.executable, "-m", "servicebot", *command, str(bot)],
        input=lines,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_chat_reports_a_miss_for_its_message_and_goes_on(
    server: OpenAIServer, tmp_path: Path
) -> None:
    bot = _bot(tmp_path, server, "replay")
    result = _run(bot, "chat", "--bot", lines=f"{ASKED}\n{DIRECT}\n{ASKED} Today?\n", key="sk-test")
    assert result.returncode == 1
    out = result.stdout.splitlines()
    # The miss is an error for its message, not the bot's answer; the next one is answered.
    assert out[out.index(f"you> {ASKED}") + 1] == f"you> {DIRECT}"
    assert out[out.index(f"you> {DIRECT}") + 1].startswith("bot> You're welcome")
    assert "[direct thanks" in result.stdout and "no recorded reply" not in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2 and all("no recorded reply in" in line for line in errors)
    assert result.stderr.rstrip().endswith(
        "Error: 2 messages were not answered: no recorded reply to replay"
    )
    assert not server.requests  # replay: nothing reached the model


def _record_one_answer(server: OpenAIServer, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``chat`` in record mode, asked ASKED once: the bot's own cassette holds its answer."""
    server.responder = lambda body: "Yes, until it ships: write to us with the new address."
    recorded = _run(
        _bot(tmp_path, server, "record"), "chat", "--bot", lines=f"{ASKED}\n", key="sk-test"
    )
    assert recorded.returncode == 0, recorded.stderr
    return recorded


def test_chat_replays_what_it_recorded_without_an_api_key(
    server: OpenAIServer, tmp_path: Path
) -> None:
    recorded = _record_one_answer(server, tmp_path)
    assert f"bot> {server.responder({})}" in recorded.stdout and len(server.requests) == 1
    replayed = _run(_bot(tmp_path, server, "replay"), "chat", "--bot", lines=f"{ASKED}\n")
    assert replayed.returncode == 0, replayed.stderr
    assert "offline FAQ mode" not in replayed.stdout
    assert f"bot> {server.responder({})}" in replayed.stdout and len(server.requests) == 1


def test_chat_says_a_miss_in_one_line_without_the_diff(
    server: OpenAIServer, tmp_path: Path
) -> None:
    # Each unrecorded message printed a ~30-line diff against the closest recording: useful
    # to a test that changed a prompt, noise to someone trying the bot.
    _record_one_answer(server, tmp_path)
    replayed = _run(_bot(tmp_path, server, "replay"), "chat", "--bot", lines="write me a poem\n")
    assert replayed.returncode == 1
    errors = replayed.stderr.splitlines()
    assert len(errors) == 2 and errors[1].startswith("Error: 1 message was not answered")
    assert errors[0].startswith("error: not answered: no recorded reply in ")
    assert errors[0].endswith(f"; {BOT_RECORD_HINT}")


def test_the_bots_own_recordings_say_what_writes_them(server: OpenAIServer, tmp_path: Path) -> None:
    # Its header said "`servicebot test` answers from them ... `servicebot record` rewrites
    # this file": neither command reads or writes the bot's own cassette.
    recorded = _run(
        _bot(tmp_path, server, "record"), "chat", "--bot", lines=f"{ASKED}\n", key="sk-test"
    )
    assert recorded.returncode == 0, recorded.stderr
    text = (tmp_path / "bot" / "replies" / "bot.yaml").read_text("utf-8")
    header = text[: text.index("entries:")]
    assert "servicebot test" not in header and "servicebot record" not in header
    assert "replay.mode: replay in servicebot.yaml, the\n# bot (`servicebot chat`" in header
    assert (
        "\n# The bot run with replay.mode: record adds the model's replies to this file" in header
    )


def test_check_wants_the_api_key_to_record_but_not_to_replay(
    server: OpenAIServer, tmp_path: Path
) -> None:
    replaying = _run(_bot(tmp_path, server, "replay"), "check")
    assert replaying.returncode == 0 and "OPENAI_API_KEY" not in replaying.stderr
    recording = _run(_bot(tmp_path, server, "record"), "check")
    assert recording.returncode == 0 and "OPENAI_API_KEY is not set" in recording.stderr


def test_check_warns_of_replaying_a_bot_with_nothing_recorded(
    server: OpenAIServer, tmp_path: Path
) -> None:
    # `check` said ok, then `chat` left every message that needs the model unanswered.
    cassette = tmp_path / "bot" / "replies" / "bot.yaml"
    replaying = _run(_bot(tmp_path, server, "replay"), "check")
    assert replaying.returncode == 0 and replaying.stdout.startswith("ok: ")
    assert replaying.stderr.splitlines() == [
        f"warning: {tmp_path / 'bot' / 'servicebot.yaml'}: replay.mode is replay but "
        f"{cassette} does not exist, so no message that needs the model can be answered; "
        f"{BOT_RECORD_HINT}"
    ]
    server.responder = lambda body: "Yes, until it ships: write to us with the new address."
    _run(_bot(tmp_path, server, "record"), "chat", "--bot", lines=f"{ASKED}\n", key="sk-test")
    recorded = _run(_bot(tmp_path, server, "replay"), "check")
    assert recorded.returncode == 0 and cassette.exists() and recorded.stderr == ""


def test_chat_says_first_that_it_replays_or_records(server: OpenAIServer, tmp_path: Path) -> None:
    cassette = tmp_path / "bot" / "replies" / "bot.yaml"
    replaying = _run(_bot(tmp_path, server, "replay"), "chat", "--bot", lines=f"{DIRECT}\n")
    assert replaying.stdout.splitlines()[0] == (
        f"replaying recorded replies from {cassette} (replay.mode: replay): nothing reaches a model"
    )
    recording = _run(
        _bot(tmp_path, server, "record"), "chat", "--bot", lines=f"{DIRECT}\n", key="sk-test"
    )
    assert recording.stdout.splitlines()[0] == (
        f"recording the model's replies into {cassette} (replay.mode: record)"
    )


@pytest.mark.parametrize(
    "mode", [pytest.param('"off"', id="live"), pytest.param("record", id="recording")]
)
def test_chat_shows_bot_before_a_live_model_answers(
    server: OpenAIServer, tmp_path: Path, mode: str
) -> None:
    # "bot> " came only with the reply's first piece: the customer saw nothing while waiting.
    asked, release = threading.Event(), threading.Event()

    def held(body: dict[str, Any]) -> str:
        asked.set()
        release.wait(30)
        return "Yes, until it ships."

    server.responder = held
    bot = _bot(tmp_path, server, mode)
    chat = subprocess.Popen(
        [sys.executable, "-m", "servicebot", "chat", "--bot", str(bot)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(bot, "sk-test"),
    )
    try:
        assert chat.stdin is not None and chat.stdout is not None
        chat.stdin.write(f"{ASKED}\n".encode())
        chat.stdin.flush()  # read and answered at once; communicate() ends the input
        assert asked.wait(30), "the model was never asked"
        shown = _read_until(chat.stdout.fileno(), b"bot> ", seconds=3)
        assert shown.endswith(f"you> {ASKED}\nbot> ".encode()), shown  # the model still waits
    finally:
        release.set()
        out, _ = chat.communicate(timeout=60)
    assert chat.returncode == 0
    assert out.decode().startswith("Yes, until it ships.\n")


def _read_until(fd: int, wanted: bytes, seconds: float) -> bytes:
    """What the process writes to ``fd`` until it ends with ``wanted``, or ``seconds`` pass."""
    read, deadline = b"", time.monotonic() + seconds
    while not read.endswith(wanted) and (left := deadline - time.monotonic()) > 0:
        if select.select([fd], [], [], left)[0]:
            if not (piece := os.read(fd, 4096)):
                break
            read += piece
    return read
