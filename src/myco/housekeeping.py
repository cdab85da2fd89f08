"""The daemon's background upkeep: periodic snapshots and eviction of idle tenants.

A core feature, not a plugin: crash recovery and memory bounds must not depend on which
plugins are installed. One task wakes up every second (or more often when the interval
is shorter), snapshots each loaded tenant that changed (``snapshot_interval`` seconds
since its last snapshot, or ``snapshot_events`` events more), then drops tenants idle for
``tenant_idle_ttl`` seconds. Snapshots are pickled on the loop and compressed and written
in threads (:meth:`myco.tenants.Tenant.save_snapshot`), so serving never waits for disk.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    from myco.daemon import Daemon

log = structlog.get_logger("myco.housekeeping")

#: longest sleep between two rounds (seconds)
TICK_MAX = 1.0


def snapshot_due(daemon: Daemon, now: float) -> list[str]:
    """Ids of the loaded tenants whose snapshot is due at monotonic time *now*."""
    cfg = daemon.config
    due = []
    for tenant in daemon.tenants:
        behind = tenant.state.last_seq - tenant.snapshot_seq
        if behind <= 0:
            continue
        if (cfg.snapshot_interval and now - tenant.snapshot_at >= cfg.snapshot_interval) or (
            cfg.snapshot_events and behind >= cfg.snapshot_events
        ):
            due.append(tenant.id)
    return due


class Housekeeper:
    """The background task; :meth:`run_once` is one round (tests call it directly)."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.task: asyncio.Task[None] | None = None

    @classmethod
    def start_for(cls, daemon: Daemon) -> Housekeeper:
        keeper = cls(daemon)
        keeper.task = asyncio.create_task(keeper.run(), name="myco-housekeeping")
        return keeper

    async def run_once(self) -> None:
        daemon = self.daemon
        for tid in snapshot_due(daemon, time.monotonic()):
            tenant = daemon.tenants.get(tid)
            if tenant is None:
                continue
            try:
                await tenant.save_snapshot()
            except Exception as exc:  # an optimisation: retried next round
                log.warning("periodic snapshot failed", tenant=tid[:8], error=str(exc))
        if daemon.config.tenant_idle_ttl:
            await daemon.tenants.evict_idle(daemon.config.tenant_idle_ttl)

    async def run(self) -> None:
        cfg = self.daemon.config
        tick = min(TICK_MAX, cfg.snapshot_interval or TICK_MAX, cfg.tenant_idle_ttl or TICK_MAX)
        while True:
            await asyncio.sleep(tick)
            try:
                await self.run_once()
            except Exception:
                log.exception("housekeeping failed; trying again")

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is None:
            return
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
