"""YAML mistakes in a FAQ file that YAML itself lets through, or blames on the wrong line:
each is reported at the line to fix, in words an operator can act on."""

from __future__ import annotations

import shutil
from pathlib import Path

from servicebot.config import read_bot
from tests.conftest import DATA


def _check(tmp_path: Path, faq: str) -> list[str]:
    """``file:line:column: message`` for each mistake in the test bot with ``faq`` added as
    faq/more.yaml."""
    bot = tmp_path / "bot"
    shutil.copytree(DATA / "base", bot)
    (bot / "faq" / "more.yaml").write_text(faq, encoding="utf-8")
    _, problems = read_bot(bot)
    return [f"{p.path.name}:{p.line}:{p.column}: {p.message}" for p in problems]


COLON = "full-width colon '：' after a key: YAML needs a plain ':'"


def test_a_full_width_colon_on_a_nested_key_is_reported_and_mended(tmp_path: Path) -> None:
    faq = (
        "intents:\n"
        "  - name: refunds\n"
        "    examples: [when do i get my money back]\n"
        "    answer:\n"
        "      en： Refunds take 5-10 business days.\n"
        "      zh： 退款需要5-10个工作日。\n"
    )
    assert _check(tmp_path, faq) == [f"more.yaml:5:9: {COLON}", f"more.yaml:6:9: {COLON}"]


def test_a_nested_full_width_colon_is_mended_so_the_answer_is_checked(tmp_path: Path) -> None:
    faq = (
        "intents:\n"
        "  - name: refunds\n"
        "    examples: [when do i get my money back]\n"
        "    answer:\n"
        "      en： Refunds take 5-10 business days.\n"
    )
    assert _check(tmp_path, faq) == [
        "more.yaml:4:5: 'answer' has no 'zh' text",
        f"more.yaml:5:9: {COLON}",
    ]


def test_chinese_text_with_a_full_width_colon_is_not_a_key(tmp_path: Path) -> None:
    faq = (
        "intents:\n"
        "  - name: refunds\n"
        "    examples: [when do i get my money back]\n"
        "    answer:\n"
        "      en: Refunds take 5-10 business days.\n"
        "      zh: 退款需要5-10个工作日，\n"
        "        App：设置里可以查看。\n"
        "    description: note： text\n"
    )
    assert _check(tmp_path, faq) == []


def test_a_full_width_colon_before_text_with_a_colon_is_that_colon(tmp_path: Path) -> None:
    faq = (
        "intents:\n"
        "  - name: refunds\n"
        "    description： Note: read this first  # why\n"
        "    examples: [when do i get my money back]\n"
        "    answer: Refunds take 5-10 business days.\n"
    )
    assert _check(tmp_path, faq) == [
        f"more.yaml:3:16: {COLON}",
        "more.yaml:3:22: the text after 'description' contains ': ', so it must be in quotes: "
        'description: "Note: read this first"',
    ]


def test_a_long_text_is_quoted_short_in_the_hint_to_quote_it(tmp_path: Path) -> None:
    note = "Note: " + "read this first. " * 6000  # a pasted page: 100 KB on one line
    faq = (
        "intents:\n"
        "  - name: refunds\n"
        f"    description： {note}\n"
        "    examples: [when do i get my money back]\n"
        "    answer: Refunds take 5-10 business days.\n"
    )
    assert _check(tmp_path, faq) == [
        f"more.yaml:3:16: {COLON}",
        "more.yaml:3:22: the text after 'description' contains ': ', so it must be in quotes: "
        'description: "Note: read this first. read this first. read this first. rea…"',
    ]


def test_messages_quote_a_long_key_or_value_short(tmp_path: Path) -> None:
    long = "x" * 1000  # YAML takes keys up to 1024 characters
    faq = (
        "intents:\n"
        "  - name: refunds\n"
        "    examples: [when do i get my money back]\n"
        f"    answer: {{en: hi, zh: 是, {long}: a}}\n"
        f"    {long}: a\n"
        f"    {long}: b\n"
    )
    shown = "x" * 60 + "…"
    assert _check(tmp_path, faq) == [
        f"more.yaml:4:29: '{shown}' is not a language code: key each answer by one of this "
        "bot's languages (en, zh)",
        f"more.yaml:6:5: duplicate key '{shown}': the later value would silently win",
        f"more.yaml:6:5: unknown key '{shown}' (allowed: name, description, examples, answer, "
        "few_shot, direct, handoff, complaint)",
    ]


def test_a_full_width_colon_before_a_brace_is_that_colon(tmp_path: Path) -> None:
    faq = (
        "intents:\n"
        "  - name: refunds\n"
        "    examples: [when do i get my money back]\n"
        "    answer：{en: Refunds take 5-10 business days.}\n"
    )
    assert _check(tmp_path, faq) == [
        "more.yaml:4:5: 'answer' has no 'zh' text",
        f"more.yaml:4:11: {COLON}",
    ]


def test_full_width_colons_inside_braces_are_reported_and_mended(tmp_path: Path) -> None:
    # YAML reads "{en： hi, zh： 是}" as two keys with no values, "en： hi" and "zh： 是".
    faq = (
        "intents:\n"
        "  - name: refunds\n"
        "    examples: [when do i get my money back]\n"
        "    answer: {en： Refunds take 5-10 business days., zh： 退款需要5-10个工作日, fr： x}\n"
    )
    assert _check(tmp_path, faq) == [
        f"more.yaml:4:16: {COLON}",
        f"more.yaml:4:54: {COLON}",
        "more.yaml:4:70: answers are written in 'fr', which is not one of this bot's languages "
        "(en, zh): add it to 'languages' in servicebot.yaml",  # at 'fr' as written
        f"more.yaml:4:72: {COLON}",
    ]


def test_chinese_text_with_a_full_width_colon_inside_braces_is_not_a_key(
    tmp_path: Path,
) -> None:
    faq = (
        "intents:\n"
        "  - name: refunds\n"
        "    examples: [when do i get my money back]\n"
        "    answer: {en: Refunds take 5-10 business days., zh: App：设置里可以查看}\n"
    )
    assert _check(tmp_path, faq) == []


def test_a_full_width_colon_in_a_list_over_lines_is_not_blamed(tmp_path: Path) -> None:
    faq = (
        "intents:\n"
        "  - name: refunds\n"
        "    examples: [when do i get my money back,\n"
        "      refund： how long,\n"
        "      where is my refund]\n"
        '    answer: "Refunds take 5-10 business days.\n'
    )
    assert _check(tmp_path, faq) == [
        "more.yaml:6:13: a quoted text that starts here is not closed on this line"
    ]


def test_a_key_read_as_empty_or_a_date_is_reported_at_its_own_line(tmp_path: Path) -> None:
    faq = (
        "intents:\n"
        "  - name: refunds\n"
        "    examples: [when do i get my money back]\n"
        "    answer: Refunds take 5-10 business days.\n"
        "    null: 3\n"
        "    2024-01-01: x\n"
    )
    assert _check(tmp_path, faq) == [
        "more.yaml:5:5: this key reads as empty (null), not text: put it in quotes",
        "more.yaml:6:5: this key reads as a date, not text: put it in quotes",
    ]


def test_keys_that_read_as_one_are_reported_once(tmp_path: Path) -> None:
    # 1 and true are one key to Python: the report says so, and to quote them, which also
    # mends their not being text: "this key reads as true/false or a number" is not repeated.
    faq = (
        "intents:\n"
        "  - name: refunds\n"
        "    examples: [when do i get my money back]\n"
        "    answer: {en: hi, zh: 是, 1: a, yes: b}\n"
        "    1: a\n"
        "    yes: b\n"
    )
    same = "so the later value would silently win: put the keys in quotes to keep them apart"
    assert _check(tmp_path, faq) == [
        f"more.yaml:4:35: key 'yes' reads as the same key as '1' on line 4, {same}",
        f"more.yaml:6:5: key 'yes' reads as the same key as '1' on line 5, {same}",
    ]


def test_a_list_as_a_key_is_told_a_key_is_text(tmp_path: Path) -> None:
    faq = (
        "intents:\n"
        "  - name: refunds\n"
        "    examples: [when do i get my money back]\n"
        "    answer: Refunds take 5-10 business days.\n"
        "    ? [a, b]\n"
        "    : c\n"
    )
    assert _check(tmp_path, faq) == [
        "more.yaml:5:7: a key must be text, not a list or mapping: put it in quotes"
    ]


def test_a_key_moved_back_to_its_parents_place_is_blamed_not_its_sibling(tmp_path: Path) -> None:
    # "en:" dedented to "answer:"'s place left answer empty; YAML stopped at "zh:", which
    # the operator had not touched, and check said so.
    faq = (
        "intents:\n"
        "  - name: refunds\n"
        "    examples: [when do i get my money back]\n"
        "    answer:\n"
        "    en: >-\n"
        "        Refunds take 5-10 business days.\n"
        "      zh: 退款需要5-10个工作日。\n"
    )
    (found,) = _check(tmp_path, faq)
    assert found.startswith("more.yaml:5:5: this line is indented as 'answer:' on line 4")
    # A key with its value on its line is no key left empty above a dedented child.
    inline = faq.replace("    answer:\n    en: >-\n        Refunds", "    answer: Refunds")
    inline = inline.replace("\n      zh:", "\n    description: x\n      zh:")
    assert "indented as 'answer:'" not in " ".join(_check(tmp_path / "b", inline))
