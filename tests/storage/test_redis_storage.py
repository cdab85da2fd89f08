"""The Redis backend: the storage contract, following, deduplication and outages."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from bench.redis_server import RedisServer, free_port

from myco.config import Config
from myco.protocol.events import Record
from myco.storage.contract import Change, Following, Storage, StorageUnavailable
from myco.testing.storage import TS, A, B, Reopen, StorageContract, collect, opening
from tests.redis_fixtures import flush, need_redis, own_redis, redis_server

try:
    from myco.storage.redis_store import RedisStorage
except ImportError:  # no redis-py: each test skips through need_redis() (a failure in CI)
    RedisStorage = None  # type: ignore[assignment,misc]

__all__ = ["own_redis", "redis_server"]  # fixtures, used by name


def redis_config(url: str) -> Config:
    """A configuration whose Redis plugin settings name *url* (``--redis-url``)."""
    return Config(plugins={"redis": {"redis_url": url}})


class TestRedisStorage(StorageContract):
    """The whole contract, against a private redis-server."""

    @pytest.fixture
    async def storage(self, redis_server: RedisServer) -> AsyncIterator[Storage]:
        flush(redis_server)
        store = RedisStorage(redis_config(redis_server.url))
        await store.open()
        yield store
        await store.close()

    @pytest.fixture
    async def reopen(self, redis_server: RedisServer) -> AsyncIterator[Reopen]:
        async with opening(lambda: RedisStorage(redis_config(redis_server.url))) as open_one:
            yield open_one


# -- helpers ------------------------------------------------------------------------------

Opener = Callable[..., Awaitable[RedisStorage]]


@pytest.fixture
async def make(redis_server: RedisServer) -> AsyncIterator[Opener]:
    """Open RedisStorage instances (replicas) on the emptied module server."""
    flush(redis_server)

    def build(url: str = redis_server.url, prefix: str | None = None) -> RedisStorage:
        return RedisStorage(redis_config(url), prefix=prefix)

    async with opening(build) as open_one:
        yield open_one


async def take(it: AsyncIterator[Change], n: int, timeout: float = 5.0) -> list[Change]:
    """The next *n* changes, or fail after *timeout* seconds."""
    out = []
    for _ in range(n):
        out.append(await asyncio.wait_for(it.__anext__(), timeout))
    return out


# -- layout and seqs ----------------------------------------------------------------------


async def test_is_a_following_store(make: Opener) -> None:
    store = await make()
    assert isinstance(store, Following)
    assert store.name == "redis"


async def test_stream_ids_are_the_seqs(make: Opener, redis_server: RedisServer) -> None:
    store = await make()
    await store.create_tenant(A)
    recs = await store.append(A, "alice", ["start x", "need y"], TS, "c-1")
    assert [r.seq for r in recs] == [1, 2]
    assert recs[0].session == "ALICE"  # canonical, like the file backend
    raw = await store.redis.xrange(store.keys.tenant(A, "log"))
    assert [i for i, _ in raw] == [b"1-0", b"2-0"]
    assert raw[0][1] == {b"ts": str(TS).encode(), b"s": b"ALICE", b"l": b"start x", b"c": b"c-1"}


async def test_replicas_appending_concurrently_get_contiguous_seqs(make: Opener) -> None:
    one, two = await make(), await make()
    await one.create_tenant(A)

    async def post(store: RedisStorage, i: int) -> list[Record]:
        return await store.append(A, f"S{i % 5}", [f"say a{i}", f"say b{i}"], TS + i)

    results = await asyncio.gather(*(post((one, two)[i % 2], i) for i in range(60)))
    every = sorted((r for rs in results for r in rs), key=lambda r: r.seq)
    assert [r.seq for r in every] == list(range(1, 121))
    for rs in results:  # one post's lines stay together
        assert rs[1].seq == rs[0].seq + 1
    assert await collect(two, A) == every


async def test_prefixes_keep_deployments_apart(make: Opener) -> None:
    blue, green = await make(prefix="blue:"), await make(prefix="green:")
    await blue.create_tenant(A)
    await blue.append(A, "ALICE", ["say blue"], TS)
    assert await green.list_tenants() == []
    assert await collect(green, A) == []


async def test_meta_is_read_from_its_key(make: Opener) -> None:
    store = await make()
    await store.create_tenant(A)
    await store.redis.set(store.keys.tenant(A, "meta"), b'{"sessions": {"BACK": "/srv/b"}}')
    assert dict(await store.read_meta(A)) == {"sessions": {"BACK": "/srv/b"}}
    await store.redis.set(store.keys.tenant(A, "meta"), b"not json")
    assert dict(await store.read_meta(A)) == {}


async def test_bad_names_never_reach_redis(make: Opener) -> None:
    store = await make()
    with pytest.raises(ValueError, match="tenant"):
        await store.append("../x", "ALICE", ["say x"], TS)
    with pytest.raises(ValueError, match="message name"):
        await store.put_msg(A, "../evil", b"x")
    with pytest.raises(ValueError, match="session"):
        await store.append(A, "TWO WORDS", ["say x"], TS)
    assert await store.redis.keys("*") == []


# -- client ids ---------------------------------------------------------------------------


async def test_a_client_id_is_stored_once_whichever_replica_gets_the_retry(
    make: Opener,
) -> None:
    one, two = await make(), await make()
    await one.create_tenant(A)
    first = await one.append(A, "ALICE", ["say once"], TS, "turn-1")
    assert await two.append(A, "ALICE", ["say once"], TS + 1, "turn-1") == []
    assert await one.append(A, "alice", ["say once"], TS + 2, "turn-1") == []
    other = await two.append(A, "BOB", ["say mine"], TS + 3, "turn-1")  # per session
    assert other[0].seq == first[0].seq + 1
    assert await collect(one, A) == [*first, *other]


async def test_only_the_last_client_ids_are_kept(
    make: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    from myco.storage import redis_store

    monkeypatch.setattr(redis_store, "CLIENT_IDS_KEPT", 3)
    store = await make()
    for i in range(5):
        await store.append(A, "ALICE", [f"say {i}"], TS, f"c{i}")
    assert await store.redis.zcard(store.keys.tenant(A, "cids")) == 3
    assert await store.append(A, "ALICE", ["say again"], TS, "c4") == []
    assert len(await store.append(A, "ALICE", ["say again"], TS, "c0")) == 1


# -- following ----------------------------------------------------------------------------


async def test_follow_sees_what_another_replica_stores(make: Opener) -> None:
    writer, reader = await make(), await make()
    changes = reader.follow({})
    try:
        await writer.create_tenant(A)
        assert await take(changes, 1) == [Change(A)]  # a new, empty tenant
        recs = await writer.append(A, "ALICE", ["start x", "ask BOB y spec:msg/Q.md"], TS)
        assert await writer.put_msg(A, "Q.md", b"q")
        more = await writer.append(A, "BOB", ["reply ALICE z"], TS + 1)
        got: list[Record] = []
        msgs: list[str] = []
        deadline = time.monotonic() + 5
        while len(got) < 3 or not msgs:
            assert time.monotonic() < deadline
            (change,) = await take(changes, 1)
            assert change.tenant_id == A
            got += change.records
            msgs += change.msgs
        assert got == [*recs, *more]
        assert msgs == ["Q.md"]
    finally:
        await changes.aclose()


async def test_follow_starts_with_what_is_past_the_positions(make: Opener) -> None:
    writer, reader = await make(), await make()
    recs = await writer.append(A, "ALICE", [f"say {i}" for i in range(5)], TS)
    await writer.append(B, "ZED", ["say b"], TS)
    await writer.put_msg(A, "early.md", b"x")
    changes = reader.follow({A: 3, B: 1})
    try:
        (change,) = await take(changes, 1)
        assert change == Change(A, tuple(recs[3:]), ("early.md",))
        later = await writer.append(B, "ZED", ["say later"], TS)
        (change,) = await take(changes, 1)
        assert change == Change(B, tuple(later))
    finally:
        await changes.aclose()


async def test_follow_reads_long_backlogs_in_pieces(
    make: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    from myco.storage import redis_store

    monkeypatch.setattr(redis_store, "FOLLOW_COUNT", 7)
    writer, reader = await make(), await make()
    written: list[Record] = []
    for i in range(10):
        written += await writer.append(A, "ALICE", [f"say {i}", f"say {i}b"], TS)
    changes = reader.follow({})
    try:
        (change,) = await take(changes, 1)
        assert list(change.records) == written
    finally:
        await changes.aclose()


async def test_changes_between(make: Opener) -> None:
    store = await make()
    recs = await store.append(A, "ALICE", [f"say {i}" for i in range(6)], TS)
    await store.put_msg(A, "m.md", b"x")  # after seq 6
    assert await store.changes_between(A, 1, 5) == Change(A, tuple(recs[1:4]))
    assert await store.changes_between(A, 6, 7) == Change(A, (), ("m.md",))
    assert await store.changes_between(A, 0, 1) == Change(A)


# -- outages ------------------------------------------------------------------------------


async def test_unreachable_redis_is_refused_at_open_quickly() -> None:
    need_redis()
    store = RedisStorage(redis_config(f"redis://:secret@127.0.0.1:{free_port()}/0"))
    start = time.monotonic()
    with pytest.raises(StorageUnavailable, match="unreachable") as info:
        await store.open()
    assert time.monotonic() - start < 5
    assert "secret" not in str(info.value)


async def test_outage_is_storage_unavailable_within_bounded_time_then_recovers(
    own_redis: RedisServer,
) -> None:
    store = RedisStorage(redis_config(own_redis.url))
    await store.open()
    try:
        first = await store.append(A, "ALICE", ["say before"], TS, "c1")
        own_redis.stop()
        for call in (
            store.append(A, "ALICE", ["say during"], TS),
            store.get_msg(A, "x.md"),
            store.list_tenants(),
            store.take_dispatch(A, "ALICE"),
        ):
            start = time.monotonic()
            with pytest.raises(StorageUnavailable, match="redis"):
                await call
            assert time.monotonic() - start < 5
        own_redis.start()  # the AOF brings everything back
        after = await store.append(A, "ALICE", ["say after"], TS, "c2")
        assert after[0].seq == first[0].seq + 1
        assert [r.line for r in await collect(store, A)] == ["say before", "say after"]
    finally:
        await store.close()


async def test_follow_raises_storage_unavailable_when_redis_goes(
    own_redis: RedisServer,
) -> None:
    store = RedisStorage(redis_config(own_redis.url))
    await store.open()
    changes = store.follow({})
    try:
        await store.create_tenant(A)
        await take(changes, 1)
        nxt = asyncio.ensure_future(changes.__anext__())
        await asyncio.sleep(0.1)  # blocked in XREAD now
        own_redis.kill()
        with pytest.raises(StorageUnavailable):
            await asyncio.wait_for(nxt, 10)
    finally:
        await changes.aclose()
        await store.close()


async def test_readonly_after_a_failover_is_503_and_drops_the_connections(
    own_redis: RedisServer, redis_server: RedisServer
) -> None:
    store = RedisStorage(redis_config(own_redis.url))
    await store.open()
    try:
        await store.append(A, "ALICE", ["say primary"], TS)
        # demote it, as a failover does to the old primary
        await store.redis.execute_command("REPLICAOF", "127.0.0.1", str(redis_server.port))
        with pytest.raises(StorageUnavailable, match="read-only"):
            await store.append(A, "ALICE", ["say lost"], TS)
        assert store._dropping is not None
        await store._dropping
        await store.redis.execute_command("REPLICAOF", "NO", "ONE")  # promoted again
        assert len(await store.append(A, "ALICE", ["say again"], TS)) == 1
    finally:
        await store.close()


async def test_a_store_behind_the_replica_is_reported(make: Opener) -> None:
    from structlog.testing import capture_logs

    store = await make()
    await store.append(A, "ALICE", ["say one", "say two"], TS)
    with capture_logs() as logs:
        changes = store.follow({A: 5})
        try:
            nxt = asyncio.ensure_future(changes.__anext__())
            await asyncio.sleep(0.2)
            nxt.cancel()
            with pytest.raises(asyncio.CancelledError):
                await nxt
        finally:
            await changes.aclose()
    errors = [e for e in logs if e["log_level"] == "error"]
    assert len(errors) == 1
    assert errors[0]["redis_seq"] == 2 and errors[0]["applied_seq"] == 5


# -- shared rate limits -------------------------------------------------------------------


async def test_rate_limits_are_shared_by_replicas(make: Opener) -> None:
    one = (await make()).rate_limiter()
    two = (await make()).rate_limiter(max_creations=3)
    for i in range(4):
        assert await (one, two)[i % 2].record_failure("10.0.0.1") is None
    assert await two.banned_for("10.0.0.1") is None
    assert await one.record_failure("10.0.0.1") == 300  # the 5th, on any replica, bans
    assert await two.banned_for("10.0.0.1") == 300
    assert await two.record_failure("10.0.0.1") is None  # ignored while banned
    assert await one.banned_for("10.0.0.2") is None
    # IPv6 addresses count per /64, as in memory
    assert await two.try_create("2001:db8::1") is None
    assert await two.try_create("2001:db8::2") is None
    assert await two.try_create("2001:db8::3") is None
    assert await two.try_create("2001:db8::4") == 3600
    assert await two.try_create("2001:db9::1") is None


async def test_no_creation_budget_means_never(make: Opener) -> None:
    limiter = (await make()).rate_limiter(max_creations=0)
    assert await limiter.try_create("10.0.0.1") == 3600


async def test_failures_age_out_of_the_window(make: Opener) -> None:
    limiter = (await make()).rate_limiter(failure_window=0.3)
    for _ in range(4):
        assert await limiter.record_failure("10.0.0.9") is None
    await asyncio.sleep(0.4)
    assert await limiter.record_failure("10.0.0.9") is None  # the old four expired
    assert await limiter.banned_for("10.0.0.9") is None


# -- the plugin ---------------------------------------------------------------------------


def test_plugin_offers_redis_and_explains_a_missing_client(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from myco.daemon import ConfigError, Daemon
    from myco.plugins import make_plugin_manager

    need_redis()

    config = Config(
        data_dir=tmp_path,
        storage="redis",
        plugins={"redis": {"redis_url": "redis://127.0.0.1:1/0"}},
    )
    daemon = Daemon(config, make_plugin_manager(load_entrypoints=False))
    assert isinstance(daemon.storage, RedisStorage)
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)  # as if not installed
    with pytest.raises(ConfigError, match=r"pip install 'myco-daemon\[redis\]'"):
        Daemon(config, make_plugin_manager(load_entrypoints=False))
