"""Tenants: one swarm's state, kept current from its store, and the ingest path.

A :class:`Tenant` owns the in-memory :class:`~myco.protocol.state.SwarmState` of one swarm.
Ingest validates a whole batch first (nothing is written when a line is bad), appends it to
the store, then lints and applies each event in sequence order.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import structlog
from attrs import define, field

from myco import clock, snapshots
from myco.growth import LimitReached, check_growth
from myco.names import ALL, DIRECTOR, InvalidName, is_msg_name, is_session_name, session_name
from myco.protocol import state as limits
from myco.protocol.engine import apply_batch, to_event
from myco.protocol.events import Event, Record
from myco.protocol.grammar import GLOBAL, first_word, line_problem
from myco.protocol.state import SwarmState
from myco.protocol.visibility import visible
from myco.storage.contract import MsgRollback, Paging, Snapshots
from myco.storage.tailer import catch_up

if TYPE_CHECKING:
    from myco.daemon import Daemon

log = structlog.get_logger("myco.tenants")

MAX_EVENTS_PER_POST = 500
MSG_MAX_BYTES = 65536
CLIENT_IDS_KEPT = 10_000
#: after a failed snapshot (state that cannot be pickled, a store error) the next attempt
#: waits this long: each attempt pickles the whole state on the event loop
SNAPSHOT_RETRY_S = 60.0
#: a load that replays at least this many events freezes what it built (see TenantManager)
FREEZE_AFTER = 100_000
#: rendered views kept per tenant (one per session and format; cleared when full)
VIEWS_CACHED = 512
#: records a filtered ``GET /events`` page reads at most (then it answers ``next_after``)
HISTORY_SCAN_MAX = 20_000


class IngestError(ValueError):
    """A batch that cannot be accepted; nothing of it was stored.

    *status* is the HTTP answer: 400 for a bad batch, 403 for a name that belongs to
    another session, 409 for a message that exists, 429 for a growth limit.
    """

    def __init__(self, message: str, errors: Sequence[str] = (), status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.errors = list(errors)
        self.status = status


@define
class HistoryPage:
    """One page of ``GET /events``; *next_after* is set when the scan stopped early."""

    events: list[dict[str, Any]]
    next_after: int | None = None


def msg_owner(name: str, sessions: Mapping[str, object]) -> str | None:
    """The session a message name belongs to: ``BOB-plan.md`` is BOB's.

    The part before the first ``-`` names the owner when it is a session the tenant knows
    (any case): a session that posted, or that someone addressed.
    """
    head = name.split("-", 1)[0] if "-" in name else ""
    if not head or not is_session_name(head):
        return None
    upper = head.upper()
    return upper if upper in sessions else None


@define
class IngestResult:
    """What ``POST /events`` reports back."""

    count: int
    events: list[Event] = field(factory=list)
    warnings: list[str] = field(factory=list)
    pokes: list[dict[str, str]] = field(factory=list)
    msgs: dict[str, str] = field(factory=dict)
    duplicate: bool = False


class Tenant:
    """One swarm: its state, its store and the people watching it."""

    def __init__(self, tenant_id: str, daemon: Daemon) -> None:
        self.id = tenant_id
        self.daemon = daemon
        self.verbs = daemon.verbs
        self.state = SwarmState(self.verbs)
        self.lock = asyncio.Lock()
        #: the last sequence number included in the stored snapshot (0: none)
        self.snapshot_seq = 0
        #: (session, client batch id) of the latest posts, oldest first: retries are ignored
        self.client_ids: OrderedDict[tuple[str, str], None] = OrderedDict()
        #: queues of live watchers (dashboard, SSE); each gets every new event
        self.watchers: set[asyncio.Queue[Event]] = set()
        #: requests being served now (a tenant in use is never evicted)
        self.in_use = 0
        #: ``time.monotonic()`` of the last request (eviction of idle tenants)
        self.last_used = time.monotonic()
        #: ``time.monotonic()`` of the last stored snapshot (periodic snapshots)
        self.snapshot_at = time.monotonic()
        #: no snapshot is attempted before this ``time.monotonic()`` (after a failure)
        self.snapshot_hold_until = 0.0
        #: bumped by whatever changes what a view shows without a new event (cached views)
        self.revision = 0
        #: (session, format) -> (text, UTF-8 body) rendered at :attr:`_views_stamp`
        self._views: dict[tuple[str, str], tuple[str, bytes]] = {}
        self._views_stamp: tuple[int, int, int, int] = (-1, -1, -1, -1)
        self._saving = False

    # -- loading ----------------------------------------------------------------------
    async def load(self) -> int:
        """Rebuild the state from the store; returns the number of events applied."""
        storage = self.daemon.storage
        after = 0
        if isinstance(storage, Snapshots):
            found = await storage.load_snapshot(self.id)
            if found is not None:
                payload = await asyncio.to_thread(snapshots.unpack, found[1], self.verbs)
                if snapshots.restore(self, payload):
                    after = self.snapshot_seq = found[0]
        meta = await storage.read_meta(self.id)
        sessions = meta.get("sessions") if isinstance(meta, Mapping) else None
        if isinstance(sessions, Mapping):
            self.state.session_dirs = {str(k).upper(): str(v) for k, v in sessions.items()}
        self.state.msg_names = set(await storage.list_msgs(self.id))
        applied = 0
        # ``after_seq`` is in the contract; only a store with snapshots is asked for it
        chunks = storage.replay(self.id, after_seq=after) if after else storage.replay(self.id)
        async for chunk in chunks:
            applied += self.apply_records(chunk)
        return applied

    async def save_snapshot(self) -> bool:
        """Store a snapshot of the state if the store keeps them and anything changed.

        The copy is taken on the event loop in one step (consistent: no event is half
        applied); compressing and writing it happen in worker threads, so requests keep
        being served meanwhile. One snapshot of a tenant is written at a time.
        """
        storage = self.daemon.storage
        seq = self.state.last_seq
        if not isinstance(storage, Snapshots) or seq <= self.snapshot_seq or self._saving:
            return False
        if time.monotonic() < self.snapshot_hold_until:
            return False
        raw = snapshots.dump(self)
        if raw is None:
            self.snapshot_hold_until = time.monotonic() + SNAPSHOT_RETRY_S
            return False
        self._saving = True
        try:
            data = await asyncio.to_thread(snapshots.pack, raw)
            del raw
            await storage.save_snapshot(self.id, seq, data)
        except Exception:  # a store error; a cancellation (a stop) is not a failure
            self.snapshot_hold_until = time.monotonic() + SNAPSHOT_RETRY_S
            raise
        finally:
            self._saving = False
        self.snapshot_seq = max(self.snapshot_seq, seq)
        self.snapshot_at = time.monotonic()
        return True

    def evictable(self, now: float, ttl: float) -> bool:
        """Idle for *ttl* seconds, with nobody watching and nothing in flight."""
        return (
            self.in_use == 0
            and not self.watchers
            and not self.lock.locked()
            and not self._saving
            and now - self.last_used >= ttl
        )

    def apply_records(self, records: Iterable[Record]) -> int:
        """Apply stored records (replay, or records another replica appended)."""
        state, verbs, n = self.state, self.verbs, 0
        for rec in records:
            if rec.client_id:
                self._remember(rec.session, rec.client_id)
            if rec.seq <= state.last_seq:
                continue
            ev = to_event(rec, verbs)
            if ev is None:
                state.last_seq = rec.seq
                continue
            state.apply(ev)
            n += 1
        return n

    def _remember(self, session: str, client_id: str) -> None:
        key = (session, client_id)
        self.client_ids[key] = None
        self.client_ids.move_to_end(key)
        while len(self.client_ids) > CLIENT_IDS_KEPT:
            self.client_ids.popitem(last=False)

    # -- validation -------------------------------------------------------------------
    def check_lines(self, lines: object) -> list[str]:
        """The non-blank lines of a batch, or :class:`IngestError` naming every bad one."""
        if isinstance(lines, str) or not isinstance(lines, list):
            raise IngestError("events must be a list of strings")
        if len(lines) > MAX_EVENTS_PER_POST:
            raise IngestError(f"too many events in one post (max {MAX_EVENTS_PER_POST})")
        errors: list[str] = []
        kept: list[str] = []
        for i, line in enumerate(lines):
            problem = line_problem(line)
            if problem is None:
                assert isinstance(line, str)
                # Only the verb and its target matter here; the full parse (key:values)
                # happens once, when the stored record is applied.
                parts = line.split(None, 2)
                if not parts:
                    continue
                spec = self.verbs.get(parts[0].lower())
                target = parts[1].upper() if len(parts) > 1 else ""
                if (
                    spec is not None
                    and spec.target
                    and target
                    and not (spec.allow_all and target == ALL)
                ):
                    try:
                        session_name(target)
                    except InvalidName as exc:
                        problem = f"target {target!r}: {exc}"
                if problem is None:
                    kept.append(line.strip())
                    continue
            errors.append(f"events[{i}]: {problem}")
        if errors:
            raise IngestError(
                errors[0] if len(errors) == 1 else f"{len(errors)} invalid events", errors
            )
        return kept

    # -- ingest -----------------------------------------------------------------------
    async def ingest(
        self,
        session: str,
        lines: object,
        *,
        msgs: Mapping[str, object] | None = None,
        client_id: str = "",
    ) -> IngestResult:
        """Validate, store, lint and apply one batch of event lines by *session*."""
        kept = self.check_lines(lines)
        count = len(lines) if isinstance(lines, list) else 0
        if client_id and (session, client_id) in self.client_ids:
            return IngestResult(count, duplicate=True)
        result = IngestResult(count)
        async with self.lock:
            if client_id and (session, client_id) in self.client_ids:
                return IngestResult(count, duplicate=True)
            try:
                check_growth(self.state, session, kept)
            except LimitReached as exc:
                raise IngestError(str(exc), status=429) from None
            bodies = self.check_msgs(session, msgs) if msgs else {}
            created: list[str] = []
            try:
                for name, body in bodies.items():
                    if await self.daemon.storage.put_msg(self.id, name, body):
                        created.append(name)
                    elif await self.daemon.storage.get_msg(self.id, name) != body:
                        raise IngestError(f"msgs[{name!r}]: msg already exists", status=409)
                    # else: the same message again (a retried post): nothing to do
                ts = clock.now_ms()
                records = (
                    await self.daemon.storage.append(self.id, session, kept, ts, client_id)
                    if kept
                    else []
                )
            except BaseException:
                await self._forget_msgs(created)  # nothing half-stored
                raise
            for name in created:
                self.state.msg_names.add(name)
            if created:
                self.revision += 1
            result.msgs = {name: "created" if name in created else "exists" for name in bodies}
            if not kept:
                return result
            if client_id and not records:
                # the store had this batch id already (a retry through another replica)
                result.duplicate = True
                self._remember(session, client_id)
                return result
            if records and records[0].seq > self.state.last_seq + 1:
                await catch_up(self, records[0].seq)  # another replica appended meanwhile
            result.events, result.warnings = apply_batch(self.state, records, ts)
            if client_id:
                self._remember(session, client_id)
        result.pokes = self.pokes(result.events)
        self.publish(result.events)
        return result

    def pokes(self, events: Sequence[Event]) -> list[dict[str, str]]:
        """Hints that a targeted session should be nudged to read its view."""
        out = []
        now = clock.now_ms()
        for ev in events:
            spec = self.verbs.get(ev.verb)
            if spec is None or not spec.target or ev.obj in ("", ALL, ev.session):
                continue
            target = self.state.sessions.get(ev.obj)
            seen = target.last_seen_ms if target else None
            out.append(
                {
                    "verb": ev.verb,
                    "target": ev.obj,
                    "summary": first_word(ev.text) or ev.kvs.get("spec", ""),
                    "status": target.status if target else "unknown",
                    "last_seen_age": "never seen" if seen is None else clock.age_label(now - seen),
                }
            )
        return out

    def publish(self, events: Sequence[Event]) -> None:
        """Tell plugins and live watchers about newly applied events."""
        if not events:
            return
        self.daemon.hooks.events_ingested(self, events)
        for queue in list(self.watchers):
            try:
                for ev in events:
                    queue.put_nowait(ev)
            except asyncio.QueueFull:
                # a reader that does not read: drop it (its stream ends and frees the buffer)
                self.watchers.discard(queue)
                overflow = getattr(queue, "overflow", None)
                if overflow is not None:
                    overflow()

    # -- messages ---------------------------------------------------------------------
    def check_msgs(self, session: str | None, msgs: Mapping[str, object]) -> dict[str, bytes]:
        """Every inline message as bytes, or :class:`IngestError` naming each bad one."""
        errors: list[str] = []
        out: dict[str, bytes] = {}
        status = 400
        for name, body in msgs.items():
            if not isinstance(name, str) or not isinstance(body, str):
                errors.append(f"msgs[{str(name)!r}]: name and body must be strings")
                continue
            data = body.encode()
            problem, code = self.msg_problem(name, data, session)
            if problem is not None:
                errors.append(f"msgs[{name!r}]: {problem}")
                status = max(status, code)
                continue
            out[name] = data
        if errors:
            raise IngestError(
                errors[0] if len(errors) == 1 else f"{len(errors)} invalid msgs",
                errors,
                status=status if len(errors) == 1 else 400,
            )
        new = [n for n in out if n not in self.state.msg_names]
        if new and len(self.state.msg_names) + len(new) > limits.MAX_MSGS:
            raise IngestError(
                f"this swarm has {len(self.state.msg_names)} messages, the most it may have "
                f"is {limits.MAX_MSGS} (MYCO_MAX_MSGS)",
                status=429,
            )
        return out

    def msg_problem(self, name: str, body: bytes, session: str | None) -> tuple[str | None, int]:
        """Why message *name* may not be created by *session* (None: it may), and a status."""
        if not is_msg_name(name):
            return "invalid filename", 400
        if len(body) > MSG_MAX_BYTES:
            return f"payload exceeds {MSG_MAX_BYTES} bytes", 413
        owner = msg_owner(name, self.state.sessions)
        # a tenant-wide credential acting as no session (session None) may name any message
        if owner is not None and session is not None and owner != session != DIRECTOR:
            return (
                f"names starting with {owner}- belong to session {owner}; {session} may not "
                "create one",
                403,
            )
        return None, 200

    async def _forget_msgs(self, names: Sequence[str]) -> None:
        storage = self.daemon.storage
        if not names or not isinstance(storage, MsgRollback):
            return
        for name in names:
            try:
                await storage.delete_msg(self.id, name)
            except Exception as exc:  # the original failure is the one to report
                log.error("could not remove a message of a failed post", msg=name, error=str(exc))

    async def put_msg(self, name: str, body: bytes, session: str | None = None) -> str:
        """``created`` or ``rejected: <reason>`` (``POST /msg/{file}``)."""
        problem, _ = self.msg_problem(name, body, session)
        if problem is not None:
            return f"rejected: {problem}"
        if len(self.state.msg_names) >= limits.MAX_MSGS:
            return f"rejected: this swarm has {limits.MAX_MSGS} messages (MYCO_MAX_MSGS)"
        if name in self.state.msg_names or not await self.daemon.storage.put_msg(
            self.id, name, body
        ):
            return "rejected: msg already exists"
        self.state.msg_names.add(name)
        self.revision += 1
        return "created"

    async def ack_msg(self, name: str, reader: str) -> None:
        """Durably record that *reader* read ``msg/<name>``."""
        spec = f"msg/{name}"
        if self.state.acked(spec, reader):
            return
        await self.ingest(reader, [f"ack {spec}"])

    # -- history ----------------------------------------------------------------------
    async def history(
        self, after: int, limit: int, viewer: str | None = None
    ) -> list[dict[str, Any]]:
        """Stored events with ``seq > after`` (what *viewer* may see, when given)."""
        return (await self.history_page(after, limit, viewer)).events

    async def history_page(self, after: int, limit: int, viewer: str | None = None) -> HistoryPage:
        """One page of stored events with ``seq > after`` (what *viewer* may see).

        With a store that pages (:class:`~myco.storage.contract.Paging`) the cost follows
        the page: at most *limit* records are read, or ``HISTORY_SCAN_MAX`` when a viewer
        filter hides some (the page then says where to continue: ``next_after``).
        """
        storage = self.daemon.storage
        if not isinstance(storage, Paging):
            return HistoryPage(await self._history_by_replay(after, limit, viewer))
        out: list[dict[str, Any]] = []
        known = self.state.sessions.get(viewer) if viewer else None
        channels = (known.channels if known else {GLOBAL}) if viewer else set()
        cursor, scanned = after, 0
        budget = max(limit, HISTORY_SCAN_MAX)
        while len(out) < limit and scanned < budget:
            want = min(budget - scanned, limit - len(out) if viewer is None else 1000)
            records = await storage.read_after(self.id, cursor, want)
            for rec in records:
                scanned += 1
                cursor = rec.seq
                if self._shown(rec, viewer, channels):
                    out.append(_event_json(rec))
                    if len(out) >= limit:
                        return HistoryPage(out)
            if len(records) < want:
                return HistoryPage(out)
        return HistoryPage(out, None if len(out) >= limit else cursor)

    def _shown(self, rec: Record, viewer: str | None, channels: set[str]) -> bool:
        if viewer is None:
            return True
        ev = to_event(rec, self.verbs)
        return ev is not None and visible(self.state, ev, viewer, channels)

    async def _history_by_replay(
        self, after: int, limit: int, viewer: str | None
    ) -> list[dict[str, Any]]:
        """For stores without paging: read from the start (a cost that grows with history)."""
        out: list[dict[str, Any]] = []
        known = self.state.sessions.get(viewer) if viewer else None
        channels = (known.channels if known else {GLOBAL}) if viewer else set()
        async for chunk in self.daemon.storage.replay(self.id):
            for rec in chunk:
                if rec.seq <= after or not self._shown(rec, viewer, channels):
                    continue
                out.append(_event_json(rec))
                if len(out) >= limit:
                    return out
        return out

    # -- views ------------------------------------------------------------------------
    def render_fresh(self, session: str, fmt: str = "markdown") -> str:
        """The view of *session* as :meth:`render` makes it now, rendered at most once per
        state change and second.

        The cached string is kept while the state (``last_seq``, :attr:`revision`, the
        message names) and the wall-clock second are the same: ages and states stay
        current to the second, and any new event makes the next view a new render.
        """
        return self._fresh(session, fmt)[0]

    def view_body(self, session: str, fmt: str = "markdown") -> bytes:
        """:meth:`render_fresh`, UTF-8 encoded (what ``GET /view`` sends), cached alike."""
        return self._fresh(session, fmt)[1]

    def _fresh(self, session: str, fmt: str) -> tuple[str, bytes]:
        now = clock.now_ms()
        state = self.state
        stamp = (state.last_seq, self.revision, len(state.msg_names), now // 1000)
        if stamp != self._views_stamp:  # every cached view is stale: hold none of them
            self._views.clear()
            self._views_stamp = stamp
        key = (session, fmt)
        hit = self._views.get(key)
        if hit is not None:
            return hit
        text = self.render(session, fmt, now)
        if len(self._views) >= VIEWS_CACHED:
            self._views.clear()
        entry = self._views[key] = (text, text.encode("utf-8"))
        return entry

    def render(self, session: str, fmt: str = "markdown", now_ms: int | None = None) -> str:
        """The view of *session*; an unknown session is rendered but never stored (a view
        request must not create a peer that others then see)."""
        renderer = self.daemon.renderers.get(fmt)
        if renderer is None:
            raise KeyError(fmt)
        now = clock.now_ms() if now_ms is None else now_ms
        known = session in self.state.sessions
        try:
            return renderer.render(self.state, session, now, self.daemon.config.view_budget)
        finally:
            if not known:
                self.state.sessions.pop(session, None)

    def counts(self) -> dict[str, Any]:
        channels = set().union(*(s.channels for s in self.state.sessions.values())) or {GLOBAL}
        return {"sessions": len(self.state.sessions), "channels": len(channels)}


def _event_json(rec: Record) -> dict[str, Any]:
    return {"seq": rec.seq, "ts": clock.iso_ms(rec.ts_ms), "session": rec.session, "line": rec.line}


class TenantManager:
    """The tenants of a daemon: every one the store knows, loaded on first use.

    Start-up only lists the tenants' ids (:meth:`discover`), so it costs the same for ten
    tenants or ten thousand; :meth:`open` loads one when a request first needs it
    (concurrent first requests share one load) and :meth:`evict_idle` drops idle ones
    from memory after a snapshot, to be loaded again, identical, on next use.
    Iterating, ``len`` and :meth:`get` see loaded tenants; ``in`` sees known ones.
    """

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self._tenants: dict[str, Tenant] = {}
        self._known: set[str] = set()
        self._loading: dict[str, asyncio.Task[Tenant]] = {}
        #: last seq of each evicted tenant (where a follower of a shared store resumes it)
        self.evicted_at: dict[str, int] = {}
        self._loads_running = 0

    def get(self, tenant_id: str) -> Tenant | None:
        """The tenant if it is loaded (see :meth:`open` to load it)."""
        return self._tenants.get(tenant_id)

    def __contains__(self, tenant_id: object) -> bool:
        """Known to the daemon: loaded or in the store."""
        return tenant_id in self._tenants or tenant_id in self._known

    def __len__(self) -> int:
        return len(self._tenants)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(list(self._tenants.values()))

    @property
    def known(self) -> int:
        """How many tenants the daemon knows (loaded or not)."""
        return len(self._known)  # every loaded tenant is in it (see _load)

    def known_ids(self) -> list[str]:
        """Every tenant the daemon knows (loaded or not)."""
        return list(self._known)

    def know(self, tenant_id: str) -> None:
        """Remember that the store holds *tenant_id* (another replica created it)."""
        self._known.add(tenant_id)

    async def discover(self) -> int:
        """List the store's tenants without loading any; returns how many there are."""
        self._known.update(await self.daemon.storage.list_tenants())
        return len(self._known)

    async def load_all(self) -> int:
        """Load every tenant the store knows; returns the number of events replayed."""
        await self.discover()
        total = 0
        for tid in sorted(self._known):
            if tid not in self._tenants:
                tenant = await self.open(tid)
                total += tenant.state.last_seq if tenant is not None else 0
        return total

    async def open(self, tenant_id: str) -> Tenant | None:
        """The tenant, loaded now if the store knows it (None when it does not)."""
        tenant = self._tenants.get(tenant_id)
        if tenant is not None:
            return tenant
        if tenant_id not in self._known and tenant_id not in self._loading:
            return None
        return await self._share_load(tenant_id, create=False)

    async def loading(self, tenant_id: str) -> Tenant | None:
        """The tenant once its load in progress ends; None when it is neither loaded nor
        being loaded (the follower of a shared store need not apply anything to it)."""
        tenant = self._tenants.get(tenant_id)
        if tenant is None and tenant_id in self._loading:
            return await asyncio.shield(self._loading[tenant_id])
        return tenant

    async def create(self, tenant_id: str) -> Tenant:
        """Create (or load) tenant *tenant_id*; concurrent calls share one creation."""
        existing = self._tenants.get(tenant_id)
        if existing is not None:
            return existing
        return await self._share_load(tenant_id, create=True)

    async def _share_load(self, tenant_id: str, *, create: bool) -> Tenant:
        task = self._loading.get(tenant_id)
        if task is None:
            task = asyncio.ensure_future(self._load(tenant_id, create))
            self._loading[tenant_id] = task
            task.add_done_callback(lambda _t: self._loading.pop(tenant_id, None))
        return await asyncio.shield(task)

    async def _load(self, tenant_id: str, create: bool) -> Tenant:
        if create:
            await self.daemon.storage.create_tenant(tenant_id)
        tenant = Tenant(tenant_id, self.daemon)
        # Replay creates many long-lived objects and no cycles: the cyclic GC would only
        # rescan them. After a long replay, freezing keeps them out of later collections
        # too (not after every load: a frozen cycle that becomes garbage is never freed).
        self._loads_running += 1
        gc.disable()
        applied = 0
        try:
            applied = await tenant.load()
        finally:
            self._loads_running -= 1
            if not self._loads_running:
                gc.enable()
                if applied >= FREEZE_AFTER:
                    gc.collect()  # what requests left meanwhile: never freeze garbage
                    gc.freeze()
        self._tenants[tenant_id] = tenant
        self._known.add(tenant_id)
        self.evicted_at.pop(tenant_id, None)
        self.daemon.hooks.tenant_loaded(tenant)
        return tenant

    async def evict_idle(self, ttl: float) -> list[str]:
        """Drop from memory the tenants idle for *ttl* seconds, each after a snapshot.

        A tenant used, watched or changed while its snapshot was written stays.
        """
        evicted = []
        for tenant in list(self._tenants.values()):
            if not tenant.evictable(time.monotonic(), ttl):
                continue
            try:
                await tenant.save_snapshot()
            except Exception as exc:  # keep it loaded: a reload would be a full replay
                log.warning("snapshot before eviction failed", tenant=tenant.id[:8], error=str(exc))
                continue
            seq = tenant.state.last_seq
            # without a current snapshot the reload is a full replay: the same state, slower
            current = tenant.snapshot_seq >= seq or not isinstance(self.daemon.storage, Snapshots)
            if not tenant.evictable(time.monotonic(), ttl) or not current:
                continue
            if self._tenants.get(tenant.id) is tenant:
                del self._tenants[tenant.id]
                self.evicted_at[tenant.id] = seq
                evicted.append(tenant.id)
                self.daemon.hooks.tenant_evicted(tenant)
        if evicted:
            log.info("idle tenants evicted", count=len(evicted), loaded=len(self._tenants))
        return evicted
