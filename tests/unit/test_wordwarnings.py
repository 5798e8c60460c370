"""``servicebot check``'s warnings about the profanity lists (``servicebot/wordwarnings.py``):
listed words inside the bot's own answers and templates."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from servicebot import load_bot
from servicebot.cli import main
from servicebot.wordwarnings import number_warnings, own_text_warnings
from tests.unit.basebot import make_bot


def _bot(
    tmp_path: Path, words: str, answer: str = "请在 https://shop.example.com/orders 查询。"
) -> Path:
    """The base bot listing ``words`` (YAML for ``prefilter.words``), its Chinese order
    answer ``answer``."""
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    settings.write_text(settings.read_text() + f"prefilter:\n  words: {words}\n")
    faq = bot / "faq" / "basics.yaml"
    faq.write_text(faq.read_text().replace("请在 https://shop.example.com/orders 查询。", answer))
    return bot


def test_a_listed_word_in_an_answer_is_warned_of_once_at_its_line(tmp_path: Path) -> None:
    bot = _bot(tmp_path, "{insult_zh: [干]}", "收到后请洗干净再寄回，干净的商品才能退。")
    (bot / "templates" / "blocked.j2").write_text("抱歉。\n请保持衣物干燥。\n")
    found = [str(p).splitlines()[0] for p in own_text_warnings(load_bot(bot))]
    assert found == [  # not again in the answer, nor in the template: once a word
        f"{bot / 'faq' / 'basics.yaml'}:8:16: the profanity filter masks '干' (insult_zh) here, "
        "and the post-filter masks it in the model's answers to customers as ****: reword "
        "it, or add the word it is part of to prefilter.allow_words"
    ]


def test_a_listed_word_in_a_template_is_warned_of_at_its_line(tmp_path: Path) -> None:
    bot = _bot(tmp_path, "{insult_tw: [他媽的]}")
    (bot / "templates" / "blocked.j2").write_text("抱歉。\n別說「他妈的」。\n")
    found = [str(p) for p in own_text_warnings(load_bot(bot))]
    assert len(found) == 1
    assert found[0].startswith(
        f"{bot / 'templates' / 'blocked.j2'}:2:4: the profanity filter masks '他妈的' (insult_tw)"
    )


def test_answers_without_listed_words_are_not_warned_of(tmp_path: Path) -> None:
    bot = _bot(tmp_path, "{insult_tw: [幹]}", "收到后请洗乾淨再寄回。")  # 乾 is not 幹
    assert own_text_warnings(load_bot(bot)) == []


def test_check_prints_the_warning_and_passes(tmp_path: Path) -> None:
    bot = _bot(tmp_path, "{insult_zh: [干]}", "请洗干净再寄回。")
    result = CliRunner().invoke(main, ["check", str(bot)])
    assert result.exit_code == 0, result.output
    assert (
        "warning: " + str(bot / "faq" / "basics.yaml") + ":8:13: the profanity filter masks '干'"
        in result.output
    )


def test_a_listed_number_is_warned_of_at_its_line(tmp_path: Path) -> None:
    bot = _bot(tmp_path, "{insult_tw: [很87, '87', 幹]}")
    found = [str(p).splitlines()[0] for p in number_warnings(load_bot(bot))]
    assert found == [
        f"{bot / 'servicebot.yaml'}:6:28: '87' is a number, and a number alone is never masked "
        "(87折 is a discount, 87元 a price): this word never matches; list the phrases it is "
        "used in (很87)"
    ]
