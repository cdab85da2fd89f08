"""Leases and recent edits survive a restart, and are the same on Redis replicas."""

from __future__ import annotations

from pathlib import Path

from myco.config import Config
from myco.daemon import Daemon
from myco.plugins import make_plugin_manager
from tests.redis_fixtures import flush, redis_server
from tests.test_redis_daemons import TID, config, tenant_on

__all__ = ["redis_server"]  # fixture, used by name

TENANT = "e" * 64
REPO = "repo:git:0123456789abcdef"
SCRIPT = [
    ("ALICE", [f"edit src/app.py {REPO}", "claim src/auth/** ttl:45m login", f"edit a.py {REPO}"]),
    ("BOB", [f"edit src/app.py {REPO}", "claim src/** ttl:2h", f"edit a.py {REPO}"]),
    ("ALICE", [f"clean a.py {REPO}"]),
]


def sections(daemon: Daemon, tenant_id: str, now: int) -> dict[str, str]:
    tenant = daemon.tenants.get(tenant_id)
    assert tenant is not None
    return {
        f"{fmt}:{s}": tenant.render(s, fmt, now)
        for s in ("ALICE", "BOB", "DIRECTOR")
        for fmt in ("markdown", "json")
    }


async def build(data: Path) -> Daemon:
    daemon = Daemon(
        Config(data_dir=data, access_log=False), make_plugin_manager(load_entrypoints=False)
    )
    await daemon.start()
    return daemon


async def test_restart_keeps_leases_and_edits(tmp_path: Path) -> None:
    first = await build(tmp_path)
    tenant = await first.tenants.create(TENANT)
    for session, lines in SCRIPT:
        await tenant.ingest(session, lines)
    now = tenant.state.events[-1].ts_ms + 60_000
    before = sections(first, TENANT, now)
    await first.storage.close()  # as if it crashed: a full replay, no snapshot

    second = await build(tmp_path)
    assert await second.tenants.open(TENANT) is not None  # tenants load on first use
    assert sections(second, TENANT, now) == before
    await second.stop()  # writes a snapshot
    third = await build(tmp_path)
    restored = await third.tenants.open(TENANT)
    assert restored is not None and restored.snapshot_seq == restored.state.last_seq
    assert sections(third, TENANT, now) == before
    await third.stop()
    alice = before["markdown:ALICE"]
    assert "`src/app.py`: edited by BOB and you" in alice
    assert "`a.py`" not in alice  # cleaned by ALICE's commit
    assert "- `src/auth/**` held by you" in alice and "- `src/**` held by BOB" in alice
    assert "leases overlap: `src/auth/** ∩ src/**` held by BOB and you" in alice


async def test_redis_replicas_agree(redis_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    flush(redis_server)
    daemons = []
    try:
        for _ in range(2):
            d = Daemon(
                config(redis_server.url, tmp_path), make_plugin_manager(load_entrypoints=False)
            )
            await d.start()
            daemons.append(d)
        a, b = daemons
        tenant = await a.tenants.create(TID)
        for session, lines in SCRIPT:
            await tenant.ingest(session, lines)
        last = tenant.state.last_seq
        now = tenant.state.events[-1].ts_ms + 60_000
        await tenant_on(b, last)
        assert sections(b, TID, now) == sections(a, TID, now)
        assert "edited by BOB and you" in sections(b, TID, now)["markdown:ALICE"]
    finally:
        for d in daemons:
            await d.stop()
