"""The listening side of ``myco serve``: aiohttp's knobs set, and a connection cap.

aiohttp keeps a connection that sent half a request head for its keep-alive timeout (an
hour by default) and accepts connections until the process runs out of descriptors. Here:

* the keep-alive timeout is the *header timeout*: aiohttp closes a connection that is
  waiting for a request head (none started, or one half sent) once it expires, so a client
  that trickles headers (slowloris) or idles is dropped after ``header_timeout`` seconds;
* request lines, header fields and the number of headers are bounded;
* beyond ``max_connections`` open connections a new one gets a ``503`` JSON answer and is
  closed at once, so the daemon never reaches its descriptor limit.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import cast

import structlog
from aiohttp import web

from myco.web.limits import Limits

log = structlog.get_logger("myco.http")

#: a refused connection is logged at most this often (one line with the count meanwhile)
REFUSAL_LOG_EVERY_S = 10.0
#: how long a refused connection may take to send its request before the close
REFUSAL_LINGER_S = 1.0
#: refused connections allowed to linger at once (a flood is closed without waiting)
REFUSALS_LINGERING = 64


def make_runner(app: web.Application, limits: Limits) -> web.AppRunner:
    """An AppRunner whose connections obey *limits*."""
    return web.AppRunner(
        app,
        access_log=None,
        handle_signals=False,
        keepalive_timeout=limits.header_timeout,
        max_line_size=limits.max_line_size,
        max_field_size=limits.max_field_size,
        max_headers=limits.max_headers,
        # a 413/400 for an oversized or torn body is final: do not wait for the rest
        lingering_time=2.0,
    )


class _Refuse(asyncio.Protocol):
    """Answers ``503`` to a connection over the cap, then closes it.

    The request the client sends meanwhile is read and dropped until it half-closes (or
    :data:`REFUSAL_LINGER_S` passes): closing a socket with unread data makes the kernel
    send a reset, which can destroy the 503 before the client reads it. At most
    :data:`REFUSALS_LINGERING` refused connections wait that way; beyond, they close at once.
    """

    def __init__(self, body: bytes, guard: ConnectionGuard) -> None:
        self.body = body
        self.guard = guard
        self.lingering = False
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio's ABCs: a cast, not an isinstance
        transport = cast(asyncio.WriteTransport, transport)
        head = (
            "HTTP/1.1 503 Service Unavailable\r\n"
            "Content-Type: application/json; charset=utf-8\r\n"
            f"Content-Length: {len(self.body)}\r\n"
            "Retry-After: 1\r\nConnection: close\r\n\r\n"
        ).encode()
        transport.write(head + self.body)
        if self.guard.lingering >= REFUSALS_LINGERING or not transport.can_write_eof():
            transport.close()
            return
        transport.write_eof()
        self.lingering = True
        self.guard.lingering += 1
        self.timer = asyncio.get_running_loop().call_later(REFUSAL_LINGER_S, transport.close)

    def data_received(self, data: bytes) -> None:
        pass  # the refused request: read only so that closing sends no reset

    def eof_received(self) -> bool:
        return False  # the client is done: close

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if self.lingering:
            self.lingering = False
            self.guard.lingering -= 1


class ConnectionGuard:
    """A protocol factory: aiohttp's handler while under the cap, else a refusal."""

    def __init__(self, server: web.Server, max_connections: int) -> None:
        self.server = server
        self.max_connections = max_connections
        self.refused = 0
        #: refused connections still reading their request before the close
        self.lingering = 0
        self._logged_at = 0.0
        message = f"too many open connections (limit {max_connections}); retry shortly"
        self._body = json.dumps({"ok": False, "error": message}).encode()

    def __call__(self) -> asyncio.BaseProtocol:
        if len(self.server.connections) < self.max_connections:
            return self.server()
        self.refused += 1
        now = time.monotonic()
        if now - self._logged_at >= REFUSAL_LOG_EVERY_S:
            self._logged_at = now
            log.warning(
                "connection refused: too many open connections",
                limit=self.max_connections,
                refused=self.refused,
            )
        return _Refuse(self._body, self)


class GuardedSite(web.TCPSite):
    """A TCP site whose new connections go through a :class:`ConnectionGuard`."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, limits: Limits) -> None:
        super().__init__(runner, host, port)
        self.limits = limits
        self.guard: ConnectionGuard | None = None
        self.bound_port = port

    async def start(self) -> None:
        await web.BaseSite.start(self)  # registers the site with its runner
        server = self._runner.server
        assert isinstance(server, web.Server)
        self.guard = ConnectionGuard(server, self.limits.max_connections)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self.guard, self._host, self._port, backlog=self._backlog, reuse_address=True
        )
        if self._server.sockets:
            self.bound_port = self._server.sockets[0].getsockname()[1]
