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

import os
import time

from myco.agent_hooks import jsonlite
from myco.agent_hooks.deadline import Deadline

TYPE_CHECKING = False
if TYPE_CHECKING:
    from os import PathLike
    from types import TracebackType
    from typing import Any

    #: one post as queued: ``{"id", "session", "events", "ts", "agent"}`` (``runtime.new_batch``)
    Batch = dict[str, Any]
else:
    Batch = dict

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locking, single writer assumed
    fcntl = None  # type: ignore[assignment]

_join = os.path.join


class Outbox:
    """The outbox of one session for one daemon and tenant.

    Adapters rarely touch it: :func:`myco.agent_hooks.runtime.deliver` queues and flushes.
    *directory* is ``<state>/outbox/<tenant-key>``; methods that say "caller holds the
    lock" must run inside ``with outbox.locked(deadline) as have_lock:``. Paths are
    strings (:func:`os.path.join`): :mod:`pathlib` would cost every hook its import.
    """

    def __init__(self, directory: str | PathLike[str], session: str) -> None:
        self.dir = os.fspath(directory)
        self.session = session
        self.path = _join(self.dir, f"{session}.jsonl")
        self.lock_path = _join(self.dir, f"{session}.lock")
        self.rejected_path = _join(self.dir, f"{session}.rejected.jsonl")

    # -- locking ----------------------------------------------------------------------
    def locked(self, deadline: Deadline) -> _Lock:
        """Hold the session's lock; ``as`` gives False if it could not be had before the
        deadline (:mod:`contextlib` is not imported on the hook path)."""
        return _Lock(self, deadline)

    # -- writing ----------------------------------------------------------------------
    def append(self, batch: Batch) -> None:
        """Add *batch* at the end (caller holds the lock)."""
        _append_line(self.path, batch)

    def spill(self, batch: Batch) -> str:
        """Write *batch* aside without the lock; the next flush merges it."""
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        path = _join(self.dir, f"{self.session}.spill-{time.time_ns()}-{os.getpid()}.jsonl")
        _append_line(path, batch)
        return path

    def reject(self, batch: Batch, reason: str) -> None:
        """Keep a batch the daemon will never accept, with the reason (caller holds the lock)."""
        _append_line(self.rejected_path, {**batch, "rejected": reason})

    # -- reading ----------------------------------------------------------------------
    def _spills(self, suffix: str = "") -> list[str]:
        """This session's spill files, sorted (a listing: ``glob`` compiles a pattern per call)."""
        prefix = f"{self.session}.spill-"
        try:
            names = os.listdir(self.dir)
        except OSError:
            return []
        return sorted(
            _join(self.dir, n) for n in names if n.startswith(prefix) and n.endswith(suffix)
        )

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
                    os.unlink(spill)
                except OSError:
                    pass
        return batches

    def replace(self, batches: list[Batch]) -> None:
        """Atomically make *batches* the whole outbox (caller holds the lock)."""
        if not batches:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            return
        tmp = f"{self.path}.tmp-{os.getpid()}"
        data = "".join(jsonlite.dumps(b, ensure_ascii=False) + "\n" for b in batches)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data.encode("utf-8"))
        finally:
            os.close(fd)
        os.replace(tmp, self.path)

    def size(self) -> int:
        """Number of pending batches, without locking (for notices)."""
        return len(_read_lines(self.path)) + len(self._spills())


class _Lock:
    """``with outbox.locked(deadline) as have_lock:`` (a ``flock`` on the session's lock file)."""

    def __init__(self, outbox: Outbox, deadline: Deadline) -> None:
        self.outbox = outbox
        self.deadline = deadline
        self.fd = -1

    def __enter__(self) -> bool:
        os.makedirs(self.outbox.dir, mode=0o700, exist_ok=True)
        self.fd = os.open(self.outbox.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            return self._acquire()
        except BaseException:  # the watchdog fired: do not leak the descriptor
            self.__exit__(None, None, None)
            raise

    def _acquire(self) -> bool:
        got = fcntl is None
        while not got:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                got = True
            except OSError:
                if self.deadline.remaining() < 0.02:
                    break
                time.sleep(0.01)
        return got

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # releases the flock
            self.fd = -1


def _append_line(path: str, record: Batch) -> None:
    # One os.write per record: a Python signal handler cannot split it, so a batch is
    # either wholly in the file or not at all. A torn tail (power loss) is skipped on read
    # and fenced off with a newline here.
    line = (jsonlite.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        if os.fstat(fd).st_size and not _ends_with_newline(path):
            line = b"\n" + line
        os.write(fd, line)
    finally:
        os.close(fd)


def _ends_with_newline(path: str) -> bool:
    with open(path, "rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


def _read_lines(path: str) -> list[Batch]:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            raw = f.read()
    except OSError:
        return []
    out: list[Batch] = []
    for line in raw.split("\n"):
        try:
            record = jsonlite.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("events"), list):
            out.append(record)
    return out
