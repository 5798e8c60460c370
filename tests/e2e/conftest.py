"""End-to-end fixtures: the local OpenAI-compatible server, shared by the modules that call it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from servicebot.budget.tokens import counter_for
from tests.openai_server import OpenAIServer


@pytest.fixture(scope="session")
def running_server() -> Iterator[OpenAIServer]:
    counter_for("gpt-4o-mini", None)  # loaded once, here, like the OpenAPI spec (~1 s together)
    with OpenAIServer() as server:
        yield server


@pytest.fixture
def server(running_server: OpenAIServer) -> OpenAIServer:
    """The server, with no requests recorded, no faults queued, and the default replies."""
    running_server.reset()
    return running_server
