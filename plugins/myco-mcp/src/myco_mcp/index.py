"""One tenant's full-text index: a SQLite FTS5 database derived from the event log.

The index holds every event line and every message an event names (``spec:``, ``ack:``,
``ref:``, ``re:`` values starting with ``msg/``), plus which events name which message. It
is a cache: deleted, it is rebuilt from the store; behind the store (a log that was reset),
it is wiped and rebuilt. Visibility is not decided here but by the caller, on the daemon's
state: the index only proposes candidates, best first.

Every SQLite call runs in the index's own worker thread (one per tenant), in the order the
calls were made: a query sees every write submitted before it, and the event loop never
blocks on the database.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import structlog

from myco_mcp import ranking

log = structlog.get_logger("myco_mcp.index")
T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events(
    seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, session TEXT NOT NULL, line TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(
    session, line, content='events', content_rowid='seq', tokenize='porter unicode61');
CREATE TABLE IF NOT EXISTS msgs(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,
    body TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS msgs_fts USING fts5(
    name, body, content='msgs', content_rowid='id', tokenize='porter unicode61');
CREATE TABLE IF NOT EXISTS msg_refs(name TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY(name, seq)) WITHOUT ROWID;
"""
_WORD_RE = re.compile(r"[\w]+(?:[-./:][\w]+)*", re.UNICODE)
#: matches ranked per query: the newest ones (older matches of a common word are not found)
RANK_WINDOW = 1000
#: values of these keys may name a message
MSG_KEYS = ("spec", "ack", "ref", "re")


class Row(NamedTuple):
    """An indexed event, as the store holds it."""

    seq: int
    ts_ms: int
    session: str
    line: str


class MsgHit(NamedTuple):
    name: str
    snippet: str
    score: float
    #: events naming the message (the newest first, at most a few)
    refs: list[Row]


def fts_query(text: str) -> str:
    """A user's words as an FTS5 query: every word must match (phrases for ``a-b.c``).

    Words are quoted, so FTS5's own syntax (``AND``, ``NEAR``, ``*``, ``:``) in a query
    is searched for as text, never interpreted or rejected.
    """
    words = _WORD_RE.findall(text)
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


class SearchIndex:
    """The index of one tenant, in its own file (``":memory:"`` in tests)."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="myco-search")
        self._db: sqlite3.Connection | None = None
        self._closed = False

    # -- running SQLite work in the index's thread ------------------------------------
    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(db, *args)`` in the index's thread, after every earlier call."""
        return await asyncio.wrap_future(self._pool.submit(self._run, fn, *args))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Queue ``fn(db, *args)`` without waiting; a failure is logged."""
        future = self._pool.submit(self._run, fn, *args)
        future.add_done_callback(_log_failure)
        return future

    def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._closed:
            raise RuntimeError("the search index is closed")
        if self._db is None:
            if isinstance(self.path, Path):
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False)
            self._db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;" + SCHEMA)
        with self._db:
            return fn(self._db, *args)

    async def close(self) -> None:
        if self._closed:
            return

        def shut() -> None:
            self._closed = True
            if self._db is not None:
                self._db.close()
                self._db = None

        await asyncio.wrap_future(self._pool.submit(shut))
        self._pool.shutdown(wait=False)

    # -- writes -----------------------------------------------------------------------
    def add_events(self, rows: Sequence[Row], refs: Sequence[tuple[str, int]]) -> None:
        self.submit(_add_events, list(rows), list(refs))

    def add_msg(self, name: str, body: str) -> None:
        self.submit(_add_msg, name, body)

    async def last_seq(self) -> int:
        return await self.call(_last_seq)

    async def reset(self) -> None:
        await self.call(_reset)

    async def unindexed_msgs(self, names: Iterable[str]) -> list[str]:
        return await self.call(_missing_msgs, list(names))

    # -- reads ------------------------------------------------------------------------
    async def events(self, query: str, offset: int, limit: int) -> list[tuple[Row, float]]:
        """Matching events, best first: (row, score)."""
        return await self.call(_search_events, query, offset, limit)

    async def msgs(self, query: str, offset: int, limit: int) -> list[MsgHit]:
        return await self.call(_search_msgs, query, offset, limit)

    async def rows(self, seqs: Sequence[int]) -> list[Row]:
        return await self.call(_rows, list(seqs))

    async def refs(self, names: Sequence[str]) -> dict[str, list[Row]]:
        return await self.call(_refs_of, list(names))


def _log_failure(future: Future[Any]) -> None:
    exc = future.exception()
    if exc is not None:
        log.error("search index write failed", error=str(exc))


def _last_seq(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT v FROM meta WHERE k = 'last_seq'").fetchone()
    return int(row[0]) if row else 0


def _reset(db: sqlite3.Connection) -> None:
    for table in ("events", "msgs", "msg_refs", "meta"):
        db.execute(f"DELETE FROM {table}")
    db.execute("INSERT INTO events_fts(events_fts) VALUES ('delete-all')")
    db.execute("INSERT INTO msgs_fts(msgs_fts) VALUES ('delete-all')")


def _add_events(db: sqlite3.Connection, rows: list[Row], refs: list[tuple[str, int]]) -> None:
    """Rows not indexed yet (a catch-up and live events may overlap: each is added once)."""
    if not rows:
        return
    low, high = min(r.seq for r in rows), max(r.seq for r in rows)
    have = {
        s for (s,) in db.execute("SELECT seq FROM events WHERE seq BETWEEN ? AND ?", (low, high))
    }
    fresh = {r.seq: r for r in rows if r.seq not in have}
    if not fresh:
        return
    db.executemany("INSERT INTO events(seq, ts, session, line) VALUES (?,?,?,?)", fresh.values())
    db.executemany(
        "INSERT INTO events_fts(rowid, session, line) VALUES (?,?,?)",
        [(r.seq, r.session, r.line) for r in fresh.values()],
    )
    db.executemany(
        "INSERT OR IGNORE INTO msg_refs(name, seq) VALUES (?,?)", [x for x in refs if x[1] in fresh]
    )
    top = max(fresh)
    db.execute(
        "INSERT INTO meta(k, v) VALUES ('last_seq', ?) ON CONFLICT(k) DO UPDATE SET v = max(v, ?)",
        (top, top),
    )


def _add_msg(db: sqlite3.Connection, name: str, body: str) -> None:
    cur = db.execute("INSERT OR IGNORE INTO msgs(name, body) VALUES (?,?)", (name, body))
    if cur.rowcount:
        db.execute(
            "INSERT INTO msgs_fts(rowid, name, body) VALUES (?,?,?)", (cur.lastrowid, name, body)
        )


def _missing_msgs(db: sqlite3.Connection, names: list[str]) -> list[str]:
    return [
        n for n in names if db.execute("SELECT 1 FROM msgs WHERE name = ?", (n,)).fetchone() is None
    ]


def _search_events(
    db: sqlite3.Connection, query: str, offset: int, limit: int
) -> list[tuple[Row, float]]:
    """Matches, best first, at a bounded cost: BM25 over all of them when there are at
    most :data:`RANK_WINDOW`, else over the newest :data:`RANK_WINDOW` only, ranked by
    :mod:`myco_mcp.ranking` (FTS5's ``bm25()`` would read every match of a common word)."""
    newest = db.execute(
        "SELECT e.seq, e.ts, e.session, e.line FROM ("
        "  SELECT rowid FROM events_fts WHERE events_fts MATCH ?"
        "  ORDER BY rowid DESC LIMIT ?"
        ") m JOIN events e ON e.seq = m.rowid ORDER BY e.seq DESC",
        (query, RANK_WINDOW + 1),
    ).fetchall()
    if len(newest) <= RANK_WINDOW:  # few matches: FTS5's BM25 over all of them is cheap
        cur = db.execute(
            "SELECT e.seq, e.ts, e.session, e.line, r.score FROM ("
            "  SELECT rowid, bm25(events_fts) AS score FROM events_fts"
            "  WHERE events_fts MATCH ? ORDER BY score, rowid DESC LIMIT ? OFFSET ?"
            ") r JOIN events e ON e.seq = r.rowid ORDER BY r.score, e.seq DESC",
            (query, limit, offset),
        )
        return [(Row(s, t, ses, line), score) for s, t, ses, line, score in cur]
    window = newest[:RANK_WINDOW]
    (top,) = db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
    span = max(1, top - window[-1][0] + 1)
    matching = round(RANK_WINDOW * top / span)  # the window's density over the whole log
    scored = ranking.scores(query, window, top, matching)
    # the window is newest first and sorted() is stable: ties stay newest first
    order = sorted(range(len(window)), key=scored.__getitem__)[offset : offset + limit]
    return [(Row(*window[i]), scored[i]) for i in order]


def _search_msgs(db: sqlite3.Connection, query: str, offset: int, limit: int) -> list[MsgHit]:
    cur = db.execute(
        "SELECT m.name, snippet(msgs_fts, 1, '[', ']', '…', 12), bm25(msgs_fts) AS score "
        "FROM msgs_fts JOIN msgs m ON m.id = msgs_fts.rowid "
        "WHERE msgs_fts MATCH ? ORDER BY score, m.id DESC LIMIT ? OFFSET ?",
        (query, limit, offset),
    )
    hits = list(cur)
    refs = _refs_of(db, [h[0] for h in hits])
    return [MsgHit(name, snip, score, refs.get(name, [])) for name, snip, score in hits]


def _rows(db: sqlite3.Connection, seqs: list[int]) -> list[Row]:
    out: list[Row] = []
    for seq in seqs:
        r = db.execute("SELECT seq, ts, session, line FROM events WHERE seq = ?", (seq,)).fetchone()
        if r is not None:
            out.append(Row(*r))
    return out


#: events kept per message to decide who may see it (the newest)
REFS_PER_MSG = 50


def _refs_of(db: sqlite3.Connection, names: list[str]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {}
    for name in names:
        cur = db.execute(
            "SELECT e.seq, e.ts, e.session, e.line FROM msg_refs r JOIN events e ON e.seq = r.seq "
            "WHERE r.name = ? ORDER BY r.seq DESC LIMIT ?",
            (name, REFS_PER_MSG),
        )
        out[name] = [Row(*r) for r in cur]
    return out
