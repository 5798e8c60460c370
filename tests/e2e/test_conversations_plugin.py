"""The pytest plugin over the example bot's scripted conversations: each a test, each with its
own recording, and a broken file or recording reported without a traceback."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import NAMES, NEW_LINE, OLD_LINE, edit, servicebot

# --- the pytest plugin -------------------------------------------------------------------------


def run_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "PYTEST_ADDOPTS")}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, str(folder)]
    return subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_pytest_plugin_runs_each_conversation_as_a_test(bot: Path) -> None:
    (bot / "tests" / "data").mkdir()
    (bot / "tests" / "data" / "settings.yaml").write_text("not: [a conversation\n")
    done = run_pytest(bot / "tests")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(NAMES)} passed" in done.stdout


def test_conversations_in_subfolders_run_each_with_its_own_recording(bot: Path) -> None:
    conversations, replies = bot / "tests" / "conversations", bot / "tests" / "replies"
    for folder, script in (("en", "refund_with_faq_context"), ("zh", "chinese_model_answers")):
        (conversations / folder).mkdir()
        shutil.copy2(conversations / f"{script}.yaml", conversations / folder / "refund.yaml")
    recorded = servicebot("record", "--by-hand", "--bot", bot)
    assert recorded.exit_code == 0, recorded.output
    english, chinese = (
        (replies / "en" / "refund.yaml").read_bytes(),
        (replies / "zh" / "refund.yaml").read_bytes(),
    )
    assert english != chinese and "我们".encode() in chinese
    assert not (replies / "refund.yaml").exists()
    result = servicebot("test", "--bot", bot)
    assert result.exit_code == 0, result.output
    for name in ("en/refund", "zh/refund"):
        assert re.search(rf"^ *{name} +\d+ +passed", result.output, re.M), name
    assert f"\n{len(NAMES) + 2} passed" in result.output
    done = run_pytest(bot / "tests" / "conversations")
    assert f"{len(NAMES) + 2} passed" in done.stdout, done.stdout + done.stderr


def test_a_conversation_keeps_its_recording_however_its_path_is_written(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversations = bot / "tests" / "conversations"
    (conversations / "zh").mkdir()
    script = "chinese_model_answers"
    shutil.copy2(conversations / f"{script}.yaml", conversations / "zh" / f"{script}.yaml")
    monkeypatch.chdir(conversations)
    recorded = servicebot("record", "--by-hand", "zh")
    assert recorded.exit_code == 0, recorded.output
    assert (bot / "tests" / "replies" / "zh" / f"{script}.yaml").is_file()
    monkeypatch.chdir(conversations / "zh")
    assert servicebot("test", ".").exit_code == 0
    monkeypatch.chdir(bot)
    result = servicebot("test")  # the top-level recording was not written over
    assert result.exit_code == 0, result.output


def test_two_scripts_that_would_share_a_recording_are_refused(bot: Path) -> None:
    scripts = bot / "tests" / "scripts"
    (scripts / "zh").mkdir(parents=True)
    for folder, script in (
        (scripts, "refund_with_faq_context"),
        (scripts / "zh", "chinese_model_answers"),
    ):
        shutil.copy2(bot / "tests" / "conversations" / f"{script}.yaml", folder / "refund.yaml")
    for command in ("record", "test"):
        result = (
            servicebot(command, "--by-hand", scripts)
            if command == "record"
            else servicebot(command, scripts)
        )
        assert result.exit_code == 1, result.output
        first, second = scripts / "refund.yaml", scripts / "zh" / "refund.yaml"
        assert f"{second}: has the name 'refund', as {first} has" in result.output
    assert not (bot / "tests" / "replies" / "refund.yaml").exists()


def test_a_script_named_bot_is_refused_and_the_bots_own_recording_kept(bot: Path) -> None:
    own = bot / "tests" / "replies" / "bot.yaml"  # what `servicebot chat` replays
    own.write_text("# the bot's own\nentries: []\n", encoding="utf-8")
    script = bot / "tests" / "conversations" / "bot.yaml"
    shutil.copy2(bot / "tests" / "conversations" / "refund_with_faq_context.yaml", script)
    kept = (
        f"{script}: the name 'bot' is kept for the bot's own recorded replies (bot.yaml in "
        "the replay.cassettes folder, tests/replies by default); rename the script"
    )
    for args in (("record", "--by-hand"), ("test",)):
        result = servicebot(*args, "--bot", bot)
        assert result.exit_code == 1, result.output
        assert kept in result.output
    assert own.read_text(encoding="utf-8") == "# the bot's own\nentries: []\n"
    assert re.search(r"^ *bot +- +NOT RUN", result.output, re.M)  # `test` runs the others
    assert f"1 file not read, {len(NAMES)} passed" in result.output


def test_a_broken_recording_fails_its_conversation_and_the_others_still_run(bot: Path) -> None:
    replies = bot / "tests" / "replies"
    for name in ("chinese_model_answers", "refund_with_faq_context"):
        edit(replies / f"{name}.yaml", "key: ", "key: [1] #")
    result = servicebot("test", "--bot", bot)
    assert result.exit_code == 1
    assert f"\n2 failed, {len(NAMES) - 2} passed" in result.output
    for name in ("chinese_model_answers", "refund_with_faq_context"):
        assert re.search(rf"^ *{name} +0 of \d+ run +FAILED", result.output, re.M), name
        assert f"{replies / name}.yaml:4:10: 'key' should be text, not a list" in result.output


def test_hidden_conversation_files_are_not_run(bot: Path) -> None:
    conversations = bot / "tests" / "conversations"
    (conversations / ".#direct_answers.yaml").write_text("garbage: [\n", "utf-8")
    (conversations / ".old").mkdir()
    (conversations / ".old" / "stale.yaml").write_text("garbage: [\n", "utf-8")
    result = servicebot("test", "--bot", bot)
    assert result.exit_code == 0, result.output
    done = run_pytest(conversations)
    assert f"{len(NAMES)} passed" in done.stdout, done.stdout + done.stderr


def test_the_pytest_plugin_runs_a_bot_with_no_settings_file(tmp_path: Path) -> None:
    bot = tmp_path / "minimal"  # every setting is optional: no servicebot.yaml
    (bot / "faq").mkdir(parents=True)
    (bot / "faq" / "hours.yaml").write_text(
        "intents:\n  - name: opening_hours\n    direct: true\n"
        "    examples: [when are you open, what are your opening hours, are you open on sunday]\n"
        "    answer: We are open 9:00-17:00, Monday to Friday.\n",
        "utf-8",
    )
    (bot / "templates").mkdir()
    for name in ("system", "handoff", "blocked", "out_of_scope"):
        (bot / "templates" / f"{name}.j2").write_text(f"The {name} reply.", "utf-8")
    conversations = bot / "tests" / "conversations"
    conversations.mkdir(parents=True)
    (conversations / "hours.yaml").write_text(
        "turns:\n  - customer: when are you open?\n"
        "    expect: {action: direct, contains: [Monday to Friday]}\n",
        "utf-8",
    )
    cli = servicebot("test", conversations)
    assert cli.exit_code == 0 and "1 passed" in cli.output, cli.output
    done = run_pytest(conversations)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr


def test_a_bot_inside_a_folder_named_conversations_runs_only_its_conversations(
    bot: Path, tmp_path: Path
) -> None:
    inside = tmp_path / "conversations" / "bot"
    inside.parent.mkdir()
    bot.rename(inside)
    done = run_pytest(inside)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(NAMES)} passed" in done.stdout  # not its faq/ files


def test_a_failing_conversation_shows_its_failures_and_diff_in_pytest(bot: Path) -> None:
    edit(bot / "templates" / "system.j2", OLD_LINE, NEW_LINE)
    edit(
        bot / "tests/conversations/direct_answers.yaml",
        "intent: greeting",
        "intent: thanks",
    )
    done = run_pytest(bot / "tests" / "conversations", "-rN")
    assert done.returncode == 1
    output = done.stdout
    assert re.search(rf"^ *-You are the .*{OLD_LINE}$", output, re.M)
    assert re.search(rf"^ *\+You are the .*{NEW_LINE}$", output, re.M)
    assert "turn 1: expected intent thanks\n    got intent greeting" in output
    assert "Traceback" not in output
    assert not re.search(r"servicebot/[\w/]+\.py:\d", output)  # none of our code's frames


def test_the_pytest_plugin_reports_a_broken_conversation_file_without_a_traceback(
    bot: Path,
) -> None:
    broken = bot / "tests/conversations/broken.yaml"
    broken.write_text("turns:\n  - customer: hi\n    expcet: {action: direct}\n", "utf-8")
    done = run_pytest(bot / "tests" / "conversations")
    assert done.returncode == 1
    assert f"{broken}:3:5: unknown key 'expcet' (did you mean 'expect'?)" in done.stdout
    assert "Traceback" not in done.stdout
    assert not re.search(r"servicebot/[\w/]+\.py:\d", done.stdout)  # none of our code's frames
    assert f"1 failed, {len(NAMES)} passed" in done.stdout


def test_the_pytest_plugin_leaves_yaml_outside_a_bot_alone(tmp_path: Path) -> None:
    elsewhere = tmp_path / "project" / "conversations"
    elsewhere.mkdir(parents=True)
    (elsewhere / "chat.yaml").write_text("messages: [hello]\n", "utf-8")
    done = run_pytest(tmp_path / "project")
    assert done.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, done.stdout


def test_the_pytest_plugin_leaves_a_project_with_a_faq_of_docs_alone(tmp_path: Path) -> None:
    project = tmp_path / "project"  # a faq/ of docs is no bot's, nor its conversations
    (project / "faq").mkdir(parents=True)
    (project / "faq" / "README.md").write_text("# docs\n", "utf-8")
    (project / "tests" / "conversations").mkdir(parents=True)
    (project / "tests" / "conversations" / "stories.yml").write_text("stories: []\n", "utf-8")
    done = run_pytest(project)
    assert done.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, done.stdout
    assert "no intents" not in done.stdout


def test_servicebot_via_runs_every_conversation_those_ways_under_pytest(bot: Path) -> None:
    # The plugin had no `servicebot test --via`: pytest ran each script's own ways alone.
    conversations = bot / "tests" / "conversations"
    script = ("-k", "shipping_follow_up")
    edit(conversations / f"{script[1]}.yaml", 'contains: ["7-14', 'contains: ["8-15')
    done = run_pytest(conversations, *script, "--servicebot-via=Stream, ASTREAM")
    assert done.returncode == 1, done.stdout + done.stderr
    for way in ["stream", "astream"]:
        assert f"turn 1 via {way}: expected the reply to contain" in done.stdout, way
    assert "turn 1 via areply" not in done.stdout
    (bot / "pytest.ini").write_text("[pytest]\nservicebot_via = all\n", encoding="utf-8")
    done = run_pytest(conversations, *script)
    for way in ["stream", "areply", "astream"]:
        assert f"turn 1 via {way}: expected the reply to contain" in done.stdout, way


@pytest.mark.parametrize(
    ("args", "ini", "said"),
    [
        (["--servicebot-via="], "", "--servicebot-via: '' is not a Bot method"),
        (["--servicebot-via", "reply,strem"], "", "--servicebot-via: 'strem' is not a Bot method"),
        ([], "strem", "servicebot_via (ini option): 'strem' is not a Bot method"),
    ],
)
def test_servicebot_via_refuses_a_way_it_does_not_know_before_any_test_runs(
    bot: Path, args: list[str], ini: str, said: str
) -> None:
    if ini:
        (bot / "pytest.ini").write_text(f"[pytest]\nservicebot_via = {ini}\n", encoding="utf-8")
    done = run_pytest(bot / "tests" / "conversations", *args)
    assert done.returncode == 4, done.stdout + done.stderr  # pytest's usage error
    assert said in done.stderr
    assert "give reply, stream, areply, astream (comma-separated), or all" in done.stderr
