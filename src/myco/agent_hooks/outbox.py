"""The per-session outbox: batches waiting for the daemon, delivered in order.

Every batch is written here *before* it is sent (write-ahead), then removed once the
daemon acknowledged it. A hook killed at any point therefore loses nothing, and because
each batch carries a client id the daemon deduplicates, sending it again is harmless.

Layout under the state directory: ``outbox/<tenant-key>/<SESSION>.jsonl`` (one batch per
line), ``<SESSION>.lock`` (``flock``), ``<SESSION>.spill-<ns>-<pid>.jsonl`` (a batch
written by a hook that could not get the lock in time; merged by the next flush) and
``<SESSION>.rejected.jsonl`` (batches the daemon refused as invalid, kept for a human).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from myco.agent_hooks.deadline import Deadline

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locking, single writer assumed
    fcntl = None  # type: ignore[assignment]

#: one post as queued: ``{"id", "session", "events", "ts", "agent"}`` (see ``runtime.new_batch``)
Batch = dict[str, Any]


class Outbox:
    """The outbox of one session for one daemon and tenant.

    Adapters rarely touch it: :func:`myco.agent_hooks.runtime.deliver` queues and flushes.
    *directory* is ``<state>/outbox/<tenant-key>``; methods that say "caller holds the
    lock" must run inside ``with outbox.locked(deadline) as have_lock:``.
    """

    def __init__(self, directory: Path, session: str) -> None:
        self.dir = directory
        self.session = session
        self.path = directory / f"{session}.jsonl"
        self.lock_path = directory / f"{session}.lock"
        self.rejected_path = directory / f"{session}.rejected.jsonl"

    # -- locking ----------------------------------------------------------------------
    @contextmanager
    def locked(self, deadline: Deadline) -> Iterator[bool]:
        """Hold the session's lock; yields False if it could not be had before the deadline."""
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            got = fcntl is None
            while not got:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    got = True
                except OSError:
                    if deadline.remaining() < 0.02:
                        break
                    time.sleep(0.01)
            yield got
        finally:
            os.close(fd)  # releases the flock

    # -- writing ----------------------------------------------------------------------
    def append(self, batch: Batch) -> None:
        """Add *batch* at the end (caller holds the lock)."""
        _append_line(self.path, batch)

    def spill(self, batch: Batch) -> Path:
        """Write *batch* aside without the lock; the next flush merges it."""
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.dir / f"{self.session}.spill-{time.time_ns()}-{os.getpid()}.jsonl"
        _append_line(path, batch)
        return path

    def reject(self, batch: Batch, reason: str) -> None:
        """Keep a batch the daemon will never accept, with the reason (caller holds the lock)."""
        _append_line(self.rejected_path, {**batch, "rejected": reason})

    # -- reading ----------------------------------------------------------------------
    def _spills(self, suffix: str = "") -> list[Path]:
        """This session's spill files, sorted (a listing: ``glob`` compiles a pattern per call)."""
        prefix = f"{self.session}.spill-"
        try:
            names = os.listdir(self.dir)
        except OSError:
            return []
        return sorted(self.dir / n for n in names if n.startswith(prefix) and n.endswith(suffix))

    def load(self) -> list[Batch]:
        """Pending batches, oldest first, with spilled ones merged in (caller holds the lock)."""
        batches = _read_lines(self.path)
        spills = self._spills(".jsonl")
        if spills:
            for spill in spills:
                batches.extend(_read_lines(spill))
            batches.sort(key=lambda b: b.get("ts", 0))
            self.replace(batches)
            for spill in spills:
                try:
                    spill.unlink()
                except OSError:
                    pass
        return batches

    def replace(self, batches: list[Batch]) -> None:
        """Atomically make *batches* the whole outbox (caller holds the lock)."""
        if not batches:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
            return
        tmp = self.path.with_name(f"{self.path.name}.tmp-{os.getpid()}")
        data = "".join(json.dumps(b, ensure_ascii=False) + "\n" for b in batches)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data.encode("utf-8"))
        finally:
            os.close(fd)
        os.replace(tmp, self.path)

    def size(self) -> int:
        """Number of pending batches, without locking (for notices)."""
        return len(_read_lines(self.path)) + len(self._spills())


def _append_line(path: Path, record: Batch) -> None:
    # One os.write per record: a Python signal handler cannot split it, so a batch is
    # either wholly in the file or not at all. A torn tail (power loss) is skipped on read
    # and fenced off with a newline here.
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        if os.fstat(fd).st_size and not _ends_with_newline(path):
            line = b"\n" + line
        os.write(fd, line)
    finally:
        os.close(fd)


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


def _read_lines(path: Path) -> list[Batch]:
    try:
        raw = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    out: list[Batch] = []
    for line in raw.split("\n"):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("events"), list):
            out.append(record)
    return out
