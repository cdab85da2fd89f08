"""Built-in authentication: ``Authorization: Bearer <token>`` selects a tenant.

The tenant id is the SHA-256 of the token. In ``open`` mode any strong unknown token
creates a tenant; in ``closed`` mode only tokens registered with ``myco token add``
(see :class:`~myco.auth.tokens.TokenStore`) may. Per-address limits
(:class:`~myco.auth.ratelimit.RateLimiter`) slow down guessing and tenant spam without
ever refusing the token of a tenant that already exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import structlog
from attrs import define, field

from myco.auth.actor import Actor, AuthError
from myco.auth.ratelimit import DEFAULT_MAX_CREATIONS, RateLimiter
from myco.auth.tokens import TOKENS_FILE, TokenStore, strength_problem, tenant_id
from myco.hookspecs import hookimpl

if TYPE_CHECKING:
    from aiohttp import web

    from myco.daemon import Daemon

PLUGIN_NAME = "myco.default_plugins.auth_token"
BEARER = "Bearer "

log = structlog.get_logger(PLUGIN_NAME)


@define
class AuthState:
    """This plugin's runtime state, kept in ``daemon.extras[PLUGIN_NAME]``."""

    limiter: RateLimiter
    store: TokenStore
    #: tenants being created right now, with how many requests wait on each: a
    #: concurrent request with the same token joins that creation instead of spending
    #: another unit of the creation budget.
    creating: dict[str, int] = field(factory=dict)


def state_for(daemon: Daemon) -> AuthState:
    """The plugin state for *daemon*, created on first use (tests may pre-seed it)."""
    state = daemon.extras.get(PLUGIN_NAME)
    if not isinstance(state, AuthState):
        # ``new_tenants_per_hour`` is optional on Config so the plugin works before
        # (and without) the core exposing it.
        per_hour = getattr(daemon.config, "new_tenants_per_hour", DEFAULT_MAX_CREATIONS)
        state = AuthState(
            limiter=RateLimiter(max_creations=int(per_hour)),
            store=TokenStore(daemon.config.data_dir / TOKENS_FILE),
        )
        daemon.extras[PLUGIN_NAME] = state
    return state


def bearer_token(request: web.Request) -> str | None:
    """The raw token after ``Bearer `` (case-sensitive, not trimmed), or None.

    An empty string means the header was ``Bearer `` with nothing after it; HTTP parsers
    strip the trailing space, so a bare ``Bearer`` counts as that too.
    """
    header = request.headers.get("Authorization")
    if header is None:
        return None
    if header == BEARER.rstrip():
        return ""
    if not header.startswith(BEARER):
        return None
    return header[len(BEARER):]


@hookimpl
async def authenticate(request: web.Request, daemon: Daemon) -> Actor | None:
    """Map the bearer token to its tenant, creating the tenant when allowed.

    Returns None without a ``Bearer`` header; raises :class:`AuthError` for a bearer
    token it refuses (401, or 429 with ``retry_after`` when rate limited).
    """
    token = bearer_token(request)
    if token is None:
        # Not ours: another plugin may accept other credentials, and when none does the
        # auth middleware answers 401 "missing or invalid Authorization header". Not
        # counted as a failure: a missing header is a misconfigured client, not a guess.
        return None
    state = state_for(daemon)
    limiter, remote = state.limiter, request.remote
    if not token:
        _fail(limiter, remote, "missing token")
    tid = tenant_id(token)
    if tid in daemon.tenants:
        # Checked before the ban: failures from a shared address must not lock out a
        # tenant whose token is known (the reference daemon did).
        return Actor(tid)
    wait = limiter.banned_for(remote)
    if wait is not None:
        raise AuthError(f"too many failed attempts, retry in {wait}s", 429, retry_after=wait)
    if daemon.config.tenants == "closed" and not state.store.contains(tid):
        _fail(limiter, remote,
              "token rejected: unknown token (this daemon only accepts registered tokens)")
    problem = strength_problem(token)
    if problem is not None:
        _fail(limiter, remote, f"token rejected: {problem}")
    first = tid not in state.creating
    if first:
        wait = limiter.try_create(remote)
        if wait is not None:
            raise AuthError(f"too many new tenants from this address, retry in {wait}s", 429,
                            retry_after=wait)
    state.creating[tid] = state.creating.get(tid, 0) + 1
    try:
        await daemon.tenants.create(tid)
    finally:
        state.creating[tid] -= 1
        if not state.creating[tid]:
            del state.creating[tid]
    if first:
        log.info("tenant created", tenant=tid[:12], remote=remote)
    return Actor(tid)


def _fail(limiter: RateLimiter, remote: str | None, message: str) -> NoReturn:
    """Record a failed attempt and refuse the request with *message*.

    Raises (never returns) so the call sites read as early exits.
    """
    ban = limiter.record_failure(remote)
    if ban is not None:
        log.warning("address banned after repeated auth failures", remote=remote, seconds=ban)
    raise AuthError(message, 401)
