"""What ``servicebot check`` warns of over a copy of the example bot, and still passes: FAQ
text that looks like a template, thresholds, languages, few-shot figures. Budgets are
test_check_budget.py's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from servicebot import load_bot
from servicebot.cli import main
from tests.e2e.conftest import checked, edit, line_of, new_bot, with_model


def test_check_warns_of_template_syntax_in_faq_text_and_still_passes(tmp_path: Path) -> None:
    target = new_bot(tmp_path)
    faq = target / "faq" / "extra.yaml"
    faq.write_text(
        "intents:\n"
        "  - name: opening_hours\n"
        "    examples: ['are you open {{ today }}', when do you open]\n"
        "    answer:\n"
        "      en: >-\n"
        "        We are open 9-5. Call {{ contact.phone }} after hours.\n"
        "      zh: 我们九点到五点营业。\n"
        "    few_shot:\n"
        '      - user: "{% if %} open?"\n'
        '        assistant: "9-5 {# weekdays #}"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", str(target)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning: ")]
    assert warnings[:3] == [
        f"warning: {faq}:6:31: FAQ text is not a template: '{{{{ contact.phone }}}}' is sent as "
        "written (only templates/ fill in {{ }} and {% %})",
        f"warning: {faq}:9:16: FAQ text is not a template: '{{% if %}}' is sent as written "
        "(only templates/ fill in {{ }} and {% %})",
        f"warning: {faq}:10:25: FAQ text is not a template: '{{# weekdays #}}' is sent as "
        "written (only templates/ fill in {{ }} and {% %})",
    ]  # the example phrasing is only read by routing: no warning
    faq.write_text(faq.read_text(encoding="utf-8").replace("answer:", "answr:"))
    result = CliRunner().invoke(main, ["check", str(target)])
    assert result.exit_code == 1
    assert "did you mean 'answer'?" in result.output
    assert f"warning: {faq}:6:31: FAQ text is not a template" in result.output


def test_check_ends_a_list_of_warnings_with_their_count(tmp_path: Path) -> None:
    # On a big FAQ, 58 warnings of 3 lines each scrolled the "ok" line away, and nothing
    # said how many there were. One warning alone is right under "ok": no count.
    target = new_bot(tmp_path)
    faq = target / "faq" / "extra.yaml"
    faq.write_text(
        "intents:\n"
        "  - name: opening_hours\n"
        "    examples: [when do you open]\n"
        "    answer: We are open 9-5. Call {{ contact.phone }} after {{ hours }}.\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", str(target)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    warned = [line for line in lines if line.startswith("warning: ")]
    assert lines[0].startswith("ok: ") and len(warned) >= 2
    assert lines[-1] == f"{len(warned)} warnings in {target}"
    faq.unlink()
    keys = {"OPENAI_API_KEY": "sk-test", "SERVICEBOT_PII_KEY": "a-secret"}
    result = CliRunner().invoke(main, ["check", str(target)], env=keys)
    assert result.output.startswith("ok: ") and result.output.count("\n") == 1  # a clean bot


def test_a_full_width_comma_in_a_list_of_several_is_a_warning_and_in_a_list_of_one_an_error(
    tmp_path: Path,
) -> None:
    target = new_bot(tmp_path)
    faq = target / "faq" / "extra.yaml"
    faq.write_text(
        "intents:\n"
        "  - name: coupon_help\n"
        '    examples: [你好，优惠券怎么用, "请问，优惠码在哪里输入", coupon help please]\n'
        "    answer:\n"
        "      en: Enter the code at checkout.\n"
        "      zh: 结账时输入优惠码。\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", str(target)])
    assert result.exit_code == 0, result.output  # Chinese phrasings have commas of their own
    assert (
        f"warning: {faq}:3:18: a full-width comma '，' inside this item: YAML reads it as part "
        "of the text; if it separates two items, write a plain ','"
    ) in result.output.splitlines()
    assert result.output.count("a full-width comma") == 1  # not the quoted item
    examples = next(i.examples for i in load_bot(target).intents if i.name == "coupon_help")
    assert examples[:2] == ("你好，优惠券怎么用", "请问，优惠码在哪里输入")
    text = faq.read_text(encoding="utf-8").replace(
        ', "请问，优惠码在哪里输入", coupon help please', ""
    )
    faq.write_text(text, encoding="utf-8")
    output = checked(target, 1)  # [a，b] alone: the commas were meant to separate items
    assert f"{faq}:3:18: full-width comma '，' between items" in output


def test_check_warns_of_a_threshold_that_min_score_overrides(tmp_path: Path) -> None:
    target = new_bot(tmp_path)
    settings = target / "servicebot.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("  min_score: 0.22 ", "  min_score: 0.5  "), encoding="utf-8")
    output = checked(target, 0)
    line = 1 + text[: text.index("  handoff_threshold:")].count("\n")
    assert (
        f"warning: {settings}:{line}:22: routing handoff_threshold (0.35) is below min_score "
        "(0.5), which is applied first: it acts as 0.5"
    ) in output
    assert "direct_threshold" not in output  # 0.55 is above min_score


def test_check_warns_of_a_system_template_that_never_prints_the_faq(tmp_path: Path) -> None:
    target = new_bot(tmp_path)
    assert "never prints" not in checked(target, 0)
    system = target / "templates" / "system.j2"
    text = system.read_text(encoding="utf-8")
    english_only = text.replace(
        "{% for intent in intents %}", "{% for intent in intents if language == 'en' %}"
    )
    assert english_only != text
    system.write_text(english_only, encoding="utf-8")
    assert (
        f"warning: {system}:1: never prints the matching intents' answers in zh: the model "
        "would answer without the FAQ"
    ) in checked(target, 0)
    names_only = "Topics: {% for intent in intents %}{{ intent.name }} {% endfor %}\n"
    system.write_text(names_only, encoding="utf-8")
    assert f"warning: {system}:1: never prints the matching intents' answers: " in checked(
        target, 0
    )
    settings = target / "servicebot.yaml"  # no model: no system message is sent
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("  name: gpt-4o-mini", "  # name: gpt-4o-mini"))
    assert "never prints" not in checked(target, 0)
    settings.write_text(text, encoding="utf-8")
    system.write_text("You are a tea shop's assistant.\n", encoding="utf-8")
    # render lists the matching intents, and says they are not in the prompt.
    result = CliRunner().invoke(main, ["render", "How long do refunds take?", "--bot", str(target)])
    assert result.exit_code == 0, result.output
    assert re.search(r"faq +refund_status +0 +no: system.j2 does not print it", result.output)


def test_check_warns_of_a_language_never_chosen_and_an_intent_of_one_language(
    tmp_path: Path,
) -> None:
    target = new_bot(tmp_path)
    settings = target / "servicebot.yaml"
    text = settings.read_text(encoding="utf-8").replace(
        "languages: [en, zh]", "languages: [zh, en, de]"
    )
    settings.write_text(text, encoding="utf-8")
    for path in (target / "faq").glob("*.yaml"):  # every answer in German too
        path.write_text(
            re.sub(
                r"(?m)^(\s+)zh: ", r"\1de: Auf Deutsch.\n\1zh: ", path.read_text(encoding="utf-8")
            ),
            encoding="utf-8",
        )
    (target / "faq" / "gifts.yaml").write_text(
        "intents:\n"
        "  - name: gift_wrap\n"
        "    examples: [can you gift wrap my order, how much is gift wrap]\n"
        "    answer: {en: Gift wrap is $4.99., zh: 礼品包装4.99美元。, de: Geschenkpapier.}\n",
        encoding="utf-8",
    )
    output = checked(target, 0)
    line = 1 + text[: text.index("languages:")].count("\n")
    assert (
        f"warning: {settings}:{line}:12: only Chinese and languages with letters of their own "
        "(Japanese, Korean, Arabic, Cyrillic, Devanagari, Thai) are told apart from other "
        "text: every other message is answered in en, so de is never chosen"
    ) in output
    assert (
        f"warning: {target / 'faq' / 'gifts.yaml'}:3:15: intent 'gift_wrap' has no phrasing in "
        "Chinese: messages in Chinese seldom reach it (add a few, in the words customers use)"
    ) in output
    assert output.count("has no phrasing") == 1  # the example bot's intents have both


def test_check_warns_of_an_intent_with_few_phrasings_in_one_language(tmp_path: Path) -> None:
    """An intent with 9 English phrasings and 1 Chinese: Chinese messages are compared with
    the Chinese phrasing alone, so customers writing Chinese are matched less surely, and
    nothing said so (only an intent with none at all was warned of)."""
    target = new_bot(tmp_path)
    returns = target / "faq" / "returns.yaml"
    text = returns.read_text(encoding="utf-8")
    start = text.index("  - name: damaged_item")
    end = text.index("    answer:", start)
    kept = re.sub(r"(?m)^      - (包裹|商品|新买|收到|东西).*\n", "", text[start:end])
    returns.write_text(text[:start] + kept + "      - 商品坏了\n" + text[end:], encoding="utf-8")
    output = checked(target, 0)
    line = line_of(returns, "my item arrived broken")
    assert (
        f"warning: {returns}:{line}:7: intent 'damaged_item' has 9 English phrasings and 1 "
        "Chinese: customers writing Chinese match it less surely; add phrasings in Chinese"
    ) in output
    assert output.count("match it less surely") == 1  # the example bot's are even
    assert "has no phrasing" not in output


def test_check_warns_of_phrasings_a_handoff_intent_would_take(tmp_path: Path) -> None:
    """In a small bot, "i want an agent" under talk_to_human takes "i want an esim" from
    sim_swap at the example bot's handoff_threshold: customers asking for an eSIM would be
    handed off, and only an operator who knows the rule would look."""
    target = new_bot(tmp_path)
    general = (target / "faq" / "general.yaml").read_text(encoding="utf-8")
    start = general.index("  - name: talk_to_human")
    end = general.find("\n  - name:", start)
    people = general[start : end if end > 0 else None].replace(
        "      - agent please\n", "      - agent please\n      - i want an agent\n"
    )
    for path in (target / "faq").glob("*.yaml"):
        path.unlink()
    (target / "faq" / "people.yaml").write_text(f"intents:\n{people}", encoding="utf-8")
    (target / "faq" / "sim.yaml").write_text(
        "intents:\n"
        "  - name: sim_swap\n"
        "    examples: [swap my sim card, i want an esim, 我想换SIM卡, 补办SIM卡]\n"
        "    answer: {en: Bring your ID to any store., zh: 请携带身份证到任意门店换卡。}\n"
        "  - name: roaming\n"
        "    examples: [how much is roaming in europe, i want to use my phone abroad,\n"
        "               漫游怎么收费]\n"
        "    answer: {en: Roaming in the EU is included., zh: 欧盟境内漫游免费。}\n"
        "  - name: router_setup\n"
        "    examples: [how do i set up my router, wifi router not working, 路由器怎么设置]\n"
        "    answer: {en: Plug it in and wait for the light., zh: 插上电源等待指示灯亮起。}\n",
        encoding="utf-8",
    )
    output = checked(target, 0)
    warning = re.search(
        rf"warning: {re.escape(str(target / 'faq' / 'sim.yaml'))}:3:34: 1 phrasing of 'sim_swap' "
        r"would go to a person, a handoff intent scoring at least handoff_threshold \(0\.35\) "
        r"among the top 3: 'i want an esim' \(talk_to_human (0\.\d\d)\)\. Raise "
        r"routing\.handoff_threshold above \1, or make 'talk_to_human' phrasings less like these",
        output,
    )
    assert warning, output
    assert output.count("would go to a person") == 1  # not 'roaming', not the rest
    route = CliRunner().invoke(main, ["render", "i want an esim", "--bot", str(target)])
    # The handoff names the intent that hands off, not the best match, which answers.
    by = rf"talk_to_human {warning[1][:4]} \(top: sim_swap 0\.\d\d\)"
    assert re.match(rf"route: handoff {by}  language: en  intents: sim_swap", route.output)
    chat = CliRunner().invoke(main, ["chat", "--bot", str(target)], input="i want an esim\n")
    assert re.search(rf"\[handoff {by}, turn 1\]", chat.output), chat.output
    turn = re.search(r"conversation (\w+)", chat.output)
    assert turn, chat.output
    history = CliRunner().invoke(main, ["history", turn[1], "--bot", str(target)])
    assert f"  handoff talk_to_human ({warning[1][:4]})\n" in history.output


def test_check_warns_of_a_faq_file_set_aside_but_passes(tmp_path: Path) -> None:
    target = new_bot(tmp_path)
    (target / "faq" / "drafts.yaml").write_text("# intents:\n#   - name: gift_wrap\n")
    (target / "faq" / "new.yaml").write_text("")
    output = checked(target, 0)
    assert output.startswith("ok: Maple Market support: 38 intents")
    for name in ("drafts.yaml", "new.yaml"):
        assert (
            f"warning: {target / 'faq' / name}:1:1: no intents: the file is empty or all "
            "comments, so it adds nothing"
        ) in output


def test_check_warns_of_a_faq_file_saved_with_txt_on_the_end(tmp_path: Path) -> None:
    target = new_bot(tmp_path)  # Notepad's "Save as" adds .txt to gift.yaml
    (target / "faq" / "gift.yaml.txt").write_text(
        "intents:\n  - name: gift_wrap\n    examples: [gift wrap]\n    answer: $4.99.\n"
    )
    (target / "faq" / "notes.txt").write_text("ideas for new intents")  # no FAQ file: quiet
    output = checked(target, 0)
    assert output.startswith("ok: Maple Market support: 38 intents")  # not read
    assert (
        f"warning: {target / 'faq' / 'gift.yaml.txt'}: not read: only .yaml and .yml files "
        "are; rename it gift.yaml"
    ) in output
    assert "notes.txt" not in output


def test_check_warns_of_a_few_shot_reply_the_answer_was_edited_away_from(tmp_path: Path) -> None:
    """An operator changed the return window to 45 days; the pair still says 30, and the
    model copies few-shot replies. (Other answers still say "30 days of delivery".)"""
    target = new_bot(tmp_path)
    assert "few-shot reply" not in checked(target, 0)  # the example's pairs agree
    returns = target / "faq" / "returns.yaml"
    text = returns.read_text(encoding="utf-8")
    edited = text.replace("return items within 30 days", "return items within 45 days", 1)
    assert edited != text
    returns.write_text(edited, encoding="utf-8")
    output = checked(target, 0)
    reply = edited.index("assistant:", edited.index("  - name: return_item"))
    at = place(edited, edited.index("30", reply))  # on the third line of the reply's block
    assert (
        f"warning: {returns}:{at}: few-shot reply of 'return_item' says \"30\" but its "
        "answer in en does not: update the pair, the model copies it"
    ) in output
    assert output.count("few-shot reply") == 1  # the Chinese pair's answer still says 30


def place(text: str, offset: int) -> str:
    """``line:column`` of ``offset`` in ``text``, as ``check`` prints a place (from 1)."""
    line_start = text.rfind("\n", 0, offset) + 1
    return f"{text.count(chr(10), 0, offset) + 1}:{offset - line_start + 1}"


GIFTS = """\
intents:
  - name: gift_wrap
    examples: [can you gift wrap my order, 可以礼品包装吗]
    answer:
      en: Gift wrap costs $4.99, see https://maple.example.com/gifts.
      zh: 礼品包装￥35，详见 https://maple.example.com/gifts 。
    few_shot:
      - user: how much is gift wrap?
        assistant: It's $4.99 (5.00 with a card); details at https://maple.example.com/gift.
      - user: 礼品包装多少钱
        assistant: 礼品包装４.９９美元，３５元也行。
      - user: gift wrap for order 100482?
        assistant: Sure, gift wrap for order 100482 is 4.99 dollars, call +1 800-555-0199.
      - user: 包装要钱吗
        assistant: 要的，礼品包装３５元，详见 https://maple.example.com/gifts。
"""


def test_check_warns_of_few_shot_figures_against_the_answer_in_the_pairs_language(
    tmp_path: Path,
) -> None:
    target = new_bot(tmp_path)
    gifts = target / "faq" / "gifts.yaml"
    gifts.write_text(GIFTS, encoding="utf-8")
    output = checked(target, 0)
    assert (  # "5.00" is no number of the answer; the link is not its link
        f"warning: {gifts}:{place(GIFTS, GIFTS.index('5.00'))}: few-shot reply of 'gift_wrap' "
        'says "5.00", '
        '"https://maple.example.com/gift" but its answer in en does not: update the pair, '
        "the model copies it"
    ) in output
    assert (  # full-width digits read as digits; $4.99 is the English answer's, not the Chinese
        f"warning: {gifts}:{place(GIFTS, GIFTS.index('４.９９'))}: few-shot reply of "
        "'gift_wrap' says \"4.99\" but its answer in zh does not: update the pair, the model "
        "copies it"
    ) in output
    # The customer's order number and the bot's contacts are no figure the answer must state;
    # a Chinese pair written with full-width digits and the answer's link agrees with it.
    assert output.count("few-shot reply") == 2

    settings = target / "servicebot.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("  name: gpt-4o-mini", "  # name: gpt-4o-mini"))
    assert "few-shot reply" not in checked(target, 0)  # no model: no pair is shown


@pytest.mark.parametrize(
    "name", ["qwen2.5-7b-instruct", "deepseek-chat", "'llama3.1:8b'", "Qwen/Qwen2.5-7B-Instruct"]
)
def test_check_warns_once_that_counts_for_a_model_it_does_not_know_are_estimates(
    tmp_path: Path, name: str
) -> None:
    # They were counted with o200k_base, silently, and render said so as if exact.
    settings, output, line = with_model(tmp_path, name)
    target = settings.parent
    assert output.count("are an estimate") == 1, output
    assert (
        f"warning: {settings}:{line}:9: token counts for model {name.strip(chr(39))} are an "
        "estimate with o200k_base, not its own tokenizer, which may count more (Chinese "
        "especially): leave a margin with budget.max_prompt_tokens, or set budget.encoding to "
        "silence this"
    ) in output
    edit(settings, "budget:\n", "budget:\n  encoding: o200k_base\n")  # the operator's choice
    assert "are an estimate" not in checked(target, 0)


def test_check_does_not_warn_of_counts_for_an_openai_model(tmp_path: Path) -> None:
    assert "are an estimate" not in checked(new_bot(tmp_path), 0)  # gpt-4o-mini: exact


def test_check_warns_at_an_encoding_other_than_an_openai_models_own(tmp_path: Path) -> None:
    # budget.encoding: cl100k_base replaced gpt-4o-mini's o200k_base without a word.
    settings = new_bot(tmp_path) / "servicebot.yaml"
    edit(settings, "budget:\n", "budget:\n  encoding: cl100k_base\n")
    assert (
        f"warning: {settings}:{line_of(settings, 'encoding: cl100k_base')}:13: budget.encoding "
        "cl100k_base is not the encoding of model gpt-4o-mini (o200k_base): prompts are counted "
        "and fitted to the budget as gpt-4o-mini does not count them; remove budget.encoding"
    ) in checked(settings.parent, 0)
    edit(settings, "encoding: cl100k_base", "encoding: o200k_base")  # its own: nothing to say
    assert "budget.encoding" not in checked(settings.parent, 0)
