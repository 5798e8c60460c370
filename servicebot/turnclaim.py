"""One process answers a delivery of a message, however many it reaches.

A platform delivers a message again when its webhook answered slowly, and the retry may reach
another worker (gunicorn's, uvicorn's, another pod) while the first still waits on the model.
Each process takes its own conversations' turns one at a time (turnorder.py), so the retry
found no stored turn and was answered too: two model calls, two turns stored, two replies
sent to the customer. So a turn given a ``message_id`` that finds no turn stored for it
claims the delivery in the store (a lease, see store/leases.py) before the model call, and
lets the claim go once its turn is stored (or will never be). A turn that finds the delivery
claimed waits, up to the time a turn may take, for the claimant's stored turn, and repeats
it; if the claimant died (its claim ran out, nothing stored), it takes over and answers.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from .errors import ConfigError, StorageError
from .redelivery import stopped_unanswered
from .reply import Step, elapsed_ms
from .store.leases import Lease, lease_for

if TYPE_CHECKING:
    from .store import TurnRecord
    from .turn import Turn
    from .turnstorage import TurnStorage

log = logging.getLogger("servicebot")
POLL = 0.05  # seconds between two looks for the claimant's stored turn


def claim_delivery(turn: Turn, seconds: float) -> None:
    """Claim the delivery of ``turn``'s message for ``seconds`` (the time a turn may take),
    or wait for the process that did to store its turn, and repeat it (``turn.repeat``). A
    store failure costs only the claim: the turn is answered, as before claims."""
    if turn.message_id is None or turn.repeat is not None:
        return
    start = time.perf_counter()
    try:
        lease = lease_for(turn._opened(), turn.conversation_id, _what(turn), seconds)
        if lease is not None:
            _claim_or_repeat(turn, lease, time.monotonic() + seconds + 1.0)
    except (StorageError, ConfigError) as exc:
        turn._store_failed(
            exc,
            logging.WARNING,
            "could not claim the message's delivery",
            "delivery not claimed",
            start,
        )
        return
    if turn.repeat is not None:
        waited = f"repeat of turn {turn.repeat.number}, answered by another process"
        turn.trace.append(Step("store", waited, elapsed_ms(start)))


def _claim_or_repeat(turn: Turn, lease: Lease, deadline: float) -> None:
    """Take ``lease`` (``turn.claim``) or find the turn its holder stored (``turn.repeat``).
    Past ``deadline`` (the holder's claim ran out and another process took it over, and
    neither stored a turn meanwhile), the turn is answered unclaimed, with a warning."""
    run = turn.bot.store_pause.run
    while True:
        taken = run(lease.acquire)
        # Looked for after the claim too: a holder that stored its turn and let go just
        # before the claim was taken has answered the message already.
        if (stored := _answered(turn)) is not None:
            if taken:
                run(lease.release)
            turn.repeat = stored
            return
        if taken:
            turn.claim = lease
            return
        if time.monotonic() >= deadline:
            log.warning(
                "conversation %s: another process kept the message's delivery past its time;"
                " answered here too",
                turn.conversation_id,
            )
            return
        time.sleep(POLL)


def _answered(turn: Turn) -> TurnRecord | None:
    """The turn stored for ``turn``'s message, if it answered it (one stopped unanswered is
    answered again: see redelivery.py)."""
    assert turn.message_id is not None
    store = turn._opened()
    found = turn.bot.store_pause.run(store.turn_for_message, turn.conversation_id, turn.message_id)
    return None if found is None or stopped_unanswered(found) else found


def _what(turn: Turn) -> str:
    """The lease's name: the message's delivery."""
    return f"message {turn.message_id}"


def let_claim_go(turn: TurnStorage) -> None:
    """Let ``turn``'s claim go: its turn is stored, or will never be. Once; a store failure
    leaves it to run out (a retry then waits for it)."""
    lease, turn.claim = turn.claim, None
    if lease is None:
        return
    try:
        turn.bot.store_pause.run(lease.release)
    except (StorageError, ConfigError) as exc:
        log.warning(
            "conversation %s: could not let the message's delivery go: %s",
            turn.conversation_id,
            exc,
        )
