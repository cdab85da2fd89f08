"""The Redis storage backend: every replica of a deployment shares one Redis.

Each tenant's events live in a Redis Stream whose entry ids are the seqs themselves
(``<seq>-0``), assigned by a Lua script (:mod:`myco.storage.redis_keys`): stream order is
seq order, whichever replica appended. Any replica can rebuild any tenant from Redis alone,
and follows the others through :meth:`RedisStorage.follow` (one blocking ``XREAD`` on the
feed stream; no polling).

Requests fail fast when Redis is away: short socket timeouts, at most one immediate
reconnect, and :class:`~myco.storage.contract.StorageUnavailable` (HTTP 503) after that.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import structlog
from redis import exceptions as rx
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from myco.config import Config
from myco.protocol.events import Record
from myco.storage import filelog
from myco.storage.contract import Change, StorageUnavailable
from myco.storage.redis_errors import unavailable
from myco.storage.redis_keys import (
    APPEND,
    CLIENT_IDS_KEPT,
    CREATE_TENANT,
    FEED_KEEP_MS,
    PUT_MSG,
    TAKE_DISPATCH,
    Keys,
)
from myco.storage.redis_ratelimit import RedisRateLimiter

log = structlog.get_logger("myco.storage.redis")

CHUNK = 10_000
#: entries read per stream and round trip while following
FOLLOW_COUNT = 1000
#: tenants resynchronised per pipeline when (re)starting to follow
RESYNC_BATCH = 500
#: a request waits at most this long for Redis (then 503)
SOCKET_TIMEOUT = 2.0
CONNECT_TIMEOUT = 1.0
#: the follower's blocking read wakes up this often even when nothing happens (it detects
#: a silently dead connection through its socket timeout, a little longer)
BLOCK_MS = 15_000

Entry = tuple[bytes, dict[bytes, bytes]]


def _public(url: str) -> str:
    """*url* without its password, fit for a log line or an error message."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + host))


def _text(value: Any) -> str:
    """A reply item as text (replies are bytes: the client does not decode them)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def _entries(raw: Any) -> list[Entry]:
    """Stream entries from an XRANGE reply (typed loosely by redis-py)."""
    return [(bytes(i), dict(f)) for i, f in raw or ()]


def _id_seq(entry_id: bytes) -> int:
    return int(entry_id.split(b"-", 1)[0])


def _record(entry_id: bytes, fields: Mapping[bytes, bytes]) -> Record:
    return Record(
        _id_seq(entry_id),
        int(fields[b"ts"]),
        fields[b"s"].decode(),
        fields[b"l"].decode(),
        fields.get(b"c", b"").decode(),
    )


def _change(tenant_id: str, entries: Iterable[Entry]) -> Change:
    """Split stream entries into records and message names."""
    records: list[Record] = []
    msgs: list[str] = []
    for entry_id, fields in entries:
        name = fields.get(b"m")
        if name is not None:
            msgs.append(name.decode())
        else:
            records.append(_record(entry_id, fields))
    return Change(tenant_id, tuple(records), tuple(msgs))


class RedisStorage:
    """Every tenant of every replica in one Redis (7.0 or later).

    :param prefix: put before every key, so several deployments can share one Redis.
    """

    name: str = "redis"

    def __init__(self, config: Config, *, prefix: str | None = None) -> None:
        from myco.default_plugins.storage_redis import REDIS_PREFIX, REDIS_URL

        self._url: str = REDIS_URL.value(config)
        self.keys = Keys(prefix if prefix is not None else REDIS_PREFIX.value(config))
        self._redis: Redis | None = None
        self._tail: Redis | None = None
        self._dropping: asyncio.Future[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------
    def _client(self, socket_timeout: float) -> Redis:
        # One immediate reconnect on a broken connection (a pooled one gone stale when
        # Redis restarted); no retry on a timeout, whose command may have run already.
        retry = Retry(NoBackoff(), 1, supported_errors=(rx.ConnectionError,))
        return Redis.from_url(
            self._url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=CONNECT_TIMEOUT,
            retry=retry,
            retry_on_error=[rx.ConnectionError],  # redis-py < 6 retries only on these
            client_name="myco",
        )

    async def open(self) -> None:
        self._redis = self._client(SOCKET_TIMEOUT)
        self._tail = self._client(BLOCK_MS / 1000 + 5)
        r = self._redis
        self._create = r.register_script(CREATE_TENANT)
        self._append = r.register_script(APPEND)
        self._put_msg = r.register_script(PUT_MSG)
        self._take = r.register_script(TAKE_DISPATCH)
        try:
            with self._guard():
                await r.ping()
        except StorageUnavailable as exc:
            # Replaying needs Redis: refuse to start (a supervisor retries) rather than
            # serve empty tenants. Once running, an outage only means 503s until it ends.
            await self.close()
            raise StorageUnavailable(f"{exc} ({_public(self._url)})") from exc

    async def close(self) -> None:
        if self._dropping is not None:
            await asyncio.gather(self._dropping, return_exceptions=True)
        for client in (self._redis, self._tail):
            if client is not None:
                # aclose() since redis-py 5.0.1; close() before (deprecated after)
                await getattr(client, "aclose", client.close)()
        self._redis = self._tail = None

    def _guard(self) -> AbstractContextManager[None]:
        return unavailable(self._reconnect)

    def _reconnect(self) -> None:
        """Drop every connection (they lead to a demoted primary); the next ones reconnect."""
        if self._redis is not None and (self._dropping is None or self._dropping.done()):
            log.warning("redis answered READONLY (failover?): reconnecting")
            self._dropping = asyncio.ensure_future(self._redis.connection_pool.disconnect())

    @property
    def redis(self) -> Redis:
        if self._redis is None:
            raise RuntimeError("RedisStorage used before open() or after close()")
        return self._redis

    def rate_limiter(self, **limits: Any) -> RedisRateLimiter:
        """Rate limits shared by every replica (see :mod:`myco.storage.redis_ratelimit`)."""
        return RedisRateLimiter(self.redis, self.keys, **limits)

    # -- tenants ------------------------------------------------------------------------
    async def list_tenants(self) -> list[str]:
        with self._guard():
            raw: Any = await self.redis.smembers(self.keys.tenants)
        names = (_text(m) for m in raw)
        return [n for n in names if filelog.is_tenant_id(n)]

    async def create_tenant(self, tenant_id: str) -> None:
        tid = filelog.check_tenant(tenant_id)
        with self._guard():
            await self._create(keys=[self.keys.tenants, self.keys.feed], args=[tid, FEED_KEEP_MS])

    async def read_meta(self, tenant_id: str) -> Mapping[str, object]:
        with self._guard():
            raw: Any = await self.redis.get(
                self.keys.tenant(filelog.check_tenant(tenant_id), "meta")
            )
        try:
            data = json.loads(raw) if raw is not None else None
        except (ValueError, RecursionError):
            return {}
        return data if isinstance(data, dict) else {}

    # -- snapshots (optional capability) -------------------------------------------------
    async def save_snapshot(self, tenant_id: str, seq: int, data: bytes) -> None:
        """One key per tenant: an 8-byte seq header, then *data* (any replica may write it)."""
        key = self.keys.tenant(filelog.check_tenant(tenant_id), "snapshot")
        with self._guard():
            await self.redis.set(key, seq.to_bytes(8, "big") + data)

    async def load_snapshot(self, tenant_id: str) -> tuple[int, bytes] | None:
        key = self.keys.tenant(filelog.check_tenant(tenant_id), "snapshot")
        with self._guard():
            raw: Any = await self.redis.get(key)
        if not isinstance(raw, bytes) or len(raw) < 8:
            return None
        return int.from_bytes(raw[:8], "big"), raw[8:]

    # -- events -------------------------------------------------------------------------
    async def replay(self, tenant_id: str, after_seq: int = 0) -> AsyncIterator[Sequence[Record]]:
        key = self.keys.tenant(filelog.check_tenant(tenant_id), "log")
        start = f"({after_seq}-0" if after_seq else "-"
        while True:
            with self._guard():
                entries = _entries(await self.redis.xrange(key, start, "+", count=CHUNK))
            if not entries:
                return
            records = _change(tenant_id, entries).records
            if records:
                yield records
            if len(entries) < CHUNK:
                return
            start = "(" + entries[-1][0].decode()

    async def read_after(self, tenant_id: str, after_seq: int, limit: int) -> list[Record]:
        """One ``XRANGE`` from the entry after *after_seq*: the page's cost, not the log's."""
        key = self.keys.tenant(filelog.check_tenant(tenant_id), "log")
        out: list[Record] = []
        start = f"({after_seq}-0" if after_seq > 0 else "-"
        while len(out) < limit:
            want = min(CHUNK, limit - len(out) + 16)  # + a few: message entries are skipped
            with self._guard():
                entries = _entries(await self.redis.xrange(key, start, "+", count=want))
            out.extend(_change(tenant_id, entries).records)
            if len(entries) < want:
                break
            start = "(" + entries[-1][0].decode()
        return out[:limit]

    async def append(
        self,
        tenant_id: str,
        session: str,
        lines: Sequence[str],
        ts_ms: int,
        client_id: str = "",
    ) -> list[Record]:
        tid = filelog.check_tenant(tenant_id)
        name = filelog.check_session(session)
        filelog.check_client_id(client_id)
        batch = filelog.check_lines(lines)
        if not batch:
            return []
        k = self.keys
        with self._guard():
            first = int(
                await self._append(
                    keys=[
                        k.tenants,
                        k.feed,
                        k.tenant(tid, "seq"),
                        k.tenant(tid, "log"),
                        k.tenant(tid, "cids"),
                    ],
                    args=[tid, FEED_KEEP_MS, ts_ms, name, client_id, CLIENT_IDS_KEPT, *batch],
                )
            )
        if not first:
            return []  # this client id was stored already (a retry, maybe via another replica)
        return [Record(first + i, ts_ms, name, line, client_id) for i, line in enumerate(batch)]

    # -- messages -----------------------------------------------------------------------
    async def put_msg(self, tenant_id: str, name: str, body: bytes) -> bool:
        tid = filelog.check_tenant(tenant_id)
        k = self.keys
        with self._guard():
            created: Any = await self._put_msg(
                keys=[k.tenant(tid, "msgs"), k.tenant(tid, "seq"), k.tenant(tid, "log"), k.feed],
                args=[tid, FEED_KEEP_MS, filelog.check_name(name, "message name"), body],
            )
        return bool(created)

    async def delete_msg(self, tenant_id: str, name: str) -> None:
        """Forget a message just created by a post that then failed (its feed entry stays:
        followers that learnt the name answer 404 for it, like for any missing message)."""
        key = self.keys.tenant(filelog.check_tenant(tenant_id), "msgs")
        with self._guard():
            await self.redis.hdel(key, filelog.check_name(name))

    async def get_msg(self, tenant_id: str, name: str) -> bytes | None:
        key = self.keys.tenant(filelog.check_tenant(tenant_id), "msgs")
        with self._guard():
            body: Any = await self.redis.hget(key, filelog.check_name(name))
        return None if body is None else bytes(body)

    async def list_msgs(self, tenant_id: str) -> list[str]:
        key = self.keys.tenant(filelog.check_tenant(tenant_id), "msgs")
        with self._guard():
            names: Any = await self.redis.hkeys(key)
        return sorted(_text(n) for n in names)

    # -- dispatch -----------------------------------------------------------------------
    async def put_dispatch(self, tenant_id: str, session: str, prompt: str) -> None:
        key = self.keys.tenant(filelog.check_tenant(tenant_id), "dispatch")
        with self._guard():
            await self.redis.hset(key, filelog.check_session(session), prompt.encode("utf-8"))

    async def take_dispatch(self, tenant_id: str, session: str) -> str | None:
        key = self.keys.tenant(filelog.check_tenant(tenant_id), "dispatch")
        with self._guard():
            data: Any = await self._take(keys=[key], args=[filelog.check_session(session)])
        return None if data is None else bytes(data).decode("utf-8", "replace")

    # -- following (replicas) -----------------------------------------------------------
    async def changes_between(self, tenant_id: str, after: int, before: int) -> Change:
        key = self.keys.tenant(filelog.check_tenant(tenant_id), "log")
        with self._guard():
            entries = _entries(await self.redis.xrange(key, f"({after}-0", f"({before}-0"))
        return _change(tenant_id, entries)

    async def follow(self, positions: Mapping[str, int]) -> AsyncIterator[Change]:
        if self._tail is None:
            raise RuntimeError("RedisStorage.follow before open()")
        r, feed = self._tail, self.keys.feed
        cursors = {tid: f"{seq}-0".encode() for tid, seq in positions.items()}
        # Remember where the feed ends *before* listing: a tenant that changes after the
        # snapshot is then both listed and in the feed, never in neither.
        with self._guard():
            last = _entries(await r.xrevrange(feed, count=1))
            feed_id = last[0][0] if last else b"0-0"
            members: Any = await r.smembers(self.keys.tenants)
        tenants = [_text(m) for m in members]
        tenants = [t for t in tenants if filelog.is_tenant_id(t)]
        await self._check_not_behind(r, positions)
        for i in range(0, len(tenants), RESYNC_BATCH):
            for change in await self._read(r, tenants[i : i + RESYNC_BATCH], cursors):
                yield change
        while True:
            with self._guard():
                got: Any = await r.xread({feed: feed_id}, count=FOLLOW_COUNT, block=BLOCK_MS)
            if not got:
                continue  # the block timed out: nothing happened
            entries = _entries(got[0][1])
            feed_id = entries[-1][0]
            touched = dict.fromkeys(
                t for t in (_text(f.get(b"t", b"")) for _, f in entries) if filelog.is_tenant_id(t)
            )
            for change in await self._read(r, list(touched), cursors):
                yield change

    async def tops(self, tenant_ids: Sequence[str]) -> dict[str, int]:
        """The last seq of each tenant (its ``seq`` key), pipelined (:class:`Tops`)."""
        if self._tail is None:
            raise RuntimeError("RedisStorage.tops before open()")
        ids = [t for t in tenant_ids if filelog.is_tenant_id(t)]
        out: dict[str, int] = {}
        for i in range(0, len(ids), RESYNC_BATCH):
            batch = ids[i : i + RESYNC_BATCH]
            with self._guard():
                async with self._tail.pipeline(transaction=False) as pipe:
                    for tid in batch:
                        _ = pipe.get(self.keys.tenant(tid, "seq"))
                    got: Any = await pipe.execute()
            out.update({tid: int(top or 0) for tid, top in zip(batch, got, strict=True)})
        return out

    async def _check_not_behind(self, r: Redis, positions: Mapping[str, int]) -> None:
        """Log loudly when Redis holds fewer events of a tenant than this replica applied.

        Only lost acknowledged writes do that (a failover to a Redis replica that had not
        received them, a restore from an older backup): this replica's state is then ahead
        of the store and new appends would reuse seqs it applied already. Restart it.
        """
        items = [(t, s) for t, s in positions.items() if s > 0]
        for i in range(0, len(items), RESYNC_BATCH):
            batch = items[i : i + RESYNC_BATCH]
            with self._guard():
                async with r.pipeline(transaction=False) as pipe:
                    for tid, _seq in batch:
                        _ = pipe.get(self.keys.tenant(tid, "seq"))
                    tops: Any = await pipe.execute()
            for (tid, seq), top in zip(batch, tops, strict=True):
                stored = int(top or 0)
                if stored < seq:
                    log.error(
                        "redis holds fewer events than this replica applied: "
                        "acknowledged events were lost (failover or restore); "
                        "restart this replica",
                        tenant=tid[:12],
                        redis_seq=stored,
                        applied_seq=seq,
                    )

    async def _read(self, r: Redis, tenants: list[str], cursors: dict[str, bytes]) -> list[Change]:
        """Everything after each tenant's cursor (pipelined), advancing the cursors.

        A tenant without a cursor is new to the caller: it gets a change even when empty.
        """
        out: list[Change] = []
        pending: dict[str, list[Entry]] = {t: [] for t in tenants}
        fresh = {t for t in tenants if t not in cursors}
        todo = list(tenants)
        while todo:
            with self._guard():
                async with r.pipeline(transaction=False) as pipe:
                    for tid in todo:
                        start = cursors.get(tid)
                        lo = "(" + start.decode() if start is not None else "-"
                        _ = pipe.xrange(self.keys.tenant(tid, "log"), lo, "+", count=FOLLOW_COUNT)
                    results: Any = await pipe.execute()
            again = []
            for tid, raw in zip(todo, results, strict=True):
                entries = _entries(raw)
                if entries:
                    pending[tid].extend(entries)
                    cursors[tid] = entries[-1][0]
                elif tid in fresh:
                    cursors[tid] = b"0-0"
                if len(entries) >= FOLLOW_COUNT:
                    again.append(tid)
            todo = again
        for tid in tenants:
            if pending[tid] or tid in fresh:
                out.append(_change(tid, pending[tid]))
        return out
