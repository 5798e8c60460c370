"""`servicebot test` over the example bot's scripted conversations (tests/conversations) and
their recordings (tests/replies): what passes, and each failure as the operator reads it. How
each expectation is checked and named is test_conversations_expectations.py's."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from servicebot.config import BotSpec
from servicebot.stages import Stages
from tests.conftest import REPO
from tests.e2e.conftest import NAMES, NEW_LINE, OLD_LINE, edit, line_of, servicebot

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


def test_several_conversation_files_can_be_run_and_recorded_together(bot: Path) -> None:
    # "Got unexpected extra argument": the files a failed run names were run one at a time.
    scripts = [bot / "tests/conversations" / f"{name}.yaml" for name in ("handoff", "out_of_scope")]
    result = servicebot("test", *scripts, scripts[0])  # a file named twice runs once
    assert result.exit_code == 0, result.output
    assert re.search(r"^ *handoff +\d+ +passed", result.output, re.M)
    assert re.search(r"^ *out_of_scope +\d+ +passed", result.output, re.M)
    assert "\n2 passed" in result.output
    recorded = servicebot("record", "--by-hand", *scripts)
    assert recorded.exit_code == 0, recorded.output
    assert "\n2 passed" in recorded.output


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
    edit(bot / "templates" / "system.j2", OLD_LINE, NEW_LINE)
    result = servicebot("test", "--bot", bot)
    assert result.exit_code == 1
    assert "refund_with_faq_context" in result.output and "FAILED" in result.output
    assert re.search(rf"^ *-You are the .*{OLD_LINE}$", result.output, re.M)
    assert re.search(rf"^ *\+You are the .*{NEW_LINE}$", result.output, re.M)
    assert "servicebot record" in result.output  # what to do if the change is intended
    assert "direct_answers " in result.output  # conversations with no model call still pass
    assert re.search(r"^ *direct_answers +3 +passed", result.output, re.M)
    assert re.search(r"^ *refund_with_faq_context +0 of 1 run +FAILED", result.output, re.M)


def test_a_stale_recording_names_the_command_that_records_that_script_alone(bot: Path) -> None:
    # It said `servicebot record`: every script, hand-written cassettes replaced by live ones.
    edit(bot / "templates" / "system.j2", OLD_LINE, NEW_LINE)
    script = bot / "tests/conversations/refund_with_faq_context.yaml"
    output = servicebot("test", "--bot", bot).output
    assert f"If the change is intended, record it with `servicebot record {script}`" in output
    assert f"write it with `servicebot record --by-hand {script}`" in output
    assert servicebot("record", "--by-hand", script).exit_code == 0  # as the hint says
    assert servicebot("test", script).exit_code == 0


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


def test_files_are_named_as_the_readme_shows_when_run_in_the_bot_folder(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With no --bot the bot was found as an absolute path, and every file was named by it.
    edit(bot / "templates" / "system.j2", OLD_LINE, NEW_LINE)
    monkeypatch.chdir(bot)
    output = servicebot("test").output
    assert (
        "\ntests/conversations/refund_with_faq_context.yaml:5: turn 1: expected a recorded "
        "model reply for this turn\n"
        "    no recorded reply in tests/replies/refund_with_faq_context.yaml for this request"
    ) in output
    assert "The closest recorded request (tests/replies/refund_with_faq_context.yaml:4)" in output


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


@pytest.mark.parametrize("given", [".", "tests"])
def test_a_folder_holding_the_conversations_runs_them_alone(bot: Path, given: str) -> None:
    # `servicebot test mybot`, as `servicebot check mybot` is typed: it read servicebot.yaml,
    # every FAQ file and every recording as a script, "25 files not read", exit 1.
    result = servicebot("test", bot / given)
    assert result.exit_code == 0, result.output
    assert "NOT RUN" not in result.output
    assert f"\n{len(NAMES)} passed" in result.output
    recorded = servicebot("record", "--by-hand", bot / given)
    assert recorded.exit_code == 0, recorded.output


def test_test_finds_its_bot_from_inside_the_conversations_folder(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As pytest does: it was "fix the bot folder first: .: not a bot folder".
    monkeypatch.chdir(bot / "tests/conversations")
    result = servicebot("test")
    assert result.exit_code == 0, result.output
    assert f"{len(list(Path().glob('*.yaml')))} passed" in result.output


def test_a_script_whose_name_is_too_long_for_an_id_still_runs(bot: Path) -> None:
    # Its name (the path inside conversations/) is its conversation id only where it may be
    # one: 210 characters stopped the whole run with "conversation_id is 210 characters long".
    long = "a" * 210
    for folder in ("conversations", "replies"):
        shutil.copy2(
            bot / f"tests/{folder}/customer_name_and_history.yaml",
            bot / f"tests/{folder}/{long}.yaml",
        )
    result = servicebot("test", "--bot", bot)
    assert result.exit_code == 0, result.output
    assert f"\n{len(NAMES) + 1} passed" in result.output


def test_the_bot_is_built_once_for_all_its_conversations(
    bot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its routing index took 0.3 s a script at 470 intents: 5.4 s of a 7.9 s run.
    built: list[Path] = []
    build = Stages.build.__func__  # type: ignore[attr-defined]

    def counted(cls: type[Stages], spec: BotSpec) -> Stages:
        built.append(spec.root)
        return build(cls, spec)  # type: ignore[no-any-return]

    monkeypatch.setattr(Stages, "build", classmethod(counted))
    for command in (["test"], ["record", "--by-hand"]):
        built.clear()
        result = servicebot(*command, "--bot", bot)
        assert result.exit_code == 0, result.output
        assert built == [bot], command


def test_conversations_keep_their_own_store_and_answer_cache(bot: Path) -> None:
    # The example bot caches a repeated opening question's answer, and remembers a
    # conversation's earlier turns: a script never sees another script's.
    folder = bot / "tests/conversations"
    for name, reply in (("first", "Yes, in 3 days."), ("second", "Yes, in 9 days.")):
        (folder / f"{name}.yaml").write_text(
            "turns:\n"
            "  - customer: Do you ship to Canada?\n"
            f"    model_reply: {reply}\n"
            f"    expect: {{action: answer, contains: ['{reply.split()[2]}']}}\n",
            encoding="utf-8",
        )
    assert servicebot("record", "--by-hand", "--bot", bot).exit_code == 0
    for name in ("first", "second"):
        assert servicebot("test", folder / f"{name}.yaml", "--bot", bot).exit_code == 0
    result = servicebot("test", "--bot", bot)
    assert result.exit_code == 0, result.output
    assert re.search(r"^ *second +1 +passed", result.output, re.M)


def test_a_turn_added_at_the_end_is_said_to_have_no_recording(bot: Path) -> None:
    # It was a long diff against the turn before's recording, as if a prompt had changed.
    script = bot / "tests/conversations/shipping_follow_up.yaml"
    with script.open("a", encoding="utf-8") as file:
        file.write("  - customer: and how about Japan?\n    model_reply: Japan too.\n")
    result = servicebot("test", script)
    assert result.exit_code == 1
    line = line_of(script, "and how about Japan?")
    assert (
        f"{script}:{line}: turn 3: expected a recorded model reply for this turn\n"
        f"    got turn 3 has no recording: record it with `servicebot record {script}`"
    ) in result.output
    assert "--- recorded" not in result.output and "closest recorded" not in result.output
    assert servicebot("record", "--by-hand", script).exit_code == 0
    assert servicebot("test", script).exit_code == 0


def test_a_changed_prompt_still_shows_its_diff_in_a_later_turn(bot: Path) -> None:
    script = bot / "tests/conversations/shipping_follow_up.yaml"
    edit(script, "  - customer: and to Germany?", "  - customer: and to Austria?")
    result = servicebot("test", script)
    assert result.exit_code == 1
    assert "+and to Austria?" in result.output and "has no recording" not in result.output
