"""Lazy tenants: start-up lists tenants without loading them, a tenant loads on first use
(concurrent first uses share one load), idle tenants are evicted and come back identical."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from myco import hookimpl
from myco.auth.tokens import tenant_id
from myco.config import Config
from myco.daemon import Daemon
from myco.plugins import make_plugin_manager
from myco.web.app import create_app
from tests.test_replay import SCRIPT

TOKEN = "lazy-tenant-token-0123456789abcdef"
TENANT = tenant_id(TOKEN)


def make(data: Path, **config: object) -> Daemon:
    """A daemon not started yet (the app's lifecycle starts and stops it)."""
    return Daemon(
        Config(data_dir=data, access_log=False, **config),  # type: ignore[arg-type]
        make_plugin_manager(load_entrypoints=False),
    )


async def build(data: Path, **config: object) -> Daemon:
    daemon = make(data, **config)
    await daemon.start()
    return daemon


def views(daemon: Daemon, tid: str, now: int) -> dict[str, str]:
    tenant = daemon.tenants.get(tid)
    assert tenant is not None
    out = {f"md:{s}": tenant.render(s, "markdown", now) for s in sorted(tenant.state.sessions)}
    out.update({f"json:{s}": tenant.render(s, "json", now) for s in tenant.state.sessions})
    return out


async def filled(data: Path) -> int:
    """One tenant with the replay script on disk; returns its last seq."""
    daemon = await build(data, tenant_idle_ttl=0)
    tenant = await daemon.tenants.create(TENANT)
    for session, lines in SCRIPT:
        await tenant.ingest(session, lines)
    last = tenant.state.last_seq
    await daemon.stop()
    return last


async def test_thousands_of_tenants_none_loaded_until_used(tmp_path: Path) -> None:
    last = await filled(tmp_path)
    tenants = tmp_path / "tenants"
    others = [tenant_id(f"{TOKEN}-{i}") for i in range(1999)]
    for tid in others:
        shutil.copytree(tenants / TENANT, tenants / tid)

    daemon = make(tmp_path, tenant_idle_ttl=0)
    async with TestClient(TestServer(create_app(daemon))) as client:
        health = await (await client.get("/healthz")).json()
        assert health["tenants"] == 2000 and health["loaded"] == 0
        assert len(daemon.tenants) == 0

        resp = await client.get(
            "/view/FRONT", params={"format": "json"}, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert resp.status == 200
        view = await resp.json()
        assert view["sessions"]["FRONT"]["working_on"] == "login-page"
        health = await (await client.get("/healthz")).json()
        assert health["tenants"] == 2000 and health["loaded"] == 1
        assert daemon.tenants.get(TENANT) is not None
        loaded = daemon.tenants.get(TENANT)
        assert loaded is not None and loaded.state.last_seq == last


async def test_concurrent_first_uses_share_one_load(tmp_path: Path) -> None:
    await filled(tmp_path)
    daemon = await build(tmp_path, tenant_idle_ttl=0)
    got = await asyncio.gather(*(daemon.tenants.open(TENANT) for _ in range(20)))
    assert got[0] is not None and all(t is got[0] for t in got)
    assert daemon.tenants.get(TENANT) is got[0]
    assert await daemon.tenants.open("c" * 64) is None  # unknown: nothing is created
    await daemon.stop()


async def test_evicted_tenant_comes_back_identical(tmp_path: Path) -> None:
    await filled(tmp_path)
    daemon = await build(tmp_path, tenant_idle_ttl=0, snapshot_interval=0)
    tenant = await daemon.tenants.open(TENANT)
    assert tenant is not None
    await tenant.ingest("LATE", ["start after-load"], client_id="late-1")
    now = tenant.state.events[-1].ts_ms + 2_000
    before = views(daemon, TENANT, now)

    tenant.last_used = time.monotonic() - 60
    assert await daemon.tenants.evict_idle(30) == [TENANT]
    assert daemon.tenants.get(TENANT) is None and TENANT in daemon.tenants
    assert tenant.snapshot_seq == tenant.state.last_seq  # snapshotted before it went

    back = await daemon.tenants.open(TENANT)
    assert back is not None and back is not tenant
    assert back.snapshot_seq == back.state.last_seq  # restored from that snapshot
    assert views(daemon, TENANT, now) == before
    again = await back.ingest("LATE", ["start after-load"], client_id="late-1")
    assert again.duplicate  # remembered batch ids came back too
    await daemon.stop()


async def test_watched_or_busy_tenants_are_not_evicted(tmp_path: Path) -> None:
    await filled(tmp_path)
    daemon = await build(tmp_path, tenant_idle_ttl=0, snapshot_interval=0)
    tenant = await daemon.tenants.open(TENANT)
    assert tenant is not None
    tenant.last_used = time.monotonic() - 60
    queue: asyncio.Queue[object] = asyncio.Queue()
    tenant.watchers.add(queue)  # type: ignore[arg-type]
    assert await daemon.tenants.evict_idle(30) == []
    tenant.watchers.clear()
    tenant.in_use = 1
    assert await daemon.tenants.evict_idle(30) == []
    tenant.in_use = 0
    tenant.last_used = time.monotonic()
    assert await daemon.tenants.evict_idle(30) == []  # used recently
    tenant.last_used = time.monotonic() - 60
    assert await daemon.tenants.evict_idle(30) == [TENANT]
    await daemon.stop()


async def test_the_housekeeper_evicts_idle_tenants(tmp_path: Path) -> None:
    await filled(tmp_path)
    daemon = make(tmp_path, tenant_idle_ttl=0.05, snapshot_interval=0)
    async with TestClient(TestServer(create_app(daemon))) as client:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        assert (await client.get("/view/FRONT", headers=headers)).status == 200
        deadline = time.monotonic() + 10
        while daemon.tenants.get(TENANT) is not None:
            assert time.monotonic() < deadline, "the idle tenant was never evicted"
            await asyncio.sleep(0.02)
        resp = await client.get("/view/FRONT", params={"format": "json"}, headers=headers)
        view = await resp.json()
        assert view["sessions"]["FRONT"]["working_on"] == "login-page"


class TenantWatcher:
    """A plugin that records the tenant lifecycle hooks."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    @hookimpl
    def tenant_loaded(self, tenant: object) -> None:
        self.calls.append(("loaded", id(tenant)))

    @hookimpl
    def tenant_evicted(self, tenant: object) -> None:
        self.calls.append(("evicted", id(tenant)))


class BrokenWatcher:
    @hookimpl
    def tenant_loaded(self, tenant: object) -> None:
        raise RuntimeError("boom")

    @hookimpl
    def tenant_evicted(self, tenant: object) -> None:
        raise RuntimeError("boom")


async def test_plugins_hear_each_load_and_eviction_and_a_failing_one_harms_nothing(
    tmp_path: Path,
) -> None:
    await filled(tmp_path)
    pm = make_plugin_manager(load_entrypoints=False)
    watcher = TenantWatcher()
    pm.register(BrokenWatcher(), name="broken")  # logged and skipped, both times
    pm.register(watcher, name="watcher")
    daemon = Daemon(Config(data_dir=tmp_path, access_log=False, tenant_idle_ttl=0), pm)
    await daemon.start()
    assert watcher.calls == []  # start-up loads nothing
    first = await daemon.tenants.open(TENANT)
    assert first is not None and await daemon.tenants.open(TENANT) is first
    assert watcher.calls == [("loaded", id(first))]  # once per load, not per use
    first.last_used = time.monotonic() - 60
    assert await daemon.tenants.evict_idle(30) == [TENANT]
    second = await daemon.tenants.open(TENANT)
    assert second is not None
    assert watcher.calls == [("loaded", id(first)), ("evicted", id(first)), ("loaded", id(second))]
    await daemon.stop()
