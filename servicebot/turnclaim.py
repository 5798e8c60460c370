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

Turns of one conversation in several processes are taken one at a time the same way: a turn
given a conversation's id holds the conversation in the store (a lease, ``turns``) from
before it loads the history until it is stored, after its place in this process's line
(turnorder.py), so that it loads the turns other processes stored before it and numbers
follow arrival. Both are let go by :func:`let_leases_go`, as the turn lets its line go.

Both last the time a turn may take (``bound``: its model call and three store commands), from
when they are taken; a turn that runs longer (it waited for another's claim, or a stream ran
on past ``model.timeout``) would lose them, and another process take the message over and
answer it too. So :func:`keep_leases` takes them again, for as long once more, at two points:
before the model call, unless less than one store command's time has passed since they were
taken, and before the turn is stored, if the store commands left may outlast them. A turn
within its time (nearly all) sends nothing more. The claim is taken again as it is taken first
(:func:`_claim_or_repeat`): if another process took it over meanwhile, the turn waits for that
one's stored turn and becomes its repeat (before the model call: no call; after it: its own
answer is neither stored nor returned), so a message is stored answered once. A conversation
taken over is only logged: the turn is stored after the other's, as one that went ahead
without its hold is.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from .errors import ConfigError, StorageError
from .redelivery import stopped_unanswered
from .reply import Step, elapsed_ms
from .store.leases import Lease, lease_for

if TYPE_CHECKING:
    from .store import TurnRecord
    from .turn import Turn
    from .turnstorage import TurnStorage

log = logging.getLogger("servicebot")
T = TypeVar("T")
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
        if lease is not None and _claim_or_repeat(turn, lease, time.monotonic() + seconds + 1.0):
            turn.leases.append(lease)
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


def _claim_or_repeat(turn: TurnStorage, lease: Lease, deadline: float) -> bool:
    """Take ``lease`` (True) or find the turn its holder stored (``turn.repeat``, whose
    number the turn's log records then carry). Past ``deadline`` (the holder's claim ran out
    and another process took it over, and neither stored a turn meanwhile), the turn is
    answered unclaimed, with a warning."""
    run = _runner(turn, lease)
    while True:
        taken = run(lease.acquire)
        # Looked for after the claim too: a holder that stored its turn and let go just
        # before the claim was taken has answered the message already.
        if (stored := _answered(turn)) is not None:
            if taken:
                run(lease.release)
            turn.repeat = stored
            turn.log_fields["turn"] = stored.number  # answered as it, and not stored
            return False
        if taken:
            return True
        if time.monotonic() >= deadline:
            log.warning(
                "conversation %s: another process kept the message's delivery past its time;"
                " answered here too",
                turn.conversation_id,
            )
            return False
        time.sleep(POLL)


def _runner(turn: TurnStorage, lease: Lease) -> Callable[[Callable[[], T]], T]:
    """How the store's pause runs ``lease``'s commands (see ``Lease.slow_counts``)."""
    return functools.partial(turn.bot.store_pause.run_lease, slow_counts=lease.slow_counts)


def _answered(turn: TurnStorage) -> TurnRecord | None:
    """The turn stored for ``turn``'s message, if it answered it (one stopped unanswered is
    answered again: see redelivery.py)."""
    assert turn.message_id is not None
    store = turn._opened()
    found = turn.bot.store_pause.run(store.turn_for_message, turn.conversation_id, turn.message_id)
    return None if found is None or stopped_unanswered(found) else found


def _what(turn: TurnStorage) -> str:
    """The lease's name: the message's delivery."""
    return f"message {turn.message_id}"


def hold_conversation(turn: Turn, seconds: float) -> None:
    """Hold ``turn``'s conversation in the store, for ``seconds`` at most, from before its
    history is loaded until it is stored: its turns in other processes wait, as those in this
    one wait in its line (turnorder.py). Waits for another process's turn up to ``seconds``
    (it lets go once stored, or its hold runs out if its process died); past that, the turn
    goes ahead without it, with a warning. A store failure costs only the hold."""
    start = time.perf_counter()
    try:
        lease = lease_for(turn._opened(), turn.conversation_id, "turns", seconds)
        if lease is None or (tries := _taken_in(turn, lease, seconds)) is None:
            return
    except (StorageError, ConfigError) as exc:
        turn._store_failed(
            exc, logging.WARNING, "could not hold the conversation", "not held", start
        )
        return
    turn.leases.append(lease)
    if tries > 1:  # not a first take that was slow (a new connection): another's turn held it
        waited = elapsed_ms(start)
        turn.trace.append(Step("store", "held after another process's turn", waited))


def _taken_in(turn: Turn, lease: Lease, seconds: float) -> int | None:
    """How many tries took ``lease``, within ``seconds`` (and a second more: a holder that
    died holds it that long at most), trying every ``POLL`` seconds; None if none did."""
    run, deadline, tries = _runner(turn, lease), time.monotonic() + seconds + 1.0, 1
    while not run(lease.acquire):
        tries += 1
        if time.monotonic() >= deadline:
            log.warning(
                "conversation %s: a turn in another process held it for over %g s; this turn"
                " goes ahead without it",
                turn.conversation_id,
                seconds,
            )
            return None
        time.sleep(POLL)
    return tries


def keep_leases(turn: TurnStorage, needed: float) -> None:
    """Take ``turn``'s leases again if any may run out within ``needed`` seconds (the rest of
    the turn, at most), as the module docstring says: the claim of its message as it was
    taken first, which may find another process's answer (``turn.repeat``). A store failure
    costs only the lease: it runs out as it would have."""
    start = time.perf_counter()
    for lease in [lease for lease in turn.leases if lease.left() < needed]:
        try:
            kept = _kept(turn, lease)
        except (StorageError, ConfigError) as exc:
            turn._store_failed(
                exc, logging.WARNING, "could not keep its lease", "lease not kept", start
            )
            continue
        if not kept:
            turn.leases.remove(lease)  # another process's now: not to be let go by this one
    if turn.repeat is not None:
        taken = f"repeat of turn {turn.repeat.number}: its message taken over by another process"
        turn.trace.append(Step("store", taken, elapsed_ms(start)))


def _kept(turn: TurnStorage, lease: Lease) -> bool:
    """``lease`` taken again: True if it is still this turn's."""
    if lease.what != "turns":  # the claim of the message: or its answer, stored by another
        return _claim_or_repeat(turn, lease, time.monotonic() + lease.seconds + 1.0)
    if _runner(turn, lease)(lease.acquire):
        return True
    log.warning(
        "conversation %s: a turn in another process took it over, as this turn ran past its"
        " time; this one is stored after it",
        turn.conversation_id,
    )
    return False


def let_leases_go(turn: TurnStorage) -> None:
    """Let ``turn``'s leases go, the last taken first: its turn is stored, or will never be.
    Once; a store failure leaves a lease to run out (another process then waits for it)."""
    while True:
        try:
            lease = turn.leases.pop()  # one thread each: a stream's end and its caller's
        except IndexError:
            return
        try:
            _runner(turn, lease)(lease.release)
        except (StorageError, ConfigError) as exc:
            log.warning("conversation %s: could not let it go: %s", turn.conversation_id, exc)
