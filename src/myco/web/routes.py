"""The HTTP API: the reference's routes and JSON shapes, without its failure modes."""

from __future__ import annotations

import asyncio
import json
import re

from aiohttp import web

from myco import clock, policy, sanitize
from myco.names import InvalidName, msg_name, session_name
from myco.plugins import list_plugins
from myco.tenants import MSG_MAX_BYTES, HistoryPage, IngestError, Tenant
from myco.web import permissions
from myco.web.bodies import decode, read_bytes, read_object
from myco.web.errors import APIError
from myco.web.keys import SESSION, actor_of, daemon_of
from myco.web.limits import HEAVY
from myco.web.openapi import openapi_document
from myco.web.responses import json_in_chunks

EVENTS_MAX_BYTES = 2 * 1024 * 1024
DISPATCH_MAX_BYTES = 256 * 1024
EVENTS_PAGE_MAX = 100_000
#: larger history pages are built in turns, encoded in a worker thread and sent in slices
ENCODE_INLINE_MAX = 2000
#: blockers and dependents listed per session by ``GET /status`` (the first ones, sorted)
STATUS_LIST_MAX = 50
_CLIENT_ID_RE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")

routes = web.RouteTableDef()
PUBLIC = {"healthz", "plugins", "openapi"}


def tenant_of(request: web.Request) -> Tenant:
    actor = actor_of(request)
    tenant = daemon_of(request).tenants.get(actor.tenant_id)
    if tenant is None:
        raise APIError(401, "unknown tenant")
    return tenant


def acting_session(request: web.Request, raw: object) -> str:
    """The canonical session a request acts as, if the policy lets the caller act as it."""
    try:
        name = session_name(raw)
    except InvalidName as exc:
        raise APIError(400, str(exc)) from None
    permissions.ensure(request, policy.ACT_AS, name)
    request[SESSION] = name
    return name


def check_director_verbs(request: web.Request, session: str, lines: object) -> None:
    """DIRECTOR-only verbs (:data:`myco.policy.DIRECTOR_VERBS`): a 403 naming the line.

    Lines that do not parse are left to the ingest validation (a 400 naming each).
    """
    try:
        policy.ensure_lines(actor_of(request), session, lines, daemon_of(request).verbs)
    except policy.Forbidden as exc:
        raise APIError(403, exc.message) from None


@routes.get("/healthz", name="healthz")
async def healthz(request: web.Request) -> web.Response:
    """Answers at once, whatever the number of tenants: ``tenants`` counts every tenant the
    daemon knows, ``loaded`` those in memory; ``channels`` is of the loaded ones."""
    daemon = daemon_of(request)
    tenants = daemon.tenants
    channels = sum(t.counts()["channels"] for t in tenants)
    return web.json_response(
        {
            "ok": True,
            "mode": "multi-tenant",
            "tenants": tenants.known,
            "loaded": len(tenants),
            "channels": channels,
        }
    )


@routes.get("/-/plugins.json", name="plugins")
async def plugins(request: web.Request) -> web.Response:
    include_all = request.query.get("all", "") not in ("", "0", "false")
    return web.json_response(list_plugins(daemon_of(request).pm, include_builtins=include_all))


@routes.get("/openapi.json", name="openapi")
async def openapi(request: web.Request) -> web.Response:
    """Every transport's paths (:meth:`myco.transports.Transport.openapi`) in one document."""
    return web.json_response(openapi_document(daemon_of(request)))


@routes.get("/view/{session}", name="view")
async def view(request: web.Request) -> web.Response:
    session = acting_session(request, request.match_info["session"])
    tenant = tenant_of(request)
    fmt = request.query.get("format", "markdown")
    renderer = daemon_of(request).renderers.get(fmt)
    if renderer is None:
        known = ", ".join(daemon_of(request).renderers.names())
        raise APIError(400, f"unknown view format {fmt!r} (available: {known})")
    # rendered (and encoded) once per state change and second; an unknown session is
    # never stored
    body = tenant.view_body(session, fmt)
    return web.Response(body=body, headers={"Content-Type": renderer.content_type})


@routes.post("/events", name="events")
async def post_events(request: web.Request) -> web.Response:
    data = await read_object(request, EVENTS_MAX_BYTES)
    raw_session, events = data.get("session"), data.get("events")
    if raw_session in (None, "") or events in (None, [], ""):
        raise APIError(400, "missing session or events")
    if not isinstance(raw_session, str):
        raise APIError(400, "session must be a string")
    session = acting_session(request, raw_session)
    check_director_verbs(request, session, events)
    msgs = data.get("msgs")
    if msgs is not None and not isinstance(msgs, dict):  # [] or "" too: a wrong type is a 400
        raise APIError(400, "msgs must be an object")
    client_id = data.get("id")
    if client_id is None or client_id == "":
        client_id = ""
    elif not isinstance(client_id, str) or not _CLIENT_ID_RE.fullmatch(client_id):
        # checked for every non-string (0 and false too): storage refuses them with a 500
        raise APIError(400, "id must be 1-64 characters of letters, digits and _.:-")
    tenant = tenant_of(request)
    try:
        result = await tenant.ingest(session, events, msgs=msgs or None, client_id=client_id)
    except IngestError as exc:
        raise APIError(exc.status, exc.message, errors=exc.errors) from None
    body: dict[str, object] = {"ok": True, "count": result.count}
    if result.duplicate:
        body["duplicate"] = True
    if result.events:
        body["seq"] = [result.events[0].seq, result.events[-1].seq]
    if result.warnings:
        body["warnings"] = result.warnings
    if result.pokes:
        body["pokes"] = result.pokes
    if result.msgs:
        body["msgs"] = result.msgs
    return web.json_response(body)


@routes.get("/events", name="events_list")
async def list_events(request: web.Request) -> web.StreamResponse:
    """Stored events after sequence ``after`` (default 0), oldest first, at most ``limit``."""
    try:
        after = int(request.query.get("after", "0"))
        limit = int(request.query.get("limit", "1000"))
    except ValueError:
        raise APIError(400, "after and limit must be integers") from None
    if not 1 <= limit <= EVENTS_PAGE_MAX:
        raise APIError(400, f"limit must be between 1 and {EVENTS_PAGE_MAX}")
    tenant = tenant_of(request)
    viewer = actor_of(request).session
    if limit <= ENCODE_INLINE_MAX:
        page = await tenant.history_page(after, limit, viewer)
        return web.json_response(_events_body(page, tenant))
    # A big page: built in turns with the other big ones (a few clients must not starve
    # everybody else), encoded in a worker thread, sent in slices a reader must keep reading.
    async with request.app[HEAVY]:
        page = await tenant.history_page(after, limit, viewer)
        text = await asyncio.to_thread(json.dumps, _events_body(page, tenant))
    return await json_in_chunks(request, text)


def _events_body(page: HistoryPage, tenant: Tenant) -> dict[str, object]:
    body: dict[str, object] = {"events": page.events, "last_seq": tenant.state.last_seq}
    if page.next_after is not None:
        body["next_after"] = page.next_after
    return body


def _msg_file(request: web.Request) -> str:
    try:
        return msg_name(request.match_info["file"])
    except InvalidName:
        raise APIError(400, "invalid filename") from None


@routes.get("/msg/{file}", name="msg_get")
async def get_msg(request: web.Request) -> web.Response:
    name = _msg_file(request)
    tenant = tenant_of(request)
    reader = request.query.get("session", "")
    if reader:
        reader = acting_session(request, reader)
    body = await daemon_of(request).storage.get_msg(tenant.id, name)
    if body is None:
        raise APIError(404, "not found")
    if reader:
        await tenant.ack_msg(name, reader)
    text = sanitize.msg_body(body.decode("utf-8", errors="replace"))
    return web.Response(text=text, content_type="text/markdown", charset="utf-8")


@routes.post("/msg/{file}", name="msg_put")
async def put_msg(request: web.Request) -> web.Response:
    name = _msg_file(request)
    tenant = tenant_of(request)
    raw_session = request.query.get("session", "")
    session = acting_session(request, raw_session) if raw_session else actor_of(request).session
    body = await read_bytes(request, MSG_MAX_BYTES, "payload")
    decode(body)
    problem, status = tenant.msg_problem(name, body, session)
    if problem is not None:
        raise APIError(status, problem)
    outcome = await tenant.put_msg(name, body, session)
    if outcome == "created":
        return web.json_response({"ok": True})
    if "MYCO_MAX_MSGS" in outcome:
        raise APIError(429, outcome.removeprefix("rejected: "))
    raise APIError(409, "msg already exists")


@routes.get("/msg/", name="msg_none")
@routes.post("/msg/", name="msg_none_post")
async def msg_without_name(request: web.Request) -> web.Response:
    raise APIError(400, "invalid filename")


@routes.get("/status", name="status")
async def status(request: web.Request) -> web.Response:
    """Every session's status, blockers and dependents: linear in the (bounded) state."""
    state = tenant_of(request).state
    dependents = state.all_dependents()
    sessions: dict[str, dict[str, object]] = {}
    for name, s in sorted(state.sessions.items()):
        entry: dict[str, object] = {
            "status": s.status,
            "action": s.action,
            "blockers": state.blockers_for(name)[:STATUS_LIST_MAX],
            "dependents": sorted(dependents.get(name, ()))[:STATUS_LIST_MAX],
            "last_seen": clock.iso_ms(s.last_seen_ms) if s.last_seen_ms is not None else None,
        }
        sessions[name] = entry
    return web.json_response({"sessions": sessions})


@routes.post("/dispatch/{session}", name="dispatch_put")
async def dispatch(request: web.Request) -> web.Response:
    session = dispatch_target(request)
    data = await read_object(request, DISPATCH_MAX_BYTES)
    prompt = data.get("prompt")
    if prompt is None or prompt == "":
        raise APIError(400, "missing prompt")
    if not isinstance(prompt, str):
        raise APIError(400, "prompt must be a string")
    await daemon_of(request).storage.put_dispatch(tenant_of(request).id, session, prompt)
    return web.json_response({"ok": True})


@routes.get("/dispatch/{session}", name="dispatch_take")
async def take_dispatch(request: web.Request) -> web.Response:
    session = acting_session(request, request.match_info["session"])
    prompt = await daemon_of(request).storage.take_dispatch(tenant_of(request).id, session)
    if prompt is None:
        return web.Response(status=204)
    return web.json_response({"ok": True, "prompt": prompt})


def dispatch_target(request: web.Request) -> str:
    """The session named in the path, if the policy lets the caller dispatch to it."""
    try:
        target = session_name(request.match_info["session"])
    except InvalidName as exc:
        raise APIError(400, str(exc)) from None
    permissions.ensure(request, policy.DISPATCH, target)
    return target


def setup(app: web.Application) -> None:
    from myco.web.keys import PUBLIC_ROUTES

    app.router.add_routes(routes)
    app[PUBLIC_ROUTES].update(PUBLIC)
