"""Server-level limits and timeouts: what one client may hold of the daemon.

Every value has a sane default and a ``MYCO_*`` environment variable (documented in
docs/http-api.md, section "Limits"). They are read once, when the daemon starts.
"""

from __future__ import annotations

import asyncio
import os
import resource
from typing import Final

from aiohttp import web
from attrs import frozen

#: file descriptors kept free for log files, Redis connections and the listening socket
_FD_RESERVE = 128


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        value = float(raw)
    except ValueError:
        return default
    return value if value > 0 else default


def _env_int(name: str, default: int) -> int:
    return int(_env_float(name, default))


def default_max_connections() -> int:
    """At most 4096 connections, and never so many that the descriptor limit is reached."""
    try:
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):  # pragma: no cover - every POSIX system has it
        soft = 1024
    if soft == resource.RLIM_INFINITY:
        soft = 65536
    return max(16, min(4096, soft - _FD_RESERVE))


@frozen
class Limits:
    """The daemon's network limits (see docs/http-api.md, "Limits").

    :param header_timeout: seconds a connection may take to send a complete request head,
        counted from its opening or from the end of its previous response; an idle
        keep-alive connection is closed after the same time.
    :param body_timeout: seconds a handler waits for the whole request body (0: the
        built-in 10 s of :mod:`myco.web.bodies`).
    :param max_connections: open connections (SSE streams included) beyond which a new one
        is answered ``503`` and closed.
    :param streams_per_tenant: live SSE streams one tenant may hold (then ``429``).
    :param stream_write_timeout: seconds an SSE reader (or the reader of a large history
        page) may leave a write unread before it is disconnected (its buffer is then
        released).
    :param stream_queue: events buffered for one SSE reader before it is told to reload.
    :param heavy_requests: large history pages built at the same time (others wait their
        turn), so a few clients asking for big pages cannot starve everybody else.
    """

    header_timeout: float = 10.0
    body_timeout: float = 0.0
    max_connections: int = 1024
    streams_per_tenant: int = 32
    stream_write_timeout: float = 10.0
    stream_queue: int = 5000
    heavy_requests: int = 2
    max_line_size: int = 8190
    max_field_size: int = 8190
    max_headers: int = 64

    @classmethod
    def from_env(cls) -> Limits:
        return cls(
            header_timeout=_env_float("MYCO_HEADER_TIMEOUT", 10.0),
            body_timeout=_env_float("MYCO_BODY_TIMEOUT", 0.0),
            max_connections=_env_int("MYCO_MAX_CONNECTIONS", default_max_connections()),
            streams_per_tenant=_env_int("MYCO_STREAMS_PER_TENANT", 32),
            stream_write_timeout=_env_float("MYCO_STREAM_WRITE_TIMEOUT", 10.0),
            stream_queue=_env_int("MYCO_STREAM_QUEUE", 5000),
            heavy_requests=_env_int("MYCO_HEAVY_REQUESTS", 2),
        )


LIMITS: Final = web.AppKey("myco.limits", Limits)
#: the turns for building large answers (see ``Limits.heavy_requests``)
HEAVY: Final = web.AppKey("myco.heavy", asyncio.Semaphore)


def limits_of(app: web.Application) -> Limits:
    """The app's limits (the defaults for an app built without them)."""
    found = app.get(LIMITS)
    return found if found is not None else Limits()
