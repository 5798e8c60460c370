"""``chinese_script``: the script a bot's own Chinese text is written in, and a reply's when
the customer's message does not tell (servicebot/prompt.py ``script_of`` and ``in_script``,
the placeholder wordings of filters/placeholders.py, and the check in faqwarnings.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from servicebot import load_bot
from servicebot.cli import main
from servicebot.filters.placeholders import restore
from servicebot.filters.traditional import most_written_in, to_simplified, to_traditional
from servicebot.model import AnswersAtOnce, Completion, ModelRequest
from servicebot.pipeline import Bot
from servicebot.prompt import script_of
from servicebot.store.memory import MemoryStore
from servicebot.templatescripts import template_script_warnings
from tests.unit.botcopies import make_bot

SHIPPING = "美国境内标准配送需3-5个工作日"  # how the example bot's shipping answer starts
TAIWAN = "台北市門市可自取，後台裏查得到。"  # Taiwan's own characters: 台, 後台, 裏
LANGUAGES = "languages: [en, zh]"


def traditional_bot(tmp_path: Path, setting: str = "chinese_script: traditional") -> Path:
    """A copy of the example bot as a Taiwan team writes it: every Chinese text in traditional
    characters (OpenCC's s2tw), the shipping answer opening with ``TAIWAN``, the setting on."""
    folder = make_bot(tmp_path, settings=[(LANGUAGES, f"{LANGUAGES}\n{setting}")])
    shipping = to_traditional(SHIPPING)
    for path in [*folder.glob("faq/*.yaml"), *folder.glob("templates/*.j2")]:
        text = to_traditional(path.read_text(encoding="utf-8"))
        path.write_text(text.replace(shipping, TAIWAN + shipping), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def taiwan(tmp_path_factory: pytest.TempPathFactory) -> Bot:
    """The traditional copy, offline: its direct answers and canned replies as shown."""
    spec = load_bot(traditional_bot(tmp_path_factory.mktemp("taiwan")))
    return Bot(spec, store=MemoryStore(), offline=True)


def test_a_traditional_customer_reads_the_operators_traditional_text_as_written(
    taiwan: Bot,
) -> None:
    reply = taiwan.reply("滿多少包郵")
    assert reply.intent == "shipping_times_costs" and reply.action == "direct"
    assert reply.text.startswith("台北市門市可自取，後台裏查得到。美國境內標準配送")  # not 臺北市


def test_a_simplified_customer_reads_it_converted(taiwan: Bot) -> None:
    reply = taiwan.reply("满多少包邮")
    assert reply.text.startswith("台北市门市可自取，后台里查得到。美国境内标准配送")
    handoff = taiwan.reply("转人工").text
    assert "转接人工客服" in handoff and "轉" not in handoff


@pytest.mark.parametrize("message", ["信用卡可以分期", "7-11", "LINE Pay", "真人"])
def test_a_message_that_does_not_tell_gets_the_bots_script(message: str) -> None:
    assert script_of(message, "zh", default="traditional") == "traditional"  # as [zh] reads it
    assert script_of(message, "zh") == "simplified"


def test_the_model_is_asked_for_traditional_when_the_message_does_not_tell(tmp_path: Path) -> None:
    bot = Bot(load_bot(traditional_bot(tmp_path)), model=Repeats(), store=MemoryStore())
    prepared = bot.prepare("信用卡可以分期")
    assert prepared.script == "traditional" and prepared.fitted is not None
    assert "請用繁體中文回答" in prepared.fitted.messages[0].content
    assert bot.prepare("真人").reply == to_traditional(bot.prepare("真人").reply or "")


def test_an_ambiguous_message_keeps_the_previous_messages_script() -> None:
    assert script_of("信用卡可以分期", "zh", "我的订单", default="traditional") == "simplified"
    assert script_of("信用卡可以分期", "zh", "我的訂單", default="simplified") == "traditional"
    assert script_of("信用卡可以分期", "zh", "ok", default="traditional") == "traditional"
    assert script_of("信用卡可以分期", "zh") == "simplified"  # the default bot, as before


def test_the_default_bot_is_unchanged(bot: Bot) -> None:
    assert bot.prepare("信用卡可以分期").script == "simplified"
    traditional = bot.prepare("滿多少包郵").reply
    assert traditional is not None and traditional.startswith("美國境內標準配送")


def test_taiwan_text_converts_to_simplified_by_character() -> None:
    assert to_simplified("台北市 後台 裏 羣 佔 著") == "台北市 后台 里 群 占 着"
    assert to_simplified("資訊 黃體素") == "资讯 黄体素"  # not Taiwan's words made mainland's
    assert most_written_in(TAIWAN) == "traditional" and most_written_in(SHIPPING) == "simplified"
    assert most_written_in("7-11 真人") is None


class Repeats(AnswersAtOnce):
    """A model that names the customer's email from an earlier turn by its placeholder."""

    def complete(self, request: ModelRequest) -> Completion:
        return Completion(
            "我們會寄到[EMAIL_1]。" if "請用繁體" in str(request) else "会寄到[EMAIL_1]。"
        )


def test_a_placeholder_from_an_earlier_turn_reads_as_taiwan_writes_it(tmp_path: Path) -> None:
    assert restore("寄到[EMAIL_1]", {}, "zh-Hant") == "寄到您的電子郵件"
    assert restore("寄到[EMAIL_1]", {}, "zh") == "寄到您的邮箱"
    bot = Bot(load_bot(traditional_bot(tmp_path)), model=Repeats(), store=MemoryStore())
    assert bot.reply("你們可以寄發票給我嗎").text == "我們會寄到您的電子郵件。"
    assert bot.reply("你们可以寄发票给我吗").text == "会寄到您的邮箱。"


def test_check_warns_once_when_the_answers_are_in_the_other_script(tmp_path: Path) -> None:
    folder = traditional_bot(tmp_path, "# chinese_script left out")
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert result.exit_code == 0, result.output
    warned = [line for line in result.output.splitlines() if "chinese_script" in line]
    assert len(warned) == 1
    assert warned[0].startswith(f"warning: {folder / 'faq' / 'account.yaml'}:30:")
    assert (
        "Chinese answers, this one among them, are written in traditional characters" in (warned[0])
    )
    assert "chinese_script is simplified (the default)" in warned[0]
    assert warned[0].endswith("Set chinese_script: traditional in servicebot.yaml")


def test_check_is_quiet_when_the_setting_matches_and_refuses_another_value(
    tmp_path: Path,
) -> None:
    (tmp_path / "ok").mkdir()
    ok = CliRunner().invoke(main, ["check", str(traditional_bot(tmp_path / "ok"))])
    assert ok.exit_code == 0 and "chinese_script" not in ok.output
    (tmp_path / "bad").mkdir()
    bad = traditional_bot(tmp_path / "bad", "chinese_script: zh-tw")
    result = CliRunner().invoke(main, ["check", str(bad)])
    assert result.exit_code == 1
    assert (
        f"{bad / 'servicebot.yaml'}:5:17: 'chinese_script': " in result.output
        and "chinese_script" in result.output
    )


def test_check_warns_of_each_template_in_the_other_script(tmp_path: Path) -> None:
    # A Taiwan team set chinese_script: traditional and rewrote its answers, but not the
    # templates `servicebot init` copies: its customers read handoff.j2 in simplified.
    folder = traditional_bot(tmp_path)
    for path in (folder / "templates").glob("*.j2"):
        path.write_text(to_simplified(path.read_text(encoding="utf-8")), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert result.exit_code == 0, result.output
    warned = sorted(line for line in result.output.splitlines() if "this template's" in line)
    templates = folder / "templates"
    assert [line.split(": this")[0] for line in warned] == [
        f"warning: {templates / name}:3" for name in ("blocked.j2", "handoff.j2", "out_of_scope.j2")
    ]  # the Chinese line; not system.j2, the model's instructions, nor {{ }} or {# #}
    assert "written in simplified characters, but chinese_script is traditional" in warned[1]


def test_only_a_templates_literal_text_tells_its_script(tmp_path: Path) -> None:
    spec = load_bot(traditional_bot(tmp_path))
    simplified = (
        "{# 这个模板只在这里说明后台怎么写 #}{{ '简体的字符串在这里出现' }}\n您好，歡迎光臨"
    )
    assert template_script_warnings(replace(spec, templates={"note.j2": simplified})) == []
    shown = replace(
        spec, templates={"note.j2": "{{ bot.name }}\n欢迎光临，这里是客服中心，请问您需要什么帮助"}
    )
    assert [problem.line for problem in template_script_warnings(shown)] == [2]
