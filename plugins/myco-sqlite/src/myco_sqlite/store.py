"""A myco storage backend in one SQLite database (standard-library :mod:`sqlite3`).

Every blocking call runs on one worker thread that owns the connection, so the daemon's
event loop never waits on the disk and the calls are serialised (SQLite has one writer
anyway). The database is in WAL mode with ``synchronous=NORMAL``: a committed append
survives the daemon process being killed; after a power loss the last commits may be lost
(``--sqlite-sync full`` makes every commit reach the disk first).

Tables (``tenant`` is the tenant id everywhere): ``tenants``, ``records`` (the event
log, primary key ``(tenant, seq)``), ``msgs`` (create-only), ``dispatch`` (one pending
prompt per session), ``meta`` (operator metadata as JSON) and ``snapshots`` (the optional
snapshot capability: one per tenant).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from myco.protocol.events import Record

#: records per replay chunk
CHUNK = 5_000
SCHEMA = """
CREATE TABLE IF NOT EXISTS tenants (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
    tenant TEXT NOT NULL, seq INTEGER NOT NULL, ts_ms INTEGER NOT NULL,
    session TEXT NOT NULL, line TEXT NOT NULL, client_id TEXT NOT NULL,
    PRIMARY KEY (tenant, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS msgs (
    tenant TEXT NOT NULL, name TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY (tenant, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dispatch (
    tenant TEXT NOT NULL, session TEXT NOT NULL, prompt TEXT NOT NULL,
    PRIMARY KEY (tenant, session)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (tenant TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
    tenant TEXT PRIMARY KEY, seq INTEGER NOT NULL, data BLOB NOT NULL
) WITHOUT ROWID;
"""

T = TypeVar("T")


def check_lines(lines: Sequence[str]) -> list[str]:
    """The lines of one append, or ValueError before anything is written."""
    if isinstance(lines, (str, bytes)):
        raise ValueError("lines must be a sequence of strings")
    out = list(lines)
    for i, line in enumerate(out):
        if not isinstance(line, str):
            raise ValueError(f"lines[{i}] is not a string")
        if "\n" in line or "\r" in line:
            raise ValueError(f"lines[{i}] contains a line break")
        if not line.strip():
            raise ValueError(f"lines[{i}] is blank")
    return out


class SQLiteStorage:
    """Every tenant of one daemon in one SQLite database file.

    Follows :class:`myco.storage.contract.Storage` and the optional
    :class:`~myco.storage.contract.Snapshots`, :class:`~myco.storage.contract.Paging` and
    :class:`~myco.storage.contract.MsgRollback` capabilities; single daemon (no following).
    """

    name: str = "sqlite"

    def __init__(self, path: Path | str, *, sync: str = "normal") -> None:
        self.path = Path(path)
        self.sync = "FULL" if sync.lower() == "full" else "NORMAL"
        self._db: sqlite3.Connection | None = None
        self._pool: ThreadPoolExecutor | None = None
        #: next seq per tenant, learnt on first use (this process is the only writer)
        self._next: dict[str, int] = {}

    # -- the worker thread ------------------------------------------------------------------
    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._pool is None:
            raise RuntimeError("the SQLite store is not open")
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    @property
    def db(self) -> sqlite3.Connection:
        assert self._db is not None, "the SQLite store is not open"
        return self._db

    def _connect(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None)  # explicit transactions
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={self.sync}")
        db.execute("PRAGMA busy_timeout=5000")
        db.executescript(SCHEMA)
        self._db = db

    def _disconnect(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- lifecycle ----------------------------------------------------------------------
    async def open(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="myco-sqlite")
        await self._run(self._connect)

    async def close(self) -> None:
        if self._pool is None:
            return
        try:
            await self._run(self._disconnect)
        finally:
            self._pool.shutdown(wait=True)
            self._pool = None
            self._next.clear()

    # -- tenants --------------------------------------------------------------------------
    async def list_tenants(self) -> list[str]:
        rows = await self._run(lambda: self.db.execute("SELECT id FROM tenants").fetchall())
        return [row[0] for row in rows]

    async def create_tenant(self, tenant_id: str) -> None:
        await self._run(
            lambda: self.db.execute("INSERT OR IGNORE INTO tenants VALUES (?)", (tenant_id,))
        )

    async def read_meta(self, tenant_id: str) -> Mapping[str, object]:
        row = await self._run(
            lambda: self.db.execute(
                "SELECT json FROM meta WHERE tenant = ?", (tenant_id,)
            ).fetchone()
        )
        try:
            data = json.loads(row[0]) if row else None
        except (ValueError, RecursionError):
            return {}
        return data if isinstance(data, dict) else {}

    # -- events ---------------------------------------------------------------------------
    async def append(
        self,
        tenant_id: str,
        session: str,
        lines: Sequence[str],
        ts_ms: int,
        client_id: str = "",
    ) -> list[Record]:
        batch = check_lines(lines)
        if not batch:
            return []
        return await self._run(self._append, tenant_id, session, batch, ts_ms, client_id)

    def _append(
        self, tenant_id: str, session: str, lines: list[str], ts_ms: int, client_id: str
    ) -> list[Record]:
        db = self.db
        first = self._next.get(tenant_id)
        if first is None:
            row = db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM records WHERE tenant = ?", (tenant_id,)
            ).fetchone()
            first = int(row[0]) + 1
        records = [
            Record(first + i, ts_ms, session, line, client_id) for i, line in enumerate(lines)
        ]
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?)",
                [(tenant_id, *r) for r in records],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._next[tenant_id] = first + len(records)
        return records

    async def replay(self, tenant_id: str, after_seq: int = 0) -> AsyncIterator[Sequence[Record]]:
        last = after_seq
        while True:
            chunk = await self._run(self._chunk, tenant_id, last)
            if not chunk:
                return
            yield chunk
            last = chunk[-1].seq
            if len(chunk) < CHUNK:
                return

    def _chunk(self, tenant_id: str, after: int, limit: int = CHUNK) -> list[Record]:
        rows = self.db.execute(
            "SELECT seq, ts_ms, session, line, client_id FROM records"
            " WHERE tenant = ? AND seq > ? ORDER BY seq LIMIT ?",
            (tenant_id, after, limit),
        ).fetchall()
        return [Record(*row) for row in rows]

    async def read_after(self, tenant_id: str, after_seq: int, limit: int) -> list[Record]:
        """The ``Paging`` capability: one page through the primary-key index, whatever the
        history's length."""
        return await self._run(self._chunk, tenant_id, after_seq, limit)

    # -- messages -------------------------------------------------------------------------
    async def put_msg(self, tenant_id: str, name: str, body: bytes) -> bool:
        def put() -> bool:
            cur = self.db.execute(
                "INSERT OR IGNORE INTO msgs VALUES (?, ?, ?)", (tenant_id, name, bytes(body))
            )
            return cur.rowcount == 1

        return await self._run(put)

    async def delete_msg(self, tenant_id: str, name: str) -> None:
        """The ``MsgRollback`` capability: undo a message whose post failed to store."""

        def delete() -> None:
            self.db.execute("DELETE FROM msgs WHERE tenant = ? AND name = ?", (tenant_id, name))

        await self._run(delete)

    async def get_msg(self, tenant_id: str, name: str) -> bytes | None:
        row = await self._run(
            lambda: self.db.execute(
                "SELECT body FROM msgs WHERE tenant = ? AND name = ?", (tenant_id, name)
            ).fetchone()
        )
        return bytes(row[0]) if row else None

    async def list_msgs(self, tenant_id: str) -> list[str]:
        rows = await self._run(
            lambda: self.db.execute(
                "SELECT name FROM msgs WHERE tenant = ? ORDER BY name", (tenant_id,)
            ).fetchall()
        )
        return [row[0] for row in rows]

    # -- dispatch -------------------------------------------------------------------------
    async def put_dispatch(self, tenant_id: str, session: str, prompt: str) -> None:
        await self._run(
            lambda: self.db.execute(
                "INSERT OR REPLACE INTO dispatch VALUES (?, ?, ?)", (tenant_id, session, prompt)
            )
        )

    async def take_dispatch(self, tenant_id: str, session: str) -> str | None:
        def take() -> str | None:
            # one thread runs every call: nothing can take it between the two statements
            key = (tenant_id, session)
            row = self.db.execute(
                "SELECT prompt FROM dispatch WHERE tenant = ? AND session = ?", key
            ).fetchone()
            if row is None:
                return None
            self.db.execute("DELETE FROM dispatch WHERE tenant = ? AND session = ?", key)
            return str(row[0])

        return await self._run(take)

    # -- snapshots (optional capability) --------------------------------------------------
    async def save_snapshot(self, tenant_id: str, seq: int, data: bytes) -> None:
        await self._run(
            lambda: self.db.execute(
                "INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?)", (tenant_id, seq, bytes(data))
            )
        )

    async def load_snapshot(self, tenant_id: str) -> tuple[int, bytes] | None:
        row = await self._run(
            lambda: self.db.execute(
                "SELECT seq, data FROM snapshots WHERE tenant = ?", (tenant_id,)
            ).fetchone()
        )
        return (int(row[0]), bytes(row[1])) if row else None
