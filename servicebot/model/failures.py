"""What a failure means: the SDK's exceptions as a :class:`ModelError` (an outage, with a
kind) or a :class:`~servicebot.errors.ConfigError` (a key, model, server or account to fix: a
401, 403, 404, 402 or a 400 in a server's words for one of those, the last three worded in
refusals.py), and the waits a server asks for that are too long to retry after
(``max_retry_after``).
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError, ServicebotError
from ..settings import ModelSettings
from .client import ErrorKind, ModelError
from .contentfilter import filter_detail, refused_by_filter
from .echoes import error_fields, without_echo
from .refusals import not_found_message, payment_message, setup_400_message
from .sdk import openai_sdk

log = logging.getLogger("servicebot")


def refusing_waits_over(limit: float) -> Callable[[Any], None]:
    """An httpx response hook: a response whose server asks for a longer wait than ``limit``
    seconds is marked ``x-should-retry: false``, which the SDK obeys.

    The SDK waits as long as ``Retry-After`` says, up to 2 minutes, and has no setting for
    less. A customer would rather have the fallback (a person to contact) at once.
    """

    def refuse(response: Any) -> None:
        wait = retry_after_seconds(response.headers)
        if wait is not None and wait > limit:
            response.headers["x-should-retry"] = "false"

    return refuse


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The wait a response asks for, in seconds, read as the SDK reads it: ``retry-after-ms``,
    else ``retry-after`` in seconds or as an HTTP date; None if it asks for none."""
    for name, unit in (("retry-after-ms", 1000), ("retry-after", 1)):
        try:
            return float(headers[name]) / unit
        except (KeyError, ValueError):
            continue
    try:
        date = email.utils.parsedate_tz(headers.get("retry-after", ""))
        return None if date is None else email.utils.mktime_tz(date) - time.time()
    except (OverflowError, ValueError):  # a date no clock can reach: no wait to compare
        return None


class Failures:
    """Turns the SDK's exceptions into a ModelError (an outage) or a ConfigError (setup), and
    counts the requests one model call sent: the SDK's retries, and a stream's new attempts
    (one Failures for all of them)."""

    def __init__(
        self, settings: ModelSettings, settings_file: Path, *, key_given: bool = False
    ) -> None:
        self.settings, self.settings_file = settings, settings_file
        self.key_given = key_given  # passed in code as api_key, not read from api_key_env
        self._before = self._current = 0  # requests sent by earlier attempts, and this one

    @property
    def attempts(self) -> int:
        return self._before + self._current

    def requests_left(self) -> int:
        """The requests ``max_retries`` still allows: a stream asked for again and the SDK's
        retries inside each attempt share it."""
        return self.settings.max_retries + 1 - self.attempts

    def sent(self, request: Any) -> None:
        """Count the requests of the SDK's post() whose last request was ``request``: the SDK
        numbers each in its ``x-stainless-retry-count`` header."""
        try:
            self._current = int(request.headers.get("x-stainless-retry-count", "0")) + 1
        except (AttributeError, ValueError):
            self._current = max(self._current, 1)

    def again(self) -> None:
        """A stream is asked for again: what the attempt before sent is counted."""
        self._before, self._current = self.attempts, 0

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _: Any) -> None:
        if isinstance(exc, ModelError) and exc.attempts is None:  # ours: broken, cut, late
            if (request := getattr(exc.__cause__, "request", None)) is not None:
                self.sent(request)  # a retry not made for the deadline: the request before it
            exc.attempts = self.attempts or None
        if not isinstance(exc, Exception) or isinstance(exc, ServicebotError):
            return  # none, ours, or the turn's end: GeneratorExit, CancelledError
        if (request := getattr(exc, "request", None)) is not None:
            self.sent(request)  # the SDK's last request for it
        self._convert(exc)

    def _convert(self, exc: Exception) -> None:
        """Raise ``exc`` as a ConfigError (a key, model or server to fix) or a ModelError."""
        sdk = openai_sdk()
        if isinstance(exc, (sdk.AuthenticationError, sdk.PermissionDeniedError)):
            raise ConfigError.at(self.settings_file, self._rejected_key(exc.status_code)) from exc
        if isinstance(exc, sdk.NotFoundError):
            raise ConfigError.at(self.settings_file, not_found_message(exc, self.settings)) from exc
        if isinstance(exc, sdk.APIStatusError) and exc.status_code == 402:  # not retried
            raise ConfigError.at(
                self.settings_file, payment_message(exc, self.settings, self._key())
            ) from exc
        if isinstance(exc, sdk.BadRequestError) and (
            said := setup_400_message(exc, self.settings, self._key())
        ):
            raise ConfigError.at(self.settings_file, said) from exc
        detail = _describe(exc) + self._not_retried(exc)
        if (kind := kind_of(exc)) == "closed":
            detail = f"closed here, not by the server (bot.close() while the turn ran): {detail}"
        elif kind == "content_filter":
            detail = filter_detail(getattr(exc, "body", None), detail)
        raise ModelError(kind, detail, attempts=self.attempts or None) from exc

    def _not_retried(self, exc: Exception) -> str:
        """Why an error the SDK retries (408, 409, 429, 5xx) was not, with retries left: its
        server asked for a longer wait than ``max_retry_after`` (see refusing_waits_over). Not
        said once the attempts are all spent, the SDK's and a stream's new ones together."""
        response = getattr(exc, "response", None)
        if response is None or not sdk_retries(getattr(response, "status_code", 0)):
            return ""
        wait, most = retry_after_seconds(response.headers), self.settings.max_retry_after
        if wait is None or wait <= most or self.requests_left() <= 0:
            return ""  # out of retries (a stream's new attempts spend them too): no wait's fault
        return (
            f"; not retried: the server asked for a {round(wait, 1):g} s wait, and "
            f"model.max_retry_after is {most:g} s"
        )

    def _key(self) -> str:
        """Where the key sent came from, for the operator's messages (never the key)."""
        if self.key_given:
            return "the api_key passed in code"
        name = self.settings.api_key_env
        return f"the key in {name}" if name else "its key"

    def _rejected_key(self, status: int) -> str:
        name = self.settings.api_key_env
        if self.key_given:
            return (
                f"model: the server rejected {self._key()} ({status}); check the key and "
                "model.base_url"
            )
        if name is None:  # a server thought to take no key
            return (
                f"model: the server at {self.settings.base_url} wants an API key ({status}), "
                "and model.api_key_env is null (no key): name the environment variable that "
                "holds its key there"
            )
        return (
            f"model: the server rejected the API key in {name} ({status}); check the key and "
            "model.base_url"
        )


def kind_of(exc: Exception) -> ErrorKind:
    """The kind of outage an SDK exception that is no setup error stands for."""
    sdk = openai_sdk()
    if isinstance(exc, sdk.APITimeoutError):
        return "timeout"
    if isinstance(exc, sdk.APIConnectionError):
        return "connection"
    if isinstance(exc, sdk.BadRequestError) and refused_by_filter(exc.body):
        return "content_filter"  # Azure's filter refused the prompt: see contentfilter.py
    if isinstance(exc, sdk.APIStatusError) and exc.status_code >= 400:
        return _status_kind(exc.status_code)
    if isinstance(exc, RuntimeError) and "client has been closed" in str(exc):  # httpx's
        return "closed"  # by this process: nothing for the provider's on-call to look at
    return "broken_response"  # bad JSON, a cut stream, an answer with no choices


def sdk_retries(status: int) -> bool:
    """Whether the ``openai`` SDK retries an HTTP ``status`` (its ``_should_retry``, when the
    server sets no ``x-should-retry``): 408, 409 (a lock timeout), 429 and every 5xx."""
    return status in (408, 409, 429) or status >= 500


# The kinds of failure the SDK retries, as the HTTP statuses it retries (sdk_retries): each
# such status is of one of these kinds (_status_kind), and every other 4xx is "rejected".
RETRIED_KINDS: frozenset[ErrorKind] = frozenset({"timeout", "rate_limit", "server_error"})
# An error's type, code or status, in the words servers use for it, and its kind: OpenAI's
# "server_error" and "rate_limit_exceeded", Anthropic-style "overloaded_error" and "api_error",
# Google-style "UNAVAILABLE" and "RESOURCE_EXHAUSTED".
_EVENT_WORDS: tuple[tuple[tuple[str, ...], ErrorKind], ...] = (
    (("rate_limit", "resource_exhausted"), "rate_limit"),
    (("server_error", "internal", "overloaded", "unavailable", "api_error"), "server_error"),
    (("timeout", "deadline_exceeded"), "timeout"),
    (("invalid_request", "bad_request"), "rejected"),
)


def event_kind(exc: Any) -> ErrorKind:
    """The kind of an error a stream sent as an event (``data: {"error": {...}}``), which the
    SDK raises as a bare ``APIError`` whose ``body`` is the error: see :func:`reported_kind`."""
    body = getattr(exc, "body", None)
    return reported_kind(body if isinstance(body, Mapping) else {})


def reported_kind(error: Mapping[str, Any]) -> ErrorKind:
    """The kind of an error a server reported in a 200's body, ``{"error": {...}}`` (a
    stream's event, or a proxy's whole answer): the kind of the HTTP error it stands for, read
    from its ``code`` or ``status`` when that is a status (vLLM sends ``"code": 400``, some
    gateways ``"status": 503``) or else from the words of its ``type``, ``code`` and
    ``status``; a content filter's refusal first, which Azure sends with ``"status": 400``.
    One that names none is a broken response, as it was."""
    if refused_by_filter(error):
        return "content_filter"
    for name in ("code", "status"):
        if (status := _status_of(error.get(name))) is not None:
            return _status_kind(status)
    named = " ".join(str(error.get(name) or "") for name in ("code", "status", "type")).lower()
    kinds = (kind for words, kind in _EVENT_WORDS if any(word in named for word in words))
    return next(kinds, "broken_response")


def _status_of(value: Any) -> int | None:
    """An error's ``code`` or ``status`` as the HTTP error status it stands for: ``500``,
    ``"500"``, or ``500.0`` (JSON has one kind of number, and some servers write every number
    with a point); None for anything else (``500.5``, ``"abc"``, ``true``, a 200)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value) if isinstance(value, int | str) else ""
    return int(text) if text.isdigit() and 400 <= int(text) < 600 else None


def _status_kind(status: int) -> ErrorKind:
    """The kind of an HTTP error status: a 408 (a request timeout) is a timeout as the SDK's
    own is; a 409, which the SDK retries as a lock timeout (a conflict on the server's side,
    not the request's fault), a server error; 400, 413, 422 are ``rejected`` (a setting the
    model does not take, a prompt too long), as are other 4xx, which the SDK does not retry."""
    if status == 408:
        return "timeout"
    if status == 429:
        return "rate_limit"
    return "server_error" if status == 409 or status >= 500 else "rejected"


def _describe(exc: Exception) -> str:
    """The SDK's error, and what caused it: its connection error says only "Connection
    error.", and the cause tells a refused port from a TLS mismatch or a DNS failure. A
    server's error is said as echoes.py has it, without the prompt its message may quote."""
    if isinstance(exc, openai_sdk().APIStatusError):
        return _server_error(exc)[:300]
    status = getattr(exc, "status_code", None)
    text = f"{type(exc).__name__}" + (f" (HTTP {status})" if status else "") + f": {exc}"
    if exc.__cause__ is not None and str(exc.__cause__) not in text:
        text += f" ({type(exc.__cause__).__name__}: {exc.__cause__})"
    return text[:300]


def _server_error(exc: Any) -> str:
    """A status error: ``BadRequestError (HTTP 400; type invalid_request_error, code
    context_length_exceeded, request id req_1): This model … [90 characters withheld]``."""
    error = exc.body if isinstance(exc.body, Mapping) else {}
    named = error_fields(error, getattr(exc, "request_id", None))
    head = f"{type(exc).__name__} (HTTP {exc.status_code}" + (f"; {named})" if named else ")")
    message = error.get("message")
    said = without_echo(message) if isinstance(message, str) and message else "no message"
    return f"{head}: {said}"
