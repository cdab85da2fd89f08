"""Server-level limits and timeouts: what one client may hold of the daemon.

Every value has a sane default and is a core ``myco serve`` option of the ``server``
settings group (:data:`SERVER_OPTIONS`): a ``--flag``, a ``MYCO_*`` variable and a
``[server]`` entry of ``--config`` (documented in docs/http-api.md, section "Limits"). A bad
value stops ``myco serve`` with a message naming it. They are read once, at start.
"""

from __future__ import annotations

import asyncio
import resource
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from aiohttp import web
from attrs import fields, frozen

from myco.options import Option

if TYPE_CHECKING:
    from myco.config import Config

#: file descriptors kept free for log files, Redis connections and the listening socket
_FD_RESERVE = 128
NAMESPACE = "server"


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    """A converter for texts of *kind* (``int`` or ``float``) above zero."""
    what = "whole number" if kind is int else "number"

    def convert(raw: str) -> float:
        try:
            value = kind(raw.strip())
        except ValueError:
            raise ValueError(f"expected a {what} above 0, got {raw!r}") from None
        if value <= 0:
            raise ValueError(f"expected a {what} above 0, got {raw!r}")
        return value

    return convert


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
    def from_config(cls, config: Config) -> Limits:
        """The limits ``myco serve`` resolved (defaults for those not configured)."""
        return cls(**{o.name: o.value(config) for o in server_options()})


_HELP = {
    "header_timeout": "seconds a connection has to send a complete request head",
    "body_timeout": "seconds a request body has to arrive in full (default 10)",
    "max_connections": "open connections beyond which a new one gets 503 "
    "(default 4096, or the descriptor limit minus 128)",
    "streams_per_tenant": "live dashboard streams one tenant may hold",
    "stream_write_timeout": "seconds a stream reader may leave a write unread",
    "stream_queue": "events queued for one stream reader before it is dropped",
    "heavy_requests": "large history pages built at the same time",
}


def server_options() -> tuple[Option, ...]:
    """The ``server`` settings group: one option per network limit of :class:`Limits`."""
    defaults = {f.name: f.default for f in fields(Limits)}
    defaults["max_connections"] = default_max_connections()
    return tuple(
        Option(
            NAMESPACE,
            name,
            help,
            default=defaults[name],
            type=_positive(int if isinstance(defaults[name], int) else float),
            metavar="N",
        )
        for name, help in _HELP.items()
    )


LIMITS: Final = web.AppKey("myco.limits", Limits)
#: the turns for building large answers (see ``Limits.heavy_requests``)
HEAVY: Final = web.AppKey("myco.heavy", asyncio.Semaphore)


def limits_of(app: web.Application) -> Limits:
    """The app's limits (the defaults for an app built without them)."""
    found = app.get(LIMITS)
    return found if found is not None else Limits()
