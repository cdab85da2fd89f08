"""The default storage backend: append-only text files, readable by the reference daemon.

Layout under ``<data_dir>/tenants/<tenant_id>/``: ``log/<SESSION>.log``, ``msg/<name>``,
``view/``, ``dispatch/<SESSION>.prompt`` and ``.myco-state.json``. The line format and the
parsing live in :mod:`myco.storage.filelog`.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import secrets
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Literal

import structlog

from myco.config import Config
from myco.hookspecs import hookimpl
from myco.options import Option, OptionRegistry
from myco.protocol.events import Record
from myco.registry import StorageBackend, StorageRegistry
from myco.storage import filelog, lock
from myco.storage.contract import StorageFull

log = structlog.get_logger("myco.storage.file")

CHUNK = 10_000
SUBDIRS = ("log", "msg", "view", "dispatch")
#: errors that mean "no room left": the HTTP layer answers 507
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


@contextmanager
def _room() -> Iterator[None]:
    """Turn a full disk into :class:`StorageFull` (the writers leave nothing half-written)."""
    try:
        yield
    except OSError as exc:
        if exc.errno in _FULL:
            raise StorageFull(os.strerror(exc.errno or errno.ENOSPC)) from None
        raise


FsyncPolicy = Literal["always", "everysec", "no"]

#: ``myco serve --fsync`` / ``$MYCO_FSYNC``: when appended events reach the disk
FSYNC = Option(
    "file",
    "fsync",
    "when appended events reach the disk (file store): after every append, once a "
    "second, or when the OS decides",
    default="everysec",
    choices=("always", "everysec", "no"),
)


def tenants_dir(config: Config) -> str:
    """Where the file store keeps its tenants: ``<data_dir>/tenants``."""
    return str(config.data_dir / "tenants")


class FileStorage:
    """Every tenant of one daemon as directories of append-only files.

    Single-process and asyncio-only: seqs are assigned and written without an ``await`` in
    between, so concurrent coroutines can never interleave or reorder them.
    """

    name: str = "file"
    #: log files kept open at most; the least recently used is closed beyond that
    max_open: int = 256

    def __init__(self, config: Config, *, sync_interval: float = 1.0) -> None:
        self._data_dir = str(config.data_dir)
        self._root = tenants_dir(config)
        self._policy: FsyncPolicy = FSYNC.value(config)
        self._lock = ""
        self._interval = sync_interval
        self._fds: OrderedDict[tuple[str, str], tuple[int, str]] = OrderedDict()
        self._next: dict[str, int] = {}
        self._scans: dict[str, asyncio.Task[tuple[list[Record], int, filelog.LoadReport]]] = {}
        #: tenant -> log file name -> [highest seq in it, offset where checksums begin]
        self._files: dict[str, dict[str, list[int]]] = {}
        #: tenant -> number of reference (legacy) lines, numbered before our own
        self._legacy: dict[str, int] = {}
        self._dirty: set[str] = set()
        self._inflight: set[asyncio.Future[None]] = set()
        self._wake: asyncio.Event | None = None
        self._syncer: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------
    async def open(self) -> None:
        """Lock the data directory (one daemon per directory), then start the syncer."""
        from myco.daemon import ConfigError

        try:
            self._lock = lock.acquire(self._data_dir)
        except lock.DataDirLocked as exc:
            raise ConfigError(str(exc)) from None
        if filelog.migrate(self._data_dir, self._root):
            log.info("migrated data directory", old="channels", new=self._root)
        if self._policy == "everysec":
            self._wake = asyncio.Event()
            self._syncer = asyncio.create_task(self._sync_loop(), name="myco-file-fsync")

    async def close(self) -> None:
        task, self._syncer = self._syncer, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        if self._inflight:  # a cancelled to_thread keeps running: let it finish first
            await asyncio.gather(*self._inflight, return_exceptions=True)
        try:
            await self._flush()
        finally:
            while self._fds:
                os.close(self._fds.popitem()[1][0])
            lock.release(self._lock)
            self._lock = ""

    async def _sync_loop(self) -> None:
        """everysec: sleep until something is written, then fsync it about a second later."""
        assert self._wake is not None
        while True:
            await self._wake.wait()
            await asyncio.sleep(self._interval)
            self._wake.clear()
            try:
                await self._flush()
            except OSError as exc:
                log.error("fsync failed", error=str(exc))

    def _mark(self, *paths: str) -> None:
        if self._policy != "no":
            self._dirty.update(paths)
            if self._wake is not None:
                self._wake.set()

    async def _durable(self, *paths: str) -> None:
        """Apply the fsync policy to files (or directories) just written."""
        self._mark(*paths)
        if self._policy == "always":
            await self._flush()

    async def _flush(self) -> None:
        """fsync what is dirty, in a thread, by path: no fd has to outlive its file's use."""
        if not self._dirty:
            return
        paths, self._dirty = sorted(self._dirty), set()
        fut = asyncio.ensure_future(asyncio.to_thread(filelog.fsync_paths, paths))
        self._inflight.add(fut)
        fut.add_done_callback(self._inflight.discard)
        await asyncio.shield(fut)

    # -- tenants ------------------------------------------------------------------------
    def _tenant(self, tenant_id: str, *parts: str) -> str:
        return os.path.join(self._root, filelog.check_tenant(tenant_id), *parts)

    async def list_tenants(self) -> list[str]:
        try:
            with os.scandir(self._root) as it:
                names = [e.name for e in it if e.is_dir()]
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [n for n in names if filelog.is_tenant_id(n)]

    async def create_tenant(self, tenant_id: str) -> None:
        for sub in SUBDIRS:
            os.makedirs(self._tenant(tenant_id, sub), exist_ok=True)

    async def read_meta(self, tenant_id: str) -> Mapping[str, object]:
        raw = filelog.read_regular(self._tenant(tenant_id, ".myco-state.json"))
        try:
            data = json.loads(raw) if raw is not None else None
        except (ValueError, RecursionError):
            return {}
        return data if isinstance(data, dict) else {}

    # -- snapshots (optional capability) -------------------------------------------------
    async def save_snapshot(self, tenant_id: str, seq: int, data: bytes) -> None:
        """Atomically replace ``snapshot.bin``: an 8-byte seq header, then *data*."""
        path = self._tenant(tenant_id, "snapshot.bin")
        blob = seq.to_bytes(8, "big") + data
        await asyncio.to_thread(_write_atomic, path, blob)

    async def load_snapshot(self, tenant_id: str) -> tuple[int, bytes] | None:
        raw = filelog.read_regular(self._tenant(tenant_id, "snapshot.bin"))
        if raw is None or len(raw) < 8:
            return None
        return int.from_bytes(raw[:8], "big"), raw[8:]

    # -- events -------------------------------------------------------------------------
    async def replay(self, tenant_id: str, after_seq: int = 0) -> AsyncIterator[Sequence[Record]]:
        log_dir = self._tenant(tenant_id, "log")
        records, top, report = await asyncio.to_thread(filelog.load, log_dir, after_seq)
        self._learn(tenant_id, top, report)
        for i in range(0, len(records), CHUNK):
            yield records[i : i + CHUNK]

    def _learn(self, tenant_id: str, top: int, report: filelog.LoadReport) -> None:
        """Keep what a full read found (next seq, file tops) and report bad records."""
        self._next.setdefault(tenant_id, top + 1)
        if tenant_id not in self._files:
            self._files[tenant_id] = {
                name: [seq, report.unchecked_end.get(name, 0)] for name, seq in report.tops.items()
            }
            self._legacy[tenant_id] = report.legacy
        for path, lineno, reason in report.bad:
            log.error("bad log record skipped", file=path, line=lineno or None, reason=reason)
        if report.bad_count > len(report.bad):
            log.error(
                "more bad log records skipped",
                tenant=tenant_id[:12],
                count=report.bad_count - len(report.bad),
            )

    async def _scan(self, tenant_id: str) -> None:
        """Find the highest seq on disk before the first append (when replay did not run)."""
        task = self._scans.get(tenant_id)
        if task is None:
            load = asyncio.to_thread(filelog.load, self._tenant(tenant_id, "log"))
            task = self._scans[tenant_id] = asyncio.ensure_future(load)
            task.add_done_callback(lambda _t: self._scans.pop(tenant_id, None))
        _, top, report = await asyncio.shield(task)
        self._learn(tenant_id, top, report)

    async def read_after(self, tenant_id: str, after_seq: int, limit: int) -> list[Record]:
        """A page of records after *after_seq*, in a worker thread, without replaying.

        Only files holding a seq above *after_seq* are opened, each entered by binary
        search. Reference (legacy) lines have no seq on disk: a page that starts among them
        is cut from a full read (such tenants are imports of the reference's data).
        """
        if tenant_id not in self._files:
            await self._scan(tenant_id)
        log_dir = self._tenant(tenant_id, "log")
        if after_seq < self._legacy.get(tenant_id, 0):
            records, _, _ = await asyncio.to_thread(filelog.load, log_dir, after_seq)
            return records[:limit]
        files = [
            (name, end)
            for name, (top, end) in sorted(self._files.get(tenant_id, {}).items())
            if top > after_seq
        ]
        if not files:
            return []
        return await asyncio.to_thread(filelog.read_after, log_dir, files, after_seq, limit)

    def _log_fd(self, tenant_id: str, session: str) -> tuple[int, str]:
        """The O_APPEND fd and path of a session's log, opened (and repaired) on first use."""
        key = (tenant_id, session)
        found = self._fds.get(key)
        if found is not None:
            self._fds.move_to_end(key)
            return found
        log_dir = self._tenant(tenant_id, "log")
        os.makedirs(log_dir, exist_ok=True)
        path = os.path.join(log_dir, f"{session}.log")
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            cut = filelog.repair_tail(fd)
        except OSError:
            os.close(fd)
            raise
        if cut:
            log.warning("torn last line removed", path=path, bytes=cut)
        while len(self._fds) >= self.max_open:
            os.close(self._fds.popitem(last=False)[1][0])
        self._fds[key] = (fd, path)
        self._mark(log_dir)
        return fd, path

    async def append(
        self,
        tenant_id: str,
        session: str,
        lines: Sequence[str],
        ts_ms: int,
        client_id: str = "",
    ) -> list[Record]:
        filelog.check_tenant(tenant_id)
        name = filelog.check_session(session)
        filelog.check_client_id(client_id)
        batch = filelog.check_lines(lines)
        if not batch:
            return []
        if tenant_id not in self._next:
            await self._scan(tenant_id)
        # No await from here until the bytes are written: seqs and file order stay in step.
        first = self._next[tenant_id]
        data = filelog.format_lines(ts_ms, first, client_id, name, batch)
        with _room():
            fd, path = self._log_fd(tenant_id, name)
            filelog.write_all(fd, data)
        self._next[tenant_id] = first + len(batch)
        top = first + len(batch) - 1
        files = self._files.setdefault(tenant_id, {})
        entry = files.get(f"{name}.log")
        if entry is None:
            files[f"{name}.log"] = [top, 0]
        else:
            entry[0] = top
        records = [Record(first + i, ts_ms, name, line, client_id) for i, line in enumerate(batch)]
        await self._durable(path)
        return records

    # -- messages -----------------------------------------------------------------------
    async def put_msg(self, tenant_id: str, name: str, body: bytes) -> bool:
        msg_dir = self._tenant(tenant_id, "msg")
        path = os.path.join(msg_dir, filelog.check_name(name, "message name"))
        with _room():
            os.makedirs(msg_dir, exist_ok=True)
            if not filelog.create_file(path, body):
                return False
        await self._durable(path, msg_dir)
        return True

    async def delete_msg(self, tenant_id: str, name: str) -> None:
        path = self._tenant(tenant_id, "msg", filelog.check_name(name, "message name"))
        with suppress(FileNotFoundError):
            os.unlink(path)

    async def get_msg(self, tenant_id: str, name: str) -> bytes | None:
        return filelog.read_regular(self._tenant(tenant_id, "msg", filelog.check_name(name)))

    async def list_msgs(self, tenant_id: str) -> list[str]:
        try:
            with os.scandir(self._tenant(tenant_id, "msg")) as it:
                return sorted(
                    e.name
                    for e in it
                    if not e.name.startswith(".") and e.is_file(follow_symlinks=False)
                )
        except (FileNotFoundError, NotADirectoryError):
            return []

    # -- dispatch -----------------------------------------------------------------------
    async def put_dispatch(self, tenant_id: str, session: str, prompt: str) -> None:
        ddir = self._tenant(tenant_id, "dispatch")
        name = filelog.check_session(session)
        final = os.path.join(ddir, f"{name}.prompt")
        tmp = os.path.join(ddir, f".{name}.prompt.{secrets.token_hex(6)}.tmp")
        data = prompt.encode("utf-8")
        with _room():
            os.makedirs(ddir, exist_ok=True)
            if not filelog.create_file(tmp, data):
                raise FileExistsError(tmp)
        try:
            if self._policy == "always":
                await self._durable(tmp)  # content on disk before the rename
            os.replace(tmp, final)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp)
            raise
        await self._durable(final, ddir)

    async def take_dispatch(self, tenant_id: str, session: str) -> str | None:
        ddir = self._tenant(tenant_id, "dispatch")
        name = filelog.check_session(session)
        claim = os.path.join(ddir, f".{name}.prompt.{secrets.token_hex(6)}.taking")
        try:
            os.rename(os.path.join(ddir, f"{name}.prompt"), claim)  # atomic: one taker wins
        except (FileNotFoundError, NotADirectoryError):
            return None
        try:
            data = filelog.read_regular(claim)
        finally:
            with suppress(OSError):
                os.unlink(claim)
        await self._durable(ddir)
        return None if data is None else data.decode("utf-8", "replace")


@hookimpl
def register_storage(backends: StorageRegistry) -> None:
    """Offer the file backend as ``--storage file`` (the default)."""
    backends.add(StorageBackend("file", FileStorage, "append-only files (default)"))


@hookimpl
def register_serve_options(options: OptionRegistry) -> None:
    """``--fsync`` belongs to the file store; the data directory is the daemon's."""
    options.add(FSYNC)


def _write_atomic(path: str, blob: bytes) -> None:
    """Write *blob* to a temporary file, fsync it, then rename it over *path*."""
    tmp = f"{path}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        try:
            view = memoryview(blob)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)  # a full disk must not keep a half snapshot around
        raise
