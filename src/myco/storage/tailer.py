"""Keeping a replica current: apply, in seq order, what other replicas store.

With a store that several daemons share (:class:`~myco.storage.contract.Following`), a
replica learns about events two ways: its own ``POST /events`` and the :class:`Tailer`,
a background task following the store. ``SwarmState.apply`` ignores a seq it has passed,
so both paths keep the one invariant that matters: a tenant applies its records in seq
order, each once. The tailer applies under the tenant's lock (never between an ingest's
append and its apply), and an ingest whose seqs skip some first applies the skipped ones
(:func:`catch_up`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable
from contextlib import suppress
from typing import TYPE_CHECKING

import structlog

from myco.protocol.engine import to_event
from myco.protocol.events import Event, Record
from myco.storage.contract import Change, Following, StorageUnavailable, Tops

if TYPE_CHECKING:
    from myco.daemon import Daemon
    from myco.tenants import Tenant

log = structlog.get_logger("myco.storage.tailer")

#: pauses between attempts to follow again after the store went away (seconds)
BACKOFF_FIRST = 0.05
BACKOFF_MAX = 2.0


def apply_new(tenant: Tenant, records: Iterable[Record]) -> list[Event]:
    """Apply the records the tenant has not applied yet; returns their events, to publish.

    Every record's client id is remembered (so a retry through this replica is known).
    """
    out: list[Event] = []
    for rec in records:
        fresh = rec.seq > tenant.state.last_seq
        if tenant.apply_records((rec,)) and fresh:
            ev = to_event(rec, tenant.verbs)
            if ev is not None:
                out.append(ev)
    return out


def _apply(tenant: Tenant, change: Change) -> None:
    """Apply *change* and tell watchers; the caller holds ``tenant.lock``."""
    tenant.state.msg_names.update(change.msgs)
    tenant.publish(apply_new(tenant, change.records))


async def catch_up(tenant: Tenant, before: int) -> None:
    """Apply what other replicas stored below seq *before*; called under ``tenant.lock``.

    An append that got seqs above ones this replica has not applied yet means another
    replica appended in between: its records go first, or state would skip them.
    """
    storage = tenant.daemon.storage
    if isinstance(storage, Following):
        _apply(tenant, await storage.changes_between(tenant.id, tenant.state.last_seq, before))


class Tailer:
    """The background task that follows the store for one daemon and reconnects forever."""

    def __init__(self, daemon: Daemon, storage: Following) -> None:
        self.daemon = daemon
        self.storage = storage
        self.task: asyncio.Task[None] | None = None
        self._stopping = False

    @classmethod
    def start_for(cls, daemon: Daemon) -> Tailer | None:
        """Start following when the daemon's store supports it (None for the file backend)."""
        if not isinstance(daemon.storage, Following):
            return None
        tailer = cls(daemon, daemon.storage)
        tailer.task = asyncio.create_task(tailer.run(), name="myco-tailer")
        return tailer

    async def stop(self) -> None:
        """Cancel the task, again if need be: on Python < 3.12, ``asyncio.wait_for`` (inside
        redis-py) can swallow a cancellation that races with its result."""
        self._stopping = True
        task, self.task = self.task, None
        if task is None:
            return
        while not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=0.2)
        if not task.cancelled():
            with suppress(Exception):
                task.result()

    async def positions(self) -> dict[str, int]:
        """Where to follow each tenant from: a loaded one's state, an evicted one's seq at
        eviction, and for one never loaded (nothing to apply to it) the store's top when
        the store says (:class:`~myco.storage.contract.Tops`); otherwise the store tells
        about it from the start."""
        tenants = self.daemon.tenants
        out = dict(tenants.evicted_at)
        out.update({t.id: t.state.last_seq for t in tenants})
        if isinstance(self.storage, Tops):
            never = [tid for tid in tenants.known_ids() if tid not in out]
            if never:
                tops = await self.storage.tops(never)
                # loaded meanwhile: its state's seq, not the store's newer top
                out.update({t: s for t, s in tops.items() if tenants.get(t) is None})
                out.update({t.id: t.state.last_seq for t in tenants})
        return out

    async def run(self) -> None:
        """Follow, and after any failure follow again from where the state is."""
        delay, down = BACKOFF_FIRST, False
        while not self._stopping:
            try:
                async for change in self.storage.follow(await self.positions()):
                    if down:
                        log.info("following the store again")
                        down, delay = False, BACKOFF_FIRST
                    await self.apply(change)
            except StorageUnavailable as exc:
                if not down:
                    log.warning("store unavailable, following paused", error=str(exc))
                down = True
            except Exception:
                log.exception("following the store failed; retrying")
                down = True
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, BACKOFF_MAX)

    async def apply(self, change: Change) -> None:
        """Apply *change* to its tenant if it is loaded (or being loaded: after the load).

        A tenant not in memory needs nothing: when it is first used, it is loaded from the
        store (its snapshot, then the later records), which includes this change.
        """
        tenants = self.daemon.tenants
        tenant = await tenants.loading(change.tenant_id)
        if tenant is None:
            tenants.know(change.tenant_id)  # maybe created through another replica
            return
        async with tenant.lock:
            _apply(tenant, change)
