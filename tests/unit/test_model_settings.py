"""servicebot.yaml's model settings read by the loader: api_key_env names a variable (or is
null for a server that takes no key, which must then be named), an API key pasted as a
model's name or a key is refused with where it goes, model and deployment names are not
taken for keys, and base_url is an http(s) address."""

from __future__ import annotations

from pathlib import Path

import pytest

from servicebot import ConfigError, load_bot
from tests.unit.basebot import make_bot


@pytest.mark.parametrize(
    "name",
    [
        "OPENAI_API_KEY",
        "DEEPSEEK_API_KEY",
        "azure_openai_key_2",
        "my_service_api_key_v2",
        "hf_token",
    ],
)
def test_api_key_env_accepts_variable_names(tmp_path: Path, name: str) -> None:
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    settings.write_text(settings.read_text() + f"model:\n  name: gpt-4o\n  api_key_env: {name}\n")
    assert load_bot(bot).settings.model.api_key_env == name


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("sk-proj-abc123def456ghi789jkl", "looks like an API key itself"),
        ("gsk_a8Jk3mQ9x2LpR7tY5wZ1", "looks like an API key itself"),
        ("MY KEY", "is not an environment variable name"),
    ],
)
def test_api_key_env_must_name_a_variable(tmp_path: Path, value: str, message: str) -> None:
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    settings.write_text(settings.read_text() + f"model:\n  name: gpt-4o\n  api_key_env: {value}\n")
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    assert raised.value.message.startswith(f"'api_key_env' {message}")
    assert value not in raised.value.message  # a pasted key is never repeated in the message


@pytest.mark.parametrize("written", ["null", "~", "", '""', "''"])
def test_api_key_env_null_is_a_server_that_takes_no_key(tmp_path: Path, written: str) -> None:
    bot = make_bot(tmp_path)  # Ollama, vLLM, llama.cpp's server: an invented key was needed
    settings = bot / "servicebot.yaml"
    model = (
        f"model:\n  name: llama3\n  base_url: http://localhost:11434/v1\n  api_key_env: {written}\n"
    )
    settings.write_text(settings.read_text() + model)
    assert load_bot(bot).settings.model.api_key_env is None


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (
            "  name: gpt-4o\n  api_key_env: null\n",
            "'api_key_env' is null (no key), which is for a local server such as Ollama or "
            "vLLM: set model.base_url to its address, such as http://localhost:11434/v1 "
            "(the OpenAI API takes no request without a key)",
        ),
        (
            "  name: llama3\n  base_url: http://localhost:11434/v1\n  api_key_env: None\n",
            "'api_key_env' is 'None', a variable's name: for a server that takes no key, "
            "write api_key_env: null",
        ),
    ],
    ids=["null_without_base_url", "None_as_text"],
)
def test_a_keyless_model_must_name_its_server_and_write_null(
    tmp_path: Path, model: str, message: str
) -> None:
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    settings.write_text(settings.read_text() + "model:\n" + model)
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    line = settings.read_text().count("\n")  # api_key_env, the last line; its value at 16
    assert str(raised.value).split("\n")[0] == f"{settings}:{line}:16: {message}"


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (
            "  name: sk-proj-abc123def456ghi789jkl\n",
            "'name' looks like an API key, not a model's name such as gpt-4o-mini: remove it, "
            "and set the key in the environment variable api_key_env names (OPENAI_API_KEY "
            "unless set)",
        ),
        (
            "  name: gpt-4o\n  api_key: sk-proj-abc123def456ghi789jkl\n",
            "unknown key 'api_key': servicebot never reads an API key from a file, which gets "
            "shared and committed; remove it, and set the key in the environment variable "
            "OPENAI_API_KEY (api_key_env names another)",
        ),
    ],
)
def test_an_api_key_pasted_into_the_settings_is_refused_with_where_it_goes(
    tmp_path: Path, model: str, message: str
) -> None:
    bot = make_bot(tmp_path)  # sent as the model's name, or committed with the bot folder
    settings = bot / "servicebot.yaml"
    settings.write_text(settings.read_text() + "model:\n" + model)
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    assert raised.value.message == message
    assert "abc123" not in str(raised.value).split("\n")[0]  # only the quoted line shows it


@pytest.mark.parametrize(
    "key",
    [
        "gsk_a8Jk3mQ9x2LpR7tY5wZ1vB6nC4dF0gH2",  # Groq
        "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUv",  # Google
        "hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345",  # Hugging Face
        "Zx81Qw7Er6Ty5Ui4Op3As2Df1Gh0JkLmNb",  # a provider's key of no known prefix
    ],
)
def test_another_providers_key_as_the_model_name_is_refused(tmp_path: Path, key: str) -> None:
    bot = make_bot(tmp_path)  # it would be sent to the server as the model's name
    settings = bot / "servicebot.yaml"
    settings.write_text(settings.read_text() + f"model:\n  name: {key}\n")
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    assert raised.value.message.startswith("'name' looks like an API key, not a model's name")


@pytest.mark.parametrize(
    "name",
    [
        "Qwen/Qwen2.5-72B-Instruct",
        "accounts/fireworks/models/llama-v3p1-70b-instruct",
        "mycompanygpt4odeployment2024eastus",  # an Azure deployment: one case only
        "anthropic.claude-3-5-sonnet-20241022-v2:0",
        "xai-grok-3",  # a proxy's alias that starts as a key does
        "hf_meta_llama_3_1_8b_instruct_v2",
    ],
)
def test_model_and_deployment_names_are_not_taken_for_keys(tmp_path: Path, name: str) -> None:
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    settings.write_text(settings.read_text() + f"model:\n  name: '{name}'\n")
    assert load_bot(bot).settings.model.name == name


@pytest.mark.parametrize("url", ["not a url", "ftp://models.example.com/v1", "localhost:8000/v1"])
def test_base_url_must_be_an_http_address(tmp_path: Path, url: str) -> None:
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    settings.write_text(settings.read_text() + f"model:\n  name: gpt-4o\n  base_url: {url}\n")
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    assert raised.value.message.startswith("'base_url' is not the http(s) address of an")
    assert raised.value.problems[0].line == settings.read_text().count("\n")


@pytest.mark.parametrize(
    "url",
    ["http://localhost:8000/v1/chat/completions", "https://api.example.com/chat/completions/"],
)
def test_base_url_must_not_be_the_chat_endpoint(tmp_path: Path, url: str) -> None:
    # The client adds /chat/completions: the server was asked for it twice, and answered 404.
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    settings.write_text(settings.read_text() + f"model:\n  name: gpt-4o\n  base_url: {url}\n")
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    assert raised.value.message.startswith(
        "'base_url' ends in /chat/completions, which the client adds to it: write the address "
        "up to it, such as http://localhost:8000/v1"
    )
    assert raised.value.problems[0].line == settings.read_text().count("\n")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/v1", "https://api.deepseek.com"])
def test_base_url_takes_an_http_address(tmp_path: Path, url: str) -> None:
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    settings.write_text(settings.read_text() + f"model:\n  name: gpt-4o\n  base_url: {url}\n")
    assert load_bot(bot).settings.model.base_url == url


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("timeout: .inf", "'timeout' should be a finite number, not .inf"),
        ("timeout: 1e12", "'timeout' should be at most 600.0"),
        ("timeout: .nan", "'timeout' should be a finite number, not .nan (not a number)"),
        ("max_retry_after: .inf", "'max_retry_after' should be a finite number, not .inf"),
        ("temperature: .nan", "'temperature' should be a finite number, not .nan (not a number)"),
    ],
)
def test_a_model_setting_no_clock_can_reach_is_refused_at_its_line(
    tmp_path: Path, setting: str, message: str
) -> None:
    """``timeout: .inf`` passed ``check``, then every turn fell back ("timestamp out of range
    for platform time_t")."""
    assert _refused_model_setting(tmp_path, setting) == message


def test_a_price_must_be_a_finite_number(tmp_path: Path) -> None:
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    settings.write_text(settings.read_text() + "prices:\n  gpt-4o: {input: .inf, output: 0.6}\n")
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    assert [p.message for p in raised.value.problems] == [
        "'input' should be a finite number, not .inf"
    ]


def test_the_longest_model_timeout_is_taken(tmp_path: Path) -> None:
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    settings.write_text(settings.read_text() + "model:\n  name: gpt-4o\n  timeout: 600\n")
    assert load_bot(bot).settings.model.timeout == 600.0


def test_model_reasoning_takes_auto_tags_or_off_and_says_so_at_its_line(tmp_path: Path) -> None:
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    base = settings.read_text()
    settings.write_text(base + "model:\n  name: qwq\n  reasoning: tags\n")
    assert load_bot(bot).settings.model.reasoning == "tags"
    settings.write_text(base + "model:\n  name: qwq\n  reasoning: think\n")
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    [problem] = raised.value.problems
    assert problem.line == settings.read_text().count("\n")
    assert problem.message == "'reasoning': 'think' is not allowed (allowed: auto, tags, off)"


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("turn_timeout: 0", "'turn_timeout' should be more than 0.0"),
        ("turn_timeout: .inf", "'turn_timeout' should be a finite number, not .inf"),
        ("breaker_failures: -1", "'breaker_failures' should be at least 0"),
        ("breaker_pause: -5", "'breaker_pause' should be at least 0.0"),
    ],
)
def test_the_outage_settings_are_checked_at_their_line(
    tmp_path: Path, setting: str, message: str
) -> None:
    assert _refused_model_setting(tmp_path, setting) == message


def test_the_outage_settings_are_taken(tmp_path: Path) -> None:
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    more = "  turn_timeout: 8\n  breaker_failures: 0\n  breaker_pause: 30\n"
    settings.write_text(settings.read_text() + "model:\n  name: gpt-4o\n" + more)
    model = load_bot(bot).settings.model
    assert (model.turn_timeout, model.breaker_failures, model.breaker_pause) == (8.0, 0, 30.0)


def _refused_model_setting(tmp_path: Path, setting: str) -> str:
    """The one problem loading a bot with ``setting`` under ``model:`` gives, which must be
    at the setting's line, the file's last."""
    bot = make_bot(tmp_path)
    settings = bot / "servicebot.yaml"
    settings.write_text(settings.read_text() + f"model:\n  name: gpt-4o\n  {setting}\n")
    with pytest.raises(ConfigError) as raised:
        load_bot(bot)
    [problem] = raised.value.problems
    assert problem.line == settings.read_text().count("\n")
    return problem.message
