"""The contract every storage backend passes, written once and reused per backend.

Shipped with myco so that a third-party store runs the very suite the built-in file and
Redis stores run (it needs pytest and pytest-asyncio, with ``asyncio_mode = "auto"``, or
pytest-aiohttp). Subclass :class:`StorageContract` in a ``test_*.py`` module (the class
name must start with ``Test``) and supply two fixtures:

``storage``
    an async fixture yielding an *opened, empty* backend. It closes the backend at teardown
    and must tolerate one the test closed already (``close()`` called twice).
``reopen``
    a fixture returning an async callable ``reopen() -> Storage`` that opens a *new* instance
    on the same data (same directory, same Redis prefix, ...). The fixture closes every
    instance it opened at teardown; :func:`opening` does that bookkeeping.

Example (``plugins/myco-sqlite`` has the complete one)::

    import pytest
    from myco.testing import StorageContract
    from myco.testing.storage import opening

    class TestSQLiteStorage(StorageContract):
        @pytest.fixture
        async def storage(self, tmp_path):
            store = SQLiteStorage(tmp_path / "db.sqlite")
            await store.open()
            yield store
            await store.close()

        @pytest.fixture
        async def reopen(self, tmp_path):
            async with opening(lambda: SQLiteStorage(tmp_path / "db.sqlite")) as open_one:
                yield open_one

The suite checks what :class:`myco.storage.contract.Storage` promises: tenants, ordered
and durable appends with increasing seqs, ``replay`` (from the start and ``after_seq``),
create-only messages, dispatch, tenant isolation. The optional capabilities (following,
snapshots, shared rate limits) have their own tests in myco's repository.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import pytest

from myco.protocol.events import Record
from myco.storage.contract import MsgRollback, Paging, Storage

A = hashlib.sha256(b"tenant-a").hexdigest()
B = hashlib.sha256(b"tenant-b").hexdigest()
TS = 1_795_612_359_123  # 2026-11-25T13:12:39.123Z

Reopen = Callable[[], Awaitable[Storage]]
S = TypeVar("S", bound=Storage)


@asynccontextmanager
async def opening(factory: Callable[..., S]) -> AsyncIterator[Callable[..., Awaitable[S]]]:
    """An opener of backends built by *factory*; everything it opened is closed on exit."""
    opened: list[S] = []

    async def open_one(*args: Any, **kwargs: Any) -> S:
        store = factory(*args, **kwargs)
        await store.open()
        opened.append(store)
        return store

    try:
        yield open_one
    finally:
        for store in opened:
            await store.close()


async def collect(storage: Storage, tenant_id: str, after_seq: int = 0) -> list[Record]:
    """Every replayed record (after *after_seq*), checking the chunks on the way."""
    out: list[Record] = []
    chunks = (
        storage.replay(tenant_id, after_seq=after_seq) if after_seq else storage.replay(tenant_id)
    )
    async for chunk in chunks:
        assert len(chunk) > 0, "replay yields no empty chunks"
        out.extend(chunk)
    return out


def strictly_increasing(seqs: list[int]) -> bool:
    return all(a < b for a, b in itertools.pairwise(seqs))


class StorageContract:
    """Backend-agnostic behaviour; see the module docstring for the two fixtures."""

    # -- tenants --------------------------------------------------------------------------
    async def test_tenants_are_created_once_and_listed(self, storage: Storage) -> None:
        assert await storage.list_tenants() == []
        await storage.create_tenant(A)
        await storage.create_tenant(B)
        await storage.create_tenant(A)
        assert sorted(await storage.list_tenants()) == sorted([A, B])

    async def test_fresh_tenant_is_empty(self, storage: Storage) -> None:
        await storage.create_tenant(A)
        assert await collect(storage, A) == []
        assert await storage.list_msgs(A) == []
        assert dict(await storage.read_meta(A)) == {}

    # -- events ---------------------------------------------------------------------------
    async def test_append_returns_records_with_increasing_seqs(self, storage: Storage) -> None:
        await storage.create_tenant(A)
        r1 = await storage.append(A, "ALICE", ["start login", "need db"], TS)
        r2 = await storage.append(A, "BOB", ["up db addr:localhost:5432"], TS + 5, "cid-1")
        r3 = await storage.append(A, "ALICE", ["done login ref:main"], TS + 9)
        seqs = [r.seq for r in r1 + r2 + r3]
        assert len(seqs) == 4
        assert strictly_increasing(seqs)
        assert r1 == [
            Record(seqs[0], TS, "ALICE", "start login", ""),
            Record(seqs[1], TS, "ALICE", "need db", ""),
        ]
        assert r2 == [Record(seqs[2], TS + 5, "BOB", "up db addr:localhost:5432", "cid-1")]
        assert r3 == [Record(seqs[3], TS + 9, "ALICE", "done login ref:main", "")]

    async def test_read_after_pages_from_any_seq(self, storage: Storage, reopen: Reopen) -> None:
        """Optional ``Paging``: a page from any seq, the same records replay yields."""
        if not isinstance(storage, Paging):
            pytest.skip("this backend does not page")
        await storage.create_tenant(A)
        for i in range(60):
            await storage.append(
                A, ["ALICE", "BOB", "CAROL"][i % 3], [f"say {i}", f"say {i}b"], TS + i
            )
        everything = await collect(storage, A)
        again = await reopen()
        assert isinstance(again, Paging)
        for store in (storage, again):
            for after in (0, 1, 2, 59, 60, 117, 119, 120, 500):
                for limit in (1, 7, 1000):
                    want = [r for r in everything if r.seq > after][:limit]
                    assert await store.read_after(A, after, limit) == want, (after, limit)

    async def test_a_created_msg_can_be_rolled_back(self, storage: Storage) -> None:
        """Optional ``MsgRollback``: a failed post removes the message it created."""
        if not isinstance(storage, MsgRollback):
            pytest.skip("this backend cannot roll messages back")
        await storage.create_tenant(A)
        assert await storage.put_msg(A, "A-1.md", b"body")
        await storage.delete_msg(A, "A-1.md")
        await storage.delete_msg(A, "never.md")
        assert await storage.get_msg(A, "A-1.md") is None
        assert await storage.put_msg(A, "A-1.md", b"again")

    async def test_append_nothing_stores_nothing(self, storage: Storage) -> None:
        await storage.create_tenant(A)
        assert await storage.append(A, "ALICE", [], TS) == []
        assert await collect(storage, A) == []

    async def test_replay_returns_everything_in_seq_order(self, storage: Storage) -> None:
        await storage.create_tenant(A)
        written: list[Record] = []
        for i in range(30):
            session = ("ALICE", "BOB", "CAROL")[i % 3]
            cid = f"post-{i}" if i % 2 else ""
            written += await storage.append(A, session, [f"say n{i}", f"log m{i}"], TS + i, cid)
        assert await collect(storage, A) == written

    async def test_replay_after_seq_yields_only_the_later_records(self, storage: Storage) -> None:
        await storage.create_tenant(A)
        written: list[Record] = []
        for i in range(12):
            written += await storage.append(A, "ALICE", [f"say a{i}", f"say b{i}"], TS + i)
        for cut in (1, 7, len(written) - 1):
            after = written[cut - 1].seq
            assert await collect(storage, A, after_seq=after) == written[cut:]
        assert await collect(storage, A, after_seq=written[-1].seq) == []
        assert await collect(storage, A, after_seq=0) == written

    async def test_replay_after_reopen_is_identical(self, storage: Storage, reopen: Reopen) -> None:
        await storage.create_tenant(A)
        await storage.create_tenant(B)
        await storage.append(A, "ALICE", ["start x", "ask BOB why? spec:msg/Q.md"], TS, "c1")
        await storage.append(A, "BOB", ["reply ALICE because re:msg/Q.md"], TS + 1)
        await storage.append(B, "ZED", ["say other tenant"], TS + 2)
        assert await storage.put_msg(A, "Q.md", b"# question\n")
        before = await collect(storage, A)
        before_b = await collect(storage, B)
        await storage.close()

        again = await reopen()
        assert sorted(await again.list_tenants()) == sorted([A, B])
        assert await collect(again, A) == before
        assert await collect(again, B) == before_b
        assert await again.get_msg(A, "Q.md") == b"# question\n"
        more = await again.append(A, "ALICE", ["done x"], TS + 3)
        assert more[0].seq > before[-1].seq
        assert await collect(again, A) == [*before, *more]

    async def test_new_instance_continues_seqs_without_replay(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        await storage.create_tenant(A)
        first = await storage.append(A, "ALICE", ["start a", "start b"], TS)
        await storage.close()
        again = await reopen()
        later = await again.append(A, "BOB", ["start c"], TS + 1)  # no replay before it
        assert later[0].seq > first[-1].seq
        assert await collect(again, A) == [*first, *later]

    async def test_concurrent_appends_get_unique_increasing_seqs(self, storage: Storage) -> None:
        await storage.create_tenant(A)

        async def post(i: int) -> list[Record]:
            lines = [f"say first {i}", f"say second {i}"]
            return await storage.append(A, f"S{i % 7}", lines, TS + i, f"c{i}")

        results = await asyncio.gather(*(post(i) for i in range(50)))
        for i, recs in enumerate(results):
            assert [r.line for r in recs] == [f"say first {i}", f"say second {i}"]
            assert strictly_increasing([r.seq for r in recs])
        every = [r for recs in results for r in recs]
        assert len({r.seq for r in every}) == 100
        assert await collect(storage, A) == sorted(every, key=lambda r: r.seq)

    async def test_unicode_and_odd_whitespace_round_trip(self, storage: Storage) -> None:
        await storage.create_tenant(A)
        lines = [
            "say héllo wörld — ok",
            "say 日本語 🎉 emoji",
            "say a\u2028b\u2029c\x85d\x0be\x0cf\x1cg",  # separators that are not "\n"
            "say  two  spaces\tand a tab",
        ]
        written = await storage.append(A, "EMILE", lines, TS)
        assert [r.line for r in written] == lines
        assert await collect(storage, A) == written

    @pytest.mark.parametrize("bad", ["say a\nb", "say a\rb", "say a\r\n"])
    async def test_line_break_rejects_the_whole_append(self, storage: Storage, bad: str) -> None:
        await storage.create_tenant(A)
        with pytest.raises(ValueError, match="line break"):
            await storage.append(A, "ALICE", ["say fine", bad], TS)
        assert await collect(storage, A) == []
        ok = await storage.append(A, "ALICE", ["say fine"], TS)
        assert await collect(storage, A) == ok

    # -- messages -------------------------------------------------------------------------
    async def test_msgs_are_create_only(self, storage: Storage) -> None:
        await storage.create_tenant(A)
        assert await storage.put_msg(A, "FRONT-001.md", b"# spec\n\xe2\x9c\x93\n")
        assert not await storage.put_msg(A, "FRONT-001.md", b"overwrite attempt")
        assert await storage.get_msg(A, "FRONT-001.md") == b"# spec\n\xe2\x9c\x93\n"
        assert await storage.put_msg(A, "empty.bin", b"")
        assert await storage.get_msg(A, "empty.bin") == b""
        assert await storage.put_msg(A, "raw.bin", b"\xff\x00\xfe")
        assert await storage.get_msg(A, "raw.bin") == b"\xff\x00\xfe"
        assert await storage.get_msg(A, "missing.md") is None
        assert sorted(await storage.list_msgs(A)) == ["FRONT-001.md", "empty.bin", "raw.bin"]

    # -- dispatch -------------------------------------------------------------------------
    async def test_dispatch_put_replace_take(self, storage: Storage) -> None:
        await storage.create_tenant(A)
        assert await storage.take_dispatch(A, "WORKER") is None
        await storage.put_dispatch(A, "WORKER", "first prompt")
        await storage.put_dispatch(A, "WORKER", "second prompt\nwith ✓ lines")
        await storage.put_dispatch(A, "OTHER", "for someone else")
        assert await storage.take_dispatch(A, "WORKER") == "second prompt\nwith ✓ lines"
        assert await storage.take_dispatch(A, "WORKER") is None
        assert await storage.take_dispatch(A, "OTHER") == "for someone else"

    # -- isolation ------------------------------------------------------------------------
    async def test_tenants_are_isolated(self, storage: Storage) -> None:
        await storage.create_tenant(A)
        await storage.create_tenant(B)
        mine = await storage.append(A, "ALICE", ["start secret"], TS)
        await storage.put_msg(A, "secret.md", b"classified")
        await storage.put_dispatch(A, "ALICE", "secret prompt")
        assert await collect(storage, B) == []
        assert await storage.list_msgs(B) == []
        assert await storage.get_msg(B, "secret.md") is None
        assert await storage.take_dispatch(B, "ALICE") is None
        theirs = await storage.append(B, "ALICE", ["start public"], TS)
        assert await collect(storage, A) == mine
        assert await collect(storage, B) == theirs
        assert await storage.put_msg(B, "secret.md", b"unrelated")
        assert await storage.get_msg(A, "secret.md") == b"classified"
