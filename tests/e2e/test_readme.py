"""The README is what a newcomer trusts: its commands and settings table must be the real ones."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from servicebot import Settings
from servicebot.templates import TEMPLATE_NAMES
from servicebot.templatetree import TEMPLATE_VARIABLES
from tests.conftest import REPO
from tests.e2e.conftest import bot_on_server
from tests.openai_server import OpenAIServer

README = (REPO / "README.md").read_text(encoding="utf-8")


def quickstart_commands() -> list[str]:
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_quickstart_is_two_commands_and_ci_runs_the_second_verbatim() -> None:
    commands = quickstart_commands()
    assert len(commands) == 2
    assert commands[1].endswith("python -m pytest")
    assert commands[1] in (REPO / ".ci" / "run").read_text().splitlines()


def test_the_quickstart_chat_prints_what_the_readme_shows(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from servicebot.cli import main

    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    shown = section.split("says so:\n\n```\n", 1)[1].split("```", 1)[0].splitlines()
    asked = re.findall(r"printf '(.*?)'", quickstart_commands()[0])[0].replace("\\n", "\n")
    bot = tmp_path / "bot"
    CliRunner().invoke(main, ["init", str(bot)])
    result = CliRunner(env={"OPENAI_API_KEY": None}).invoke(
        main, ["chat", "--bot", str(bot)], input=asked
    )
    assert result.exit_code == 0, result.output
    printed = result.output.splitlines()
    assert printed[:-1] == shown[:-1]  # the last line names a new conversation's random id
    assert re.fullmatch(r"conversation \w+ \(continue it with --conversation\)", printed[-1])


def _settings_keys(model: type[BaseModel], prefix: str = "") -> dict[str, Any]:
    keys: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys |= _settings_keys(annotation, f"{prefix}{name}.")
        else:
            keys[f"{prefix}{name}"] = field.default
    return keys


def _readme_default(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"  # as YAML writes it
    if isinstance(value, tuple):
        return f"`[{', '.join(value)}]`"
    return f"`{value}`"


def test_every_setting_is_in_the_readme_with_its_default() -> None:
    rows = dict(re.findall(r"^\| `([a-z_.]+)` \| ([^|]+) \|", README, flags=re.MULTILINE))
    for key, default in _settings_keys(Settings).items():
        assert key in rows, f"README lacks the setting {key}"
        assert rows[key].strip() == _readme_default(default), key


def test_every_template_and_variable_is_in_the_readme() -> None:
    for name in [*TEMPLATE_NAMES, *TEMPLATE_VARIABLES]:
        assert f"| `{name}` |" in README, name


def test_the_filters_snippet_runs_as_shown(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from servicebot.cli import main

    block = README.split("### Placeholders")[0].rsplit("```python\n", 1)[1].split("```")[0]
    CliRunner().invoke(main, ["init", str(tmp_path / "bot")])
    namespace: dict[str, Any] = {}
    exec(block.replace('"path/to/bot"', repr(str(tmp_path / "bot"))), namespace)
    assert namespace["checked"].text == "我的手机号是[PHONE_1]，订单到哪了？"
    assert namespace["answer"].shown == "We'll text 13800138000 when it ships."
    namespace["store"].close()


def test_the_events_the_readme_names_are_as_str_prints_them() -> None:
    """It named a stopped stream's event `model caller stopped kept`; str(event) prints
    `caller stopped kept` (detector, kind and action, as every event's)."""
    from servicebot.filters import FilterEvent

    stopped = str(FilterEvent("model", "caller", "stopped", "kept"))
    assert f"with a `{stopped}` event" in README
    assert "`model caller stopped kept`" not in README


def test_the_async_snippet_runs_as_shown(
    server: OpenAIServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's areply / astream example, against the local server it tells how to use."""
    block = README.split("### API keys from code")[0].rsplit("```python\n", 1)[1].split("```")[0]
    assert "await bot.areply(" in block and "bot.astream(" in block
    bot = bot_on_server(server, tmp_path)
    settings = bot / "servicebot.yaml"
    text = settings.read_text("utf-8").replace("api_key_env: OPENAI_API_KEY", "api_key_env: null")
    settings.write_text(text, "utf-8")
    exec(block.replace('"path/to/bot"', repr(str(bot))), {})
    assert capsys.readouterr().out == (
        "You asked: Where is my order? answer\nYou asked: And when will it arrive?\nanswer\n"
    )


def test_the_chinese_word_lists_mask_and_keep_what_the_readme_says() -> None:
    import yaml

    from servicebot.filters.placeholders import Placeholders
    from servicebot.prefilter import Prefilter
    from servicebot.settings import PrefilterSettings

    section = README.split("### Chinese word lists", 1)[1].split("\n### ", 1)[0]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    prefilter = Prefilter(PrefilterSettings.model_validate(yaml.safe_load(block)["prefilter"]))
    for masked in ["他媽的", "他妈的", "幹你娘", "干你娘", "幹！", "你很87"]:
        assert "****" in prefilter.run(masked, Placeholders()).text, masked
    kept = ["餅乾", "洗乾淨", "干净", "若干", "干擾", "87折", "幹嘛", "能幹", "幹部", "樹幹"]
    kept += ["幹線", "台北七張站"]
    for text in kept:
        assert prefilter.run(text, Placeholders()).text == text
    for text in ["王八蛋", "脑残", "你這個傻逼"]:
        assert "****" in prefilter.run(text, Placeholders()).text, text
    for text in ["王八蛋糕", "电脑残留文件"]:
        assert prefilter.run(text, Placeholders()).text == text
    without_lists = Prefilter(PrefilterSettings())  # the built-in lists: English and Chinese
    assert without_lists.run("你個傻逼", Placeholders()).text == "你個****"
    english_only = Prefilter(PrefilterSettings(builtin_words=("en",)))
    assert english_only.run("他媽的", Placeholders()).text == "他媽的"
    assert "so a bot\nwith no `prefilter.words` masks `你個傻逼` too" in README


def test_the_replay_snippet_passes_run_after_run(bot: Path) -> None:
    """The README's in-code replay test, run twice as a test suite is: on the bot folder's own
    SQLite store its second run read the first one's turns as history, a request never
    recorded, and failed with ReplayMissError."""
    block = README.split("## Conversations and the store")[0].rsplit("```python\n", 1)[1]
    block = block.split("```")[0]
    assert "Replayer(" in block and 'open_store("memory://")' in block
    namespace: dict[str, Any] = {}
    exec(block.replace('"path/to/bot"', repr(str(bot))), namespace)
    for _ in range(2):
        namespace["test_refunds_are_answered_from_the_recording"]()
