"""An API key passed in code (``Bot.load(..., api_key=...)``, ``OpenAIClient(..., api_key=...)``)
rather than through the environment variable ``model.api_key_env`` names: sent in its place,
asked for again each time a client is built when it is a function, and never shown."""

from __future__ import annotations

import itertools
import logging
import traceback
from pathlib import Path

import pytest

from servicebot import Bot, ConfigError, ModelError
from servicebot.model import request_for
from servicebot.store.memory import MemoryStore
from tests.conftest import REPO
from tests.e2e.conftest import REFUNDS, bot_on_server
from tests.e2e.modelcalls import MESSAGES, MakeModel, collect, run
from tests.openai_server import Fault, OpenAIServer

PASSED = "sk-passed-in-code-0123456789abcdef"


def sent_keys(server: OpenAIServer) -> list[str]:
    return [request.headers["authorization"] for request in server.requests]


def test_a_key_passed_to_bot_load_answers_with_no_variable_set(
    server: OpenAIServer, tmp_path: Path
) -> None:
    # OPENAI_API_KEY, which the folder's api_key_env names, is unset (tests/conftest.py):
    # without api_key, this turn raised ConfigError ("... is not set").
    bot = Bot.load(bot_on_server(server, tmp_path), api_key=PASSED, store=MemoryStore())
    reply = bot.reply(REFUNDS)
    bot.close()
    assert reply.step("model") is not None and reply.action == "answer"
    assert sent_keys(server) == [f"Bearer {PASSED}"]


def test_a_passed_key_overrides_the_variable(server: OpenAIServer, make_model: MakeModel) -> None:
    model = make_model(api_key=PASSED)  # KEY_ENV is set to another key
    model.complete(request_for(model.settings, MESSAGES))
    assert sent_keys(server) == [f"Bearer {PASSED}"]


def test_a_key_function_is_called_each_time_a_client_is_built(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    calls = itertools.count(1)
    model = make_model(api_key=lambda: f"sk-rotated-{next(calls)}")
    request = request_for(model.settings, MESSAGES)
    model.complete(request)
    model.complete(request)  # the same client: the function is not asked again
    model.close()  # as after a rotation: the next call builds a client, with the new key
    list(model.stream(request))
    run(model, lambda: model.acomplete(request))  # each event loop builds its own client
    run(model, lambda: collect(model.astream(request)))
    assert sent_keys(server) == [f"Bearer sk-rotated-{n}" for n in (1, 1, 2, 3, 4)]


def test_an_empty_passed_key_is_a_config_error_that_says_where_it_came_from(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    model = make_model(api_key=lambda: "  ")
    with pytest.raises(ConfigError, match=r"the api_key passed to Bot.load\(\) .* is empty"):
        model.complete(request_for(model.settings, MESSAGES))
    assert server.requests == []


def test_a_passed_key_is_never_in_a_log_an_error_a_repr_or_a_trace(
    server: OpenAIServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the SDK's and httpx's debug lines too
    bot = Bot.load(bot_on_server(server, tmp_path), api_key=PASSED, store=MemoryStore())
    server.fail(Fault.status(401))
    with pytest.raises(ConfigError) as raised:
        bot.reply(REFUNDS, conversation_id="c")
    assert "the server rejected the api_key passed in code (401)" in str(raised.value)
    reply = raised.value.reply
    shown = [
        caplog.text,
        "".join(traceback.format_exception(raised.value)),
        repr(raised.value),
        repr(reply),
        repr(bot),
        repr(bot.model),
        repr(vars(bot.model)),
        repr(bot.store.history("c")),
    ]
    bot.close()
    assert [PASSED in text for text in shown] == [False] * len(shown)
    assert sent_keys(server) == [f"Bearer {PASSED}"]  # it was sent, all the same


def test_a_bot_given_its_own_model_refuses_a_key(make_model: MakeModel) -> None:
    with pytest.raises(ValueError, match="api_key is the configured model's"):
        Bot.load(REPO, model=make_model(), api_key=PASSED)


class Vault:
    """An ``api_key`` function: the key it holds now (rotated by setting it), or, while
    ``down``, the error a vault out of reach raises; ``calls`` counts the times asked."""

    def __init__(self, key: str = "sk-vault-1") -> None:
        self.key: str | None = key
        self.down, self.calls = False, 0

    def __call__(self) -> str | None:
        self.calls += 1
        if self.down:
            raise RuntimeError("vault unreachable")
        return self.key


def test_a_key_function_that_fails_is_a_missing_key_not_a_broken_response(
    server: OpenAIServer, tmp_path: Path
) -> None:
    """Before, it was the model's ``broken_response`` fallback, returned, not raised."""
    vault = Vault()
    vault.down = True
    bot = Bot.load(bot_on_server(server, tmp_path), api_key=vault, store=MemoryStore())
    with pytest.raises(ConfigError) as raised:
        bot.reply(REFUNDS, conversation_id="c")
    said = str(raised.value)
    assert "the api_key function passed in code failed (RuntimeError: vault unreachable)" in said
    assert raised.value.reply is not None and raised.value.reply.fallback is not None
    step = raised.value.reply.step("model")
    assert step is not None and step.detail["error"] == "config_error"
    vault.down, vault.key = False, None  # answers, with no key
    with pytest.raises(ConfigError, match="the api_key function passed in code returned NoneType"):
        bot.reply(REFUNDS, conversation_id="c")
    bot.close()
    assert server.requests == []


def test_a_key_function_that_fails_is_no_outage_and_no_answer_for_the_breaker(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    """Before, it was counted as an answer: the outages in a row started again from 0."""
    vault = Vault()
    model = make_model(api_key=vault, breaker_failures=3)
    request = request_for(model.settings, MESSAGES)
    server.fail(Fault.status(503))
    with pytest.raises(ModelError):
        model.complete(request)
    model.close()  # the next call builds a client, asking the vault
    vault.down = True
    with pytest.raises(ConfigError):
        model.complete(request)
    assert model.breaker.state().failures == 1


@pytest.mark.parametrize("call", ["complete", "stream", "acomplete", "astream"])
def test_a_401_to_a_key_function_asks_it_again_and_retries_once(
    server: OpenAIServer, make_model: MakeModel, call: str
) -> None:
    """A key rotated in the vault: before, every call failed until ``close()``. All in one
    event loop, whose client is kept between calls, as the blocking client is."""
    vault = Vault()
    model = make_model(api_key=vault)
    request = request_for(model.settings, MESSAGES)

    async def once() -> object:
        if call == "acomplete":
            return await model.acomplete(request)
        if call == "astream":
            return await collect(model.astream(request))
        return model.complete(request) if call == "complete" else list(model.stream(request))

    async def rotated() -> None:
        await once()
        vault.key = "sk-vault-2"  # rotated: the server now refuses -1
        server.fail(Fault.status(401))
        await once()
        server.fail(Fault.status(401), Fault.status(401))  # the new key refused too: no loop
        with pytest.raises(ConfigError, match="the server rejected the api_key passed in code"):
            await once()

    run(model, rotated)
    assert sent_keys(server) == [f"Bearer sk-vault-{n}" for n in (1, 1, 2, 2, 2)]
    assert vault.calls == 3  # built, rebuilt after the first 401, and after the second


def test_a_401_to_a_key_in_a_str_is_not_sent_again(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    model = make_model(api_key=PASSED)
    server.fail(Fault.status(401))
    with pytest.raises(ConfigError):
        model.complete(request_for(model.settings, MESSAGES))
    assert len(server.requests) == 1


def test_close_drops_the_running_loops_client_for_a_rotated_key(
    server: OpenAIServer, make_model: MakeModel
) -> None:
    """Before, ``close()`` closed only the blocking client: an async app's calls kept the old
    key until ``aclose()``."""
    vault = Vault()
    model = make_model(api_key=vault)
    request = request_for(model.settings, MESSAGES)

    async def rotated() -> None:
        await model.acomplete(request)
        old = await model.async_client()
        vault.key = "sk-vault-2"
        model.close()  # as the README says after a rotation; from another thread alike
        await model.acomplete(request)
        assert not old.is_closed()  # a call may be using it: closed with its loop
        await model.aclose()  # closes both
        assert old.is_closed()

    run(model, rotated)
    assert sent_keys(server) == ["Bearer sk-vault-1", "Bearer sk-vault-2"]
