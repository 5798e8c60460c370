"""A model request's retries, made here and not by the SDK, so that none outlasts the turn.

The SDK retries inside one ``post()``, and pauses before each retry (a server's
``Retry-After``, else its backoff: 0.5 s, doubling to 8 s) in a ``time.sleep`` that nothing
outside it can shorten. A response hook can stop a retry after a response (``x-should-retry:
false``), but after a timeout or a dropped connection there is no response to mark, and the
SDK's backoff (random, in a private method) went on past ``model.turn_timeout``: a blocking
turn due after 1 s that met four quick 503s, then a server that hung until the deadline cut
it, waited out the SDK's fifth backoff, 6 to 8 s more, before it ended. An async call was
cut at its deadline, but waited for a pause that could only end past it.

So each request is posted with the SDK's ``max_retries`` at 0, and :func:`post_retried` makes
the SDK's retries itself: for the same failures (``sdk_retries``: timeouts, connection errors,
408, 409, 429 and 5xx, unless the server says ``x-should-retry: false``), after the same
pauses (the server's wait up to 2 minutes, else the SDK's backoff), numbered in the same
header (``x-stainless-retry-count``: the breaker's hook counts each retry by it, and refuses
one while it is open, and ``Failures`` counts the requests). A retry whose pause would end
past the turn's deadline is not waited for: the call ends at once, as the turn's timeout.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .breaker import FAILED_HEADER
from .client import outage_of
from .failures import kind_of, retry_after_seconds, sdk_retries
from .guarded import DUE_HEADER, late_error
from .sdk import openai_sdk

log = logging.getLogger("servicebot")

_RETRY_HEADER = "x-stainless-retry-count"
_MOST_WAIT = 120.0  # the longest Retry-After the SDK waits for: it retries no longer one


def post_retried(post: Callable[..., Any], posted: dict[str, Any], retries: int) -> Any:
    """``post(**posted)``, retried at most ``retries`` times as the SDK would, within the
    turn's deadline (the due time in the headers of ``posted``)."""
    failed = ""
    for taken in range(retries + 1):
        try:
            return post(**numbered(posted, taken, failed))
        except Exception as exc:
            if (pause := pause_before_retry(exc, taken, retries, posted)) is None:
                raise
            failed = outage_of(kind_of(exc), exc)
            time.sleep(pause)
    raise AssertionError("unreachable: the last attempt returns or raises")


async def apost_retried(
    post: Callable[..., Awaitable[Any]], posted: dict[str, Any], retries: int
) -> Any:
    """:func:`post_retried` for an async client."""
    import asyncio  # here, not at the top: see pipeline.py

    failed = ""
    for taken in range(retries + 1):
        try:
            return await post(**numbered(posted, taken, failed))
        except Exception as exc:
            if (pause := pause_before_retry(exc, taken, retries, posted)) is None:
                raise
            failed = outage_of(kind_of(exc), exc)
            await asyncio.sleep(pause)
    raise AssertionError("unreachable: the last attempt returns or raises")


def numbered(posted: dict[str, Any], taken: int, failed: str = "") -> dict[str, Any]:
    """``posted`` as its ``taken``-th retry (0: the first request), sent with no retry of the
    SDK's, and numbered in the header the SDK numbers its own retries in; a retry says what
    ``failed`` before it, for the breaker (which counts it, and says it to a turn it pauses)."""
    options = posted["options"]
    headers = {**options.get("headers", {}), _RETRY_HEADER: str(taken)}
    if failed:
        headers[FAILED_HEADER] = failed
    return {**posted, "options": {**options, "max_retries": 0, "headers": headers}}


def pause_before_retry(
    exc: Exception, taken: int, retries: int, posted: dict[str, Any]
) -> float | None:
    """The pause before retrying the request ``exc`` ended (``taken`` retries before it),
    logged as the SDK logged its retries; None if it is not retried. ModelError ``timeout``
    (from ``exc``) if the pause would end past the turn's deadline."""
    if taken >= retries or (pause := _pause(exc, taken)) is None:
        return None
    why = f"{type(exc).__name__}" + (f" (HTTP {code})" if (code := _status(exc)) else "")
    return _logged(
        within(pause, posted["options"].get("headers", {}), exc), taken + 1, retries, why, "request"
    )


def pause_logged(
    retry: int, retries: int, why: str, due: dict[str, str], what: str = "stream"
) -> float:
    """The pause before a stream (or ``what`` else) is asked for again, the ``retry``-th time,
    logged with why; ModelError ``timeout`` if it would end past the turn's deadline (the due
    time in the headers ``due``)."""
    return _logged(within(backoff(retry), due), retry, retries, why, what)


def within(pause: float, due: dict[str, str], cause: Exception | None = None) -> float:
    """``pause``, if a request after it would begin before the turn's due time (in the
    headers ``due``, if any); else ModelError ``timeout``, raised from ``cause``."""
    if DUE_HEADER in due and time.monotonic() + pause >= float(due[DUE_HEADER]):
        raise late_error() from cause
    return pause


def _logged(pause: float, retry: int, retries: int, why: str, what: str) -> float:
    """``pause``, logged at INFO, as the SDK logged its own retries, with why."""
    log.info(
        "Retrying the %s in %.2f seconds (retry %i of %i): %s", what, pause, retry, retries, why
    )
    return pause


def backoff(retry: int) -> float:
    """The wait before a request's ``retry``-th retry, or a stream's new attempt, whose server
    names no wait: the SDK's backoff (0.5 s, doubling to 8 s at most, up to a quarter less at
    random), written out because the SDK's is private. Without it, a server that drops every
    stream before its first word got all its attempts within milliseconds."""
    return min(0.5 * 2.0 ** (retry - 1), 8.0) * (1 - 0.25 * random.random())


def _status(exc: Exception) -> int | None:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def _pause(exc: Exception, taken: int) -> float | None:
    """The SDK's pause before retrying after ``exc`` (its ``_should_retry`` and
    ``_calculate_retry_timeout``); None for an error it does not retry."""
    sdk = openai_sdk()
    if isinstance(exc, sdk.APIConnectionError):  # a timeout too
        return backoff(taken + 1)
    if not isinstance(exc, sdk.APIStatusError):
        return None
    headers = exc.response.headers
    wait = retry_after_seconds(headers)
    if wait is not None and wait > _MOST_WAIT:
        return None
    said = headers.get("x-should-retry")  # the server's say first (refusing_waits_over's too)
    if not (said == "true" if said in ("true", "false") else sdk_retries(exc.status_code)):
        return None
    return wait if wait is not None and wait > 0 else backoff(taken + 1)
