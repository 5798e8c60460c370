"""End-to-end fixtures: the local OpenAI-compatible server, shared by the modules that call it,
the example bot wired to it (``spec``, ``make_bot``, ``bot_on_server``) for Bot.reply tests,
OpenAIClients on it (``make_model``; what they send is ``modelcalls.py``'s),
the ``servicebot`` command run as an operator runs it (``run``, ``checked``, ``new_bot``) and
the ``wheel`` and ``sdist`` a packager builds,
and a copy of the example bot with its scripted conversations and recordings (``bot``)."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from servicebot import load_bot
from servicebot.budget.tokens import counter_for
from servicebot.cli import main
from servicebot.config import BotSpec
from servicebot.model import OpenAIClient
from servicebot.pipeline import Bot
from servicebot.settings import ModelSettings
from servicebot.store import Store, open_store
from servicebot.store.memory import MemoryStore
from tests.conftest import REPO
from tests.e2e.modelcalls import KEY, MODEL, MakeModel
from tests.openai_server import OpenAIServer

KEY_ENV = "SERVICEBOT_E2E_KEY"
REFUNDS = "How long does a refund take to show up on my card?"


@pytest.fixture(scope="session")
def running_server() -> Iterator[OpenAIServer]:
    counter_for("gpt-4o-mini", None)  # loaded once, here, like the OpenAPI spec (~1 s together)
    with OpenAIServer() as server:
        yield server


@pytest.fixture
def server(running_server: OpenAIServer) -> OpenAIServer:
    """The server, with no requests recorded, no faults queued, and the default replies."""
    running_server.reset()
    return running_server


@pytest.fixture(scope="module")
def spec() -> BotSpec:
    """The example bot at the repository root, loaded once a module."""
    return load_bot(REPO)


@pytest.fixture
def make_bot(spec: BotSpec, server: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Bots whose model is the local server (no retries), each closed after the test."""
    monkeypatch.setenv(KEY_ENV, "sk-e2e-not-a-real-key")
    bots: list[Bot] = []

    def make(store: Any = None, spec: BotSpec = spec, **model: Any) -> Bot:
        settings = spec.settings.model.model_copy(
            update={"base_url": server.url, "api_key_env": KEY_ENV, "max_retries": 0} | model
        )
        client = OpenAIClient(ModelSettings(**settings.model_dump()), spec.root / "servicebot.yaml")
        bot = Bot(spec, model=client, store=store or MemoryStore())
        bots.append(bot)
        return bot

    yield make
    for bot in bots:
        bot.close()


@pytest.fixture
def make_model(
    server: OpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MakeModel]:
    """OpenAIClients for the server; no retries and a 2 s timeout unless a test says otherwise.
    The key is read from KEY_ENV, unless passed as ``api_key``."""
    monkeypatch.setenv(KEY_ENV, KEY)
    made: list[OpenAIClient] = []

    def make(api_key: Any = None, **settings: Any) -> OpenAIClient:
        base: dict[str, Any] = {"name": MODEL, "base_url": server.url, "api_key_env": KEY_ENV}
        base |= {"timeout": 2.0, "max_retries": 0}
        file = tmp_path / "servicebot.yaml"
        model = OpenAIClient(ModelSettings(**(base | settings)), file, api_key=api_key)
        made.append(model)
        return model

    yield make
    for model in made:
        model.close()


def asked(server: OpenAIServer, index: int = -1) -> list[dict[str, str]]:
    """The messages of the server's ``index``-th request (the last by default)."""
    messages: list[dict[str, str]] = server.requests[index].body["messages"]
    return messages


def with_settings(spec: BotSpec, **sections: dict[str, Any]) -> BotSpec:
    """``spec`` with some settings changed: ``budget={"history_turns": 0}``."""
    settings = spec.settings.model_copy(
        update={
            name: getattr(spec.settings, name).model_copy(update=values)
            for name, values in sections.items()
        }
    )
    return dataclasses.replace(spec, settings=settings)


def bot_on_server(server: OpenAIServer, tmp_path: Path) -> Path:
    """A copy of the example bot whose model is the local test server."""
    bot = tmp_path / "bot"
    for name in ("faq", "templates"):
        shutil.copytree(REPO / name, bot / name)
    settings = (REPO / "servicebot.yaml").read_text("utf-8")
    settings = settings.replace("  timeout: 20\n", f"  timeout: 5\n  base_url: {server.url}\n")
    (bot / "servicebot.yaml").write_text(settings, "utf-8")
    return bot


# --- the servicebot command, for the test_example_bot*.py modules ---------------------------

SCRIPT = Path(sys.executable).parent / "servicebot"


def run(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def checked(target: Path, exit_code: int) -> str:
    """``servicebot check`` on the bot folder ``target``: its output, after its exit code."""
    result = CliRunner().invoke(main, ["check", str(target)])
    assert result.exit_code == exit_code, result.output
    return result.output


def with_model(tmp_path: Path, name: str) -> tuple[Path, str, int]:
    """A new bot whose model is ``name``: its servicebot.yaml, what ``check`` printed (it
    passes), and the line of ``name:``."""
    settings = new_bot(tmp_path) / "servicebot.yaml"
    edit(settings, "name: gpt-4o-mini", f"name: {name}")
    return settings, checked(settings.parent, 0), line_of(settings, f"name: {name}")


def new_bot(tmp_path: Path) -> Path:
    """A copy of the example bot in ``tmp_path / "bot"``, made by ``servicebot init``."""
    folder = tmp_path / "bot"
    result = CliRunner().invoke(main, ["init", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout, as a packager builds it (once a run)."""
    out = tmp_path_factory.mktemp("wheel")
    build = run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-w",
        str(out),
        str(REPO),
    )
    assert build.returncode == 0, build.stderr
    return next(out.glob("servicebot-*.whl"))


@pytest.fixture(scope="session")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The paths in the sdist built from this checkout, below its top folder (once a run)."""
    out = tmp_path_factory.mktemp("sdist")
    code = f"from hatchling.build import build_sdist; print(build_sdist({str(out)!r}))"
    build = run(sys.executable, "-c", code)
    assert build.returncode == 0, build.stderr
    with tarfile.open(out / build.stdout.strip()) as archive:
        return {name.partition("/")[2] for name in archive.getnames()}


# --- scripted conversations, for the test_conversations*.py modules -----------------------

CONVERSATIONS = REPO / "tests" / "conversations"
NAMES = sorted(path.stem for path in CONVERSATIONS.glob("*.yaml"))
OLD_LINE = "Reply in English, friendly and brief"
NEW_LINE = "Reply in English, warm and brief"


def servicebot(*args: str | Path, input: str | None = None) -> Result:
    return CliRunner().invoke(main, [str(arg) for arg in args], input=input)


@pytest.fixture
def bot(tmp_path: Path) -> Path:
    """A copy of the example bot with its conversations and recordings."""
    copy = tmp_path / "bot"
    copy.mkdir()
    shutil.copy2(REPO / "servicebot.yaml", copy / "servicebot.yaml")
    for folder in ("faq", "templates", "tests/conversations", "tests/replies"):
        shutil.copytree(REPO / folder, copy / folder)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def served_by(bot: Path, server: OpenAIServer) -> None:
    """Point ``bot`` (a copy of the example bot) at the local test ``server``."""
    edit(
        bot / "servicebot.yaml",
        "  name: gpt-4o-mini",
        f"  name: gpt-4o-mini\n  base_url: {server.url}",
    )


def line_of(path: Path, text: str) -> int:
    """The number of the first line of ``path`` that holds ``text``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


# The stores a test of what a conversation keeps runs on: a SQLite file and a real Redis.
STORES = ["sqlite", pytest.param("redis", marks=pytest.mark.redis)]


def open_test_store(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> Store:
    """A fresh store of kind ``name`` (one of STORES): a SQLite file in ``tmp_path``, or a
    namespace of its own on the tests' Redis server."""
    url = "sqlite:///turns.db" if name == "sqlite" else str(request.getfixturevalue("redis_url"))
    return open_store(url, root=tmp_path, namespace=f"test-{uuid.uuid4().hex}")


def read_streamed(bot: Bot, text: str, conversation_id: str, way: str) -> tuple[str, Any]:
    """What ``bot.stream`` (``way`` "stream") or ``bot.astream`` (any other) shows for
    ``text``, read to its end, and the stream (its ``reply`` set once read)."""
    if way == "stream":
        stream = bot.stream(text, conversation_id=conversation_id)
        return "".join(stream), stream

    async def read() -> tuple[str, Any]:
        stream = bot.astream(text, conversation_id=conversation_id)
        return "".join([piece async for piece in stream]), stream

    return asyncio.run(read())
