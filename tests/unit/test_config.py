"""The loader, against the example bot and one broken bot per kind of mistake."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from servicebot import ConfigError, load_bot
from servicebot.faqchecks import normalise_example
from servicebot.source import MAX_FILE_BYTES
from tests.conftest import DATA, REPO
from tests.unit.basebot import make_bot

BAD_CASES = sorted(path for path in (DATA / "bad").iterdir() if path.is_dir())


@pytest.mark.parametrize("case", BAD_CASES, ids=lambda path: path.name)
def test_bad_bot_reports_every_mistake_with_file_and_line(case: Path, tmp_path: Path) -> None:
    bot = make_bot(tmp_path, case)
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    expected = (case / "expected.txt").read_text(encoding="utf-8").rstrip("\n")
    assert str(raised.value).replace(str(bot), "BOT") == expected


def test_the_error_carries_path_line_column_and_source_line(tmp_path: Path) -> None:
    bot = make_bot(tmp_path, DATA / "bad" / "unknown_key")
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    error = raised.value
    assert error.path == bot / "faq" / "basics.yaml"
    assert (error.line, error.column) == (3, 5)
    assert error.source_line == "    exampels:"


def test_the_base_bot_is_valid(tmp_path: Path) -> None:
    spec = load_bot(make_bot(tmp_path))
    assert [intent.name for intent in spec.intents] == ["order_status", "greeting"]
    assert spec.settings.contact.email == "help@shop.example.com"


def test_a_folder_that_is_not_a_bot(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a bot folder"):
        load_bot(tmp_path)


def test_settings_are_optional(tmp_path: Path) -> None:
    bot = make_bot(tmp_path)
    (bot / "servicebot.yaml").unlink()
    (bot / "faq" / "basics.yaml").write_text(
        "intents:\n  - name: hi\n    examples: [hello]\n    answer: Hello!\n"
    )
    spec = load_bot(bot)
    assert spec.settings.languages == ("en",)
    assert spec.intents[0].answer_in("en") == "Hello!"


def test_an_oversized_faq_file_is_a_clear_error(tmp_path: Path) -> None:
    bot = make_bot(tmp_path)
    big = bot / "faq" / "huge.yaml"
    big.write_text("# " + "x" * MAX_FILE_BYTES + "\n")
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    assert str(raised.value).startswith(
        f"{big}: file is over the size limit of 5 MB: split it into several files (the faq/ "
        "folder reads them all)"
    )


@pytest.mark.parametrize(
    ("answer", "at", "key"),
    [
        ("    answer: {text}\n", "7:13", "answer"),
        ("    answer:\n      en: {text}\n      zh: 见网站。\n", "8:11", "en"),
    ],
)
def test_an_answer_too_long_to_send_a_customer_is_an_error_at_it(
    tmp_path: Path, answer: str, at: str, key: str
) -> None:
    # A pasted 200,000-character text made check fail with a traceback, blamed on the
    # system template; chat sent it whole.
    bot = make_bot(tmp_path)
    text = "Our terms apply to every purchase. " * 5_000  # read without its last space
    (bot / "faq" / "terms.yaml").write_text(
        "# the terms, pasted\nintents:\n  - name: terms\n    examples:\n"
        "      - terms and conditions\n      - 服务条款\n" + answer.format(text=text),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    assert str(raised.value).startswith(
        f"{bot / 'faq' / 'terms.yaml'}:{at}: '{key}' is 174,999 characters long, too long to "
        "send a customer (at most 20,000): answer in a few paragraphs, and link to a page "
        "for the rest\n"
    )


def test_an_answer_of_20000_characters_is_allowed(tmp_path: Path) -> None:
    bot = make_bot(tmp_path)
    (bot / "faq" / "terms.yaml").write_text(
        f"intents:\n  - name: terms\n    examples: [terms]\n    answer: {'x' * 20_000}\n"
    )
    assert len(load_bot(bot).intents[-1].answer_in("en")) == 20_000


def test_the_spec_is_frozen(tmp_path: Path) -> None:
    spec = load_bot(make_bot(tmp_path))
    with pytest.raises(ValidationError):
        spec.intents[0].name = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        spec.intents[0].answer["en"] = "changed"  # type: ignore[index]
    with pytest.raises(AttributeError):
        spec.root = Path("/")  # type: ignore[misc]


def test_example_normalisation_folds_case_width_and_punctuation() -> None:
    assert normalise_example("Where is my ORDER?!") == normalise_example("where is my order")
    assert normalise_example("我的快递到哪了？") == normalise_example("我的快递到哪了")
    assert normalise_example("ＡＢＣ１２３") == "abc123"
    assert normalise_example("退貨政策是什麼") == normalise_example("退货政策是什么")


# --- the example bot at the repository root -------------------------------------------------


@pytest.fixture(scope="module")
def example():  # type: ignore[no-untyped-def]
    return load_bot(REPO)


def test_example_bot_covers_a_store(example) -> None:  # type: ignore[no-untyped-def]
    names = {intent.name for intent in example.intents}
    assert len(names) >= 30
    for needed in (
        "order_status",
        "cancel_order",
        "return_item",
        "refund_status",
        "talk_to_human",
        "greeting",
        "thanks",
        "payment_declined",
        "warranty",
        "delete_account",
    ):
        assert needed in names


def test_example_bot_is_bilingual_everywhere(example) -> None:  # type: ignore[no-untyped-def]
    assert example.settings.languages == ("en", "zh")
    for intent in example.intents:
        assert len(intent.examples) >= 6, intent.name
        chinese = [e for e in intent.examples if any("\u4e00" <= ch <= "\u9fff" for ch in e)]
        assert 0 < len(chinese) < len(intent.examples), intent.name
        assert set(intent.answer) == {"en", "zh"}, intent.name


def test_example_bot_few_shot_and_flags(example) -> None:  # type: ignore[no-untyped-def]
    assert sum(1 for intent in example.intents if intent.few_shot) >= 10
    handoff = [intent.name for intent in example.intents if intent.handoff]
    assert handoff == ["talk_to_human"]


def test_example_bot_gives_only_its_own_contact_details(example) -> None:  # type: ignore[no-untyped-def]

    contact = example.settings.contact
    text = " ".join(
        answer for intent in example.intents for answer in intent.answer.values()
    ) + " ".join(pair.assistant for intent in example.intents for pair in intent.few_shot)
    for url in re.findall(r"https?://[^\s)）,，。]+", text):
        assert url.rstrip(".").startswith(contact.website), url
    assert set(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)) == {contact.email}
    assert set(re.findall(r"\+\d[\d -]{7,}\d", text)) == {contact.phone}


def test_problems_are_capped_per_file_with_a_count_of_the_rest(tmp_path: Path) -> None:
    bot = make_bot(tmp_path)
    intents = "".join(f"  - name: copy\n    examples: [e{i}]\n    answer: hi\n" for i in range(60))
    (bot / "faq" / "copies.yaml").write_text("intents:\n" + intents)
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    messages = [problem.message for problem in raised.value.problems]
    assert len(messages) == 21
    assert messages[-1] == "and 39 more problems in this file"


def test_faq_files_in_subfolders_and_any_case_are_read_but_hidden_ones_are_not(
    tmp_path: Path,
) -> None:
    bot = make_bot(tmp_path)
    (bot / "faq" / "billing").mkdir()
    intent = "intents:\n  - name: {}\n    examples: [{}]\n    answer: hi\n"
    (bot / "faq" / "billing" / "refunds.YML").write_text(intent.format("refunds", "refund"))
    (bot / "faq" / ".#lock.yaml").write_text(intent.format("lock", "lock"))
    (bot / "faq" / "notes.yaml.bak").write_text(intent.format("bak", "bak"))
    names = [intent.name for intent in load_bot(bot).intents]
    assert names == ["order_status", "greeting", "refunds"]


def test_a_missing_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_bot(tmp_path / "nope")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_a_phrasing_missing_its_dash_is_found_whatever_the_line_endings(
    tmp_path: Path, newline: str
) -> None:
    bot = make_bot(tmp_path)
    lines = ["intents:", "  - name: gifts", "    examples:", "      - can you gift wrap"]
    lines += ["        my order", "    answer: Gift wrap is $4.99.", ""]
    (bot / "faq" / "gifts.yaml").write_bytes(newline.join(lines).encode())
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    assert (raised.value.line, raised.value.column) == (5, 9)
    assert raised.value.message.startswith("this line has no '- ', so YAML joined it")
