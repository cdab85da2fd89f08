"""Snapshots: written periodically while serving, restored after a crash, ignored when
they come from another format, version or plugin set (then a full replay, never a misread)."""

from __future__ import annotations

import asyncio
import pickle
import time
import zlib
from pathlib import Path

import pytest

from myco import snapshots
from myco.config import Config
from myco.daemon import Daemon
from myco.plugins import make_plugin_manager
from myco.tenants import Tenant

TENANT = "b" * 64


async def build(data: Path, **config: object) -> Daemon:
    daemon = Daemon(
        Config(data_dir=data, access_log=False, **config),  # type: ignore[arg-type]
        make_plugin_manager(load_entrypoints=False),
    )
    await daemon.start()
    return daemon


def stored_seq(data: Path) -> int:
    raw = (data / "tenants" / TENANT / "snapshot.bin").read_bytes()
    return int.from_bytes(raw[:8], "big")


async def wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met before the deadline"
        await asyncio.sleep(0.02)


async def test_periodic_snapshot_is_written_while_serving(tmp_path: Path) -> None:
    daemon = await build(tmp_path, snapshot_interval=0.05, tenant_idle_ttl=0)
    tenant = await daemon.tenants.create(TENANT)
    for i in range(20):
        await tenant.ingest("ALICE", [f"start task-{i}"])
    await wait_for(lambda: tenant.snapshot_seq == tenant.state.last_seq)
    assert stored_seq(tmp_path) == tenant.state.last_seq == 20
    # the daemon keeps serving: more events, and the next snapshot follows them
    await tenant.ingest("BOB", ["say hello"])
    assert "hello" in tenant.render_fresh("ALICE")
    await wait_for(lambda: tenant.snapshot_seq == 21)
    assert stored_seq(tmp_path) == 21
    await daemon.stop()


async def test_snapshot_after_enough_events_even_with_a_long_interval(tmp_path: Path) -> None:
    daemon = await build(tmp_path, snapshot_interval=3600, snapshot_events=10, tenant_idle_ttl=0)
    tenant = await daemon.tenants.create(TENANT)
    await tenant.ingest("ALICE", [f"say line-{i}" for i in range(5)])
    assert daemon.housekeeper is not None
    await daemon.housekeeper.run_once()
    assert tenant.snapshot_seq == 0  # 5 events behind: not due yet
    await tenant.ingest("ALICE", [f"say more-{i}" for i in range(5)])
    await daemon.housekeeper.run_once()
    assert tenant.snapshot_seq == 10
    await daemon.stop()


async def _tampered(tenant: Tenant, version: str | None) -> bytes:
    """The tenant's snapshot with ALICE's action changed (and another version, if given):
    a daemon that used it would show the tampered action."""
    dumped = snapshots.dump(tenant)
    assert dumped is not None
    digest, raw = dumped
    payload = pickle.loads(raw)
    payload["state"]["sessions"]["ALICE"].action = "TAMPERED"
    if version is not None:
        digest = _digest_of_version(tenant, version)
    return snapshots.pack((digest, pickle.dumps(payload)))


def _digest_of_version(tenant: Tenant, version: str) -> bytes:
    original = snapshots.__version__
    snapshots.__version__ = version  # type: ignore[attr-defined]
    try:
        return bytes.fromhex(snapshots.fingerprint(tenant.verbs))
    finally:
        snapshots.__version__ = original  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("version", "used"), [(None, True), ("0.0.0+another", False)], ids=["same", "other"]
)
async def test_snapshot_of_another_version_is_ignored(
    tmp_path: Path, version: str | None, used: bool
) -> None:
    first = await build(tmp_path, snapshot_interval=0, tenant_idle_ttl=0)
    tenant = await first.tenants.create(TENANT)
    await tenant.ingest("ALICE", ["start x"])
    blob = await _tampered(tenant, version)
    await first.stop()
    path = tmp_path / "tenants" / TENANT / "snapshot.bin"
    path.write_bytes((1).to_bytes(8, "big") + blob)

    second = await build(tmp_path, snapshot_interval=0, tenant_idle_ttl=0)
    t2 = await second.tenants.open(TENANT)
    assert t2 is not None
    if used:  # the control: the same tampering with the right version is read
        assert t2.snapshot_seq == 1 and t2.state.sessions["ALICE"].action == "TAMPERED"
    else:
        assert t2.snapshot_seq == 0 and t2.state.sessions["ALICE"].action == "start x"
    await second.stop()


_detonations: list[str] = []


def _detonate(label: str) -> dict[str, object]:
    _detonations.append(label)
    return {}


class Bomb:
    """Unpickling it records a call: proof that a snapshot's bytes were unpickled."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (_detonate, (self.label,))


def _blob(kind: str, tenant: Tenant) -> bytes:
    """Bytes that would run :class:`Bomb` if unpickled, behind a header of *kind*."""
    digest = bytes.fromhex(snapshots.fingerprint(tenant.verbs))
    body = zlib.compress(pickle.dumps(Bomb(kind)), 1)
    fmt = snapshots.FORMAT.to_bytes(2, "big")
    future = (snapshots.FORMAT + 1).to_bytes(2, "big")
    return {
        "same": snapshots.MAGIC + fmt + digest + body,  # the control: this one is read
        "format-1": pickle.dumps(Bomb(kind)),  # the old, headerless form
        "future-format": snapshots.MAGIC + future + digest + body,
        "other-version": snapshots.MAGIC + fmt + _digest_of_version(tenant, "0.0.0+other") + body,
        "damaged": snapshots.MAGIC + fmt + digest + b"not zlib",
    }[kind]


@pytest.mark.parametrize("kind", ["same", "format-1", "future-format", "other-version", "damaged"])
async def test_snapshot_of_another_format_or_version_is_never_unpickled(
    tmp_path: Path, kind: str
) -> None:
    first = await build(tmp_path, snapshot_interval=0, tenant_idle_ttl=0)
    tenant = await first.tenants.create(TENANT)
    await tenant.ingest("ALICE", ["start x", "say hi"])
    blob = _blob(kind, tenant)
    await first.stop()
    (tmp_path / "tenants" / TENANT / "snapshot.bin").write_bytes((2).to_bytes(8, "big") + blob)
    _detonations.clear()
    second = await build(tmp_path, snapshot_interval=0, tenant_idle_ttl=0)
    t2 = await second.tenants.open(TENANT)
    assert _detonations == ([] if kind != "same" else ["same"])
    assert t2 is not None and t2.snapshot_seq == 0  # full replay instead
    assert t2.state.last_seq == 2 and t2.state.sessions["ALICE"].action == "say hi"
    await second.stop()


async def test_a_failed_snapshot_is_not_retried_on_every_tick(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """State that cannot be pickled costs one attempt a minute, not one per second."""
    daemon = await build(tmp_path, snapshot_interval=0.01, tenant_idle_ttl=0)
    tenant = await daemon.tenants.create(TENANT)
    await tenant.ingest("ALICE", ["start x"])
    tenant.state.extras["unpicklable"] = lambda: None
    assert daemon.housekeeper is not None
    calls = 0
    real = snapshots.dump

    def counting(t: Tenant) -> tuple[bytes, bytes] | None:
        nonlocal calls
        calls += 1
        return real(t)

    monkeypatch.setattr(snapshots, "dump", counting)
    for _ in range(5):
        await asyncio.sleep(0.02)  # past the interval: due on every round
        await daemon.housekeeper.run_once()
    assert calls == 1 and tenant.snapshot_seq == 0
    del tenant.state.extras["unpicklable"]
    tenant.snapshot_hold_until = 0.0  # the minute has passed
    await daemon.housekeeper.run_once()
    assert tenant.snapshot_seq == 1
    await daemon.stop()


async def test_a_snapshot_cancelled_by_a_stop_does_not_hold_the_next(tmp_path: Path) -> None:
    """The housekeeper's snapshot, cancelled when the daemon stops, is not a failure: the
    stop's own snapshot is still written."""
    daemon = await build(tmp_path, snapshot_interval=0, tenant_idle_ttl=0)
    tenant = await daemon.tenants.create(TENANT)
    await tenant.ingest("ALICE", [f"say line-{i}" for i in range(50)])
    saving = asyncio.ensure_future(tenant.save_snapshot())
    await asyncio.sleep(0)  # it pickled and went to its thread
    saving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await saving
    assert await tenant.save_snapshot() is True
    assert stored_seq(tmp_path) == 50
    await daemon.stop()
