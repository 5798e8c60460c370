"""Azure OpenAI, as the local server speaks it: its content filter refusing a prompt (HTTP
400), its two routes (the v1 endpoint, and a deployment's with an ``api-version`` and the key
in an ``api-key`` header), and its 429's ``retry-after-ms``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from servicebot import ConfigError, load_bot
from servicebot.filters import FilterEvent
from servicebot.model.client import request_for
from tests.e2e.conftest import REFUNDS, checked, edit, line_of, new_bot
from tests.e2e.modelcalls import ANSWER, KEY, MESSAGES, MakeModel, run
from tests.openai_server import Fault, OpenAIServer


def test_a_prompt_the_content_filter_refuses_is_not_retried_and_is_said_to_be_the_filter(
    make_bot: Any, server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    # Azure's 400 "content_filter" was one turn's "rejected", as a bad sampling setting is:
    # the trace said "failed (rejected)", and the log a BadRequestError, as for a bug.
    bot = make_bot(max_retries=2)
    server.fail(Fault.azure_filtered(), Fault.azure_filtered())
    with caplog.at_level(logging.WARNING, logger="servicebot"):
        replied = bot.reply(REFUNDS, conversation_id="c")
        stream = bot.stream(REFUNDS, conversation_id="c")
        "".join(stream)
    assert len(server.requests) == 2  # one each: a refused prompt is refused again
    for answered in (replied, stream.reply):
        assert answered is not None and answered.action == "fallback"
        assert answered.step("model").decision == "failed (content_filter)"  # type: ignore[union-attr]
        assert answered.events == (FilterEvent("model", "model", "content_filter", "fallback"),)
    logged = [line for line in caplog.messages if "the model did not answer" in line]
    said = "content_filter: the provider's content filter refused the prompt (flagged: violence"
    assert len(logged) == 2 and all(f"did not answer: {said} (medium))" in line for line in logged)
    assert bot.model_breaker.failures == 0  # the model is up: no outage counted


def test_azure_s_classic_route_takes_the_api_version_the_deployment_and_an_api_key_header(
    make_model: MakeModel, server: OpenAIServer
) -> None:
    # A base_url cannot carry Azure's ?api-version=, nor send the key as api-key: the classic
    # route, /openai/deployments/{deployment}/..., could not be reached at all.
    model = make_model(name="support-gpt4o", base_url=server.root, azure_api_version="2024-10-21")
    request = request_for(model.settings, MESSAGES)
    assert model.complete(request).text == ANSWER
    assert "".join(part for part in model.stream(request) if isinstance(part, str)) == ANSWER
    assert run(model, lambda: model.acomplete(request)).text == ANSWER
    route = "/openai/deployments/support-gpt4o/chat/completions?api-version=2024-10-21"
    assert [sent.path for sent in server.requests] == [route] * 3
    for sent in server.requests:
        assert sent.headers["api-key"] == KEY and "authorization" not in sent.headers


def test_azure_s_v1_endpoint_is_an_openai_compatible_base_url(
    make_model: MakeModel, server: OpenAIServer
) -> None:
    # As the README's model.base_url row says: no setting of Azure's own, the Bearer key.
    model = make_model(name="support-gpt4o", base_url=f"{server.root}/openai/v1/")
    assert model.complete(request_for(model.settings, MESSAGES)).text == ANSWER
    (sent,) = server.requests
    assert sent.path == "/openai/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.body["model"] == "support-gpt4o"  # the deployment's name


@pytest.mark.parametrize(
    ("base_url", "said"),
    [
        (None, "needs model.base_url, your Azure OpenAI resource's endpoint"),
        ("https://shop.openai.azure.com/openai/v1/", "sends requests to /openai/deployments/"),
    ],
)
def test_check_refuses_an_azure_api_version_without_the_resource_s_endpoint_at_its_line(
    tmp_path: Path, base_url: str | None, said: str
) -> None:
    settings = new_bot(tmp_path) / "servicebot.yaml"
    url = f"\n  base_url: {base_url}" if base_url else ""
    edit(settings, "name: gpt-4o-mini", f"name: support{url}\n  azure_api_version: 2024-10-21")
    with pytest.raises(ConfigError) as refused:  # as `check` and startup load it
        load_bot(settings.parent)
    assert f"{settings}:{line_of(settings, 'azure_api_version')}:22: " in str(refused.value)
    assert f"'azure_api_version' {said}" in str(refused.value)
    if base_url is None:  # given its endpoint, it passes; unquoted, YAML read a date
        edit(settings, "10-21", "10-21-preview\n  base_url: https://shop.openai.azure.com")
        checked(settings.parent, 0)
