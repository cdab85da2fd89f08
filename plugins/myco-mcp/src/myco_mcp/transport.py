"""The ``mcp`` transport: MCP at ``/mcp``, ``GET /search``, ``GET /threads[/{id}]``.

MCP is served inside the daemon's own aiohttp application, on the daemon's port: the
SDK's Streamable HTTP endpoint is an ASGI application, bridged by aiohttp-asgi. The
request first passes the daemon's middlewares, so a missing or wrong token is the daemon's
JSON 401 before any MCP exchange, and the authenticated actor reaches the tools through
the ASGI scope. The endpoint is stateless (each POST is a complete exchange, answered with
JSON): nothing to keep per client, and any replica behind a balancer can answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from myco_mcp.search import OFFSET_MAX, Library, SearchError

if TYPE_CHECKING:
    from aiohttp import web

    from myco.daemon import Daemon

PLUGIN = "mcp"
#: characters of a search query (a longer URL would pass the server's request-line limit)
QUERY_MAX = 500


class McpTransport:
    name = "mcp"

    def __init__(self, library_of: Any) -> None:
        self._library_of = library_of

    def setup(self, app: web.Application, daemon: Daemon) -> None:
        from aiohttp_asgi.resource import ASGIContext
        from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
        from mcp.server.transport_security import TransportSecuritySettings

        from myco.web.errors import APIError
        from myco.web.keys import actor_of
        from myco_mcp.tools import ACTOR_SCOPE_KEY, build_server

        library: Library = self._library_of(daemon)
        server = build_server(daemon, library)
        # The bearer token is the protection: a page in a browser cannot send it, so the
        # SDK's Host/Origin checks against DNS rebinding would only refuse real clients.
        manager = StreamableHTTPSessionManager(
            app=server._lowlevel_server,
            json_response=True,
            stateless=True,
            security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )

        async def serve_mcp(request: web.Request) -> web.StreamResponse:
            actor = actor_of(request)

            if request.method == "POST" and request.content_type != "application/json":
                raise APIError(400, "an MCP message is JSON: send Content-Type application/json")

            async def asgi(scope: Any, receive: Any, send: Any) -> None:
                scope[ACTOR_SCOPE_KEY] = actor
                if not any(k == b"accept" for k, _ in scope["headers"]):
                    scope["headers"].append((b"accept", b"application/json, text/event-stream"))
                await manager.handle_request(scope, receive, send)

            return await ASGIContext(asgi, request, "").get_response()

        async def running(app: web.Application) -> AsyncIterator[None]:
            # anyio needs the manager's task group entered and left by one task: its own
            started, stopping = asyncio.Event(), asyncio.Event()

            async def hold() -> None:
                async with manager.run():
                    started.set()
                    await stopping.wait()

            task = asyncio.get_running_loop().create_task(hold())
            waiter = asyncio.ensure_future(started.wait())
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                waiter.cancel()
                task.result()  # the manager failed to start: raise its error
            yield
            stopping.set()
            await task

        # POST only. Stateless: no session to DELETE, and GET (a stream of server-initiated
        # messages) is a 405; an open GET would hold clients that wait for its headers.
        app.router.add_post("/mcp", serve_mcp, name="mcp")
        app.router.add_get("/search", _search, name="search")
        app.router.add_get("/threads", _threads, name="threads")
        app.router.add_get("/threads/{id}", _thread, name="thread")
        app.cleanup_ctx.append(running)

    def openapi(self, daemon: Daemon) -> Mapping[str, Any]:
        from myco_mcp.openapi import paths

        return paths()


def _viewer(request: web.Request) -> str | None:
    """The session a read is for: ``?session=`` (if the caller may act as it), else the
    session the credential is bound to, else None (a tenant-wide read)."""
    from myco.web.keys import actor_of
    from myco.web.routes import acting_session

    raw = request.query.get("session", "")
    if raw:
        return acting_session(request, raw)
    return actor_of(request).session


def _int(request: web.Request, name: str, default: int) -> int:
    """A paging parameter; an offset past :data:`OFFSET_MAX` is a 400 (as documented)."""
    from myco.web.errors import APIError

    try:
        value = int(request.query.get(name, str(default)))
    except ValueError:
        raise APIError(400, f"{name} must be an integer") from None
    if name == "offset" and value > OFFSET_MAX:
        raise APIError(400, f"offset must be at most {OFFSET_MAX}")
    return value


async def _search(request: web.Request) -> web.Response:
    from aiohttp import web

    from myco.web.errors import APIError
    from myco.web.keys import daemon_of
    from myco.web.routes import tenant_of

    query = request.query.get("q", "")
    if not query:
        raise APIError(400, "missing q: the words to search for")
    if len(query) > QUERY_MAX:
        raise APIError(400, f"q is longer than {QUERY_MAX} characters")
    viewer = _viewer(request)
    tenant = tenant_of(request)
    library = daemon_of(request).extras[PLUGIN]
    try:
        body = await library.search(
            tenant, viewer, query, _int(request, "offset", 0), _int(request, "limit", 20)
        )
    except SearchError as exc:
        raise APIError(400, str(exc)) from None
    return web.json_response(body)


async def _threads(request: web.Request) -> web.Response:
    from aiohttp import web

    from myco.web.errors import APIError
    from myco.web.keys import daemon_of
    from myco.web.routes import tenant_of

    viewer = _viewer(request)
    library = daemon_of(request).extras[PLUGIN]
    try:
        body = await library.threads(
            tenant_of(request), viewer, _int(request, "offset", 0), _int(request, "limit", 20)
        )
    except SearchError as exc:
        raise APIError(400, str(exc)) from None
    return web.json_response(body)


async def _thread(request: web.Request) -> web.Response:
    from aiohttp import web

    from myco.web.errors import APIError
    from myco.web.keys import daemon_of
    from myco.web.routes import tenant_of

    raw = request.match_info["id"].removeprefix("#")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise APIError(400, "a thread id is the sequence number of its ask")
    viewer = _viewer(request)
    library = daemon_of(request).extras[PLUGIN]
    try:
        body = await library.thread(tenant_of(request), viewer, int(raw))
    except LookupError as exc:
        raise APIError(404, str(exc)) from None
    return web.json_response(body)
