"""Daemon replicas sharing one Redis, in one process: following, ordering, outages, 503s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from bench.redis_server import RedisServer

from myco.auth.tokens import tenant_id
from myco.config import Config
from myco.daemon import Daemon
from myco.plugins import make_plugin_manager
from myco.protocol.events import Event
from myco.storage.contract import StorageUnavailable
from myco.tenants import Tenant
from myco.web.app import create_app
from tests.conftest import AUTH, TOKEN
from tests.redis_fixtures import flush, own_redis, redis_server

__all__ = ["own_redis", "redis_server"]  # fixtures, used by name

TID = tenant_id(TOKEN)
NOW = 1_795_612_359_123

Replicas = Callable[..., Awaitable[list[Daemon]]]


def config(url: str, tmp_path: Path) -> Config:
    return Config(
        data_dir=tmp_path / "data",
        storage="redis",
        access_log=False,
        plugins={"redis": {"redis_url": url}},
    )


@pytest.fixture
async def replicas(redis_server: RedisServer, tmp_path: Path) -> AsyncIterator[Replicas]:
    """Start daemons on the emptied module server (or *url*); all are stopped at teardown."""
    flush(redis_server)
    started: list[Daemon] = []

    async def _start(n: int, url: str = redis_server.url) -> list[Daemon]:
        out = []
        for _ in range(n):
            daemon = Daemon(config(url, tmp_path), make_plugin_manager(load_entrypoints=False))
            await daemon.start()
            started.append(daemon)
            out.append(daemon)
        return out

    yield _start
    for daemon in started:
        await daemon.stop()


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait (polling with a deadline) until *check()* holds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def tenant_on(daemon: Daemon, seq: int = 0) -> Tenant:
    """The tenant on *daemon*, once it has applied *seq*.

    Tenants load on first use: a replica learns about a tenant created elsewhere through
    the feed (``in daemon.tenants``), and this first use loads it.
    """
    await eventually(lambda: TID in daemon.tenants)
    loaded = await daemon.tenants.open(TID)
    assert loaded is not None

    def ready() -> bool:
        t = daemon.tenants.get(TID)
        return t is not None and t.state.last_seq >= seq

    await eventually(ready)
    tenant = daemon.tenants.get(TID)
    assert tenant is not None
    return tenant


def views(tenant: Tenant) -> dict[str, str]:
    return {s: tenant.render(s, now_ms=NOW) for s in ["DIRECTOR", *tenant.state.workers()]}


def watch(tenant: Tenant) -> asyncio.Queue[Event]:
    queue: asyncio.Queue[Event] = asyncio.Queue()
    tenant.watchers.add(queue)
    return queue


def drained(queue: asyncio.Queue[Event]) -> list[int]:
    out = []
    while not queue.empty():
        out.append(queue.get_nowait().seq)
    return out


# -- following ----------------------------------------------------------------------------


async def test_an_event_accepted_by_one_replica_shows_on_the_other(replicas: Replicas) -> None:
    a, b = await replicas(2)
    ta = await a.tenants.create(TID)
    tb = await tenant_on(b)  # discovered through the feed
    seen = watch(tb)
    await ta.ingest("FRONT", ["start login-page", "need BACK.auth-api"])
    await ta.put_msg("FRONT-001.md", b"# spec")
    await ta.ingest("FRONT", ["ask BACK token-format spec:msg/FRONT-001.md"])
    await tenant_on(b, 3)
    await eventually(lambda: "FRONT-001.md" in tb.state.msg_names)
    assert views(tb) == views(ta)
    assert drained(seen) == [1, 2, 3]  # live watchers on B got them, once, in order


async def test_concurrent_posts_on_both_replicas_apply_in_seq_order(
    replicas: Replicas, monkeypatch: pytest.MonkeyPatch
) -> None:
    import myco.tenants

    gaps: list[int] = []
    real_catch_up = myco.tenants.catch_up

    async def catch_up(tenant: Tenant, before: int) -> None:
        gaps.append(before)
        await real_catch_up(tenant, before)

    monkeypatch.setattr(myco.tenants, "catch_up", catch_up)
    a, b = await replicas(2)
    ta = await a.tenants.create(TID)
    tb = await tenant_on(b)
    seen_a, seen_b = watch(ta), watch(tb)
    script = [
        ("BACK", ["start api", "up db addr:localhost:5432"]),
        ("FRONT", ["need db", "start ui"]),
        ("DIRECTOR", ["direct all ship-it"]),
        ("BACK", ["done api ref:main"]),
        ("FRONT", ["ask BACK why? spec:msg/none.md", "say ok"]),
    ]

    async def post(i: int) -> None:
        session, lines = script[i % len(script)]
        tenant = (ta, tb)[i % 2]
        await tenant.ingest(session, [f"{line} n{i}" for line in lines], client_id=f"p{i}")

    await asyncio.gather(*(post(i) for i in range(80)))
    total = sum(len(script[i % len(script)][1]) for i in range(80))
    await tenant_on(a, total)
    await tenant_on(b, total)
    assert views(ta) == views(tb)
    for seen in (seen_a, seen_b):
        assert drained(seen) == list(range(1, total + 1))  # each once, in seq order
    (c,) = await replicas(1)  # a fresh replica replays to the same state
    tc = await tenant_on(c, total)
    assert views(tc) == views(ta)
    assert gaps, "the posts interleaved, so some appends had to catch up first"


async def test_a_restarted_replica_starts_from_the_snapshot_in_redis(
    replicas: Replicas, redis_server: RedisServer, tmp_path: Path
) -> None:
    first = Daemon(config(redis_server.url, tmp_path), make_plugin_manager(load_entrypoints=False))
    await first.start()
    tenant = await first.tenants.create(TID)
    await tenant.ingest("FRONT", ["start ui", "need BACK.api", "ask BACK which-api"])
    await tenant.ingest("BACK", ["start api", "done api ref:r1", "reply FRONT v1"])
    before, last = views(tenant), tenant.state.last_seq
    await first.stop()  # writes the snapshot into Redis

    (second,) = await replicas(1)
    restored = await tenant_on(second, last)
    assert restored.snapshot_seq == last  # nothing was replayed from the stream
    assert views(restored) == before
    await restored.ingest("FRONT", ["done ui"])  # and it carries on from there
    assert restored.state.sessions["FRONT"].status == "idle"


async def test_a_replica_follows_tenants_it_never_loaded_from_their_top(
    replicas: Replicas, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = await replicas(2)
    ta = await a.tenants.create(TID)
    await ta.ingest("FRONT", [f"say line-{i}" for i in range(5)])
    await eventually(lambda: TID in b.tenants)
    assert b.tenants.get(TID) is None  # known, not loaded
    assert b.tailer is not None
    # its history is not read again when following (re)starts: it starts from the top
    assert (await b.tailer.positions())[TID] == 5
    applied: list[str] = []
    monkeypatch.setattr(b.tenants, "know", applied.append)
    await ta.ingest("FRONT", ["say while not loaded"])  # B has nothing to apply it to
    await eventually(lambda: applied == [TID])
    assert b.tenants.get(TID) is None
    tb = await b.tenants.open(TID)  # first use: loaded from the store, then followed
    assert tb is not None and tb.state.last_seq == 6
    await ta.ingest("FRONT", ["say after the load"])
    await tenant_on(b, 7)
    assert views(tb) == views(ta)


async def test_a_retry_through_the_other_replica_is_not_stored_twice(
    replicas: Replicas,
) -> None:
    a, b = await replicas(2)
    ta = await a.tenants.create(TID)
    tb = await tenant_on(b)
    await ta.ingest("BACK", ["say once"], client_id="turn-7")
    retry = await tb.ingest("BACK", ["say once"], client_id="turn-7")  # B may not know it yet
    assert retry.duplicate  # the client is told, whichever replica answered
    await ta.ingest("BACK", ["say twice"], client_id="turn-8")
    await tenant_on(b, 2)
    history = await tb.history(0, 100)
    assert [e["line"] for e in history] == ["say once", "say twice"]


# -- outages ------------------------------------------------------------------------------


async def test_replicas_catch_up_after_redis_comes_back(
    replicas: Replicas, own_redis: RedisServer
) -> None:
    a, b = await replicas(2, own_redis.url)
    ta = await a.tenants.create(TID)
    tb = await tenant_on(b)
    await ta.ingest("BACK", ["say before"])
    await tenant_on(b, 1)
    own_redis.stop()
    start = time.monotonic()
    with pytest.raises(StorageUnavailable):
        await ta.ingest("BACK", ["say during"])
    assert time.monotonic() - start < 5
    assert tb.render("BACK", now_ms=NOW)  # views still render from memory
    own_redis.start()
    await eventually(lambda: _ingest_ok(ta), timeout=10)
    await tenant_on(b, 2)
    assert [e["line"] for e in await tb.history(0, 10)] == ["say before", "say after"]
    assert views(ta) == views(tb)


_pending: dict[int, asyncio.Task[Any]] = {}


def _ingest_ok(tenant: Tenant) -> bool:
    """Try ``say after`` until it is accepted (a poll step for :func:`eventually`)."""
    task = _pending.get(id(tenant))
    if task is None:
        _pending[id(tenant)] = asyncio.ensure_future(
            tenant.ingest("BACK", ["say after"], client_id="after")
        )
        return False
    if not task.done():
        return False
    del _pending[id(tenant)]
    return task.exception() is None


async def test_http_answers_503_while_redis_is_down_then_recovers(
    aiohttp_client: Callable[..., Any], own_redis: RedisServer, tmp_path: Path
) -> None:
    daemon = Daemon(config(own_redis.url, tmp_path), make_plugin_manager(load_entrypoints=False))
    client = await aiohttp_client(create_app(daemon))
    body = {"session": "BACK", "events": ["say hello"], "id": "h1"}
    resp = await client.post("/events", json=body, headers=AUTH)
    assert resp.status == 200
    own_redis.stop()
    for method, path, payload, headers in [
        ("POST", "/events", {"session": "BACK", "events": ["say lost"]}, AUTH),
        ("GET", "/msg/x.md", None, AUTH),
        ("GET", "/events", None, AUTH),
        (
            "GET",
            "/view/BACK",
            None,  # a new token: creating its tenant needs Redis too
            {"Authorization": "Bearer myco-test-gamma-Pq8Rt2Vw6Xy0Za4Bc7De1Fg5Hj9Km3N"},
        ),
    ]:
        start = time.monotonic()
        resp = await client.request(method, path, json=payload, headers=headers)
        assert time.monotonic() - start < 5
        assert resp.status == 503, (path, await resp.text())
        assert resp.headers["Retry-After"] == "1"
        data = await resp.json()
        assert data["error"].startswith("storage unavailable: redis"), data
    resp = await client.get("/view/BACK", headers=AUTH)  # from memory: still served
    assert resp.status == 200
    own_redis.start()
    deadline = time.monotonic() + 10
    while True:
        resp = await client.post(
            "/events", json={"session": "BACK", "events": ["say back"]}, headers=AUTH
        )
        if resp.status == 200 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    assert resp.status == 200


async def test_auth_limits_use_redis_with_the_redis_backend(replicas: Replicas) -> None:
    from myco.default_plugins.auth_token import state_for
    from myco.storage.redis_ratelimit import RedisRateLimiter

    (a,) = await replicas(1)
    assert isinstance(state_for(a).limiter, RedisRateLimiter)
