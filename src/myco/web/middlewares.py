"""Middlewares, outermost first: errors -> access log -> authentication."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from myco.auth.actor import AuthError
from myco.client import TENANT_CREATED_HEADER
from myco.logs import remember_secret
from myco.storage.contract import StorageFull, StorageUnavailable
from myco.web.errors import APIError, error
from myco.web.keys import ACTOR, DAEMON, PUBLIC_ROUTES, SESSION

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
log = structlog.get_logger("myco.http")


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure becomes a JSON error with a useful message; never a bare 500."""
    try:
        return await handler(request)
    except APIError as exc:
        return error(exc.status, exc.message, exc.headers, **exc.extra)
    except AuthError as exc:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return error(exc.status, exc.message, headers)
    except StorageUnavailable as exc:
        _log_storage_failure(request, "storage unavailable", exc)
        return error(503, f"storage unavailable: {exc}", {"Retry-After": "1"})
    except StorageFull as exc:
        _log_storage_failure(request, "storage full", exc)
        return error(507, f"storage full: {exc}; nothing was stored")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = {
            404: "not found",
            405: f"method {request.method} not allowed",
            413: "request body too large",
        }.get(exc.status, exc.reason.lower())
        headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
        return error(exc.status, message, headers)
    except Exception:
        log.exception("unhandled error", path=request.path)
        return error(500, "internal error (logged by the daemon)")


def _log_storage_failure(request: web.Request, what: str, exc: Exception) -> None:
    """One line per failure: the access log's, or this one when the access log is off."""
    if not request.app[DAEMON].config.access_log:
        log.error(what, path=request.path, error=str(exc))


@web.middleware
async def access_log_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """One structured line per request: tenant prefix, session, route, status, duration."""
    start = time.perf_counter()
    status = 500
    failure: str | None = None
    try:
        response = await handler(request)
        status = response.status
        return response
    except APIError as exc:
        status = exc.status
        raise
    except AuthError as exc:
        status = exc.status
        raise
    except StorageUnavailable as exc:
        status, failure = 503, f"storage unavailable: {exc}"
        raise
    except StorageFull as exc:
        status, failure = 507, f"storage full: {exc}"
        raise
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        if request.app[DAEMON].config.access_log:
            actor = request.get(ACTOR)
            route = request.match_info.route.resource
            emit = log.info if failure is None else log.error
            emit(
                "request",
                method=request.method,
                route=route.canonical if route is not None else request.path,
                status=status,
                ms=round((time.perf_counter() - start) * 1000, 2),
                tenant=actor.tenant_id[:8] if actor else None,
                session=request.match_info.get("session") or request.get(SESSION),
                **({"error": failure} if failure else {}),
            )


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate through the ``authenticate`` hook unless the route is public."""
    route = request.match_info.route
    if request.match_info.http_exception is not None or route.name in request.app[PUBLIC_ROUTES]:
        return await handler(request)
    daemon = request.app[DAEMON]
    header = request.headers.get("Authorization", "")
    if header:
        # whatever the credential, it must never reach a log line (see myco.logs)
        remember_secret(header.split(None, 1)[-1])
    actor = await daemon.hooks.authenticate(request, daemon)
    if actor is None:
        raise AuthError("missing or invalid Authorization header")
    request[ACTOR] = actor
    # Tenants load on first use; while a request runs, its tenant is never evicted.
    tenant = await daemon.tenants.open(actor.tenant_id)
    if tenant is None:
        return await handler(request)  # the handler answers "unknown tenant"
    tenant.in_use += 1
    try:
        return await handler(request)
    finally:
        tenant.in_use -= 1
        tenant.last_used = time.monotonic()


async def tenant_created_header(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: say so when this request's token made a new, empty swarm.

    In open mode any strong unknown token creates a tenant, so a mistyped token silently
    starts an empty swarm; the header lets clients warn. Set for error answers too.
    """
    actor = request.get(ACTOR)
    if actor is not None and actor.created:
        response.headers[TENANT_CREATED_HEADER] = "1"
