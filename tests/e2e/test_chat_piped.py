"""`servicebot chat` in its own process, with lines piped in: offline FAQ mode, a rejected key,
a model outage, and a template mistake only a turn reaches."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.e2e.conftest import bot_on_server, checked, edit
from tests.openai_server import Fault, OpenAIServer


def _chat(bot: Path, lines: str, key: str) -> subprocess.CompletedProcess[str]:
    """``servicebot chat`` in its own process, answering ``lines`` piped in."""
    return subprocess.run(
        [sys.executable, "-m", "servicebot", "chat", "--bot", str(bot)],
        input=lines,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(bot.parent), "OPENAI_API_KEY": key},
        timeout=60,
    )


def test_piped_lines_are_answered_offline_in_english_and_chinese(tmp_path: Path) -> None:
    bot = tmp_path / "bot"
    for name in ("faq", "templates"):
        shutil.copytree(REPO / name, bot / name)
    shutil.copy(REPO / "servicebot.yaml", bot / "servicebot.yaml")
    lines = "how long do refunds take?\n退货政策是什么？\nI want to talk to a human\n"
    result = subprocess.run(
        [sys.executable, "-m", "servicebot", "chat", "--bot", str(bot)],
        input=lines,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.splitlines()[0].startswith("offline FAQ mode (OPENAI_API_KEY is not set)")
    assert "[direct refund_status" in out and "[direct return_item" in out
    assert "[handoff talk_to_human" in out
    assert "Traceback" not in out + result.stderr


def test_chat_goes_offline_when_the_server_rejects_the_key(
    server: OpenAIServer, tmp_path: Path
) -> None:
    bot = bot_on_server(server, tmp_path)
    server.fail(Fault.status(401))
    lines = "Can I change the delivery address of my order?\nI want to talk to a human\n"
    result = _chat(bot, lines, key="sk-rejected")
    # The chat goes on from the FAQ, and then exits with an error: it exited 0, and a script
    # piping lines in took the FAQ's answers for the model's.
    assert result.returncode == 1, result.stderr
    assert result.stderr.rstrip().endswith(
        "Error: the model could not be used (see above): the FAQ answered after it"
    )
    # The operator's error is said on standard error, as other errors are: it was printed on
    # the "bot>" line, in brackets, as though the bot had answered it.
    assert result.stderr.startswith("error: the model cannot be used: ")
    assert "rejected the API key" in result.stderr and "offline FAQ mode" in result.stderr
    assert result.stderr.count("cannot be used") == 1  # the logger's error is not said again
    assert "rejected the API key" not in result.stdout and "cannot be used" not in result.stdout
    lines_out = result.stdout.splitlines()
    assert lines_out[1].startswith('bot> While the order status is "Processing"')  # the fallback
    # Shown once: the stream shows the whole reply before it raises the setup error.
    assert result.stdout.count('While the order status is "Processing"') == 1, result.stdout
    assert "[handoff talk_to_human" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    # The first message is stored once, with the fallback shown: not answered again offline.
    assert "; the model failed (config_error)]" in result.stdout and "turn 2]" in result.stdout


def test_chat_exits_with_an_error_after_an_account_out_of_credit(
    server: OpenAIServer, tmp_path: Path
) -> None:
    bot = bot_on_server(server, tmp_path)
    server.fail(Fault.status(402, body='{"error": {"message": "Insufficient Balance"}}'))
    result = _chat(bot, "How long do refunds take?\nI want to talk to a human\n", key="sk-t")
    assert result.returncode == 1, result.stderr
    assert "wants payment (402: 'Insufficient Balance')" in result.stderr
    assert "[handoff talk_to_human" in result.stdout  # the chat went on from the FAQ


def test_at_a_terminal_the_rejected_key_is_said_on_a_line_of_its_own(
    server: OpenAIServer, tmp_path: Path
) -> None:
    # At a terminal "bot> " is shown while the model is asked; the error must not follow it.
    bot = bot_on_server(server, tmp_path)
    server.fail(Fault.status(401))
    leader, follower = os.openpty()
    try:
        chat = subprocess.Popen(
            [sys.executable, "-m", "servicebot", "chat", "--bot", str(bot)],
            stdin=subprocess.PIPE,
            stdout=follower,
            stderr=follower,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OPENAI_API_KEY": "sk-no"},
        )
        os.close(follower)
        assert chat.stdin is not None
        chat.stdin.write(b"Can I change the delivery address of my order?\n")
        chat.stdin.close()
        screen = _read_all(leader).decode()  # read as it comes: a full terminal would block it
        chat.wait(timeout=60)
    finally:
        os.close(leader)
    assert chat.returncode == 1, screen
    # What the terminal shows: each carriage return starts the line over.
    shown = [line.rsplit("\r", 1)[-1] for line in screen.split("\r\n")]
    error = next(i for i, line in enumerate(shown) if "rejected the API key" in line)
    assert shown[error].startswith("error: the model cannot be used: "), shown
    assert shown[error + 1].startswith("offline FAQ mode:")
    # The fallback was shown, once, before the error: not again after it.
    assert shown[error - 1].startswith('bot> While the order status is "Processing"'), shown
    assert screen.count('While the order status is "Processing"') == 1, shown


def _read_all(fd: int) -> bytes:
    """Everything written to a terminal, read from its other end until every writer closed it
    (or nothing came for 60 s)."""
    read = b""
    while select.select([fd], [], [], 60)[0]:
        try:
            piece = os.read(fd, 4096)
        except OSError:  # EIO: the last writer is gone
            return read
        if not piece:
            return read
        read += piece
    return read


def test_chat_says_when_a_fallback_was_a_model_outage(server: OpenAIServer, tmp_path: Path) -> None:
    bot = bot_on_server(server, tmp_path)
    server.fail(*[Fault.status(503, retry_after=0.01)] * 10)  # more than the SDK retries
    result = _chat(bot, "How long do refunds take?\n", key="sk-test")
    assert result.returncode == 0, result.stderr
    assert "[fallback (answer) refund_status" in result.stdout
    assert "; the model failed (server_error)]" in result.stdout


def test_chat_says_the_loggers_warnings_after_the_turn(
    server: OpenAIServer, tmp_path: Path
) -> None:
    """A rejected request's words were logged where chat showed nothing: only "rejected"."""
    bot = bot_on_server(server, tmp_path)
    refused = '{"error": {"message": "Range of max_tokens should be [1, 8192]"}}'
    server.fail(Fault.status(400, body=refused))
    result = subprocess.run(
        [sys.executable, "-m", "servicebot", "chat", "--bot", str(bot)],
        input="How long do refunds take?\n",
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one stream, to see the order
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OPENAI_API_KEY": "sk-t"},
        timeout=60,
    )
    assert result.returncode == 0, result.stdout
    said = result.stdout.splitlines()
    (warning,) = [line for line in said if "the model did not answer" in line]
    assert warning.startswith("warning: conversation ") and "should be [1, 8192]" in warning
    assert said.index(warning) > next(i for i, line in enumerate(said) if "[fallback" in line)


def test_chat_stops_at_a_template_mistake_a_turn_finds(
    server: OpenAIServer, tmp_path: Path
) -> None:
    bot = bot_on_server(server, tmp_path)
    system = bot / "templates" / "system.j2"
    mistake = (  # only a turn about refunds reaches it: the start-up check cannot
        '{% set n = "__cla" ~ "ss__" %}{% for intent in intents %}'
        '{% if intent.name == "refund_status" %}{{ intent|attr(n) }}{% endif %}{% endfor %}\n'
    )
    system.write_text(system.read_text("utf-8") + mistake, "utf-8")
    result = _chat(bot, "hello\nhow long does my refund take?\nhello again\n", key="sk-test")
    lines = len(system.read_text("utf-8").splitlines())
    assert result.returncode == 1
    assert f"{system}:{lines}: template failed while rendering" in result.stderr
    assert "[direct greeting" in result.stdout and "hello again" not in result.stdout
    assert "offline FAQ mode" not in result.stdout  # the model was not to blame
    assert "Traceback" not in result.stdout + result.stderr
    assert "Recursion" not in result.stdout + result.stderr


def test_a_server_that_takes_no_key_needs_none_in_the_environment(
    server: OpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = bot_on_server(server, tmp_path)
    edit(bot / "servicebot.yaml", "api_key_env: OPENAI_API_KEY", "api_key_env: null")
    monkeypatch.setenv("SERVICEBOT_PII_KEY", "a-secret")  # its warning is not this test's
    assert "warning" not in checked(bot, 0)  # no "OPENAI_API_KEY is not set"
    result = _chat(bot, "Can I change the delivery address of my order?\n", key="")
    assert result.returncode == 0, result.stderr
    assert "offline FAQ mode" not in result.stdout
    assert "You asked: Can I change the delivery address" in result.stdout  # the model's answer
    assert server.requests[0].headers["authorization"] == "Bearer no-key"
