"""Built-in authentication: ``Authorization: Bearer <token>`` selects a tenant.

The tenant id is the SHA-256 of the token. In ``open`` mode any strong unknown token
creates a tenant; in ``closed`` mode only tokens registered with ``myco token add``
(see :class:`~myco.auth.tokens.TokenStore`) may. Per-address limits
(:class:`~myco.auth.ratelimit.RateLimiter`) slow down guessing and tenant spam without
ever refusing the token of a tenant that already exists.

A session token (``myco_s_<SESSION>_...``, see :mod:`myco.auth.session_tokens`) selects its
tenant too, but binds the actor to one session; the daemon verifies it with the tenant's
session key, which it stores the first time it sees the tenant token.

The plugin owns its settings (namespace ``auth``, :mod:`myco.auth.settings`: ``--tenants``,
``--require-session-tokens``, ``--trusted-proxy``, ``--new-tenants-per-hour``) and the
``myco token`` command (:mod:`myco.auth.commands`). What an actor may do is decided by
:mod:`myco.policy`, for every transport.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import structlog
from attrs import define, field

from myco.auth.actor import Actor, AuthError
from myco.auth.address import Network, client_address, parse_networks
from myco.auth.ratelimit import Limiter, RateLimiter, answer
from myco.auth.session_tokens import (
    SESSION_KEYS_FILE,
    SessionClaim,
    SessionKeyStore,
    parse_session_token,
)
from myco.auth.settings import (
    NEW_TENANTS_PER_HOUR,
    OPTIONS,
    REQUIRE_SESSION_TOKENS,
    TENANTS,
    TRUSTED_PROXIES,
)
from myco.auth.tokens import TOKENS_FILE, TokenStore, strength_problem, tenant_id
from myco.hookspecs import hookimpl

if TYPE_CHECKING:
    from aiohttp import web

    from myco.cli.registry import CommandRegistry
    from myco.daemon import Daemon
    from myco.options import OptionRegistry

PLUGIN_NAME = "myco.default_plugins.auth_token"
BEARER = "Bearer "

log = structlog.get_logger(PLUGIN_NAME)


@define
class AuthState:
    """This plugin's runtime state, kept in ``daemon.extras[PLUGIN_NAME]``."""

    limiter: Limiter
    store: TokenStore
    #: per-tenant keys that verify session tokens (see :mod:`myco.auth.session_tokens`)
    keys: SessionKeyStore
    #: tenants being created right now, with how many requests wait on each: a
    #: concurrent request with the same token joins that creation instead of spending
    #: another unit of the creation budget.
    creating: dict[str, int] = field(factory=dict)
    #: trusted reverse proxies (``--trusted-proxy``): rate limits count the real client
    proxies: tuple[Network, ...] = ()
    #: ``--tenants closed``: only registered tokens create tenants
    closed: bool = False
    #: ``--require-session-tokens``: every actor is strict (see :class:`Actor`)
    strict: bool = False


def state_for(daemon: Daemon) -> AuthState:
    """The plugin state for *daemon*, created on first use (tests may pre-seed it)."""
    state = daemon.extras.get(PLUGIN_NAME)
    if not isinstance(state, AuthState):
        config = daemon.config
        per_hour = int(NEW_TENANTS_PER_HOUR.value(config))
        # A store shared by replicas shares the budgets too (see myco.storage.contract).
        shared = getattr(daemon.storage, "rate_limiter", None)
        state = AuthState(
            limiter=shared(max_creations=per_hour)
            if shared is not None
            else RateLimiter(max_creations=per_hour),
            store=TokenStore(daemon.config.data_dir / TOKENS_FILE),
            keys=SessionKeyStore(daemon.config.data_dir / SESSION_KEYS_FILE),
            proxies=parse_networks(TRUSTED_PROXIES.value(config)),
            closed=TENANTS.value(config) == "closed",
            strict=bool(REQUIRE_SESSION_TOKENS.value(config)),
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
    return header[len(BEARER) :]


@hookimpl
async def authenticate(request: web.Request, daemon: Daemon) -> Actor | None:
    """Map the bearer token to its tenant, creating the tenant when allowed.

    A tenant token may act as any session; a session token (``myco_s_...``) only as its
    own. Returns None without a ``Bearer`` header; raises :class:`AuthError` for a bearer
    token it refuses (401, or 429 with ``retry_after`` when rate limited).
    """
    token = bearer_token(request)
    if token is None:
        # Not ours: another plugin may accept other credentials, and when none does the
        # auth middleware answers 401 "missing or invalid Authorization header". Not
        # counted as a failure: a missing header is a misconfigured client, not a guess.
        return None
    state = state_for(daemon)
    forwarded = request.headers.getall("X-Forwarded-For", []) if state.proxies else []
    limiter = state.limiter
    remote = client_address(request.remote, forwarded, state.proxies)
    if not token:
        await _fail(limiter, remote, "missing token")
    claim = parse_session_token(token)
    if claim is not None:
        return await _session_actor(claim, state, daemon, remote)
    tid = tenant_id(token)
    if tid in daemon.tenants:
        # Checked before the ban: failures from a shared address must not lock out a
        # tenant whose token is known (the reference daemon did).
        _register_key(state, token, tid)
        return Actor(tid, strict=state.strict)
    wait = await answer(limiter.banned_for(remote))
    if wait is not None:
        raise AuthError(f"too many failed attempts, retry in {wait}s", 429, retry_after=wait)
    if state.closed and not state.store.contains(tid):
        await _fail(
            limiter,
            remote,
            "token rejected: unknown token (this daemon only accepts registered tokens)",
        )
    problem = strength_problem(token)
    if problem is not None:
        await _fail(limiter, remote, f"token rejected: {problem}")
    created = await _create_tenant(tid, state, daemon, remote)
    _register_key(state, token, tid)
    # ``created`` makes the transport tell the client (a mistyped token makes a new swarm)
    return Actor(tid, created=created, strict=state.strict)


async def _session_actor(
    claim: SessionClaim, state: AuthState, daemon: Daemon, remote: str | None
) -> Actor:
    """The actor of a session token: its tenant, bound to its session."""
    limiter = state.limiter
    tid = state.keys.verify(claim)
    if tid is None:
        wait = await answer(limiter.banned_for(remote))
        if wait is not None:
            raise AuthError(f"too many failed attempts, retry in {wait}s", 429, retry_after=wait)
        await _fail(
            limiter,
            remote,
            "session token rejected: invalid signature (or this daemon has never "
            "seen its tenant token: use the tenant token once, or `myco token add`)",
        )
    if tid not in daemon.tenants:
        # Its key was registered with `myco token add` before the tenant's first request.
        wait = await answer(limiter.banned_for(remote))
        if wait is not None:
            raise AuthError(f"too many failed attempts, retry in {wait}s", 429, retry_after=wait)
        if state.closed and not state.store.contains(tid):
            await _fail(
                limiter,
                remote,
                "token rejected: unknown token (this daemon only accepts registered tokens)",
            )
        await _create_tenant(tid, state, daemon, remote)
    return Actor(tid, claim.session, strict=state.strict)


@hookimpl
def register_serve_options(options: OptionRegistry) -> None:
    """``--tenants``, ``--require-session-tokens``, ``--trusted-proxy`` and
    ``--new-tenants-per-hour`` (see :mod:`myco.auth.settings`)."""
    for option in OPTIONS:
        options.add(option)


@hookimpl
def register_commands(commands: CommandRegistry) -> None:
    """``myco token new | add | session``."""
    from myco.auth.commands import TOKEN

    commands.add(TOKEN)


def _register_key(state: AuthState, token: str, tid: str) -> None:
    """Keep the tenant's session key (a dict lookup once known); never fails the request."""
    if state.keys.knows(tid):
        return
    try:
        state.keys.register(token, tid)
    except OSError as exc:
        log.warning(
            "cannot store the session key; session tokens of this tenant will be refused",
            tenant=tid[:12],
            error=str(exc),
        )


async def _create_tenant(tid: str, state: AuthState, daemon: Daemon, remote: str | None) -> bool:
    """Create tenant *tid* within the address's creation budget (shared by concurrent calls).

    True when this call created a new, empty tenant (not when it joined a concurrent
    creation, nor loaded one that another replica had already filled).
    """
    limiter = state.limiter
    first = tid not in state.creating
    if first:
        wait = await answer(limiter.try_create(remote))
        if wait is not None:
            raise AuthError(
                f"too many new tenants from this address, retry in {wait}s", 429, retry_after=wait
            )
    state.creating[tid] = state.creating.get(tid, 0) + 1
    try:
        tenant = await daemon.tenants.create(tid)
    finally:
        state.creating[tid] -= 1
        if not state.creating[tid]:
            del state.creating[tid]
    if first:
        log.info("tenant created", tenant=tid[:12], remote=remote)
    return first and tenant.state.last_seq == 0


async def _fail(limiter: Limiter, remote: str | None, message: str) -> NoReturn:
    """Record a failed attempt and refuse the request with *message*.

    Raises (never returns) so the call sites read as early exits.
    """
    ban = await answer(limiter.record_failure(remote))
    if ban is not None:
        log.warning("address banned after repeated auth failures", remote=remote, seconds=ban)
    raise AuthError(message, 401)
