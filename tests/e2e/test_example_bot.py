"""The ``servicebot`` command as an operator uses it, over the example bot and a fresh folder:
finding the bot and the mistakes ``check`` reports. ``init`` and the installed wheel are
test_example_bot_init.py's."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from servicebot.cli import main
from tests.conftest import DATA, REPO, run_python
from tests.e2e.conftest import SCRIPT, checked, line_of, new_bot, run
from tests.unit.basebot import make_bot


def test_check_on_the_example_bot_prints_one_summary_line() -> None:
    result = run(str(SCRIPT), "check", ".")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    assert result.stdout.startswith("ok: Maple Market support: ")
    assert "templates, languages en, zh" in result.stdout


_STARTUP = """
import sys
from servicebot.cli import main
try:
    main(["check", "."])
except SystemExit:
    pass
from servicebot import faqchecks, replay, source
from servicebot.filters import cjkwords, disguises, injection, labelspans, runon, writtenemails
from servicebot.postfilter import contacts, controls, links, written
from servicebot.routing import scripts
lazy = [links._url, links.script_link, injection._pattern, runon._run_on, cjkwords.has_cjk,
        contacts._unit, replay._pieces, source._chinese_patterns, faqchecks._cjk,
        controls._plainly_visible, writtenemails._chinese_before, written._written,
        disguises._cjk_separated, scripts._cjk_word, scripts._kana_word, scripts._particle,
        labelspans._chinese_label, labelspans._accented_label, labelspans._ideograph_label]
print(sorted(name for name in ("asyncio", "ssl", "numpy.ma", "tiktoken") if name in sys.modules))
print(sorted(f.__name__ for f in lazy if f.cache_info().currsize))
"""


def test_check_loads_nothing_only_replies_need() -> None:
    """`servicebot check` must start in under half a second (README, Performance): it loads
    no event loop (asyncio, with ssl), nor numpy.ma, nor tiktoken (it counts no tokens on
    the example bot), and compiles none of the patterns only
    replies, text that is not UTF-8 or a repeated phrasing use (together some 75 ms of its
    start: a pattern with a range of ideographs takes re 1 ms or more to compile)."""
    assert run_python(_STARTUP).splitlines()[-2:] == ["[]", "[]"]


_FROZEN = """
import gc, sys
from click.testing import CliRunner
from servicebot.cli import main
CliRunner().invoke(main, ["check", "."])
print(gc.get_freeze_count() > 0)
sys.argv = ["servicebot", "check", "."]
try:
    main()
except SystemExit:
    pass
print(gc.get_freeze_count() > 0)
"""


def test_check_run_as_the_process_keeps_the_collector_off_what_loading_made() -> None:
    """Run as the process's own command line (the script, ``python -m servicebot``), a
    command first moves the objects loading servicebot made out of the collector's reach,
    some 30 ms of `servicebot check`'s start; a caller passing arguments (CliRunner, an
    application) keeps its collector as it was."""
    lines = run_python(_FROZEN).splitlines()
    assert (lines[0], lines[-1]) == ("False", "True")


def test_commands_find_the_bot_from_inside_its_folders(tmp_path: Path) -> None:
    bot = new_bot(tmp_path)
    (bot / "faq" / "drafts").mkdir()
    for inside in (bot / "faq", bot / "faq" / "drafts", bot / "templates"):
        checked = run(str(SCRIPT), "check", cwd=inside)
        assert checked.returncode == 0, checked.stderr
        assert checked.stdout.startswith("ok: Maple Market support: 38 intents")
    rendered = run(str(SCRIPT), "render", "我的快递到哪了", cwd=bot / "faq")
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout.startswith("route: model  language: zh  intents: order_status")
    outside = run(str(SCRIPT), "check", cwd=tmp_path)  # no bot here or above
    assert outside.returncode == 1 and "not a bot folder" in outside.stderr


def test_python_dash_m_works_too() -> None:
    result = run(sys.executable, "-m", "servicebot", "--version")
    assert result.returncode == 0 and "servicebot, version" in result.stdout


def test_check_neither_imports_the_model_sdk_nor_loads_an_encoding() -> None:
    # check renders the system message to see that it fits the budget; a message with fewer
    # bytes than the budget fits for sure, so the example bot needs no encoding file read.
    code = (
        "import sys\n"
        "from servicebot.cli import main\n"
        f"main(['check', {str(REPO)!r}], standalone_mode=False)\n"
        "from servicebot.budget.tokens import load_encoding\n"
        "loaded = load_encoding.cache_info().currsize\n"
        "print(sorted(m for m in ('openai', 'httpx', 'rich') if m in sys.modules), loaded)\n"
    )
    result = run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[] 0"


def test_check_on_a_broken_bot_lists_every_problem_and_exits_1(tmp_path: Path) -> None:
    bot = make_bot(tmp_path, DATA / "bad" / "many_files")
    result = CliRunner().invoke(main, ["check", str(bot)])
    assert result.exit_code == 1
    expected = (DATA / "bad" / "many_files" / "expected.txt").read_text(encoding="utf-8")
    assert result.output.replace(str(bot), "BOT") == expected + "4 problems in BOT\n"
    assert "Traceback" not in result.output


def test_a_file_given_for_the_bot_folder_is_answered_with_its_bot_folder(
    tmp_path: Path,
) -> None:
    bot = new_bot(tmp_path)  # "servicebot check faq/returns.yaml" said "Directory ... is a file"
    result = CliRunner().invoke(main, ["check", str(bot / "faq" / "returns.yaml")])
    assert result.exit_code == 2
    assert f"is a file: give its bot folder, '{os.path.relpath(bot)}'" in result.output
    stray = tmp_path / "notes.txt"
    stray.write_text("not a bot")
    result = CliRunner().invoke(main, ["render", "hi", "--bot", str(stray)])
    assert "is a file: give a bot folder (one holding servicebot.yaml and faq/)" in result.output


@pytest.mark.parametrize(
    "command",
    [
        ["check", "{path}"],
        ["render", "hi", "--bot", "{path}"],
        ["init", "{path}"],
        ["test", "{path}"],
    ],
)
def test_a_path_the_system_refuses_is_an_error_naming_it(command: list[str]) -> None:
    too_long = "b" * 5_000  # a pasted blob: the system refuses names over 255 bytes
    result = CliRunner().invoke(main, [part.format(path=too_long) for part in command])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "File name too long" in result.output
    assert re.search(r"\(5,0\d\d characters\)", result.output)  # shortened, not 5,000 b's
    assert len(result.output) < 300


def test_check_reports_a_redis_store_this_installation_cannot_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = new_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    text = re.sub(r"(?ms)^store:\n(?:  .*\n)*", "", settings.read_text())
    settings.write_text(text + "store:\n  url: redis://127.0.0.1:6379/0\n")
    line = settings.read_text().splitlines().index("  url: redis://127.0.0.1:6379/0") + 1
    monkeypatch.setitem(sys.modules, "redis", None)  # as if redis-py were not installed
    result = CliRunner().invoke(main, ["check", str(bot)])
    assert result.exit_code == 1
    assert result.output.startswith(
        f"{settings}:{line}:8: a redis store needs redis-py, not installed here: "
        "pip install 'servicebot[redis]'"
    )
    monkeypatch.undo()  # redis-py as it was (a second import of it would break redis.client)
    assert CliRunner().invoke(main, ["check", str(bot)]).exit_code == 0


def test_check_warns_of_a_store_url_variable_not_set_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # check said ok; then every turn was answered "not stored (... ${DATA_DIR}, not set)".
    bot = new_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    url = "  url: sqlite:///${DATA_DIR}/bot.db"
    settings.write_text(re.sub(r"(?m)^  url: sqlite:.*$", lambda _: url, settings.read_text()))
    line = settings.read_text().splitlines().index(url) + 1
    monkeypatch.delenv("DATA_DIR", raising=False)
    result = CliRunner().invoke(main, ["check", str(bot)])
    assert result.exit_code == 0  # it may be set where the bot runs
    assert (
        f"warning: {settings}:{line}:8: store.url names ${{DATA_DIR}}, not set here (or empty): "
        "unless it is set where the bot runs, every turn is answered but not stored"
    ) in result.output.splitlines()
    monkeypatch.setenv("DATA_DIR", "")  # a SQLite path of /bot.db: refused at each turn too
    assert "${DATA_DIR}, not set here" in CliRunner().invoke(main, ["check", str(bot)]).output
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert "store.url" not in CliRunner().invoke(main, ["check", str(bot)]).output


def test_check_warns_of_an_empty_redis_password_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis takes an empty password as none, and check said ok: but one written as
    ``${REDIS_PASSWORD}`` was meant, and empty it is a secret missing in deployment."""
    bot = new_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    url = "  url: redis://:${REDIS_PASSWORD}@127.0.0.1:6379/0"
    settings.write_text(re.sub(r"(?m)^  url: sqlite:.*$", lambda _: url, settings.read_text()))
    line = settings.read_text().splitlines().index(url) + 1
    monkeypatch.setenv("REDIS_PASSWORD", "")
    result = CliRunner().invoke(main, ["check", str(bot)])
    assert result.exit_code == 0  # it may be set where the bot runs
    assert (
        f"warning: {settings}:{line}:8: store.url names ${{REDIS_PASSWORD}}, empty here: an "
        "empty password is sent as none, which a Redis server that wants one refuses; set it "
        "where the bot runs"
    ) in result.output.splitlines()
    monkeypatch.setenv("REDIS_PASSWORD", "s3cret")
    assert "store.url" not in CliRunner().invoke(main, ["check", str(bot)]).output


def test_check_renders_every_template_and_reports_each_mistake_at_its_line(
    tmp_path: Path,
) -> None:
    target = new_bot(tmp_path)
    handoff, blocked = target / "templates" / "handoff.j2", target / "templates" / "blocked.j2"
    handoff.write_text("Hi {{ customer.name }}!\n" + handoff.read_text(encoding="utf-8"))
    blocked.write_text(blocked.read_text(encoding="utf-8") + "{{ flags[0] }}\n")
    output = checked(target, 1)
    assert f"{handoff}:1: template failed while rendering: customer.name is not there" in output
    lines = len(blocked.read_text(encoding="utf-8").splitlines())
    assert f"{blocked}:{lines}: template failed while rendering" in output
    assert "Traceback" not in output


def test_check_in_the_bot_folder_names_the_folder_in_its_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It ended "1 problem in ." (or "in .." from faq/): the folder was never named.
    target = new_bot(tmp_path)
    settings = target / "servicebot.yaml"
    settings.write_text(settings.read_text("utf-8").replace("timeout: 20", "timeout: 20s"))
    for where in (target, target / "faq"):
        monkeypatch.chdir(where)
        result = CliRunner().invoke(main, ["check"])
        assert result.exit_code == 1
        assert result.output.endswith(f"1 problem in {target.resolve()}\n")
    monkeypatch.chdir(tmp_path)
    assert checked(Path("bot"), 1).endswith("1 problem in bot\n")  # as given, when it names it


@pytest.mark.parametrize(
    ("written", "message"),
    [(".inf", "should be a finite number, not .inf"), ("1e12", "should be at most 600.0")],
)
def test_check_refuses_a_model_timeout_no_clock_can_reach(
    tmp_path: Path, written: str, message: str
) -> None:
    """It said "ok", then every turn fell back: "broken_response: OverflowError: timestamp
    out of range for platform time_t"."""
    target = new_bot(tmp_path)
    settings = target / "servicebot.yaml"
    settings.write_text(settings.read_text("utf-8").replace("timeout: 20", f"timeout: {written}"))
    line = line_of(settings, f"timeout: {written}")
    assert f"{settings}:{line}:12: 'timeout' {message}" in checked(target, 1)


def test_check_lists_a_faq_mistake_and_a_template_render_mistake_at_once(
    tmp_path: Path,
) -> None:
    target = new_bot(tmp_path)
    shipping, handoff = target / "faq" / "shipping.yaml", target / "templates" / "handoff.j2"
    shipping.write_text(shipping.read_text(encoding="utf-8").replace("examples:", "exampels:", 1))
    handoff.write_text("Hi {{ customer.name }}!\n" + handoff.read_text(encoding="utf-8"))
    output = checked(target, 1)
    assert f"{shipping}:" in output and "exampels" in output
    assert f"{handoff}:1: template failed while rendering: customer.name is not there" in output
    assert output.index(str(shipping)) < output.index(str(handoff))  # in reading order
    assert output.endswith(f"2 problems in {target}\n")


@pytest.mark.parametrize("parent", ["bots", "templates"])  # a folder named as the bot's own
def test_check_lists_an_answer_missing_a_language_and_a_template_mistake(
    tmp_path: Path, parent: str
) -> None:
    bot = tmp_path / parent / "bot"
    assert CliRunner().invoke(main, ["init", str(bot)]).exit_code == 0
    account, handoff = bot / "faq" / "account.yaml", bot / "templates" / "handoff.j2"
    text = account.read_text(encoding="utf-8")
    zh = re.search(r"\n      zh: .*", text[text.index("answer:") :])
    assert zh is not None
    account.write_text(text.replace(zh[0], "", 1), encoding="utf-8")  # an intent without zh
    handoff.write_text("Hi {{ customer.name }}!\n" + handoff.read_text(encoding="utf-8"))
    output = checked(bot, 1)  # rendering that intent's answer raised a KeyError
    assert f"{account}:" in output and "has no 'zh' text" in output
    assert f"{handoff}:1: template failed while rendering: customer.name is not there" in output
    assert output.index(str(account)) < output.index(str(handoff))
    assert "Traceback" not in output


def test_check_renders_no_template_while_servicebot_yaml_has_a_mistake(tmp_path: Path) -> None:
    target = new_bot(tmp_path)
    settings, handoff = target / "servicebot.yaml", target / "templates" / "handoff.j2"
    settings.write_text(settings.read_text(encoding="utf-8") + "colour: blue\n")
    handoff.write_text("Hi {{ customer.name }}!\n" + handoff.read_text(encoding="utf-8"))
    output = checked(target, 1)
    assert "colour" in output and str(handoff) not in output  # the template needs the settings


def test_a_mistake_in_an_included_template_or_macro_is_reported_at_its_own_line(
    tmp_path: Path,
) -> None:
    target = new_bot(tmp_path)
    templates = target / "templates"
    (templates / "part.j2").write_text("a\nb\n{{ 1 / 0 }}\n")
    (templates / "macros.j2").write_text(
        "{% macro sign() %}\n{{ bot.name.upper(1, 2) }}\n{% endmacro %}\n"
    )
    (templates / "handoff.j2").write_text('x\n{% include "part.j2" %}\n')
    blocked = templates / "blocked.j2"
    blocked.write_text('{% from "macros.j2" import sign %}\nSorry.\n{{ sign() }}\n')
    output = checked(target, 1)
    assert f"{templates / 'part.j2'}:3: template failed while rendering: division by zero" in (
        output
    )
    assert f"{templates / 'macros.j2'}:2: template failed while rendering: " in output


def test_check_refuses_a_canned_reply_that_renders_to_nothing(tmp_path: Path) -> None:
    target = new_bot(tmp_path)
    blocked, out_of_scope = (
        target / "templates" / "blocked.j2",
        target / "templates" / "out_of_scope.j2",
    )
    blocked.write_text("\n")  # emptied
    out_of_scope.write_text("{% if language == 'en' %}I can only help with orders.{% endif %}")
    output = checked(target, 1)
    blank = "the customer would get a blank reply"
    assert f"{blocked}:1: renders to nothing for a turn in en: {blank}" in output
    assert (
        f"{out_of_scope}:1: renders to nothing for an out-of-scope turn in zh (simplified script)"
        in output
    )


def test_an_operator_edit_shows_up_in_check(tmp_path: Path) -> None:
    target = new_bot(tmp_path)
    orders = target / "faq" / "orders.yaml"
    orders.write_text(orders.read_text(encoding="utf-8").replace("examples:", "exmaples:", 1))
    output = checked(target, 1)
    assert f"{orders}:" in output and "did you mean 'examples'?" in output
