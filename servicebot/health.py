"""A health check for a probe: :meth:`Bot.health` probes the store now, and reads the model's
breaker, in a small :class:`Health` that is safe to return from an endpoint as it is.

``bot.store_breaker`` and ``bot.model_breaker`` are passive: they change as customers' turns
meet the store and the model, so an idle process whose Redis server went away, or whose
SQLite file became unwritable, reported healthy until the next customer met it. So the store
is asked, once per check, with its cheapest command (the store's ``ping``: Redis's PING, a
SQLite read, whether its file and folder are writable and their disk not full, nothing
for memory), which fails
within the store's own ``store.timeout`` as a turn's command would.

A probe that fails is reported, never counted towards the store's pause (store/pause.py):
the pause exists so that turns fail fast while the store cannot answer, and a probe every
few seconds that met one slow reply (a fork for a snapshot, a busy disk) would then cost the
next seconds' turns their records untried; turns that meet the failure pause the store
themselves, after one slow command. A probe that succeeds ends a pause, as any command that
succeeds does: an idle process whose store came back would otherwise say ``paused`` until a
customer's turn tried it.

The model is not asked: a request costs money, or a rate limit's share, at every check of
every replica, and ``models.list()``, free on OpenAI, is missing or answered without the
model on many compatible servers, so its answer would not say whether a turn's would come.
The breaker says what the turns met (``model.breaker_failures``), and after a pause the next
turn is its probe. Nor does the model's state make a process unready: a paused model's turns
still get their fallback, and every replica shares the provider, so taking replicas out of
service for it would turn fallbacks into connection errors.

A check never raises (anything the store raises is its ``detail``), logs nothing, and holds
no customer's text: ``detail`` is the store's error, naming its URL (without its password)
or its file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .turnstorage import off_loop

if TYPE_CHECKING:
    from .pipeline import Bot

StoreState = Literal["ok", "failed", "paused"]
ModelState = Literal["ok", "paused", "offline"]


@dataclass(frozen=True)
class Health:
    """One check of a bot in this process. ``ok``: the store answered the probe, so turns are
    answered and stored; the model's state leaves it alone (its turns get their fallback)."""

    ok: bool
    bot: str  # the bot's ``name`` in servicebot.yaml
    store: StoreState  # "paused": a store with no ping() (yours), paused by the turns
    model: ModelState  # "offline": no model; the bot answers from the FAQ alone
    detail: str  # why the store failed, in its words; "" when it answered
    store_ms: float  # how long the probe took
    model_retry_in: float  # seconds until a turn probes the paused model (0 if not paused)
    model_failures: int  # the model's failed requests in a row
    model_last_failure: str | None  # the last of them: "server_error (HTTP 503)", "timeout"


def check_health(bot: Bot) -> Health:
    """``bot`` now: the store probed (opened first, as a turn opens it), the model's breaker
    read; never raises."""
    started = time.monotonic()
    store, detail = _probed_store(bot)
    ms = round((time.monotonic() - started) * 1000, 1)
    breaker = bot.model_breaker
    model: ModelState = "offline" if bot.model is None else "paused" if breaker.open else "ok"
    return Health(
        store != "failed", bot.spec.settings.name, store, model, detail, ms,
        round(breaker.seconds_left, 1), breaker.failures, breaker.last_failure,
    )  # fmt: skip


async def acheck_health(bot: Bot) -> Health:
    """:func:`check_health` for asyncio: a store that may wait is probed in a worker thread,
    as a turn's commands are."""
    return await off_loop(bot, check_health, bot)


def _probed_store(bot: Bot) -> tuple[StoreState, str]:
    """The store's state and, if it failed, why. A store with no ``ping`` (one passed in)
    is not probed: its state is the turns' (``bot.store_breaker``)."""
    try:
        ping = getattr(bot.store, "ping", None)
        if ping is None:
            return ("paused" if bot.store_breaker.open else "ok"), ""
        ping()
    except Exception as exc:  # a probe never raises: whatever failed is its answer
        return "failed", str(exc) or type(exc).__name__
    bot.store_pause.answered()
    return "ok", ""
