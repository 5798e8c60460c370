"""What the streaming tests (test_stream.py, test_stream_stops.py) share: a customer's
question about refunds (``REFUNDS``), the first sentence of its answer (``FIRST``), and a
model that gives one answer, streamed as it is split at spaces (``Says``)."""

from __future__ import annotations

from collections.abc import Iterator

from servicebot.model import AnswersAtOnce, Completion, ModelRequest

REFUNDS = "How long does a refund take to show up on my card?"
FIRST = "Refunds take 5 business days."


class Says(AnswersAtOnce):
    """A model that gives one answer, streamed as it is split at spaces."""

    def __init__(self, text: str, finish_reason: str = "stop") -> None:
        self.answer = Completion(text, finish_reason=finish_reason)
        self.calls = 0

    def complete(self, request: ModelRequest) -> Completion:
        self.calls += 1
        return self.answer

    def stream(self, request: ModelRequest) -> Iterator[str | Completion]:
        self.calls += 1
        words = self.answer.text.split(" ")
        yield from (f"{word} " if n < len(words) - 1 else word for n, word in enumerate(words))
        yield self.answer
