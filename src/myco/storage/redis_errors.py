"""Turning redis-py failures into :class:`~myco.storage.contract.StorageUnavailable`.

Only failures that retrying later can fix become a 503; anything else (a bug, a script
error) stays an ordinary exception, logged as such.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from redis import exceptions as rx

from myco.storage.contract import StorageUnavailable

#: error prefixes Redis answers with while it cannot serve writes for now
_TRANSIENT = (
    "LOADING",
    "MISCONF",
    "READONLY",
    "NOREPLICAS",
    "MASTERDOWN",
    "TRYAGAIN",
    "CLUSTERDOWN",
    "BUSY",
)


def reason(exc: BaseException) -> str | None:
    """A short, address-free reason when *exc* means "Redis cannot serve right now"."""
    if isinstance(exc, rx.BusyLoadingError):
        return "redis is loading its data"
    if isinstance(exc, rx.ReadOnlyError):
        return "redis refuses writes (a read-only replica)"
    if isinstance(exc, (rx.TimeoutError, asyncio.TimeoutError, TimeoutError)):
        return "redis did not answer in time"
    if isinstance(exc, (rx.ConnectionError, ConnectionError, OSError)):
        return "redis is unreachable"
    if isinstance(exc, rx.OutOfMemoryError) or str(exc).startswith("OOM "):
        return "redis is out of memory (maxmemory reached)"
    if isinstance(exc, rx.ResponseError) and str(exc).split(" ", 1)[0] in _TRANSIENT:
        return f"redis cannot serve now ({str(exc).split(' ', 1)[0]})"
    return None


@contextmanager
def unavailable(on_readonly: Callable[[], None] | None = None) -> Iterator[None]:
    """Re-raise a transient Redis failure as StorageUnavailable (the HTTP layer's 503).

    *on_readonly* runs when Redis answered READONLY: a failover demoted the server our
    connections lead to, and new connections may reach the new primary.
    """
    try:
        yield
    except (rx.RedisError, OSError, asyncio.TimeoutError) as exc:
        why = reason(exc)
        if why is None:
            raise
        if on_readonly is not None and isinstance(exc, rx.ReadOnlyError):
            on_readonly()
        raise StorageUnavailable(why) from exc
