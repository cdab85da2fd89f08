"""Many tenants at once: none ever sees another's events, messages, sessions or counts.

Every tenant uses the *same* session names, message names, dispatch targets and client batch
ids, with its own marker in every text, so a leak of any kind shows up as a foreign marker.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable
from typing import Any

import pluggy
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from myco.auth.session_tokens import session_token
from myco.auth.tokens import tenant_id
from myco.config import Config
from myco.daemon import Daemon
from myco.web.app import create_app

Client = TestClient[web.Request, web.Application]
TENANTS = 30


def marker(i: int) -> str:
    return f"mark{i:02d}q"


def lines_of(i: int) -> dict[str, list[str]]:
    m = marker(i)
    return {
        "ALICE": [
            f"start build-{m}",
            f"need BOB.api-{m}",
            f"ask BOB review-{m} spec:msg/SHARED-001.md",
            f"say hello-{m} channel:team",
        ],
        "BOB": [
            f"start api-{m}",
            f"done api-{m} ref:{m}",
            f"up db-{m} addr:127.0.0.1:{i}",
            f"private secret-{m}",
        ],
        "DIRECTOR": [f"direct ALICE ship-{m}"],
        f"ONLY{i:02d}": [f"start solo-{m}"],  # a session name no other tenant has
    }


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, config: Config, pm: pluggy.PluginManager) -> Client:
    # one address creates every tenant here: lift the per-address creation budget
    daemon = Daemon(config.with_settings("auth", new_tenants_per_hour=TENANTS * 2), pm)
    return await aiohttp_client(create_app(daemon))  # type: ignore[no-any-return]


def h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def write_tenant(client: Client, i: int, token: str) -> None:
    """Everything tenant *i* writes; requests of one tenant run concurrently too."""
    m = marker(i)
    posts = [
        client.post("/events", json={"session": s, "events": ls, "id": "batch-1"}, headers=h(token))
        for s, ls in lines_of(i).items()
    ]
    posts.append(client.post("/msg/SHARED-001.md", data=f"# spec {m}".encode(), headers=h(token)))
    posts.append(client.post("/dispatch/ALICE", json={"prompt": f"prompt-{m}"}, headers=h(token)))
    for resp in await asyncio.gather(*posts):
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        assert "duplicate" not in body  # the same client id in other tenants is no retry


async def read_tenant(client: Client, token: str) -> dict[str, Any]:
    """Everything a tenant can read, as text, keyed by route."""
    reads: dict[str, Callable[[], Any]] = {
        "view ALICE": lambda: client.get("/view/ALICE", headers=h(token)),
        "view BOB": lambda: client.get("/view/BOB", headers=h(token)),
        "view DIRECTOR": lambda: client.get("/view/DIRECTOR", headers=h(token)),
        "view json": lambda: client.get("/view/DIRECTOR?format=json", headers=h(token)),
        "status": lambda: client.get("/status", headers=h(token)),
        "events": lambda: client.get("/events", headers=h(token)),
        "msg": lambda: client.get("/msg/SHARED-001.md", headers=h(token)),
        "dispatch": lambda: client.get("/dispatch/ALICE", headers=h(token)),
    }
    responses = await asyncio.gather(*(call() for call in reads.values()))
    out = {}
    for name, resp in zip(reads, responses, strict=True):
        assert resp.status == 200, (name, await resp.text())
        out[name] = await resp.text()
    return out


async def test_thirty_tenants_at_once_never_see_each_other(client: Client) -> None:
    tokens = [f"myco_iso_{i:02d}_{secrets.token_urlsafe(32)}" for i in range(TENANTS)]
    await asyncio.gather(*(write_tenant(client, i, t) for i, t in enumerate(tokens)))
    seen = await asyncio.gather(*(read_tenant(client, t) for t in tokens))
    for i, texts in enumerate(seen):
        mine = marker(i)
        others = [x for j in range(TENANTS) if j != i for x in (marker(j), f"ONLY{j:02d}")]
        for route, text in texts.items():
            foreign = [x for x in others if x in text]
            assert not foreign, (i, route, foreign)
        assert mine in texts["view DIRECTOR"] and mine in texts["msg"]
        assert "Swarm with 3 worker session(s)." in texts["view DIRECTOR"]  # counts too
        assert json.loads(texts["dispatch"])["prompt"] == f"prompt-{mine}"
        status = json.loads(texts["status"])["sessions"]
        assert sorted(status) == sorted(["ALICE", "BOB", "DIRECTOR", f"ONLY{i:02d}"])
        history = json.loads(texts["events"])
        posted = sum(len(ls) for ls in lines_of(i).values())
        assert len(history["events"]) == history["last_seq"] == posted
        assert {e["session"] for e in history["events"]} == set(status)
        view = json.loads(texts["view json"])
        assert sorted(view["sessions"]) == sorted(status)
    # acknowledging in one tenant changes only that tenant
    acked = await client.get("/msg/SHARED-001.md?session=BOB", headers=h(tokens[0]))
    assert acked.status == 200
    for i, t in enumerate(tokens):
        history = await (await client.get("/events?after=0", headers=h(t))).json()
        posted = sum(len(ls) for ls in lines_of(i).values())
        assert history["last_seq"] == posted + (1 if i == 0 else 0)
    health = await (await client.get("/healthz")).json()
    assert health["tenants"] == TENANTS
    assert health["channels"] == 2 * TENANTS  # global + team, counted per tenant


async def test_session_tokens_never_cross_tenants(client: Client) -> None:
    tokens = [f"myco_iso_{i:02d}_{secrets.token_urlsafe(32)}" for i in range(4)]
    for t in tokens:  # each daemon-side key is learnt from its tenant token
        assert (await client.get("/status", headers=h(t))).status == 200
    for i, t in enumerate(tokens):
        own = session_token(t, "ALICE")
        resp = await client.post(
            "/events", json={"session": "ALICE", "events": [f"say from-{i}"]}, headers=h(own)
        )
        assert resp.status == 200
        for j, other in enumerate(tokens):
            if j == i:
                continue
            # another tenant's prefix with this tenant's MAC, and the reverse
            moved = own.replace(tenant_id(t)[:16], tenant_id(other)[:16])
            # refused: 401, or 429 once the forgeries got this address banned
            assert (await client.get("/view/ALICE", headers=h(moved))).status in (401, 429)
    for i, t in enumerate(tokens):
        history = await (await client.get("/events", headers=h(t))).json()
        assert [e["line"] for e in history["events"]] == [f"say from-{i}"]
