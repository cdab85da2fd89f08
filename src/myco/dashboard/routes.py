"""The dashboard's routes: the page, its assets, and authenticated JSON and SSE endpoints.

``GET /`` and ``GET /-/dashboard/static/{name}`` are public: they are the same files for
everyone and hold no swarm data. Everything under ``/-/dashboard/`` that returns data goes
through the daemon's normal authentication (``Authorization: Bearer``) and needs a
tenant-wide credential: a credential bound to one session gets 403 (it has the
``dashboard`` view format for its own picture).
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from typing import Any

from aiohttp import web

from myco import clock, policy
from myco.dashboard import markdown, sse
from myco.dashboard.snapshot import TIMELINE_MAX, event_data, messages, snapshot, timeline
from myco.names import InvalidName, msg_name, session_name
from myco.tenants import Tenant
from myco.web import permissions
from myco.web.errors import APIError
from myco.web.keys import PUBLIC_ROUTES, actor_of, daemon_of

routes = web.RouteTableDef()
PUBLIC = {"dashboard_index", "dashboard_static"}

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
#: no inline script or style, no third-party origin: a message can never run code
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@cache
def assets() -> dict[str, tuple[bytes, str, str]]:
    """name -> (body, content type, etag) of every file shipped in ``static/``."""
    out = {}
    for entry in resources.files("myco.dashboard").joinpath("static").iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1] if "." in entry.name else ""
        if entry.is_file() and suffix in CONTENT_TYPES:
            body = entry.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            out[entry.name] = (body, CONTENT_TYPES[suffix], etag)
    return out


def _asset(request: web.Request, name: str) -> web.Response:
    found = assets().get(name)
    if found is None:
        raise APIError(404, "not found")
    body, ctype, etag = found
    headers = {**SECURITY_HEADERS, "ETag": etag, "Cache-Control": "no-cache"}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, headers={**headers, "Content-Type": ctype})


def dashboard_tenant(request: web.Request) -> Tenant:
    """The caller's tenant, if the policy lets it read the whole tenant (403 otherwise)."""
    actor = actor_of(request)
    permissions.ensure(request, policy.READ_TENANT, "the dashboard")
    tenant = daemon_of(request).tenants.get(actor.tenant_id)
    if tenant is None:
        raise APIError(401, "unknown tenant")
    return tenant


def _int(request: web.Request, name: str, default: int | None) -> int | None:
    raw = request.query.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise APIError(400, f"{name} must be an integer") from None


def _json(data: Any) -> web.Response:
    return web.json_response(data, headers={"Cache-Control": "no-store"})


@routes.get("/", name="dashboard_index")
async def index(request: web.Request) -> web.Response:
    return _asset(request, "index.html")


@routes.get("/-/dashboard/static/{name}", name="dashboard_static")
async def static(request: web.Request) -> web.Response:
    return _asset(request, request.match_info["name"])


@routes.get("/-/dashboard/state", name="dashboard_state")
async def state(request: web.Request) -> web.Response:
    """The whole snapshot the page renders (see :func:`~myco.dashboard.snapshot.snapshot`)."""
    tenant = dashboard_tenant(request)
    return _json(snapshot(tenant.state, clock.now_ms(), sections=daemon_of(request).sections))


@routes.get("/-/dashboard/events", name="dashboard_events")
async def events(request: web.Request) -> web.Response:
    """The timeline, filtered by session, verb and channel, paged backwards with ``before``."""
    tenant = dashboard_tenant(request)
    limit = _int(request, "limit", 200)
    before = _int(request, "before", None)
    assert limit is not None
    if not 1 <= limit <= TIMELINE_MAX:
        raise APIError(400, f"limit must be between 1 and {TIMELINE_MAX}")
    session = request.query.get("session", "")
    if session:
        try:
            session = session_name(session)
        except InvalidName as exc:
            raise APIError(400, str(exc)) from None
    found = timeline(
        tenant.state,
        None,
        limit=limit,
        before=before,
        session=session,
        verb=request.query.get("verb", "").lower(),
        channel=request.query.get("channel", ""),
    )
    return _json(
        {
            "events": [event_data(ev, tenant.state) for ev in found],
            "last_seq": tenant.state.last_seq,
            "window": len(tenant.state.events),
            "more": bool(found) and tenant.state.events[0].seq < found[0].seq,
        }
    )


@routes.get("/-/dashboard/msg/{file}", name="dashboard_msg")
async def message(request: web.Request) -> web.Response:
    """One message rendered to safe HTML; reading it here acknowledges nothing."""
    tenant = dashboard_tenant(request)
    try:
        name = msg_name(request.match_info["file"])
    except InvalidName:
        raise APIError(400, "invalid filename") from None
    body = await daemon_of(request).storage.get_msg(tenant.id, name)
    if body is None:
        raise APIError(404, "not found")
    text = body.decode("utf-8", errors="replace")
    meta = next((m for m in messages(tenant.state, None) if m["name"] == name), None)
    return _json(
        {
            "name": name,
            "bytes": len(body),
            "html": markdown.render(text),
            "text": text,
            "meta": meta,
        }
    )


@routes.get("/-/dashboard/stream", name="dashboard_stream")
async def stream(request: web.Request) -> web.StreamResponse:
    tenant = dashboard_tenant(request)
    return await sse.stream(request, tenant.state, tenant.watchers)


def setup(app: web.Application) -> None:
    """Add the routes, mark the page public, and end streams when the daemon stops."""
    app.router.add_routes(routes)
    app[PUBLIC_ROUTES].update(PUBLIC)
    app[sse.STREAMS] = set()
    app.on_shutdown.append(sse.close_streams)
