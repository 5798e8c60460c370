"""What the OpenAIClient tests (test_model*.py) send and check: the model's name and key, the
conversation every request carries and the answer the local server gives it, a coroutine
run in its own event loop, and checks of a completion and a stream. The ``make_model``
fixture that builds the clients is in conftest.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from servicebot.budget.tokens import counter_for
from servicebot.model import Completion, OpenAIClient
from servicebot.prompt import Message

KEY = "sk-e2e-not-a-real-key"
MODEL = "gpt-4o-mini"
MESSAGES = (
    Message("system", "You are Maple Shop's support bot. Answer briefly and politely."),
    Message("user", "Hi"),
    Message("assistant", "Hello! How can I help?"),
    Message("user", "Where is my order #1234?"),
)
ANSWER = "You asked: Where is my order #1234?"
T = TypeVar("T")
MakeModel = Callable[..., OpenAIClient]


def run(model: OpenAIClient, work: Callable[[], Awaitable[T]]) -> T:
    """``work()`` in a new event loop, closing the loop's SDK client before the loop ends."""

    async def main() -> T:
        try:
            return await work()
        finally:
            await model.aclose()

    return asyncio.run(main())


async def collect(parts: AsyncIterator[str | Completion]) -> list[str | Completion]:
    return [part async for part in parts]


def prompt_tokens() -> int:
    """What servicebot's own budget counts for MESSAGES."""
    return counter_for(MODEL, None).count_messages((m.role, m.content) for m in MESSAGES)


def check_answer(completion: str | Completion) -> None:
    assert isinstance(completion, Completion)
    assert (completion.text, completion.finish_reason, completion.model) == (ANSWER, "stop", MODEL)
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == prompt_tokens()
    assert completion.usage.completion_tokens == counter_for(MODEL, None).count(ANSWER)


def check_stream(parts: list[str | Completion]) -> None:
    *deltas, final = parts
    assert len(deltas) > 1 and all(isinstance(delta, str) for delta in deltas)
    check_answer(final)
    assert isinstance(final, Completion) and "".join(map(str, deltas)) == final.text
