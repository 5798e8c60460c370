"""What a refusal to fix in servicebot.yaml says: a 402 (an account to top up), a 404 (a
model the server does not have, or an address with no chat endpoint), and the few 400s that
are one of those in other words.

A 402 is DeepSeek's ``Insufficient Balance`` (an OpenAI-compatible gateway's too): no turn
succeeds until the account is topped up, and the SDK does not retry it, so it is the
operator's, as a rejected key (401) is, not one turn's ``rejected`` request.

Both come back as HTTP 404, and the fix differs: ``model.name`` for the one, ``model.base_url``
for the other. A server that lacks the model says so in its body (OpenAI's ``"code":
"model_not_found"``, Ollama's ``model 'x' not found``, vLLM's ``The model 'x' does not
exist.``); a route the server lacks gets its web framework's page (FastAPI's ``{"detail":
"Not Found"}`` from vLLM, ``404 page not found`` from Ollama's Go router, llama.cpp's ``File
Not Found``), which names no model. A ``base_url`` without ``/v1`` (vLLM serves only
``/v1/...``) is such a route; one ending in ``/chat/completions``, which the client adds
itself, is refused as it is loaded (settingvalues.http_url).

Some servers send a setup error as a 400: DeepSeek's ``"message": "Model Not Exist"`` for a
model it does not serve, DashScope's ``"code": "Arrearage"`` ("Access denied, please make
sure your account is in good standing") for an account in arrears. A 400 is as often one
turn's (a prompt too long, a content filter), so only these, known by the server's code or
whole message, are setup errors (setup_400_message); every other 400 stays ``rejected``.

The server's words are quoted in the error, which the turn logs at ERROR and the caller may
show, as echoes.py keeps a server's message: up to where it may start quoting the request (a
body that is no JSON error is quoted whole), its PII masked. "Insufficient Balance", "Not
Found" and "Model Not Exist" are kept; a customer's words a server repeats are not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..settings import ModelSettings
from .echoes import without_echo

# A body that says the model is missing: "model_not_found", "The model `x` does not exist",
# "model 'x' not found, try pulling it first", "ModelNotFound"; Azure's "DeploymentNotFound"
# (its deployment is model.name).
_MODEL_MISSING = re.compile(
    r"(?:model|deployment).?not.?found"
    r"|model\b.*\b(not found|does not exist|not exist|unknown|no such)",
    re.IGNORECASE | re.DOTALL,
)
_QUOTED = 80  # characters of the server's words kept in the message, at most
# A 400's error code or type, or its whole message, that names a setup error: see the docstring.
_MISSING_MODEL_400 = frozenset({"model_not_found", "model not exist"})
_UNPAID_400 = frozenset({"arrearage"})


def not_found_message(exc: Any, settings: ModelSettings) -> str:
    """The operator's message for the SDK's NotFoundError ``exc``: a missing model, or (a
    body that names no model) a missing route."""
    body = _body_text(exc)
    where = settings.base_url or "the OpenAI API"
    if _MODEL_MISSING.search(body):
        return (
            f"model: the server has no model {settings.name!r} at {where} (404); check "
            "model.name and model.base_url"
        )
    url = getattr(getattr(exc, "request", None), "url", None) or where
    return (
        f"model: the server has no chat-completions endpoint at {url} (404: "
        f"{_quoted(exc, body)}); " + _route_hint(settings.base_url)
    )


def payment_message(exc: Any, settings: ModelSettings, key: str, status: int = 402) -> str:
    """The operator's message for a 402 ``exc`` (or a 400 saying the same): the account
    behind the key (``key`` says where it came from) has no credit."""
    server = f"the server at {settings.base_url}" if settings.base_url else "the OpenAI API"
    return (
        f"model: {server} wants payment ({status}: "
        f"{_quoted(exc, _body_text(exc))}); top up the account behind {key}"
    )


def setup_400_message(exc: Any, settings: ModelSettings, key: str) -> str | None:
    """The operator's message for a 400 ``exc`` that is a setup error in a server's words (a
    missing model, an unpaid account); None for any other 400, which is one turn's."""
    said = _error_words(exc)
    if said & _MISSING_MODEL_400:
        where = settings.base_url or "the OpenAI API"
        return (
            f"model: the server has no model {settings.name!r} at {where} (400: "
            f"{_quoted(exc, _body_text(exc))}); check model.name and model.base_url"
        )
    return payment_message(exc, settings, key, 400) if said & _UNPAID_400 else None


def _error_words(exc: Any) -> set[str]:
    """The code, type and whole message of the error in ``exc``'s body, lower case."""
    error = getattr(exc, "body", None)  # the SDK's parsed body, its "error" taken out
    if not isinstance(error, Mapping):
        return set()
    said = (error.get(name) for name in ("code", "type", "message"))
    return {" ".join(value.split()).lower() for value in said if isinstance(value, str)}


def _route_hint(base_url: str | None) -> str:
    """What to change in ``model.base_url`` for a route the server does not have."""
    if base_url and not base_url.rstrip("/").endswith("/v1"):
        return "does model.base_url need /v1 at its end (vLLM, Ollama, llama.cpp serve /v1/...)?"
    return "check model.base_url: /chat/completions is added to it for each request"


def _body_text(exc: Any) -> str:
    """The body of the server's reply, as text: what the SDK read of it."""
    import httpx2  # the SDK's HTTP client, imported with it

    response = getattr(exc, "response", None)
    try:
        return str(response.text) if response is not None else ""
    except httpx2.ResponseNotRead:  # a body never read: the SDK's message stands for it
        return str(exc)


def _quoted(exc: Any, body: str) -> str:
    """The server's words, on one line and short, without what they may quote of the request
    (see the docstring): its error's message (OpenAI's ``error.message``, FastAPI's
    ``detail``) or else its body."""
    error = getattr(exc, "body", None)  # the SDK's parsed body, its "error" taken out
    if isinstance(error, Mapping):
        error = error.get("message") or error.get("detail") or error.get("error")
    return repr(without_echo(str(error if isinstance(error, str) and error else body), _QUOTED))
