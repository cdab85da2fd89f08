"""The file backend: the storage contract plus its on-disk format and durability."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from myco import clock
from myco.config import Config
from myco.default_plugins import storage_file
from myco.default_plugins.storage_file import FileStorage, FsyncPolicy
from myco.protocol.events import Record
from myco.registry import StorageRegistry
from myco.storage.contract import Storage
from myco.testing.storage import TS, A, Reopen, StorageContract, collect, opening


@pytest.fixture(params=["always", "everysec", "no"])
def config(request: pytest.FixtureRequest, tmp_path: Path) -> Config:
    return Config(data_dir=tmp_path / "data", plugins={"file": {"fsync": request.param}})


class TestFileStorage(StorageContract):
    """The whole contract, under every fsync policy."""

    @pytest.fixture
    async def storage(self, config: Config) -> AsyncIterator[Storage]:
        store = FileStorage(config)
        await store.open()
        yield store
        await store.close()

    @pytest.fixture
    async def reopen(self, config: Config) -> AsyncIterator[Reopen]:
        async with opening(lambda: FileStorage(config)) as open_one:
            yield open_one


# -- helpers ------------------------------------------------------------------------------

Opener = Callable[..., Awaitable[FileStorage]]


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[Opener]:
    """Open FileStorage instances on ``tmp_path/data``; all are closed at teardown."""

    def build(fsync: FsyncPolicy = "everysec", **kw: Any) -> FileStorage:
        config = Config(data_dir=tmp_path / "data", plugins={"file": {"fsync": fsync}})
        return FileStorage(config, **kw)

    async with opening(build) as open_one:
        yield open_one


def tenant_dir(tmp_path: Path, tenant_id: str = A) -> Path:
    return tmp_path / "data" / "tenants" / tenant_id


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def write_log(tmp_path: Path, name: str, text: str, tenant_id: str = A) -> Path:
    path = tenant_dir(tmp_path, tenant_id) / "log" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as f:
        f.write(text.encode())
    return path


def is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


async def wait_for(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll *cond* until it holds; fail after *timeout* seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


# -- registration -------------------------------------------------------------------------


def test_register_storage_offers_the_file_backend(tmp_path: Path) -> None:
    registry = StorageRegistry()
    storage_file.register_storage(backends=registry)
    backend = registry.get("file")
    assert backend is not None
    assert backend.summary == "append-only files (default)"
    store = backend.factory(Config(data_dir=tmp_path))
    assert isinstance(store, FileStorage)
    assert isinstance(store, Storage)
    assert store.name == "file"


# -- the on-disk format -------------------------------------------------------------------


async def test_written_line_format_is_exact(tmp_path: Path, make: Opener) -> None:
    store = await make()
    await store.create_tenant(A)
    assert clock.iso_ms(TS) == "2026-11-25T13:12:39.123Z"
    await store.append(A, "ALICE", ["start login", "need db"], TS)
    await store.append(A, "ALICE", ["done login ref:main"], TS + 1, "post-7:x")
    data = (tenant_dir(tmp_path) / "log" / "ALICE.log").read_bytes()
    # each head ends with "#" and the CRC-32 of the line without it (docs/storage.md)
    assert data == (
        b"2026-11-25T13:12:39.123Z;1#d2fb679d ALICE start login\n"
        b"2026-11-25T13:12:39.123Z;2#454ca710 ALICE need db\n"
        b"2026-11-25T13:12:39.124Z;3;post-7:x#70679068 ALICE done login ref:main\n"
    )
    assert sorted(p.name for p in tenant_dir(tmp_path).iterdir()) == [
        "dispatch",
        "log",
        "msg",
        "view",
    ]


async def test_session_is_upper_cased_like_on_replay(tmp_path: Path, make: Opener) -> None:
    store = await make()
    written = await store.append(A, "alice", ["say hi"], TS)
    assert written[0].session == "ALICE"
    assert (tenant_dir(tmp_path) / "log" / "ALICE.log").exists()
    assert await collect(store, A) == written


async def test_one_write_per_append(make: Opener, monkeypatch: pytest.MonkeyPatch) -> None:
    store = await make()
    await store.append(A, "ALICE", ["say warm-up"], TS)  # opens the file
    calls: list[int] = []
    real_write = os.write

    def counting_write(fd: int, data: Any) -> int:
        calls.append(fd)
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", counting_write)
    await store.append(A, "ALICE", [f"say line {i}" for i in range(100)], TS)
    assert len(calls) == 1


async def test_replay_ignores_the_session_written_in_the_line(tmp_path: Path, make: Opener) -> None:
    write_log(tmp_path, "REAL.log", "2026-11-25T13:12:39.123Z;1 FAKE start x\n")
    store = await make()
    assert await collect(store, A) == [Record(1, TS, "REAL", "start x")]


async def test_replay_is_chunked(make: Opener) -> None:
    store = await make("no")
    for i in range(50):
        await store.append(A, f"S{i % 3}", [f"say {i} {j}" for j in range(500)], TS + i)
    sizes = [len(chunk) async for chunk in store.replay(A)]
    assert sizes == [10_000, 10_000, 5_000]


# -- compatibility with the reference implementation -------------------------------------

REFERENCE_LOGS = {
    "BACK.log": (
        "2026-05-10T10:04:00 BACK done auth-api ref:x\n"
        "2026-05-10T10:03:00 FAKE start auth-api\n"  # the file, not the line, names the session
        "2026-05-10T10:05:00 BACK\n"  # fewer than 3 tokens: skipped
        "\n"
        "2026-05-11T10:06:00-03:00 BACK say zoned by myco-log\n"
    ),
    "FRONT.log": (
        "T0 FRONT say hello from a test\n"
        "2026-05-10T10:04:00 FRONT start ui   with  spaces  \n"  # same second as BACK's done
        "2026-05-10T10:04:00\tFRONT\tneed auth-api\n"
    ),
    "worker.log": "2026-05-10T10:02:00 worker start x\n",
}


def local_ms(token: str) -> int:
    ts = clock.parse_iso(token)
    assert ts is not None
    return ts


REFERENCE_RECORDS = [
    Record(1, 0, "FRONT", "say hello from a test"),
    Record(2, local_ms("2026-05-10T10:02:00"), "WORKER", "start x"),
    Record(3, local_ms("2026-05-10T10:03:00"), "BACK", "start auth-api"),
    Record(4, local_ms("2026-05-10T10:04:00"), "BACK", "done auth-api ref:x"),
    Record(5, local_ms("2026-05-10T10:04:00"), "FRONT", "start ui   with  spaces"),
    Record(6, local_ms("2026-05-10T10:04:00"), "FRONT", "need auth-api"),
    Record(7, local_ms("2026-05-11T10:06:00-03:00"), "BACK", "say zoned by myco-log"),
]


@pytest.mark.parametrize("replay_first", [True, False])
async def test_reference_directory_replays_and_continues(
    tmp_path: Path, make: Opener, replay_first: bool
) -> None:
    for name, text in REFERENCE_LOGS.items():
        write_log(tmp_path, name, text)
    (tenant_dir(tmp_path) / ".myco-state.json").write_text('{"sessions": {"BACK": "/p/b"}}')
    store = await make()
    assert await store.list_tenants() == [A]
    assert dict(await store.read_meta(A)) == {"sessions": {"BACK": "/p/b"}}
    if replay_first:
        assert await collect(store, A) == REFERENCE_RECORDS
    new = await store.append(A, "FRONT", ["done ui"], TS)
    assert new == [Record(8, TS, "FRONT", "done ui")]
    again = await make()
    assert await collect(again, A) == [*REFERENCE_RECORDS, *new]


async def test_unchecked_lines_after_checked_ones_are_skipped_not_renumbered(
    tmp_path: Path, make: Opener
) -> None:
    # Before checksums, such a line was numbered 1 too, and hid the real event 1.
    store = await make()
    ours = await store.append(A, "BACK", ["say ours"], TS)
    await store.close()
    write_log(tmp_path, "BACK.log", "2026-05-10T10:04:00 BACK say from the hook fallback\n")
    again = await make()
    replayed = await collect(again, A)
    assert [(r.seq, r.line) for r in replayed] == [(ours[0].seq, "say ours")]
    assert (await again.append(A, "BACK", ["say next"], TS))[0].seq == ours[0].seq + 1


async def test_channels_directory_is_migrated(tmp_path: Path, make: Opener) -> None:
    old = tmp_path / "data" / "channels" / A / "log" / "BACK.log"
    old.parent.mkdir(parents=True)
    old.write_text("T0 BACK start x\n")
    store = await make()
    assert not (tmp_path / "data" / "channels").exists()
    assert await store.list_tenants() == [A]
    assert await collect(store, A) == [Record(1, 0, "BACK", "start x")]


async def test_no_migration_when_tenants_exists(tmp_path: Path, make: Opener) -> None:
    (tmp_path / "data" / "channels" / "old").mkdir(parents=True)
    (tmp_path / "data" / "tenants" / "new").mkdir(parents=True)
    store = await make()
    assert (tmp_path / "data" / "channels" / "old").is_dir()
    assert await store.list_tenants() == ["new"]


# -- crashes ------------------------------------------------------------------------------


@pytest.mark.parametrize("replay_first", [True, False])
async def test_torn_last_line_is_ignored_then_cut(
    tmp_path: Path, make: Opener, replay_first: bool
) -> None:
    store = await make()
    first = await store.append(A, "ALICE", ["start a", "start b"], TS)
    await store.append(A, "BOB", ["start c"], TS)
    await store.close()
    torn = "2026-11-25T13:12:39.123Z;4 ALICE say torn ✓".encode()[:-1]  # mid-character
    path = write_log(tmp_path, "ALICE.log", torn.decode("utf-8", "ignore"))
    with path.open("ab") as f:
        f.write(torn[-2:])

    again = await make()
    if replay_first:
        assert [r.seq for r in await collect(again, A)] == [1, 2, 3]
    new = await again.append(A, "ALICE", ["say fresh"], TS + 1)
    assert new[0].seq == 4
    lines = path.read_bytes().splitlines()
    assert [line.split(b"#")[0] for line in lines] == [
        b"2026-11-25T13:12:39.123Z;1",
        b"2026-11-25T13:12:39.123Z;2",
        b"2026-11-25T13:12:39.124Z;4",
    ]
    assert lines[2].endswith(b" ALICE say fresh")
    assert [r.line for r in await collect(again, A) if r.session == "ALICE"] == [
        *(r.line for r in first),
        "say fresh",
    ]


async def test_torn_only_line_is_cut_to_empty(tmp_path: Path, make: Opener) -> None:
    path = write_log(tmp_path, "BOB.log", "T0 BOB start half-writ")
    store = await make()
    assert await collect(store, A) == []
    await store.append(A, "BOB", ["start whole"], TS)
    assert path.read_text() == "2026-11-25T13:12:39.123Z;1#75006716 BOB start whole\n"


# -- fsync policies -----------------------------------------------------------------------


@pytest.fixture
def fsynced(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Inode numbers passed to os.fsync, in call order."""
    inodes: list[int] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        inodes.append(os.fstat(fd).st_ino)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    return inodes


async def test_fsync_always_syncs_before_returning(
    tmp_path: Path, make: Opener, fsynced: list[int]
) -> None:
    store = await make("always")
    await store.append(A, "ALICE", ["say durable"], TS)
    log_dir = tenant_dir(tmp_path) / "log"
    assert (log_dir / "ALICE.log").stat().st_ino in fsynced
    assert log_dir.stat().st_ino in fsynced  # the new file's directory entry
    assert await store.put_msg(A, "m.md", b"body")
    assert (tenant_dir(tmp_path) / "msg" / "m.md").stat().st_ino in fsynced
    await store.put_dispatch(A, "ALICE", "prompt")
    assert (tenant_dir(tmp_path) / "dispatch" / "ALICE.prompt").stat().st_ino in fsynced


async def test_fsync_no_never_syncs(tmp_path: Path, make: Opener, fsynced: list[int]) -> None:
    store = await make("no")
    await store.append(A, "ALICE", ["say fast"], TS)
    await store.put_msg(A, "m.md", b"body")
    await store.put_dispatch(A, "ALICE", "prompt")
    await store.close()
    assert fsynced == []
    assert (tenant_dir(tmp_path) / "log" / "ALICE.log").read_text().endswith("say fast\n")


async def test_fsync_everysec_syncs_in_the_background(
    tmp_path: Path, make: Opener, fsynced: list[int]
) -> None:
    store = await make("everysec", sync_interval=0.05)
    await store.append(A, "ALICE", ["say one"], TS)
    assert fsynced == []  # append did not wait for the disk
    ino = (tenant_dir(tmp_path) / "log" / "ALICE.log").stat().st_ino
    await wait_for(lambda: ino in fsynced)
    count = fsynced.count(ino)
    await store.append(A, "ALICE", ["say two"], TS)
    await wait_for(lambda: fsynced.count(ino) > count)
    assert await store.put_msg(A, "m.md", b"body")
    msg_ino = (tenant_dir(tmp_path) / "msg" / "m.md").stat().st_ino
    await wait_for(lambda: msg_ino in fsynced)


async def test_fsync_everysec_is_idle_without_writes(make: Opener, fsynced: list[int]) -> None:
    store = await make("everysec", sync_interval=0.01)
    await store.create_tenant(A)
    for _ in range(5):  # let the loop run; a busy syncer would fsync or spin here
        await asyncio.sleep(0)
    assert fsynced == []
    assert store._syncer is not None and not store._syncer.done()
    assert store._wake is not None and not store._wake.is_set()  # parked on the event


async def test_fsync_everysec_close_syncs_what_is_dirty(
    tmp_path: Path, make: Opener, fsynced: list[int]
) -> None:
    store = await make("everysec", sync_interval=3600)
    await store.append(A, "ALICE", ["say before close"], TS)
    assert fsynced == []
    fds = [fd for fd, _path in store._fds.values()]
    await store.close()
    assert (tenant_dir(tmp_path) / "log" / "ALICE.log").stat().st_ino in fsynced
    assert store._syncer is None
    assert fds
    assert not any(is_open(fd) for fd in fds)
    await store.close()  # idempotent


async def test_open_files_are_capped(tmp_path: Path, make: Opener) -> None:
    store = await make("always")
    store.max_open = 2
    written: list[Record] = []
    for i in range(12):
        written += await store.append(A, f"S{i % 4}", [f"say {i}"], TS + i)
        assert len(store._fds) <= 2
    assert await collect(store, A) == written
    assert len(list((tenant_dir(tmp_path) / "log").iterdir())) == 4


# -- names and confinement ----------------------------------------------------------------

BAD_TENANTS = [
    "",
    ".",
    "..",
    "../evil",
    "a/b",
    "a\\b",
    "a\0b",
    ".hidden",
    "has space",
    "ünï",
    "a\n",
    "x" * 256,
]
BAD_NAMES = ["", ".", "..", ".hidden", "../x", "a/b", "a\\b", "a\0b"]


def every_call(store: FileStorage, tenant: str, name: str) -> Iterator[Callable[[], Any]]:
    yield lambda: store.create_tenant(tenant)
    yield lambda: store.append(tenant, name, ["say x"], TS)
    yield lambda: collect(store, tenant)
    yield lambda: store.put_msg(tenant, name, b"x")
    yield lambda: store.get_msg(tenant, name)
    yield lambda: store.list_msgs(tenant)
    yield lambda: store.put_dispatch(tenant, name, "p")
    yield lambda: store.take_dispatch(tenant, name)
    yield lambda: store.read_meta(tenant)


@pytest.mark.parametrize("tenant", BAD_TENANTS)
async def test_invalid_tenant_ids_are_refused(tmp_path: Path, make: Opener, tenant: str) -> None:
    store = await make()
    before = tree(tmp_path)
    for call in every_call(store, tenant, "ALICE"):
        with pytest.raises(ValueError, match="tenant id"):
            await call()
    assert tree(tmp_path) == before


@pytest.mark.parametrize("name", BAD_NAMES)
async def test_invalid_names_are_refused(tmp_path: Path, make: Opener, name: str) -> None:
    store = await make()
    await store.create_tenant(A)
    before = tree(tmp_path)
    calls = list(every_call(store, A, name))
    for i in (1, 3, 4, 6, 7):  # the calls that take a session or message name
        with pytest.raises(ValueError, match=r"invalid (session|message name|name)"):
            await calls[i]()
    assert tree(tmp_path) == before


@pytest.mark.parametrize("session", ["has space", "tab\there", "line\nbreak"])
async def test_session_with_whitespace_is_refused(make: Opener, session: str) -> None:
    store = await make()
    with pytest.raises(ValueError, match="invalid session"):
        await store.append(A, session, ["say x"], TS)


@pytest.mark.parametrize("client_id", ["has space", "x" * 65, "a/b", "é", "a;b"])
async def test_invalid_client_id_writes_nothing(
    tmp_path: Path, make: Opener, client_id: str
) -> None:
    store = await make()
    await store.create_tenant(A)
    with pytest.raises(ValueError, match="client id"):
        await store.append(A, "ALICE", ["say x"], TS, client_id)
    assert not (tenant_dir(tmp_path) / "log" / "ALICE.log").exists()


@pytest.mark.parametrize("lines", [["say ok", ""], ["   "], "say not a list", [b"say bytes"]])
async def test_bad_lines_write_nothing(tmp_path: Path, make: Opener, lines: Any) -> None:
    store = await make()
    await store.create_tenant(A)
    with pytest.raises(ValueError, match="lines"):
        await store.append(A, "ALICE", lines, TS)
    assert not (tenant_dir(tmp_path) / "log" / "ALICE.log").exists()


async def test_list_tenants_only_valid_directories(tmp_path: Path, make: Opener) -> None:
    root = tmp_path / "data" / "tenants"
    for name in (A, "legacy-name", ".hidden", "bad name"):
        (root / name).mkdir(parents=True)
    (root / "plain-file").write_text("")
    store = await make()
    assert sorted(await store.list_tenants()) == sorted([A, "legacy-name"])


async def test_msgs_never_leave_the_tenant(tmp_path: Path, make: Opener) -> None:
    store = await make()
    await store.create_tenant(A)
    msg_dir = tenant_dir(tmp_path) / "msg"
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    (msg_dir / "link.md").symlink_to(outside)
    (msg_dir / "subdir").mkdir()
    (msg_dir / ".tmp-partial").write_text("x")
    (msg_dir / "real.md").write_text("dropped in by hand")
    assert await store.list_msgs(A) == ["real.md"]
    assert await store.get_msg(A, "link.md") is None
    assert await store.get_msg(A, "subdir") is None
    assert await store.get_msg(A, "real.md") == b"dropped in by hand"
    assert not await store.put_msg(A, "link.md", b"overwrite through the link")
    assert outside.read_text() == "secret"


async def test_dispatch_file_layout(tmp_path: Path, make: Opener) -> None:
    store = await make()
    await store.put_dispatch(A, "worker", "do the thing")
    ddir = tenant_dir(tmp_path) / "dispatch"
    assert os.listdir(ddir) == ["WORKER.prompt"]
    assert (ddir / "WORKER.prompt").read_text() == "do the thing"
    assert await store.take_dispatch(A, "WORKER") == "do the thing"
    assert os.listdir(ddir) == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (json.dumps({"sessions": {"BACK": "/p"}}), {"sessions": {"BACK": "/p"}}),
        ("{not json", {}),
        ("[1, 2]", {}),
        (None, {}),
    ],
)
async def test_read_meta(
    tmp_path: Path, make: Opener, content: str | None, expected: dict[str, object]
) -> None:
    store = await make()
    await store.create_tenant(A)
    if content is not None:
        (tenant_dir(tmp_path) / ".myco-state.json").write_text(content)
    assert dict(await store.read_meta(A)) == expected
