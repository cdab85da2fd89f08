"""Search and threads for one daemon: an index per tenant, visibility from the state.

:class:`Library` keeps each tenant's :class:`~myco_mcp.index.SearchIndex` current: it
catches up from the store when a tenant is first used (at start-up for every loaded
tenant), then from ``events_ingested`` (which also fires for events a replica follows from
a shared store such as Redis: each replica keeps its own index). What a viewer may find is
what it may see: events through :func:`myco.protocol.visibility.visible`, messages when
they are the viewer's own (``VIEWER-…``) or when an event the viewer may see names them.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from myco import clock
from myco.protocol.engine import to_event
from myco.protocol.events import Event, Record
from myco.protocol.grammar import GLOBAL
from myco.protocol.visibility import visible
from myco.storage.contract import Paging
from myco.tenants import msg_owner
from myco_mcp.index import MSG_KEYS, Row, SearchIndex, fts_query
from myco_mcp.threads import by_activity, threads_of

if TYPE_CHECKING:
    from myco.daemon import Daemon
    from myco.tenants import Tenant

log = structlog.get_logger("myco_mcp.search")

#: candidates read per batch while filtering by visibility, and at most per query
BATCH = 200
BATCH_MIN = 50
SCAN_MAX = 1000
PAGE_MAX = 100
#: the deepest page offset accepted (documented as the maximum of ``offset``)
OFFSET_MAX = 1_000_000
#: threads whose events are read per batch while listing threads
THREAD_BATCH = 50
#: how long a query waits for an index being rebuilt before it answers from what it has
READY_WAIT = 5.0
#: live events buffered per tenant while its index catches up; past it the buffer is
#: dropped and the catch-up reads the store again from the index's last seq
PENDING_MAX = 10_000
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class SearchError(ValueError):
    """A query that cannot run (empty, too long, a bad page): the caller's 400."""


class Library:
    """Every tenant's index for one daemon, in *directory* (None: in memory)."""

    def __init__(self, daemon: Daemon, directory: Path | None) -> None:
        self.daemon = daemon
        self.directory = directory
        self._indexes: dict[str, SearchIndex] = {}
        #: the tenant object each index was last caught up for (tenants load and unload);
        #: weak: an evicted tenant's state must be freed
        self._loaded: dict[str, weakref.ref[Tenant]] = {}
        self._ready: dict[str, asyncio.Event] = {}
        #: events that arrived during a catch-up; None: too many, read the store again
        self._pending: dict[str, list[Event] | None] = {}
        #: background work (catch-ups, message indexing) by tenant id
        self._tasks: dict[str, set[asyncio.Task[None]]] = {}

    def index_for(self, tenant: Tenant) -> SearchIndex:
        """The tenant's index; a tenant object not seen before (first use, or loaded again
        after the daemon evicted it while other replicas went on) is caught up first."""
        index = self._indexes.get(tenant.id)
        known = self._loaded.get(tenant.id)
        if index is not None and known is not None and known() is tenant:
            return index
        if index is None:
            index = self._indexes[tenant.id] = SearchIndex(self._path(tenant.id))
        self._loaded[tenant.id] = weakref.ref(tenant)
        self._ready[tenant.id] = asyncio.Event()
        self._pending[tenant.id] = []
        self._spawn(tenant.id, self._catch_up(tenant, index))
        return index

    def release(self, tenant: Tenant) -> None:
        """``tenant_evicted``: stop the tenant's background work and close its index (its
        thread and its SQLite connection); the next load reopens it and catches up."""
        known = self._loaded.get(tenant.id)
        if known is None or known() not in (tenant, None):
            return  # a newer load of the tenant owns the index now
        index = self._indexes.pop(tenant.id, None)
        del self._loaded[tenant.id]
        self._ready.pop(tenant.id, None)
        self._pending.pop(tenant.id, None)
        tasks = self._tasks.pop(tenant.id, set())
        for task in tasks:
            task.cancel()
        self._spawn("", self._retire(tasks, index))

    @staticmethod
    async def _retire(tasks: set[asyncio.Task[None]], index: SearchIndex | None) -> None:
        await asyncio.gather(*tasks, return_exceptions=True)
        if index is not None:
            await index.close()

    def open_indexes(self) -> int:
        """How many indexes are open (one per loaded tenant that was indexed)."""
        return len(self._indexes)

    def prune(self, tenant_ids: Iterable[str]) -> list[Path]:
        """Delete the index files of tenants the store no longer has (removed while the
        daemon was down: myco has no live tenant removal); returns the files deleted."""
        if self.directory is None or not self.directory.is_dir():
            return []
        keep = {p.name for p in map(self._path, tenant_ids) if isinstance(p, Path)}
        gone = []
        for path in self.directory.iterdir():
            base = path.name.removesuffix("-wal").removesuffix("-shm")
            if base.endswith(".sqlite") and base not in keep and path.is_file():
                path.unlink(missing_ok=True)
                gone.append(path)
        if gone:
            log.info("search indexes of removed tenants deleted", files=len(gone))
        return gone

    def _path(self, tenant_id: str) -> Path | str:
        if self.directory is None:
            return ":memory:"
        name = tenant_id if _SAFE_ID.fullmatch(tenant_id) else _digest(tenant_id)
        return self.directory / f"{name}.sqlite"

    def _spawn(self, tenant_id: str, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        tasks = self._tasks.setdefault(tenant_id, set())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def wait_ready(self, tenant: Tenant, timeout: float | None = None) -> bool:
        """Wait until the tenant's index has caught up with the store; False on timeout."""
        self.index_for(tenant)
        try:
            await asyncio.wait_for(self._ready[tenant.id].wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    async def close(self) -> None:
        retiring = list(self._tasks.pop("", ()))  # closing evicted tenants' indexes: let them
        running = [task for tasks in self._tasks.values() for task in tasks]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, *retiring, return_exceptions=True)
        self._tasks.clear()
        for index in self._indexes.values():
            await index.close()
        self._indexes.clear()

    # -- keeping current --------------------------------------------------------------
    def ingested(self, tenant: Tenant, events: Sequence[Event]) -> None:
        """``events_ingested``: index the events and fetch the messages they name."""
        index = self.index_for(tenant)
        if not self._ready[tenant.id].is_set():
            pending = self._pending[tenant.id]
            if pending is not None and len(pending) + len(events) <= PENDING_MAX:
                pending.extend(events)  # the catch-up adds them when done
            else:  # the events are in the store: the catch-up reads them again
                self._pending[tenant.id] = None
            return
        self._add(tenant, index, events)

    def _add(self, tenant: Tenant, index: SearchIndex, events: Sequence[Event]) -> None:
        rows = [Row(e.seq, e.ts_ms, e.session, e.line) for e in events]
        refs = [(n, e.seq) for e in events for n in _msg_names(e)]
        index.add_events(rows, refs)
        if refs:
            self._spawn(tenant.id, self._index_msgs(tenant, index, {n for n, _ in refs}))

    async def _index_msgs(self, tenant: Tenant, index: SearchIndex, names: set[str]) -> None:
        known = tenant.state.msg_names
        for name in await index.unindexed_msgs(sorted(n for n in names if n in known)):
            body = await self.daemon.storage.get_msg(tenant.id, name)
            if body is not None:
                index.add_msg(name, body.decode("utf-8", errors="replace"))

    def add_msg(self, tenant: Tenant, name: str, body: str) -> None:
        """A message written through this plugin: its owner can find it at once."""
        self.index_for(tenant).add_msg(name, body)

    async def _catch_up(self, tenant: Tenant, index: SearchIndex) -> None:
        """Index what the store has past the index's last seq (all of it when rebuilt)."""
        try:
            after = await index.last_seq()
            if after > tenant.state.last_seq:  # the log was reset: rebuild
                await index.reset()
                after = 0
            names: set[str] = set()
            while True:
                after, found = await self._read_store(tenant, index, after)
                names |= found
                pending = self._pending.get(tenant.id, [])
                self._pending[tenant.id] = []
                if pending is not None:
                    break
                log.info(
                    "search catch-up buffer overflowed: reading the store again",
                    tenant=tenant.id[:8],
                    after=after,
                )
            self._ready[tenant.id].set()
            if pending:
                self._add(tenant, index, pending)
            await self._index_msgs(tenant, index, names)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("search index catch-up failed", tenant=tenant.id[:8], error=str(exc))
            self._ready[tenant.id].set()

    async def _read_store(
        self, tenant: Tenant, index: SearchIndex, after: int
    ) -> tuple[int, set[str]]:
        """Index the store's events past *after*: (the last seq read, messages named)."""
        names: set[str] = set()
        storage = self.daemon.storage
        if isinstance(storage, Paging):
            while True:
                records = await storage.read_after(tenant.id, after, 5000)
                if not records:
                    break
                after = records[-1].seq
                names |= self.add_records(tenant, index, records)
        else:
            async for chunk in storage.replay(tenant.id, after_seq=after):
                if chunk:
                    after = chunk[-1].seq
                names |= self.add_records(tenant, index, chunk)
        return after, names

    def add_records(
        self, tenant: Tenant, index: SearchIndex, records: Sequence[Record]
    ) -> set[str]:
        events = [e for e in (to_event(r, tenant.verbs) for r in records) if e is not None]
        rows = [Row(e.seq, e.ts_ms, e.session, e.line) for e in events]
        refs = [(n, e.seq) for e in events for n in _msg_names(e)]
        index.add_events(rows, refs)
        return {n for n, _ in refs}

    # -- queries ----------------------------------------------------------------------
    async def search(
        self, tenant: Tenant, viewer: str | None, text: str, offset: int = 0, limit: int = 20
    ) -> dict[str, Any]:
        """Events and messages matching *text* that *viewer* may see, best first."""
        if offset < 0 or not 1 <= limit <= PAGE_MAX:
            raise SearchError(f"offset must be >= 0 and limit between 1 and {PAGE_MAX}")
        query = fts_query(text[:500])
        if not query:  # punctuation only: nothing can match
            return {"query": text, "hits": [], "next_offset": None}
        index = self.index_for(tenant)
        ready = await self.wait_ready(tenant, READY_WAIT)
        want = offset + limit + 1
        check = _Visibility(tenant, viewer)
        hits: list[tuple[float, dict[str, Any]]] = []
        threads = threads_of(tenant.state)
        found = scanned = 0
        while found < want and scanned < SCAN_MAX:
            batch = await index.events(query, scanned, max(BATCH_MIN, 2 * want))
            scanned += len(batch)
            for row, score in batch:
                if check.event(row):
                    found += 1
                    hit = _row_json(row)
                    hit.update(kind="event", thread=threads.of_seq.get(row.seq))
                    hits.append((score, hit))
            if len(batch) < max(BATCH_MIN, 2 * want):
                break
        found = scanned = 0
        while found < want and scanned < SCAN_MAX:
            msgs = await index.msgs(query, scanned, BATCH)
            scanned += len(msgs)
            for m in msgs:
                if check.msg(m.name, m.refs):
                    found += 1
                    hits.append((m.score, {"kind": "msg", "name": m.name, "snippet": m.snippet}))
            if len(msgs) < BATCH:
                break
        hits.sort(key=lambda h: h[0])
        page = [h for _, h in hits[offset : offset + limit]]
        marker = _marker(query)
        for h in page:
            if h["kind"] == "event":
                h["snippet"] = marker(h["line"])
        more = len(hits) > offset + limit
        body: dict[str, Any] = {
            "query": text,
            "hits": page,
            "next_offset": offset + limit if more else None,
        }
        if not ready:
            body["partial"] = True  # the index is still being rebuilt from the log
        return body

    async def thread(self, tenant: Tenant, viewer: str | None, thread_id: int) -> dict[str, Any]:
        """Thread *thread_id* as *viewer* may see it; :class:`LookupError` when it may not."""
        members = threads_of(tenant.state).members.get(thread_id)
        if members is None:
            raise LookupError(f"no thread {thread_id}")
        await self.wait_ready(tenant, READY_WAIT)
        rows = await self.index_for(tenant).rows(members)
        check = _Visibility(tenant, viewer)
        shown = [r for r in rows if check.event(r)]
        if not shown:  # a thread the viewer cannot see does not exist for it
            raise LookupError(f"no thread {thread_id}")
        msgs: list[str] = []
        for row in shown:
            ev = to_event(Record(*row), tenant.verbs)
            for name in _msg_names(ev) if ev is not None else ():
                if name not in msgs:
                    msgs.append(name)
        return {"id": thread_id, "events": [_row_json(r) for r in shown], "msgs": msgs}

    async def threads(
        self, tenant: Tenant, viewer: str | None, offset: int = 0, limit: int = 20
    ) -> dict[str, Any]:
        """The threads *viewer* may see, newest activity first: a page of summaries.

        A thread is listed when the viewer may see one of its events (as for
        :meth:`thread`); ``events`` counts those it may see.
        """
        if offset < 0 or not 1 <= limit <= PAGE_MAX:
            raise SearchError(f"offset must be >= 0 and limit between 1 and {PAGE_MAX}")
        threads = threads_of(tenant.state)
        order = by_activity(threads)
        await self.wait_ready(tenant, READY_WAIT)
        index = self.index_for(tenant)
        check = _Visibility(tenant, viewer)
        want = offset + limit + 1
        listed: list[dict[str, Any]] = []
        for start in range(0, len(order), THREAD_BATCH):
            chunk = order[start : start + THREAD_BATCH]
            members = {t: list(threads.members.get(t, ())) for t in chunk}
            rows = {r.seq: r for r in await index.rows([s for m in members.values() for s in m])}
            for tid in chunk:
                shown = [rows[s] for s in members[tid] if s in rows and check.event(rows[s])]
                if shown:
                    listed.append(
                        {
                            "id": tid,
                            "events": len(shown),
                            "first": _row_json(shown[0]),
                            "last": _row_json(shown[-1]),
                        }
                    )
            if len(listed) >= want:
                break
        more = len(listed) > offset + limit
        return {
            "threads": listed[offset : offset + limit],
            "next_offset": offset + limit if more else None,
        }


class _Visibility:
    """What one viewer may see, decided on the tenant's current state."""

    def __init__(self, tenant: Tenant, viewer: str | None) -> None:
        self.tenant = tenant
        self.viewer = viewer
        me = tenant.state.sessions.get(viewer) if viewer else None
        self.channels = me.channels if me is not None else {GLOBAL}

    def event(self, row: Row) -> bool:
        ev = to_event(Record(*row), self.tenant.verbs)
        if ev is None:
            return False
        if self.viewer is None:  # a tenant-wide credential: everything but bookkeeping
            spec = self.tenant.verbs.get(ev.verb)
            return spec is None or not spec.internal
        return visible(self.tenant.state, ev, self.viewer, self.channels)

    def msg(self, name: str, refs: Sequence[Row]) -> bool:
        if self.viewer is None:
            return True
        owner = msg_owner(name, self.tenant.state.sessions)
        if owner == self.viewer or name.upper().startswith(self.viewer + "-"):
            return True
        return any(self.event(r) for r in refs)


def _marker(query: str) -> Any:
    """Brackets around the words of an event line that match (lines are short: the whole
    line is the snippet; FTS5's snippet() costs a scan of the term's matches per row)."""
    words = [w.strip('"').replace('""', '"') for w in query.split('" "')]
    parts = [p for w in words for p in re.split(r"[^\w]+", w) if p]
    if not parts:
        return lambda line: line
    pattern = re.compile(r"\b(" + "|".join(re.escape(p) for p in parts) + r")\w*", re.IGNORECASE)
    return lambda line: pattern.sub(lambda m: f"[{m.group(0)}]", line)


def _msg_names(event: Event) -> list[str]:
    out = []
    for key in MSG_KEYS:
        value = event.kvs.get(key, "")
        if value.startswith("msg/") and len(value) > 4:
            out.append(value[4:])
    return out


def _row_json(row: Row) -> dict[str, Any]:
    return {"seq": row.seq, "ts": clock.iso_ms(row.ts_ms), "session": row.session, "line": row.line}


def _digest(tenant_id: str) -> str:
    return hashlib.sha256(tenant_id.encode()).hexdigest()[:32]
