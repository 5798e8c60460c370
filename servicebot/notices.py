"""Warnings said once per process, not once per turn.

Some warnings are about the setup, not the turn: a server counting prompt tokens unlike
servicebot (budget/estimate.py), a model streaming its reasoning with ``model.reasoning:
auto`` (model/reasoning.py). Said on every turn, they filled a busy service's log and
buried the turns' own warnings. Each is said the first time it is seen, under a key that
names what it is about (and for which model, where that differs), and never again in the
process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable

log = logging.getLogger("servicebot")

_said: set[Hashable] = set()  # the keys of the warnings said in this process
_lock = threading.Lock()  # two turns in threads, seeing it at once, say it once


def warn_once(key: Hashable, message: str, *args: object) -> None:
    """Log ``message % args`` as a warning unless one under ``key`` was said before in this
    process."""
    with _lock:
        if key in _said:
            return
        _said.add(key)
    log.warning(message, *args)
