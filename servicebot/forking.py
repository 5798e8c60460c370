"""Connections a forked process must not share with its parent.

A process forked after a model call or a store write (gunicorn --preload, Celery's prefork
pool) would otherwise use its parent's kept-alive HTTP connections, on which the children's
answers cross, and its parent's SQLite connections, which SQLite forbids. Each object
registered here starts afresh in a child: its old connections, collected, close only the
child's copies.
"""

from __future__ import annotations

import os
import weakref
from typing import Protocol


class Reconnects(Protocol):
    def _forget_connections(self) -> None: ...


_REGISTERED: weakref.WeakSet[Reconnects] = weakref.WeakSet()


def forget_in_child(owner: Reconnects) -> None:
    """Call ``owner._forget_connections()`` in every process forked from this one."""
    _REGISTERED.add(owner)


def _after_fork() -> None:
    for owner in list(_REGISTERED):
        owner._forget_connections()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
