"""`servicebot test`, `servicebot record` and the pytest plugin over the example bot's
scripted conversations (tests/conversations) and their recordings (tests/replies)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from servicebot.cli import main
from servicebot.config import load_bot
from servicebot.filters.pii import find_pii
from tests.conftest import REPO
from tests.openai_server import Fault, OpenAIServer

CONVERSATIONS = REPO / "tests" / "conversations"
REPLIES = REPO / "tests" / "replies"
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


# --- servicebot test -------------------------------------------------------------------------


def test_the_example_bot_passes_offline() -> None:
    assert len(NAMES) >= 15
    result = servicebot("test", "--bot", REPO)
    assert result.exit_code == 0, result.output
    for name in NAMES:
        assert re.search(rf"^ *{name} +\d+ +passed", result.output, re.M), name
    assert f"\n{len(NAMES)} passed" in result.output


def test_one_conversation_file_can_be_run_alone(bot: Path) -> None:
    result = servicebot("test", bot / "tests/conversations/handoff.yaml", "--bot", bot)
    assert result.exit_code == 0, result.output
    assert "handoff" in result.output and "\n1 passed" in result.output


def test_failures_are_listed_in_the_order_of_their_lines(bot: Path) -> None:
    conversation = bot / "tests/conversations/refund_with_faq_context.yaml"
    stages = "      stages: {routing: model, prompt: fitted, model: answered, postfilter: pass}\n"
    edit(conversation, stages, "")
    edit(
        conversation,
        "      action: answer\n",
        "      stages: {model: never}\n      action: direct\n",
    )
    output = servicebot("test", conversation, "--bot", bot).output
    where = re.escape(str(conversation))
    found = re.findall(rf"^{where}:(\d+): turn 1: expected (\w+)", output, re.M)
    assert [what for _, what in found] == ["stage", "action"]  # stages is written first
    assert [int(line) for line, _ in found] == sorted(int(line) for line, _ in found)


@pytest.mark.parametrize("answer", ["model_reply: Hello there!", "model_error: timeout"])
def test_a_model_answer_on_a_turn_that_asks_no_model_is_reported(bot: Path, answer: str) -> None:
    conversation = bot / "tests/conversations/direct_answers.yaml"
    edit(conversation, "  - customer: hi\n", f"  - customer: hi\n    {answer}\n")
    result = servicebot("test", conversation, "--bot", bot)
    assert result.exit_code == 1
    key = answer.partition(":")[0]
    assert (
        f"{conversation}:6: turn 1: expected a model call, as the turn gives a {key}\n"
        "    got no model call: the turn was answered direct"
    ) in result.output


def test_a_conversation_file_finds_its_bot_without_bot(
    bot: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # not a bot folder
    result = servicebot("test", bot / "tests/conversations/handoff.yaml")
    assert result.exit_code == 0, result.output
    assert "\n1 passed" in result.output


def test_a_bot_that_names_no_model_is_tested_as_it_answers_offline(bot: Path) -> None:
    edit(bot / "servicebot.yaml", "  name: gpt-4o-mini", "  # name: gpt-4o-mini")
    offline = bot / "tests/conversations/offline.yaml"
    offline.write_text(
        "turns:\n"
        "  - customer: how long do refunds take?\n"
        "    expect: {action: direct, intent: refund_status}\n"
        "  - customer: what is the capital of france\n"
        "    expect: {action: out_of_scope}\n",
        encoding="utf-8",
    )
    assert servicebot("test", offline, "--bot", bot).exit_code == 0
    result = servicebot("test", bot / "tests/conversations/refund_with_faq_context.yaml")
    assert result.exit_code == 1
    assert "no model call: the turn was answered direct (servicebot.yaml names no model" in (
        result.output
    )
    assert "recorded reply" not in result.output  # not sent to record, which needs a model
    cassettes = sorted((bot / "tests/replies").iterdir())
    for by_hand in ([], ["--by-hand"]):
        result = servicebot("record", "--bot", bot, "--yes", *by_hand)
        assert result.exit_code == 1 and "no model to record for" in result.output
    assert sorted((bot / "tests/replies").iterdir()) == cassettes  # none touched


def test_a_template_edit_fails_with_the_prompt_diff(bot: Path) -> None:
    edit(bot / "templates" / "system.j2", "friendly and brief", "warm and brief")
    result = servicebot("test", "--bot", bot)
    assert result.exit_code == 1
    assert "refund_with_faq_context" in result.output and "FAILED" in result.output
    assert re.search(rf"^ *-You are the .*{OLD_LINE}$", result.output, re.M)
    assert re.search(rf"^ *\+You are the .*{NEW_LINE}$", result.output, re.M)
    assert "servicebot record" in result.output  # what to do if the change is intended
    assert "direct_answers " in result.output  # conversations with no model call still pass
    assert re.search(r"^ *direct_answers +3 +passed", result.output, re.M)
    assert re.search(r"^ *refund_with_faq_context +0 of 1 run +FAILED", result.output, re.M)


def test_every_script_not_read_is_listed_as_not_run(bot: Path) -> None:
    # Only the first was labelled, and none was in the table.
    folder = bot / "tests/conversations"
    (folder / "broken_a.yaml").write_text("turns:\n  - custmer: hi\n", encoding="utf-8")
    (folder / "broken_b.yaml").write_text("", encoding="utf-8")
    output = servicebot("test", "--bot", bot).output
    assert re.search(r"^ *broken_a +- +NOT RUN +unknown key 'custmer'", output, re.M)
    assert re.search(r"^ *broken_b +- +NOT RUN +a conversation file is a mapping", output, re.M)
    assert f"NOT RUN: {folder / 'broken_a.yaml'}:2:" in output
    assert f"NOT RUN: {folder / 'broken_b.yaml'}:1:1:" in output
    assert "2 files not read" in output


def test_expected_and_missing_things_are_named_as_the_script_writes_them(bot: Path) -> None:
    conversation = bot / "tests/conversations/handoff.yaml"
    conversation.write_text(
        "turns:\n  - customer: I want to talk to a human\n"
        "    expect: {intent: null, stages: {model: answered}}\n",
        encoding="utf-8",
    )
    output = servicebot("test", conversation, "--bot", bot).output
    assert "turn 1: expected no intent\n    got intent talk_to_human (" in output
    assert "expected stage model to decide 'answered'\n    got no model stage in the turn's" in (
        output
    )


def test_a_stage_expected_not_to_run_is_checked(bot: Path) -> None:
    conversation = bot / "tests/conversations/handoff.yaml"
    conversation.write_text(
        "turns:\n  - customer: I want to talk to a human\n"
        "    expect: {action: handoff, stages: {model: null}}\n"
        "  - customer: a person please\n"
        "    expect: {stages: {routing: null}}\n",
        encoding="utf-8",
    )
    output = servicebot("test", conversation, "--bot", bot).output
    assert "turn 1" not in output  # the handoff asked no model: as expected
    assert re.search(r"turn 2: expected no routing stage\n    got stage routing: '", output)


def test_files_are_named_as_the_readme_shows_when_run_in_the_bot_folder(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With no --bot the bot was found as an absolute path, and every file was named by it.
    edit(bot / "templates" / "system.j2", "friendly and brief", "warm and brief")
    monkeypatch.chdir(bot)
    output = servicebot("test").output
    assert (
        "\ntests/conversations/refund_with_faq_context.yaml:5: turn 1: expected a recorded "
        "model reply for this turn\n"
        "    no recorded reply in tests/replies/refund_with_faq_context.yaml for this request"
    ) in output
    assert "The closest recorded request (tests/replies/refund_with_faq_context.yaml:4)" in output


def test_a_wrong_expectation_is_reported_with_its_line(bot: Path) -> None:
    conversation = bot / "tests/conversations/refund_with_faq_context.yaml"
    edit(conversation, "intent: refund_status", "intent: return_item")
    line = _line_of(conversation, "intent: return_item")
    result = servicebot("test", "--bot", bot)
    assert result.exit_code == 1
    assert re.search(
        r"^ *refund_with_faq_context +1 +FAILED +turn 1: expected", result.output, re.M
    )
    expected = f"{conversation}:{line}: turn 1: expected intent return_item\n"
    assert re.search(
        re.escape(expected) + r"    got intent refund_status \(0\.\d{3}\)\n", result.output
    )
    assert f"1 failed, {len(NAMES) - 1} passed" in result.output


def test_an_expected_intent_no_intent_is_named_says_so(bot: Path) -> None:
    conversation = bot / "tests/conversations/refund_with_faq_context.yaml"
    edit(conversation, "intent: refund_status", "intent: refund_stauts")
    result = servicebot("test", "--bot", bot)
    assert result.exit_code == 1
    expected = (
        r"turn 1: expected intent refund_stauts, but the bot has no intent of that name; this "
        r"turn went to refund_status \(0\.\d{3}\): did you mean it\?\n"
    )
    assert re.search(expected + r"    got intent refund_status \(0\.\d{3}\)\n", result.output)


def test_an_expected_intent_renamed_since_names_the_intent_the_turn_went_to(bot: Path) -> None:
    # It was "which no intent of the bot is named", with no word of where the turn went.
    edit(bot / "faq/payments.yaml", "- name: payment_methods", "- name: accepted_payments")
    conversation = bot / "tests/conversations/renamed.yaml"
    conversation.write_text(
        "turns:\n  - customer: what payment methods do you accept\n"
        "    expect: {action: direct, intent: payment_methods}\n",
        encoding="utf-8",
    )
    output = servicebot("test", conversation, "--bot", bot).output
    assert re.search(
        r"turn 1: expected intent payment_methods, but the bot has no intent of that name; "
        r"this turn went to accepted_payments \((0\.\d{3})\): was it renamed\?\n"
        r"    got intent accepted_payments \(\1\)\n",
        output,
    ), output
    assert "did you mean" not in output
    # A turn that went to no intent: the closest name, if one is close.
    edit(conversation, "what payment methods do you accept", "' '")  # blank: no intent, no model
    output = servicebot("test", conversation, "--bot", bot).output
    assert (
        "turn 1: expected intent payment_methods, but the bot has no intent of that name\n"
        "    got no intent"
    ) in output
    edit(conversation, "intent: payment_methods", "intent: payment_decline")
    output = servicebot("test", conversation, "--bot", bot).output
    assert (
        "turn 1: expected intent payment_decline, but the bot has no intent of that name "
        "(did you mean 'payment_declined'?)\n    got no intent"
    ) in output


def test_each_kind_of_expectation_is_checked(bot: Path) -> None:
    """A broken pipeline would fail these: each check reports what it expected and what came."""
    conversation = bot / "tests/conversations/phone_number_restored.yaml"
    edit(conversation, 'contains: ["call you on 13800138000"', 'contains: ["call you on 555"')
    edit(conversation, 'not_contains: ["[PHONE_1]"]', 'not_contains: ["48 hours"]')
    edit(conversation, "kind: PHONE, action: mask,", "kind: EMAIL, action: mask,")
    edit(
        conversation,
        'stored:\n        contains: ["[PHONE_1]"]',
        'stored:\n        contains: ["138"]',
    )
    edit(
        bot / "tests/conversations/refund_with_faq_context.yaml",
        'regex: "within \\\\d+ business days"',
        'regex: "within \\\\d+ weeks"',
    )
    result = servicebot("test", "--bot", bot)
    assert result.exit_code == 1
    output = result.output
    assert "turn 1: expected the reply to match 'within \\d+ weeks'" in output  # as typed
    assert "turn 1: expected the reply to contain 'call you on 555'" in output
    assert "turn 1: expected the reply not to contain '48 hours'" in output
    assert "turn 1: expected an event {stage=prefilter detector=pii kind=EMAIL" in output
    assert (
        "got {stage=prefilter detector=pii kind=PHONE action=mask placeholder=[PHONE_1]" in output
    )
    assert "turn 1: expected the stored turn to contain '138'" in output
    assert "the stored turn:\n    Please call me back on [PHONE_1], my parcel" in output


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "turns:\n  - customer: hi\n    expcet: {action: direct}\n",
            3,
            "unknown key 'expcet' (did you mean 'expect'?)",
        ),
        (
            "turns:\n  - customer: hi\n    expect:\n      action: directly\n",
            4,
            "'action': 'directly' is not allowed (did you mean 'direct'?)",
        ),
        (
            "turns:\n  - customer: hi\n    expect: {regex: '(unclosed'}\n",
            3,
            "'regex' is not a valid regular expression",
        ),
        (
            "turns:\n  - customer: hi\n    expect: {stages: {promt: truncated}}\n",
            3,
            "names no stage 'promt' (did you mean 'prompt'?)",
        ),
        (
            "turns:\n  - customer: hi\n  expect: {action: direct}\n",
            3,
            "YAML cannot read this line: check its indentation",
        ),
        (
            "turns:\n  - customer: hi\n    model_reply: Hello!\n    model_error: timeout\n",
            2,
            "gives both 'model_reply' and 'model_error': keep one",
        ),
        ("description: no turns\n", 1, "missing required key 'turns'"),
        ("- customer: hi\n", 1, "a conversation file is a mapping"),
        (
            "turns:\n  - customer: hi\n    expect: {stages: {prefilter: ''}}\n",
            3,
            "stage 'prefilter': an empty decision would match any decision",
        ),
    ],
)
def test_a_mistake_in_a_conversation_file_names_file_and_line(
    bot: Path, text: str, line: int, message: str
) -> None:
    broken = bot / "tests/conversations/broken.yaml"
    broken.write_text(text, encoding="utf-8")
    result = servicebot("test", "--bot", bot)
    assert result.exit_code == 1
    assert f"NOT RUN: {broken}:{line}:" in result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    # The other conversations still ran (one broken script stopped the whole run).
    others = len(list((bot / "tests/conversations").glob("*.yaml"))) - 1
    assert f"1 file not read, {others} passed" in result.output
    # Recording refuses to start: nothing is recorded while a script is broken.
    recorded = servicebot("record", "--by-hand", "--bot", bot)
    assert recorded.exit_code == 1 and f"Error: {broken}:{line}:" in recorded.output


def test_a_missing_conversations_folder_is_a_clear_error(tmp_path: Path, bot: Path) -> None:
    result = servicebot("test", tmp_path / "nowhere", "--bot", bot)
    assert result.exit_code == 1
    assert "nowhere: no such conversation file or folder" in result.output
    (tmp_path / "empty").mkdir()
    result = servicebot("test", tmp_path / "empty", "--bot", bot)
    assert result.exit_code == 1
    assert f"no conversations (*.yaml) in {tmp_path / 'empty'}" in result.output


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
    edit(bot / "templates" / "system.j2", "friendly and brief", "warm and brief")
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


# --- servicebot record -------------------------------------------------------------------------


def test_record_by_hand_reproduces_the_committed_cassettes(bot: Path) -> None:
    shutil.rmtree(bot / "tests" / "replies")
    result = servicebot("record", "--by-hand", "--bot", bot)
    assert result.exit_code == 0, result.output
    written = sorted(path.name for path in (bot / "tests" / "replies").iterdir())
    assert written == sorted(path.name for path in REPLIES.iterdir())
    for name in written:
        assert (bot / "tests/replies" / name).read_bytes() == (REPLIES / name).read_bytes(), name
    again = servicebot("record", "--by-hand", "--bot", bot)
    assert again.exit_code == 0
    for name in written:
        assert (bot / "tests/replies" / name).read_bytes() == (REPLIES / name).read_bytes(), name
    assert_clean(bot / "tests" / "replies", bot)


def test_every_committed_recording_is_written_by_hand_and_used() -> None:
    for cassette in REPLIES.glob("*.yaml"):
        assert (CONVERSATIONS / cassette.name).is_file(), f"{cassette.name}: no conversation"
        for entry in yaml.safe_load(cassette.read_text(encoding="utf-8"))["entries"]:
            assert set(entry["origin"]) == {"written_by_hand"}, cassette.name


def test_record_by_hand_replaces_stale_entries_and_skips_turns_without_a_model(bot: Path) -> None:
    replies = bot / "tests" / "replies"
    conversation = bot / "tests/conversations/refund_with_faq_context.yaml"
    edit(conversation, "customer: How long do refunds take?", "customer: How long do refunds last?")
    edit(conversation, "- How long do refunds take?", "- How long do refunds last?")
    shutil.copy2(replies / "out_of_scope.yaml", replies / "direct_answers.yaml")  # no model needed
    result = servicebot("record", "--by-hand", "--bot", bot)
    assert result.exit_code == 0, result.output
    refund = yaml.safe_load((replies / "refund_with_faq_context.yaml").read_text("utf-8"))
    (entry,) = refund["entries"]  # the entry for the old question is gone
    assert entry["request"]["messages"][-1]["content"] == "How long do refunds last?"
    assert not (replies / "direct_answers.yaml").exists()
    assert not (replies / "handoff.yaml").exists()


def test_record_by_hand_needs_a_reply_for_each_model_turn(bot: Path) -> None:
    conversation = bot / "tests/conversations/new_question.yaml"
    conversation.write_text(
        "turns:\n  - customer: how do i cancel an order\n    expect: {action: answer}\n",
        encoding="utf-8",
    )
    result = servicebot("record", "--by-hand", "--bot", bot)
    assert result.exit_code == 1
    assert f"Error: {conversation}:2: turn 1 needs the model, but has no 'model_reply'" in (
        result.output
    )
    assert "    - customer: how do i cancel an order" in result.output
    assert "Traceback" not in result.output
    assert not (bot / "tests/replies/new_question.yaml").exists()


def test_record_by_hand_writes_every_cassette_or_none(bot: Path) -> None:
    # It stopped at the first script it could not record, after rewriting the ones before it.
    changed = bot / "tests/conversations/refund_with_faq_context.yaml"
    edit(changed, "We issue your refund", "We send your refund")
    (bot / "tests/replies/model_outage.yaml").unlink()  # would be written again
    folder = bot / "tests/conversations"
    (folder / "zz_no_reply.yaml").write_text(
        "turns:\n  - customer: how do i cancel an order\n    expect: {action: answer}\n",
        encoding="utf-8",
    )
    (folder / "zz_wrong_route.yaml").write_text(
        "turns:\n  - customer: where is my order\n    expect: {action: direct}\n",
        encoding="utf-8",
    )
    result = servicebot("record", "--by-hand", "--bot", bot)
    assert result.exit_code == 1
    assert (
        f"Error: {folder / 'zz_no_reply.yaml'}:2: turn 1 needs the model, but has no 'model_reply'"
    ) in result.output
    assert (
        f"\n{folder / 'zz_wrong_route.yaml'}:2: turn 1: expected action direct, but routing "
    ) in result.output
    assert result.output.endswith(
        "\n2 conversations could not be recorded by hand, so no cassette was written: every "
        "one is as it was\n"
    )
    replies = sorted(path.name for path in (bot / "tests/replies").iterdir())
    assert replies == sorted(p.name for p in REPLIES.iterdir() if p.name != "model_outage.yaml")
    for name in replies:
        assert (bot / "tests/replies" / name).read_bytes() == (REPLIES / name).read_bytes(), name
    (folder / "zz_no_reply.yaml").unlink()
    (folder / "zz_wrong_route.yaml").unlink()
    assert servicebot("record", "--by-hand", "--bot", bot).exit_code == 0
    assert "We send your refund" in (bot / "tests/replies" / changed.name).read_text("utf-8")
    assert (bot / "tests/replies/model_outage.yaml").exists()


def test_record_without_an_api_key_is_a_clear_error(bot: Path) -> None:
    result = servicebot("record", "--bot", bot, "--yes")
    assert result.exit_code == 1
    assert "the environment variable OPENAI_API_KEY is not set" in result.output
    assert "Traceback" not in result.output


def test_record_asks_before_calling_the_model_and_records_it(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-for-the-local-server")
    conversation = bot / "tests/conversations/refund_with_faq_context.yaml"
    with OpenAIServer(validate=False) as server:
        _served_by(bot, server)
        server.responder = lambda body: (
            "Refunds are issued within 2 business days; your bank may take 5-10 business days."
        )

        declined = servicebot("record", conversation, "--bot", bot, input="n\n")
        assert declined.exit_code == 1
        assert f"model: gpt-4o-mini at {server.url}" in declined.output
        assert "up to 1 model call (1 customer turn in 1 conversation)" in declined.output
        assert "Record now? [y/N]" in declined.output and not server.requests

        result = servicebot("record", conversation, "--bot", bot, input="y\n")
        assert result.exit_code == 0, result.output
        assert len(server.requests) == 1
    cassette = yaml.safe_load(
        (bot / "tests/replies/refund_with_faq_context.yaml").read_text("utf-8")
    )
    (entry,) = cassette["entries"]
    assert entry["origin"]["recorded_from"] == "gpt-4o-mini"
    assert entry["response"]["content"].startswith("Refunds are issued within 2 business days")
    assert servicebot("test", conversation, "--bot", bot).exit_code == 0
    assert_clean(bot / "tests" / "replies", bot)


def _served_by(bot: Path, server: OpenAIServer) -> None:
    edit(
        bot / "servicebot.yaml",
        "  name: gpt-4o-mini",
        f"  name: gpt-4o-mini\n  base_url: {server.url}",
    )


def test_record_stops_when_the_model_fails_and_keeps_every_recording(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-for-the-local-server")
    with OpenAIServer(validate=False) as server:
        _served_by(bot, server)
        server.fail(*[Fault.status(503, retry_after=0.01)] * 10)  # more than the SDK retries
        result = servicebot("record", "--bot", bot, "--yes")
    assert result.exit_code == 1
    first = bot / "tests/conversations" / f"{NAMES[0]}.yaml"
    assert f"Error: {first}, turn 1: the model failed (server_error: " in result.output
    assert "recording stopped" in result.output and "Traceback" not in result.output
    for cassette in REPLIES.iterdir():  # no outage written over a good recording
        assert (bot / "tests/replies" / cassette.name).read_bytes() == cassette.read_bytes()


def test_record_keeps_a_scripted_outage_without_calling_the_model(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-for-the-local-server")
    (bot / "tests/replies/model_outage.yaml").unlink()
    with OpenAIServer(validate=False) as server:
        _served_by(bot, server)
        conversation = bot / "tests/conversations/model_outage.yaml"
        result = servicebot("record", conversation, "--bot", bot, "--yes")
        assert result.exit_code == 0, result.output
        assert not server.requests
    recorded = (bot / "tests/replies/model_outage.yaml").read_bytes()
    assert recorded == (REPLIES / "model_outage.yaml").read_bytes()


# --- no secrets and no customer PII in any recording --------------------------------------------

_API_KEY = re.compile(r"sk-[A-Za-z0-9_-]{8,}|Bearer ")
_PLACEHOLDER = re.compile(r"\[[A-Z_]+_\d+\]")
# The number invented_contacts_removed.yaml has the model invent, for the post-filter to remove.
_INVENTED = {("invented_contacts_removed.yaml", "555-867-5309")}


def assert_clean(replies: Path, bot: Path = REPO) -> None:
    """No API-key shapes and no PII in any cassette, except the bot's own contact details."""
    contact = load_bot(bot).settings.contact
    allowed = {contact.phone, contact.email, contact.website}
    cassettes = sorted(replies.glob("*.yaml"))
    for cassette in cassettes:
        assert not _API_KEY.search(cassette.read_text(encoding="utf-8")), cassette.name
        for text in _texts(yaml.safe_load(cassette.read_text(encoding="utf-8"))):
            for found in find_pii(text):
                value = text[found.start : found.end]
                if value in allowed or (cassette.name, value) in _INVENTED:
                    continue
                assert _PLACEHOLDER.fullmatch(value), f"{cassette.name}: {found.kind} {value!r}"


def _texts(cassette: dict[str, Any]) -> list[str]:
    texts = []
    for entry in cassette["entries"]:
        texts += [message["content"] for message in entry["request"]["messages"]]
        if entry.get("response"):
            texts.append(entry["response"]["content"])
    return texts


def test_no_recording_holds_a_secret_or_the_customers_pii() -> None:
    assert len(list(REPLIES.glob("*.yaml"))) >= 10
    assert_clean(REPLIES)


def test_the_pii_scan_would_catch_a_leak(tmp_path: Path) -> None:
    leaked = (REPLIES / "phone_number_restored.yaml").read_text(encoding="utf-8")
    (tmp_path / "leaky.yaml").write_text(leaked.replace("[PHONE_1]", "13800138000"), "utf-8")
    with pytest.raises(AssertionError, match=r"leaky\.yaml: PHONE '13800138000'"):
        assert_clean(tmp_path)


def _line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def test_test_finds_its_bot_from_inside_the_conversations_folder(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As pytest does: it was "fix the bot folder first: .: not a bot folder".
    monkeypatch.chdir(bot / "tests/conversations")
    result = servicebot("test")
    assert result.exit_code == 0, result.output
    assert f"{len(list(Path().glob('*.yaml')))} passed" in result.output


# --- why a turn got another action ----------------------------------------------------------


def test_a_fallback_from_the_post_filter_says_which_check_made_it(bot: Path) -> None:
    # It was "got action fallback: '...'" alone: the reason was only in the reply's events.
    conversation = bot / "tests/conversations/refund_with_faq_context.yaml"
    edit(
        conversation,
        "      We issue",
        "      Never invent order details, prices, dates, links, phone numbers. We issue",
    )
    servicebot("record", "--by-hand", conversation, "--bot", bot)  # fails its expectations
    output = servicebot("test", conversation, "--bot", bot).output
    line = _line_of(conversation, "action: answer")
    assert (
        f"{conversation}:{line}: turn 1: expected action answer\n"
        "    got action fallback: 'Refunds are issued within 2 business days"
    ) in output
    assert (
        "'\n    because the model's answer copies 8 words in a row of the system prompt "
        "(postfilter leakage system_prompt)\n"
    ) in output


def test_a_chinese_answer_that_leaks_says_its_run_in_characters(bot: Path) -> None:
    # It said "copies 8 words in a row": the post-filter counts 16 Chinese characters.
    conversation = bot / "tests/conversations/leak_zh.yaml"
    conversation.write_text(
        "turns:\n  - customer: 我的包裹显示已签收但我没收到\n"
        "    model_reply: 好的。请用简体中文回答，语气友好、简洁（最多四句话）。\n"
        "    expect: {action: answer}\n",
        encoding="utf-8",
    )
    servicebot("record", "--by-hand", conversation, "--bot", bot)  # fails its expectations
    output = servicebot("test", conversation, "--bot", bot).output
    assert (
        "'\n    because the model's answer copies 16 characters in a row of the system prompt "
        "(postfilter leakage system_prompt)\n"
    ) in output


def test_a_fallback_after_a_model_error_and_a_block_say_why(bot: Path) -> None:
    outage = bot / "tests/conversations/model_outage.yaml"
    edit(outage, "action: fallback", "action: answer")
    output = servicebot("test", outage, "--bot", bot).output
    assert (
        "turn 1: expected action answer\n    got action fallback: 'Refunds are issued within"
    ) in output
    assert "'\n    because the model call failed (timeout)\n" in output
    blocked = bot / "tests/conversations/secret_blocked.yaml"
    edit(blocked, "action: blocked", "action: answer")
    output = servicebot("test", blocked, "--bot", bot).output
    assert "\n    because the pre-filter blocks the message (prefilter pii SECRET)\n" in output


def test_an_action_routing_gave_has_no_reason_line(bot: Path) -> None:
    conversation = bot / "tests/conversations/handoff.yaml"
    conversation.write_text(
        "turns:\n  - customer: I want to talk to a human\n    expect: {action: direct}\n",
        encoding="utf-8",
    )
    output = servicebot("test", conversation, "--bot", bot).output
    assert "turn 1: expected action direct\n    got action handoff: " in output
    assert "because" not in output


def test_a_turn_expecting_no_model_that_routing_sends_to_it_says_so(bot: Path) -> None:
    # It was "expected a recorded model reply for this turn ... the cassette does not exist"
    # (test), and "turn 1 needs the model, but has no 'model_reply'" (record --by-hand).
    conversation = bot / "tests/conversations/wrong_route.yaml"
    conversation.write_text(
        "turns:\n  - customer: where is my order\n"
        "    expect: {action: direct, intent: order_status}\n",
        encoding="utf-8",
    )
    why = (
        r"routing sends this message to the model \(order_status 0\.\d{3}, which is not a "
        r"direct intent\)"
    )
    output = servicebot("test", conversation, "--bot", bot).output
    assert re.search(
        rf"{re.escape(str(conversation))}:3: turn 1: expected action direct\n"
        rf"    got a model call: {why}\n",
        output,
    ), output
    assert "recorded reply" not in output
    result = servicebot("record", "--by-hand", conversation, "--bot", bot)
    assert result.exit_code == 1
    assert re.search(
        rf"Error: {re.escape(str(conversation))}:2: turn 1: expected action direct, but {why}\n",
        result.output,
    ), result.output
    assert not (bot / "tests/replies/wrong_route.yaml").exists()
    edit(conversation, "where is my order", "can i pay with my visa card or something")
    edit(conversation, "intent: order_status", "intent: payment_methods")
    output = servicebot("test", conversation, "--bot", bot).output
    assert re.search(
        r"got a model call: routing sends this message to the model \(payment_methods "
        r"0\.\d{3}, below direct_threshold 0\.55\)\n",
        output,
    ), output


def test_a_turn_expecting_no_model_answered_from_its_recording_says_why(bot: Path) -> None:
    # It was "got action answer: '...'" alone, with no line saying where routing sent it.
    conversation = bot / "tests/conversations/wrong_route.yaml"
    conversation.write_text(
        "turns:\n  - customer: where is my order\n"
        "    model_reply: Please give me your 6-digit order number.\n"
        "    expect: {action: direct, intent: order_status}\n",
        encoding="utf-8",
    )
    servicebot("record", "--by-hand", conversation, "--bot", bot)  # fails its expectations
    assert (bot / "tests/replies/wrong_route.yaml").exists()
    output = servicebot("test", conversation, "--bot", bot).output
    assert re.search(
        rf"{re.escape(str(conversation))}:4: turn 1: expected action direct\n"
        r"    got action answer: 'Please give me your 6-digit order number\.'\n"
        r"    because routing sends this message to the model \(order_status 0\.\d{3}, which "
        r"is not a direct intent\)\n",
        output,
    ), output
    edit(conversation, "action: direct", "action: blocked")
    output = servicebot("test", conversation, "--bot", bot).output
    assert re.search(
        r"    because the pre-filter lets this message through \(pass\), and routing sends "
        r"this message to the model \(order_status 0\.\d{3}\)\n",
        output,
    ), output


def test_a_turn_out_of_scope_as_expected_still_needs_its_recording(bot: Path) -> None:
    conversation = bot / "tests/conversations/weather.yaml"
    conversation.write_text(
        "turns:\n  - customer: what is the weather in rome\n    expect: {action: out_of_scope}\n",
        encoding="utf-8",
    )
    output = servicebot("test", conversation, "--bot", bot).output
    assert "turn 1: expected a recorded model reply for this turn\n" in output
    result = servicebot("record", "--by-hand", conversation, "--bot", bot)
    assert "turn 1 needs the model, but has no 'model_reply'" in result.output
    conversation.write_text(
        "turns:\n  - customer: what is the weather in rome\n    expect: {action: handoff}\n",
        encoding="utf-8",
    )
    output = servicebot("test", conversation, "--bot", bot).output
    assert (
        "turn 1: expected action handoff\n    got a model call: routing sends this message to "
        "the model as out of scope (no intent at or above min_score 0.22; the closest is "
    ) in output
