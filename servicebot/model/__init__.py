"""The model stage: one chat completion through the official ``openai`` SDK.

It owns the request (messages and the sampling settings from ``servicebot.yaml``), the SDK
clients (built once per bot and reused: building one costs tens of milliseconds), and what a
failure means. Retries are the SDK's (``max_retries``; honouring ``retry-after``, and backing
off), made by retries.py so that none pauses past the turn's deadline; a server asking for a
longer wait than ``max_retry_after`` gets none: the customer is waiting. What is still
failing after them becomes a :class:`ModelError` with a kind, which the pipeline answers
with a fallback; a missing, rejected or misnamed key, model or server is the operator's to
fix and raises :class:`~servicebot.errors.ConfigError` instead.

Every OpenAI-compatible server (OpenAI, Azure, vLLM, Ollama, DeepSeek, Qwen) speaks the
chat-completions wire format, which is all this package uses.

Beside this file: ``client.py`` (the :class:`ModelClient` protocol, the request and what comes
back), ``openai_client.py`` (:class:`OpenAIClient`'s calls), ``sdkclients.py`` (its SDK
clients), ``retries.py`` (its retries), ``apikey.py`` (the
API key it sends), ``failures.py`` (what a failure means, and waits refused), ``echoes.py``
(a server's error as a log may say it, without the prompt it quotes), ``responses.py``
(an answer or a stream's chunks read into a :class:`Completion`) and ``sdk.py`` (the SDK,
imported on first use).
"""

from __future__ import annotations

from .breaker import BreakerState
from .client import (
    AnswersAtOnce,
    Completion,
    ErrorKind,
    ModelClient,
    ModelError,
    ModelRequest,
    Usage,
    request_for,
)
from .openai_client import OpenAIClient

__all__ = [
    "AnswersAtOnce",
    "BreakerState",
    "Completion",
    "ErrorKind",
    "ModelClient",
    "ModelError",
    "ModelRequest",
    "OpenAIClient",
    "Usage",
    "request_for",
]
