"""The model's breaker: failing fast while the model is out, as the store's ``Pause`` does.

In an outage every turn waits out its attempts (``model.timeout``, ``max_retries``) and sends
them all: 100 turns at once against a provider returning 503s sent 300 requests, and a hung
provider held each customer for every attempt. So after ``model.breaker_failures`` outages
in a row (a timeout, a connection error, a 5xx, a 429: not a request the server refused for
its content, which says the model is up), the model is not asked for ``breaker_pause``
seconds: each turn fails at once as ``paused``, and gets its fallback. The first turn after
the pause is a probe, alone (the others still fail at once): an answer, or any reply from
the server, closes the breaker, and an outage pauses it again. The breaker opening and
closing are logged once each, not per turn, and so is each failed probe that pauses it again.
A turn paused says what paused the model, the last outage counted (``ModelError.paused_by``,
the ``paused_by`` of its trace), and a retry carries the failure before it to the breaker's
hook (:data:`FAILED_HEADER`) for that.

Each failed request counts, not only each turn's last: a retry the SDK makes says the attempt
before it failed as an outage (it retries only timeouts, connection errors, 408, 409, 429 and
5xx), so :meth:`Breaker.retrying`, a request hook, counts it, and sends none while the
breaker is open (the call fails as ``paused``). Counted only as turns ended, 100 turns at
once against a provider returning 503s all retried before the first ended, and still sent
300 requests; now they send about 100 and ``failures`` more.

The state is this object's: one per Bot per process. Several workers each keep their own,
and a Bot made anew (a reload) starts closed. :meth:`Breaker.state` reads it, for a health
check (``Bot.model_breaker``).

The store's :class:`~servicebot.store.Pause` is the same mechanism (an injectable clock, a
time until which calls are refused), but it wraps one blocking call and pauses after one
slow failure; a model call is also async or a stream, and one failure in a burst of 100
turns is no outage, so this one counts failures and lets a single probe through.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import NoKeyError
from .client import ErrorKind, ModelError, outage_of

log = logging.getLogger("servicebot")

# The failures that say the model is out, not that this turn's request was refused.
OUTAGE_KINDS: frozenset[ErrorKind] = frozenset(
    {"timeout", "connection", "server_error", "rate_limit"}
)


# The header the SDK numbers each attempt of a request in: 0 the first, 1 its first retry.
_RETRY_HEADER = "x-stainless-retry-count"
# The header a retry carries the failure it follows in (retries.py), as outage_of says it;
# taken off before it is sent.
FAILED_HEADER = "x-servicebot-failed"


@dataclass(frozen=True)
class BreakerState:
    """A model's breaker as it stands: ``open`` while turns get the fallback without asking
    it, for ``seconds_left`` more (0 once a probe may go, or is under way); ``failures``:
    the failed requests in a row; ``last_failure``: the last of them in a few words
    (``server_error (HTTP 503)``, never the server's text), None after an answer."""

    open: bool
    seconds_left: float
    failures: int
    last_failure: str | None = None


class Breaker:
    """Counts a model's outages in a row; after ``failures`` (0: never), pauses it ``pause``
    seconds. Shared by every turn of a bot, in every thread."""

    def __init__(
        self, failures: int, pause: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures, self.pause, self.clock = failures, pause, clock
        self._lock = threading.Lock()
        self._in_a_row = 0  # outages in a row; the breaker is open from ``failures`` on
        self._until = 0.0  # when a probe may be sent, on ``clock``
        self._probing = False  # a probe is under way: the other turns still fail at once
        self._last = ""  # the last outage counted, for the turns paused: outage_of's words

    def call(self) -> BreakerCall:
        """One model call: ``with breaker.call() as call:``; raises ModelError("paused")
        untried while the breaker is open."""
        return BreakerCall(self, self._admit())

    def _open(self) -> bool:
        return self.failures > 0 and self._in_a_row >= self.failures

    def state(self) -> BreakerState:
        """The breaker now, read only (a health check's)."""
        with self._lock:
            is_open, left = self._open(), self._until - self.clock()
            last = self._last if self._in_a_row else None
            return BreakerState(is_open, max(left, 0.0) if is_open else 0.0, self._in_a_row, last)

    def retrying(self, request: Any) -> None:
        """An httpx request hook: a retry of the SDK's is a failed attempt before it, counted
        as an outage; while the breaker is open it is not sent, and the call fails as
        ``paused`` (a ModelError, which the SDK raises as it is, retrying no more)."""
        failed = request.headers.pop(FAILED_HEADER, "an outage")
        try:
            sent = int(request.headers.get(_RETRY_HEADER, "0"))
        except ValueError:
            return
        if sent == 0:  # a call's first request: the breaker admitted its call (call())
            return
        if in_a_row := self._count(False, f"{failed}, before a retry", failed):
            raise ModelError(
                "paused",
                f"not retried: the model failed {in_a_row} times in a row (last: {failed})",
                attempts=sent,  # this post()'s requests, all failed
                paused_by=failed,
            )

    def _admit(self) -> bool:
        """Whether this call is the probe; ModelError("paused") if it may not be made."""
        with self._lock:
            if not self._open():
                return False
            left = self._until - self.clock()
            if left <= 0 and not self._probing:
                self._probing = True
                return True
            in_a_row, last = self._in_a_row, self._last
        when = f"in {left:.1f} s" if left > 0 else "once a probe under way ends"
        raise ModelError(
            "paused",
            f"not asked: the model failed {in_a_row} times in a row (last: {last}); asked "
            f"again {when}",
            attempts=0,
            paused_by=last,
        )

    def answered(self, probe: bool) -> None:
        """The server answered (an answer, or a refusal of this request): the model is up."""
        with self._lock:
            was_open, self._in_a_row = self._open(), 0
            self._probing = self._probing and not probe
        if was_open:
            log.warning("the model answered again: the breaker is closed")

    def failed(self, probe: bool, exc: ModelError) -> None:
        """An outage: counted; the one that reaches ``failures`` (or a failed probe)
        pauses the model."""
        self._count(probe, str(exc), outage_of(exc.kind, exc.__cause__))

    def _count(self, probe: bool, said: str, outage: str) -> int:
        """One outage more; logged as it opens the breaker, and as it pauses the model again
        after a pause (a failed probe: the pause restarts). The outages in a row if the
        breaker is open now, else 0. An outage while paused (a retry refused, a call sent
        before it opened) is counted, but the pause runs on from when it began: restarted
        by each, it lasted until the last turn under way had given up, not ``pause``.
        ``outage``: the failure in a few words, for the turns it pauses (their trace)."""
        with self._lock:
            self._last = outage
            was_open, now = self._open(), self.clock()
            again = was_open and (probe or self._until <= now)
            self._in_a_row += 1
            self._probing = self._probing and not probe
            if (is_open := self._open()) and (again or not was_open):
                self._until = now + self.pause
            in_a_row = self._in_a_row if is_open else 0
        if again:
            log.warning(
                "the model failed again after its pause (%s): it is paused for %g s more",
                said,
                self.pause,
            )
        elif not was_open and is_open:
            log.warning(
                "the model failed %i times in a row (last: %s): it is paused for %g s, and "
                "turns get the fallback without asking it (model.breaker_failures, "
                "model.breaker_pause)",
                in_a_row,
                said,
                self.pause,
            )
        return in_a_row

    def abandoned(self, probe: bool) -> None:
        """A call left before its outcome (a customer gone): a probe's place is free again."""
        if probe:
            with self._lock:
                self._probing = False


class BreakerCall:
    """One model call's outcome, told to its breaker as the call ends; :meth:`answered` as
    a stream's reader shows its first piece (guarded.py: a stream that fails after it is no
    outage, one that fails before it is, whatever the model had sent)."""

    def __init__(self, breaker: Breaker, probe: bool) -> None:
        self.breaker, self.probe = breaker, probe
        self._told = False

    def answered(self) -> None:
        if not self._told:
            self._told = True
            self.breaker.answered(self.probe)

    def __enter__(self) -> BreakerCall:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _: Any) -> None:
        if self._told:
            return
        if _unasked(exc):
            self.breaker.abandoned(self.probe)
        elif exc is None or (isinstance(exc, Exception) and not _outage(exc)):
            self.answered()  # a ConfigError or a refused request: the server is up
        elif isinstance(exc, ModelError):
            self.breaker.failed(self.probe, exc)
        else:  # GeneratorExit, CancelledError: the call was left, its outcome unknown
            self.breaker.abandoned(self.probe)


def _outage(exc: Exception) -> bool:
    return isinstance(exc, ModelError) and exc.kind in OUTAGE_KINDS


def _unasked(exc: BaseException | None) -> bool:
    """Whether a call ended without asking the model: a retry refused while the breaker is
    open (counted already), or no key to send (the model may be up or down)."""
    paused = isinstance(exc, ModelError) and exc.kind == "paused"
    return paused or isinstance(exc, NoKeyError)
