"""The application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from myco.daemon import Daemon
from myco.web.keys import DAEMON, PUBLIC_ROUTES
from myco.web.limits import HEAVY, LIMITS, Limits
from myco.web.middlewares import (
    access_log_middleware,
    auth_middleware,
    error_middleware,
    tenant_created_header,
)

#: the largest request body any route accepts (``POST /events`` with inline messages)
MAX_BODY = 4 * 1024 * 1024


def create_app(daemon: Daemon, limits: Limits | None = None) -> web.Application:
    """An aiohttp application serving *daemon* through every registered transport.

    *limits* default to the built-in ones (``myco serve`` passes ``Limits.from_config(config)``).
    """
    app = web.Application(
        client_max_size=MAX_BODY,
        middlewares=[error_middleware, access_log_middleware, auth_middleware],
    )
    app[DAEMON] = daemon
    app[LIMITS] = limits if limits is not None else Limits()
    app[HEAVY] = asyncio.Semaphore(app[LIMITS].heavy_requests)
    app[PUBLIC_ROUTES] = set()
    app.on_response_prepare.append(tenant_created_header)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await daemon.start()
        yield
        await daemon.stop()

    app.cleanup_ctx.append(lifecycle)
    for transport in daemon.transports:
        transport.setup(app, daemon)
    return app
