"""Bearer-token authentication and rate limiting seen through the HTTP API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pluggy
import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, make_mocked_request
from pytest_aiohttp import AiohttpClient

from myco.auth.ratelimit import RateLimiter
from myco.auth.settings import TenantMode
from myco.auth.tokens import TokenStore, new_token, tenant_id
from myco.config import Config
from myco.daemon import Daemon
from myco.default_plugins.auth_token import bearer_token, state_for
from myco.web.app import create_app

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[tuple[Client, Daemon]]]

ROUTE = "/status"  # any authenticated route will do
WEAK = "abcde" * 6 + "ab"  # 32 chars, 74.2 bits


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def make_client(
    aiohttp_client: AiohttpClient, config: Config, pm: pluggy.PluginManager
) -> MakeClient:
    """A test client for a fresh daemon; ``limiter`` replaces the plugin's rate limiter."""

    async def make(
        tenants: TenantMode = "open", limiter: RateLimiter | None = None
    ) -> tuple[Client, Daemon]:
        daemon = Daemon(config.with_settings("auth", tenants=tenants), pm)
        if limiter is not None:
            state_for(daemon).limiter = limiter
        client = await aiohttp_client(create_app(daemon))
        return client, daemon

    return make


async def tenant_count(client: Client) -> int:
    resp = await client.get("/healthz")
    assert resp.status == 200
    return int((await resp.json())["tenants"])


async def expect_error(request: Awaitable[ClientResponse], status: int, message: str) -> None:
    resp = await request
    assert resp.status == status
    assert await resp.json() == {"ok": False, "error": message}


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (None, None),
        ("Bearer abc", "abc"),
        ("Bearer  abc ", " abc "),  # not trimmed: the hash covers every character
        ("Bearer ", ""),
        ("Bearer", ""),  # what "Bearer " becomes once HTTP strips trailing whitespace
        ("bearer abc", None),
        ("BearerX abc", None),
        ("Basic dXNlcjpwYXNz", None),
    ],
)
def test_bearer_token(header: str | None, token: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    assert bearer_token(make_mocked_request("GET", ROUTE, headers=headers)) == token


async def test_healthz_needs_no_auth(make_client: MakeClient) -> None:
    client, _ = await make_client()
    resp = await client.get("/healthz")
    assert resp.status == 200
    body = await resp.json()
    assert body["ok"] is True
    assert body["tenants"] == 0


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "bearer " + new_token()}, {"Authorization": "Token abc"}],
    ids=["none", "lowercase-scheme", "other-scheme"],
)
async def test_missing_or_invalid_header(make_client: MakeClient, headers: dict[str, str]) -> None:
    client, _ = await make_client()
    await expect_error(
        client.get(ROUTE, headers=headers), 401, "missing or invalid Authorization header"
    )


async def test_empty_and_weak_tokens_are_rejected_with_reason(make_client: MakeClient) -> None:
    client, _ = await make_client()
    await expect_error(
        client.get(ROUTE, headers={"Authorization": "Bearer "}), 401, "missing token"
    )
    await expect_error(
        client.get(ROUTE, headers=bearer("abc123")),
        401,
        "token rejected: token too short (min 32 chars)",
    )
    await expect_error(
        client.get(ROUTE, headers=bearer(WEAK)),
        401,
        "token rejected: token too weak (low entropy: 74.2 < 80 bits)",
    )
    await expect_error(
        client.get(ROUTE, headers=bearer("a" * 40)),
        401,
        "token rejected: token too weak (low entropy: 0.0 < 80 bits)",
    )
    assert await tenant_count(client) == 0


async def test_strong_new_token_creates_a_tenant(make_client: MakeClient) -> None:
    client, daemon = await make_client()
    token = new_token()
    resp = await client.get(ROUTE, headers=bearer(token))
    assert resp.status == 200
    assert tenant_id(token) in daemon.tenants
    assert await tenant_count(client) == 1
    # Same token again: the same tenant, no new one.
    assert (await client.get(ROUTE, headers=bearer(token))).status == 200
    assert await tenant_count(client) == 1
    assert (await client.get(ROUTE, headers=bearer(new_token()))).status == 200
    assert await tenant_count(client) == 2


async def test_the_request_that_creates_a_tenant_says_so(make_client: MakeClient) -> None:
    """A mistyped token in open mode makes a new swarm: the answer carries a header."""
    from myco.client import TENANT_CREATED_HEADER

    client, _ = await make_client()
    token = new_token()
    first = await client.post("/events", json={"session": "A", "events": []}, headers=bearer(token))
    assert first.status == 400  # an error answer still tells: the tenant exists now
    assert first.headers[TENANT_CREATED_HEADER] == "1"
    again = await client.get(ROUTE, headers=bearer(token))
    assert again.status == 200 and TENANT_CREATED_HEADER not in again.headers
    other = await client.get(ROUTE, headers=bearer(new_token()))
    assert other.headers[TENANT_CREATED_HEADER] == "1"
    refused = await client.get(ROUTE, headers=bearer(WEAK))
    assert refused.status == 401 and TENANT_CREATED_HEADER not in refused.headers
    # the OpenAPI document says so on every answer of an authenticated operation
    doc = await (await client.get("/openapi.json")).json()
    posted = doc["paths"]["/events"]["post"]["responses"]
    assert posted["400"]["headers"][TENANT_CREATED_HEADER]["$ref"] == (
        "#/components/headers/TenantCreated"
    )
    assert "headers" not in doc["paths"]["/healthz"]["get"]["responses"]["200"]


async def test_concurrent_first_requests_report_one_creation(make_client: MakeClient) -> None:
    client, _ = await make_client()
    token = new_token()
    responses = await asyncio.gather(*(client.get(ROUTE, headers=bearer(token)) for _ in range(4)))
    assert [r.headers.get("X-Myco-Tenant-Created") for r in responses].count("1") == 1


async def test_ban_refuses_unknown_tokens_but_not_existing_tenants(
    make_client: MakeClient,
) -> None:
    client, _ = await make_client()
    known = new_token()
    assert (await client.get(ROUTE, headers=bearer(known))).status == 200
    for _ in range(5):  # the 5th still gets its own message
        await expect_error(
            client.get(ROUTE, headers=bearer("short")),
            401,
            "token rejected: token too short (min 32 chars)",
        )
    resp = await client.get(ROUTE, headers=bearer(new_token()))
    assert resp.status == 429
    body = await resp.json()
    assert body["ok"] is False
    assert body["error"] == "too many failed attempts, retry in 300s"
    assert resp.headers["Retry-After"] == "300"
    assert (await client.get(ROUTE, headers=bearer(WEAK))).status == 429
    # The victim's valid token keeps working from the banned address.
    assert (await client.get(ROUTE, headers=bearer(known))).status == 200
    # Public routes and header problems are unaffected by the ban.
    assert (await client.get("/healthz")).status == 200
    await expect_error(client.get(ROUTE), 401, "missing or invalid Authorization header")
    assert await tenant_count(client) == 1


async def test_missing_header_is_not_counted(make_client: MakeClient) -> None:
    client, _ = await make_client()
    for _ in range(10):
        assert (await client.get(ROUTE)).status == 401
    assert (await client.get(ROUTE, headers=bearer(new_token()))).status == 200


async def test_new_tenants_do_not_wash_out_failures(make_client: MakeClient) -> None:
    """The reference bug: a fresh strong token reset the address's failure count."""
    client, _ = await make_client()
    for _ in range(4):
        assert (await client.get(ROUTE, headers=bearer(WEAK))).status == 401
        assert (await client.get(ROUTE, headers=bearer(new_token()))).status == 200
    assert (await client.get(ROUTE, headers=bearer(WEAK))).status == 401  # 5th failure
    assert (await client.get(ROUTE, headers=bearer(new_token()))).status == 429


async def test_creation_budget_per_address(make_client: MakeClient) -> None:
    client, _ = await make_client()
    tokens = [new_token() for _ in range(10)]
    for token in tokens:
        assert (await client.get(ROUTE, headers=bearer(token))).status == 200
    resp = await client.get(ROUTE, headers=bearer(new_token()))
    assert resp.status == 429
    body = await resp.json()
    assert body["ok"] is False
    assert body["error"].startswith("too many new tenants from this address, retry in ")
    retry = int(resp.headers["Retry-After"])
    assert 3500 < retry <= 3600
    assert body["error"] == f"too many new tenants from this address, retry in {retry}s"
    assert await tenant_count(client) == 10
    # Existing tenants are untouched by the budget, and using them does not refill it.
    for token in tokens:
        assert (await client.get(ROUTE, headers=bearer(token))).status == 200
    assert (await client.get(ROUTE, headers=bearer(new_token()))).status == 429


async def test_concurrent_requests_with_one_new_token_spend_one_creation(
    make_client: MakeClient,
) -> None:
    client, _ = await make_client(limiter=RateLimiter(max_creations=1))
    token = new_token()
    responses = await asyncio.gather(*(client.get(ROUTE, headers=bearer(token)) for _ in range(5)))
    assert [r.status for r in responses] == [200] * 5
    assert await tenant_count(client) == 1


async def test_closed_mode_accepts_only_registered_tokens(make_client: MakeClient) -> None:
    client, daemon = await make_client(tenants="closed")
    tokens_file = daemon.config.data_dir / "tokens"
    token = new_token()
    rejected = "token rejected: unknown token (this daemon only accepts registered tokens)"
    await expect_error(client.get(ROUTE, headers=bearer(token)), 401, rejected)
    assert await tenant_count(client) == 0
    # ``myco token add`` on the running daemon: no restart needed.
    TokenStore(tokens_file).add(token, label="test")
    assert (await client.get(ROUTE, headers=bearer(token))).status == 200
    assert await tenant_count(client) == 1
    # A registered token must still be strong enough to create a tenant.
    TokenStore(tokens_file).add(WEAK)
    await expect_error(
        client.get(ROUTE, headers=bearer(WEAK)),
        401,
        "token rejected: token too weak (low entropy: 74.2 < 80 bits)",
    )


async def test_closed_mode_counts_unknown_tokens_as_failures(make_client: MakeClient) -> None:
    client, _ = await make_client(tenants="closed")
    for _ in range(5):
        assert (await client.get(ROUTE, headers=bearer(new_token()))).status == 401
    resp = await client.get(ROUTE, headers=bearer(new_token()))
    assert resp.status == 429
    assert resp.headers["Retry-After"] == "300"
