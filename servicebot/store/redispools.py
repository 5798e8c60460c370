"""The redis-py connection pools of a process, one for each server its Redis stores name.

A process hosting many shops' bots on one Redis server gave each bot's store a pool of its
own, each with its own connections: 100 bots on one URL held 101 connections to the server.
Stores whose URLs name one server, database, user, password and options, with one
``store.timeout``, now share one pool (as every model client of the process shares one TLS
context: model/sdk.py); each store keeps its own namespace, and its keys never meet
another's. A pool is counted: each store takes it (:func:`take_pool`) and gives it back
once, as it closes or is collected unclosed (:func:`give_back`), and the last one to give it
back closes its connections. So closing one bot (a reload, a shop leaving) leaves the
connections the others are using open.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import redis
from redis.backoff import ExponentialBackoff
from redis.connection import parse_url
from redis.retry import Retry

PoolKey = tuple[object, ...]


@dataclass
class _Shared:
    pool: redis.ConnectionPool
    users: int = 0


_POOLS: dict[PoolKey, _Shared] = {}
_LOCK = threading.Lock()  # bots loaded, and closed, in threads at once


def pool_key(url: str, timeout: float) -> PoolKey:
    """What tells two stores' pools apart: the URL's every option as redis-py reads it (so
    ``redis://h:6379`` and ``redis://h:6379/0`` are one database), and the timeout.

    Raises:
        ValueError: a URL redis-py cannot use.
    """
    options = parse_url(url)  # type: ignore[no-untyped-call]
    options.setdefault("db", 0)
    return (timeout, *sorted((name, repr(value)) for name, value in options.items()))


def take_pool(url: str, timeout: float) -> tuple[redis.ConnectionPool, PoolKey]:
    """The process's pool for ``url`` and ``timeout``, made on first use, and its key; give
    it back with :func:`give_back` once done with it.

    ``timeout``: seconds a command may wait for a connection or a reply. A command is tried
    once more after a dropped connection or a timeout (a server that restarted).

    Raises:
        ValueError: a URL redis-py cannot use.
    """
    key = pool_key(url, timeout)
    with _LOCK:
        if (shared := _POOLS.get(key)) is None:
            shared = _POOLS[key] = _Shared(_new_pool(url, timeout))
        shared.users += 1
    return shared.pool, key


def give_back(key: PoolKey, pool: redis.ConnectionPool) -> None:
    """One user of ``pool`` is done with it: the last one closes its connections."""
    with _LOCK:
        shared = _POOLS.get(key)
        if shared is None or shared.pool is not pool:
            return
        shared.users -= 1
        if shared.users > 0:
            return
        del _POOLS[key]
    pool.disconnect()


def _new_pool(url: str, timeout: float) -> redis.ConnectionPool:
    retry = Retry(ExponentialBackoff(cap=0.2, base=0.05), retries=1)
    pool: redis.ConnectionPool = redis.ConnectionPool.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=retry,
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
    )
    return pool
