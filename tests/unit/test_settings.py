"""servicebot.yaml read by the loader: each setting's value checked, and a mistake named
at its line with what to write. The model settings (keys, model names, base_url) are
test_model_settings.py's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from servicebot import ConfigError, load_bot
from servicebot.postfilter import Postfilter
from tests.unit.basebot import make_bot


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis://localhost:6379x/0", "is not a Redis url such as"),
        ("redis://127.0.0.1:6379/99x", "the database '99x' is not a number"),
        ("sqlite://", "names no file: write sqlite:///conversations.db"),
        ("sqlite:///", "names no file"),
        ("sqlite:///data/", "names no file"),
    ],
)
def test_a_bad_store_url_is_a_settings_mistake(tmp_path: Path, url: str, message: str) -> None:
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    settings.write_text(settings.read_text() + f"store:\n  url: {url}\n")
    with pytest.raises(ConfigError, match=message):
        load_bot(bot)
    settings.write_text(settings.read_text().replace(url, "sqlite:///data/conversations.db"))
    assert load_bot(bot).settings.store.url == "sqlite:///data/conversations.db"


@pytest.mark.parametrize(
    ("url", "environment", "message"),
    [
        ("redis://127.0.0.1:${BOT_PORT}/${BOT_DB}", {"BOT_PORT": "16399", "BOT_DB": "2"}, None),
        ("redis://${BOT_HOSTPORT}/0", {"BOT_HOSTPORT": "127.0.0.1:16399"}, None),
        ("redis://127.0.0.1:${BOT_PORT}/${BOT_DB}", {}, None),  # set where the bot runs
        ("${BOT_STORE_URL}", {"BOT_STORE_URL": "redis://:p@ss@cache:6379/0"}, None),
        ("${BOT_STORE_URL}", {}, None),
        ("redis://127.0.0.1:${BOT_PORT}/0", {"BOT_PORT": "6379x"},
         "its port is not a number.*, with \\$\\{BOT_PORT\\} as set here"),
        ("redis://127.0.0.1:6379/${BOT_DB}", {"BOT_DB": "zero"},
         "the database 'zero' is not a number\\), with \\$\\{BOT_DB\\} as set here"),
        ("${BOT_STORE_URL}", {"BOT_STORE_URL": "postgres://db/bot"},
         "must start with sqlite://.*, with \\$\\{BOT_STORE_URL\\} as set here"),
    ],
)  # fmt: skip
def test_a_store_url_is_checked_with_its_variables_values_in(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    environment: dict[str, str],
    message: str | None,
) -> None:
    """A port, database or whole url from the environment was refused ("the database
    '${BOT_DB}' is not a number"); a bad value is named at the setting's line."""
    for name in ("BOT_PORT", "BOT_DB", "BOT_HOSTPORT", "BOT_STORE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    settings.write_text(settings.read_text() + f"store:\n  url: '{url}'\n")
    if message is None:
        assert load_bot(bot).settings.store.url == url  # kept as written: no secret in it
        return
    line = len(settings.read_text().splitlines())
    with pytest.raises(ConfigError, match=message) as raised:
        load_bot(bot)
    assert str(raised.value).startswith(f"{settings}:{line}:")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("zh-tw", "is 'zh-tw': Chinese is 'zh', simplified and traditional alike"),
        ("zh-CN", "is 'zh-CN': Chinese is 'zh'"),
        ("en-gb", "is 'en-gb': English is 'en', whatever the region"),
        ("中文", "is '中文': Chinese is 'zh'"),  # a name, not a code: told the code
        ("English", "is 'English': English is 'en'"),
    ],
)
def test_a_regional_code_for_chinese_or_english_is_named_as_such(
    tmp_path: Path, code: str, message: str
) -> None:
    # A bot of "zh-tw" would never have answered in Chinese: routing speaks "zh".
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    settings.write_text(settings.read_text().replace("languages: [en, zh]", f"languages: [{code}]"))
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_bot(bot)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ('cache:\n  enabled: "yes"\n', "'enabled' should be true or false, not text"),
        ("cache:\n  enabled: 1\n", "'enabled' should be true or false, not a number"),
        ("routing:\n  top_k: 3.5\n", "'top_k' should be a whole number, not 3.5"),
        # A number YAML reads as text gets how to write it, where that is clear.
        ("routing:\n  min_score: 0,22\n", "'min_score' should be a number, not text (write 0.22)"),
        (
            "routing:\n  min_score: ０.２２\n",
            "'min_score' should be a number, not text (write 0.22)",
        ),
        # A number typed with its unit: in the key's own unit, if the key takes it.
        ("routing:\n  min_score: 22%\n", "'min_score' should be a number, not text (write 0.22)"),
        (
            "model:\n  timeout: 20s\n",
            "'timeout' should be a number, not text (write 20: the number of seconds)",
        ),
        (
            "model:\n  timeout: 2 minutes\n",
            "'timeout' should be a number, not text (write 120: the number of seconds)",
        ),
        (
            "cache:\n  ttl_seconds: 1.5h\n",
            "'ttl_seconds' should be a whole number, not text (write 5400: the number of seconds)",
        ),
        (
            "store:\n  retention_days: 2 weeks\n",
            "'retention_days' should be a whole number, not text (write 14: the number of days)",
        ),
        (
            "store:\n  retention_days: 90天\n",
            "'retention_days' should be a whole number, not text (write 90: the number of days)",
        ),
        (
            "budget:\n  max_prompt_tokens: 6k\n",
            "'max_prompt_tokens' should be a whole number, not text (write 6000)",
        ),
        (
            "model:\n  max_tokens: 4OO\n",
            "'max_tokens' should be a whole number, not text "
            "(write 400: a letter O was typed for a zero)",
        ),
        (  # 300 seconds is past max_retry_after's 120; a month has no fixed number of days
            "model:\n  max_retry_after: 5m\n",
            "'max_retry_after' should be a number, not text",
        ),
        (
            "store:\n  retention_days: 3 months\n",
            "'retention_days' should be a whole number, not text",
        ),
        ("model:\n  temperature: 2,000\n", "'temperature' should be a number, not text"),
        (
            "budget:\n  max_prompt_tokens: 6,000\n",
            "'max_prompt_tokens' should be a whole number, not text (write 6000)",
        ),
        (  # 6.000 is six thousand in much of Europe, and YAML reads it as 6.0: was taken as 6
            "budget:\n  max_prompt_tokens: 6.000\n",
            "'max_prompt_tokens' should be a whole number, not 6.0 "
            "(write 6, or 6000 if the point separates thousands)",
        ),
        (
            "cache:\n  ttl_seconds: 3600.0\n",
            "'ttl_seconds' should be a whole number, not 3600.0 (write 3600)",
        ),
        (  # only what the setting takes: 3000 is past top_k's 20
            "routing:\n  top_k: 3.0\n",
            "'top_k' should be a whole number, not 3.0 (write 3)",
        ),
        (  # 0 and 0 are one number, and neither is a top_k
            "routing:\n  top_k: 0.0\n",
            "'top_k' should be a whole number, not 0.0",
        ),
        ("model:\n  max_retries: -1.0\n", "'max_retries' should be a whole number, not -1.0"),
        (  # a decimal comma is no whole number: no hint
            "budget:\n  max_prompt_tokens: 6,5\n",
            "'max_prompt_tokens' should be a whole number, not text",
        ),
        ("routing:\n  min_score: high\n", "'min_score' should be a number, not text"),
        # A section written as one value, as other tools write it: where the value goes.
        (
            "model: gpt-4o\n",
            "'model' should be a mapping of keys to values, not text "
            "(write 'model:' and under it '  name: gpt-4o')",
        ),
        (
            "store: redis://localhost:6379/0\n",
            "'store' should be a mapping of keys to values, not text "
            "(write 'store:' and under it '  url: redis://localhost:6379/0')",
        ),
        (  # quoted where YAML needs it: '@' cannot start plain text
            'model: "@cf/meta/llama-3-8b-instruct"\n',
            "'model' should be a mapping of keys to values, not text "
            "(write 'model:' and under it '  name: \"@cf/meta/llama-3-8b-instruct\"')",
        ),
        (
            'model: "gpt-4o # tuned"\n',
            "'model' should be a mapping of keys to values, not text "
            "(write 'model:' and under it '  name: \"gpt-4o # tuned\"')",
        ),
        (  # mode and cassettes both take text: no guess
            "replay: record\n",
            "'replay' should be a mapping of keys to values, not text",
        ),
    ],
)
def test_a_value_of_the_wrong_kind_is_reported_not_converted(
    tmp_path: Path, setting: str, message: str
) -> None:
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    settings.write_text(settings.read_text() + setting)
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    assert [problem.message for problem in raised.value.problems] == [message]


@pytest.mark.parametrize(
    ("setting", "field"),
    [
        ("routing:\n  min_score: yes\n", "min_score"),  # was 1.0: every message out of scope
        ("routing:\n  handoff_after: no\n", "handoff_after"),  # was 0: never handed off
        ("model:\n  temperature: on\n", "temperature"),
        ("budget:\n  max_prompt_tokens: true\n", "max_prompt_tokens"),  # was 1
        ("store:\n  retention_days: off\n", "retention_days"),
    ],
)
def test_yes_no_on_or_off_for_a_number_is_reported_not_converted(
    tmp_path: Path, setting: str, field: str
) -> None:
    assert _the_one_problem_with(tmp_path, setting) == (
        f"'{field}' should be a number, not true/false (YAML reads yes, no, on and off as "
        "true/false)"
    )


def _the_one_problem_with(tmp_path: Path, setting: str) -> str:
    """The message of the one problem ``setting``, added at the end of a bot's
    servicebot.yaml, makes, on the setting's own (last) line."""
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    text = settings.read_text() + setting
    settings.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    [problem] = raised.value.problems
    assert problem.line == text.count("\n")
    return problem.message


def test_numbers_are_read_as_yaml_writes_them(tmp_path: Path) -> None:
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    settings.write_text(settings.read_text() + "model:\n  timeout: 5e2\n  max_tokens: 20\n")
    model = load_bot(bot).settings.model  # 5e2 is text to YAML 1.1, and a number to a reader
    assert (model.timeout, model.max_tokens) == (500.0, 20)


def test_a_mistake_in_a_duplicated_key_is_placed_at_the_copy_that_counts(
    tmp_path: Path,
) -> None:
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    text = settings.read_text() + "routing:\n  top_k: 3\nrouting:\n  top_k: 99\n"
    settings.write_text(text)
    lines = text.count("\n")
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    placed = [(p.line, p.message) for p in raised.value.problems]
    assert (lines, "'top_k' should be at most 20") in placed  # the later copy: YAML keeps it
    assert (lines - 1, "duplicate key 'routing': the later value would silently win") in placed


def test_a_language_listed_twice_is_a_settings_mistake(tmp_path: Path) -> None:
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    settings.write_text(LANGUAGES.sub("", settings.read_text()) + "languages: [en, zh, en]\n")
    with pytest.raises(ConfigError, match="lists en more than once"):
        load_bot(bot)


LANGUAGES = re.compile(r"^languages:.*\n", re.MULTILINE)


@pytest.mark.parametrize(
    ("phone", "answer"),
    [
        ("400-820-1234 转 2", "请拨打 400-820-1234 转 2 联系我们。"),
        ("+1 800-555-0199 ext. 204", "Call 1-800-555-0199 ext. 204 any day."),
    ],
)
def test_a_phone_number_may_have_an_extension(tmp_path: Path, phone: str, answer: str) -> None:
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    text = settings.read_text().replace("contact:\n", f"contact:\n  phone: {phone}\n")
    settings.write_text(text, encoding="utf-8")
    spec = load_bot(bot)
    assert spec.settings.contact.phone == phone
    assert Postfilter.for_bot(spec).run(answer, "Be brief.", {}).verdict == "pass"


def test_a_misspelt_key_inside_a_named_entry_gets_a_suggestion(tmp_path: Path) -> None:
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    price = "prices:\n  gpt-4o-mini: {input: 0.15, outptu: 0.60}\n"
    settings.write_text(settings.read_text() + price)
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    assert [p.message for p in raised.value.problems] == [
        "unknown key 'outptu' (did you mean 'output'?)"
    ]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "replay:\n  mode: off\n",  # what the docs say to write; YAML reads it as false
            "'mode' should be one of replay, record, off, not true/false (YAML reads yes, no, "
            'on and off as true/false): put it in quotes, as in "off"',
        ),
        (
            "replay:\n  mode: on\n",  # true: quoting "off" would turn it off
            "'mode' should be one of replay, record, off, not true/false (YAML reads yes, no, "
            "on and off as true/false)",
        ),
        (
            "postfilter:\n  markup: no\n",
            "'markup' should be one of repair, fallback, handoff, not true/false (YAML reads "
            "yes, no, on and off as true/false)",
        ),
    ],
)
def test_yes_no_on_or_off_for_a_choice_says_to_quote_it(
    tmp_path: Path, setting: str, message: str
) -> None:
    assert _the_one_problem_with(tmp_path, setting) == message


def test_restore_pii_may_name_the_kinds_a_customer_is_shown_back(tmp_path: Path) -> None:
    # Under PIPL an ID number is sensitive: a bot may show back a phone number but not it.
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    base = settings.read_text()
    settings.write_text(base + "postfilter:\n  restore_pii: [PHONE, EMAIL]\n")
    answer = "We will call [PHONE_1] about ID [CN_ID_1]."
    values = {"[PHONE_1]": "13800138000", "[CN_ID_1]": "11010519491231002X"}
    result = Postfilter.for_bot(load_bot(bot)).run(answer, "", values)
    assert result.shown == "We will call 13800138000 about ID your ID number."
    settings.write_text(base + "postfilter:\n  restore_pii: [PHONE, ID]\n")
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    (problem,) = raised.value.problems
    assert problem.line == base.count("\n") + 2 and "'ID'" in problem.message, problem
    settings.write_text(base + "postfilter:\n  restore_pii: only phones\n")
    with pytest.raises(ConfigError, match="should be true, false or a list of kinds such as"):
        load_bot(bot)


@pytest.mark.parametrize(
    ("kinds", "message"),
    [
        (
            "[]",  # read as false before: a list left unfinished showed every customer nothing
            "'restore_pii' is an empty list, which shows no value back: write false for that, "
            "or name the kinds to show, such as [PHONE, EMAIL]",
        ),
        ("[PHONE, EMAIL, PHONE]", "'restore_pii' lists PHONE more than once"),
        (
            "[PHONE, NAME]",
            "'restore_pii' item 2: 'NAME' is not allowed (allowed: SECRET, EMAIL, IBAN, CN_ID, "
            "HK_ID, PASSPORT, CARD, SSN, PHONE, IP, ADDRESS, DATE_OF_BIRTH, MESSENGER_ID)",
        ),
    ],
)
def test_restore_pii_refuses_an_empty_list_a_repeat_or_an_unknown_kind(
    tmp_path: Path, kinds: str, message: str
) -> None:
    setting = f"postfilter:\n  restore_pii: {kinds}\n"
    assert _the_one_problem_with(tmp_path, setting) == message
