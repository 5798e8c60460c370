"""The model's breaker: failing fast while the model is out, as the store's ``Pause`` does.

In an outage every turn waits out its attempts (``model.timeout``, ``max_retries``) and sends
them all: 100 turns at once against a provider returning 503s sent 300 requests, and a hung
provider held each customer for every attempt. So after ``model.breaker_failures`` outages
in a row (a timeout, a connection error, a 5xx, a 429: not a request the server refused for
its content, which says the model is up), the model is not asked for ``breaker_pause``
seconds: each turn fails at once as ``paused``, and gets its fallback. The first turn after
the pause is a probe, alone (the others still fail at once): an answer, or any reply from
the server, closes the breaker, and an outage pauses it again. The breaker opening and
closing are logged once each, not per turn.

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
from typing import Any

from .client import ErrorKind, ModelError

log = logging.getLogger("servicebot")

# The failures that say the model is out, not that this turn's request was refused.
OUTAGE_KINDS: frozenset[ErrorKind] = frozenset(
    {"timeout", "connection", "server_error", "rate_limit"}
)


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

    def call(self) -> BreakerCall:
        """One model call: ``with breaker.call() as call:``; raises ModelError("paused")
        untried while the breaker is open."""
        return BreakerCall(self, self._admit())

    def _open(self) -> bool:
        return self.failures > 0 and self._in_a_row >= self.failures

    def _admit(self) -> bool:
        """Whether this call is the probe; ModelError("paused") if it may not be made."""
        with self._lock:
            if not self._open():
                return False
            left = self._until - self.clock()
            if left <= 0 and not self._probing:
                self._probing = True
                return True
        when = f"in {left:.1f} s" if left > 0 else "once a probe under way ends"
        raise ModelError(
            "paused",
            f"not asked: the model failed {self._in_a_row} times in a row; asked again {when}",
            attempts=0,
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
        with self._lock:
            was_open = self._open()
            self._in_a_row += 1
            self._probing = self._probing and not probe
            if self._open():
                self._until = self.clock() + self.pause
        if not was_open and self._open():
            log.warning(
                "the model failed %i times in a row (last: %s): it is paused for %g s, and "
                "turns get the fallback without asking it (model.breaker_failures, "
                "model.breaker_pause)",
                self._in_a_row,
                exc,
                self.pause,
            )

    def abandoned(self, probe: bool) -> None:
        """A call left before its outcome (a customer gone): a probe's place is free again."""
        if probe:
            with self._lock:
                self._probing = False


class BreakerCall:
    """One model call's outcome, told to its breaker as the call ends; :meth:`answered` as
    a stream's first piece arrives (a stream left after it is no outage)."""

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
        if exc is None or (isinstance(exc, Exception) and not _outage(exc)):
            self.answered()  # a ConfigError or a refused request: the server is up
        elif isinstance(exc, ModelError):
            self.breaker.failed(self.probe, exc)
        else:  # GeneratorExit, CancelledError: the call was left, its outcome unknown
            self.breaker.abandoned(self.probe)


def _outage(exc: Exception) -> bool:
    return isinstance(exc, ModelError) and exc.kind in OUTAGE_KINDS
