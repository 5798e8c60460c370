"""What the cassette tests (test_replay.py, test_cassette_file.py) share: a model that
answers from a queue (``FakeModel``), a request and an answer to record, and ``record``,
which records requests into a cassette on a fixed day."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

from servicebot.model import Completion, ModelError, ModelRequest, Usage
from servicebot.prompt import Message
from servicebot.replay import Replayer

SYSTEM = "You are the help desk of Shop.\nBe brief.\nNever invent phone numbers."
ANSWER = "It left our warehouse yesterday.\nTrack it with the link in your email."
TODAY = date(2024, 5, 1)


class FakeModel:
    """A ModelClient that answers from a queue: a Completion, or a ModelError to raise."""

    def __init__(self) -> None:
        self.queue: list[Completion | ModelError] = []
        self.calls = 0

    def enqueue(self, *outcomes: Completion | ModelError) -> FakeModel:
        self.queue += outcomes
        return self

    def _next(self) -> Completion:
        self.calls += 1
        outcome = self.queue.pop(0)
        if isinstance(outcome, ModelError):
            raise outcome
        return outcome

    def complete(self, request: ModelRequest) -> Completion:
        return self._next()

    async def acomplete(self, request: ModelRequest) -> Completion:
        return self._next()

    def stream(self, request: ModelRequest) -> Iterator[str | Completion]:
        completion = self._next()
        yield from completion.text.split(" ")  # deltas that do not join back: passed through
        yield completion

    async def astream(self, request: ModelRequest) -> AsyncIterator[str | Completion]:
        for item in self.stream(request):
            yield item


def request(
    system: str = SYSTEM, user: str = "Where is my order?", **params: object
) -> ModelRequest:
    messages = (Message("system", system), Message("user", user))
    return ModelRequest("gpt-4o-mini", messages, params or {"temperature": 0.2, "max_tokens": 500})


def completion(text: str = ANSWER) -> Completion:
    return Completion(text, "stop", Usage(120, 14), "gpt-4o-mini-2024-07-18")


def record(path: Path, *requests: ModelRequest, text: str = ANSWER) -> FakeModel:
    model = FakeModel().enqueue(*(completion(text) for _ in requests))
    recorder = Replayer(path, "record", model, today=lambda: TODAY)
    for each in requests:
        recorder.complete(each)
    return model
