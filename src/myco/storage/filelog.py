"""On-disk format of the file backend: names, log lines, replay parsing and fsync helpers.

Kept free of asyncio so the heavy parts (``load``) can run in a worker thread. A log line
we write is ``<ts>;<seq>[;<client_id>] <SESSION> <line>``; the reference implementation's
own lines (``<ts> <SESSION> <line>``, no seq) are read as "legacy" lines.
"""

from __future__ import annotations

import errno
import gc
import os
import re
import stat
from collections.abc import Iterable, Sequence
from contextlib import suppress
from operator import attrgetter

from myco import clock
from myco.protocol.events import Record

_TENANT_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,254}")
_CLIENT_RE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_BAD_NAME_CHARS = ("/", "\\", "\0")
#: never follow a symlink out of the tenant, never block on a FIFO
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_by_seq = attrgetter("seq")


def is_tenant_id(name: object) -> bool:
    """True when *name* is safe as one directory name (real ids are sha256 hex)."""
    return isinstance(name, str) and _TENANT_RE.fullmatch(name) is not None


def check_tenant(tenant_id: object) -> str:
    """The tenant id, or ValueError when it could address anything but its own directory."""
    if not isinstance(tenant_id, str) or not _TENANT_RE.fullmatch(tenant_id):
        raise ValueError(f"invalid tenant id {tenant_id!r}")
    return tenant_id


def check_name(name: object, what: str = "name") -> str:
    """A session or message name that cannot escape its directory (else ValueError).

    The daemon validates names already; this is the backend's own line of defence.
    """
    if (
        not isinstance(name, str)
        or not name
        or name.startswith(".")
        or any(c in name for c in _BAD_NAME_CHARS)
    ):
        raise ValueError(f"invalid {what} {name!r}")
    return name


def check_session(session: object) -> str:
    """The canonical (upper-case) session; no whitespace, which would break a log line."""
    name = check_name(session, "session")
    if name.split() != [name]:
        raise ValueError(f"invalid session {name!r}")
    return name.upper()


def check_client_id(client_id: object) -> str:
    """The client id ("" for none); its charset keeps it one ``;``-free header field."""
    if not isinstance(client_id, str) or (client_id and not _CLIENT_RE.fullmatch(client_id)):
        raise ValueError(f"invalid client id {client_id!r}")
    return client_id


def check_lines(lines: object) -> list[str]:
    """The lines of one append, or ValueError before anything is written.

    A newline would split a record in two (a forged event after replay, reference §10.3).
    """
    if isinstance(lines, (str, bytes)) or not isinstance(lines, Sequence):
        raise ValueError("lines must be a sequence of strings")
    out = list(lines)
    for i, line in enumerate(out):
        if not isinstance(line, str):
            raise ValueError(f"lines[{i}] is not a string")
        if "\n" in line or "\r" in line:
            raise ValueError(f"lines[{i}] contains a line break")
        if not line or line.isspace():
            raise ValueError(f"lines[{i}] is blank")
    return out


def format_lines(
    ts_ms: int, first_seq: int, client_id: str, session: str, lines: Sequence[str]
) -> bytes:
    """The bytes of one append: every line, newline-terminated, ready for a single write."""
    ts = clock.iso_ms(ts_ms)
    cid = f";{client_id}" if client_id else ""
    return "".join(
        f"{ts};{first_seq + i}{cid} {session} {line}\n" for i, line in enumerate(lines)
    ).encode("utf-8")


def _own_ts(tok: str, minutes: dict[str, int | None]) -> int:
    """Milliseconds of our ``2026-11-25T13:12:39.123Z``, filling the per-minute cache."""
    if len(tok) == 24 and tok[16] == ":" and tok[19] == "." and tok[23] == "Z":
        key = tok[:17]
        if key not in minutes:
            minutes[key] = clock.parse_iso(key + "00Z")
        base = minutes[key]
        if base is not None:
            try:
                return base + int(tok[17:19] + tok[20:23])
            except ValueError:
                pass
    return clock.parse_iso(tok) or 0


def _parse_file(
    path: str,
    session: str,
    file_no: int,
    own: list[Record],
    legacy: list[tuple[int, int, int, str, str]],
    minutes: dict[str, int | None],
    legacy_ts: dict[str, int],
    after: int = 0,
) -> int:
    """Add one file's complete lines to *own* (seq'd) and *legacy* (ts, file, index, ...).

    The hot loop for replay speed: plain splits, no regex, no per-line function calls for
    our own timestamps (the minute prefix is cached, seconds and millis are sliced off).
    """
    with open(path, "rb") as f:
        data = f.read()
    lines = data.decode("utf-8", "replace").split("\n")
    lines.pop()  # "" after the last newline, or a torn tail left by a crash
    add = own.append
    get_minute = minutes.get
    skipped_top = 0
    for idx, raw in enumerate(lines):
        parts = raw.split(" ", 2)
        head = parts[0].split(";")
        n = len(head)
        if n == 1:  # the reference's "<ts> <SESSION> <line>"
            parts = raw.split(None, 2)
            if len(parts) < 3:
                continue
            tok = parts[0]
            ts = legacy_ts.get(tok)
            if ts is None:
                ts = legacy_ts[tok] = clock.parse_iso(tok) or 0
            legacy.append((ts, file_no, idx, session, parts[2].rstrip()))
            continue
        if n > 3 or len(parts) < 3:
            continue
        line = parts[2]
        if not line or line.isspace():
            continue
        tok = head[0]
        try:
            seq = int(head[1])
        except ValueError:
            continue
        if seq <= after:  # already in the caller's snapshot: skip before building a record
            if seq > skipped_top:
                skipped_top = seq
            continue
        base = get_minute(tok[:17])
        if base is None or len(tok) != 24 or tok[19] != "." or tok[23] != "Z":
            ts = _own_ts(tok, minutes)
        else:
            try:
                ts = base + int(tok[17:19] + tok[20:23])
            except ValueError:
                ts = _own_ts(tok, minutes)
        add(Record(seq, ts, session, line, head[2] if n == 3 else ""))
    return skipped_top


def log_files(log_dir: str) -> list[str]:
    """Names of the ``*.log`` files of a log directory, sorted (reference: glob order)."""
    try:
        with os.scandir(log_dir) as it:
            names = [
                e.name
                for e in it
                if e.name.endswith(".log") and not e.name.startswith(".") and e.is_file()
            ]
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(names)


def load(log_dir: str, after: int = 0) -> tuple[list[Record], int]:
    """Every record of a log directory with seq > *after* in seq order, and the highest seq.

    Legacy lines come first, ordered by (time, file name, line) and numbered 1..n; our own
    lines follow in seq order. The session is the file's stem, upper-cased.
    """
    skipped_top = 0
    own: list[Record] = []
    legacy: list[tuple[int, int, int, str, str]] = []
    minutes: dict[str, int | None] = {}
    legacy_ts: dict[str, int] = {}
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a million new objects would trigger many useless collections
    try:
        for no, name in enumerate(log_files(log_dir)):
            path = os.path.join(log_dir, name)
            top_here = _parse_file(
                path, name[:-4].upper(), no, own, legacy, minutes, legacy_ts, after
            )
            skipped_top = max(skipped_top, top_here)
    finally:
        if gc_was_enabled:
            gc.enable()
    legacy.sort()
    out = [
        Record(i, ts, sess, line) for i, (ts, _, _, sess, line) in enumerate(legacy, 1) if i > after
    ]
    own.sort(key=_by_seq)  # files are seq-sorted runs: timsort merges them in C
    top = max(len(legacy), skipped_top, own[-1].seq if own else 0)
    out.extend(own)
    return out, top


def repair_tail(fd: int) -> int:
    """Cut a torn last line (no newline after a crash) so the next one is not glued to it.

    Returns the number of bytes removed.
    """
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return 0
    end = size
    keep = 0
    while end > 0:
        start = max(0, end - 65536)
        block = os.pread(fd, end - start, start)
        nl = block.rfind(b"\n")
        if nl >= 0:
            keep = start + nl + 1
            break
        end = start
    if keep != size:
        os.ftruncate(fd, keep)
    return size - keep


def write_all(fd: int, data: bytes) -> None:
    """Write *data* with one ``os.write`` (looping only on a short write).

    On failure the bytes already written are cut again so no partial line stays behind.
    """
    done = 0
    view = memoryview(data)
    try:
        while done < len(data):
            done += os.write(fd, view[done:])
    except OSError:
        if done:
            with suppress(OSError):
                os.ftruncate(fd, os.fstat(fd).st_size - done)
        raise


def fsync_paths(paths: Iterable[str]) -> None:
    """fsync files or directories by path (in a worker thread); vanished ones are skipped.

    fsync flushes the file, whichever descriptor names it, so the appending fd may be
    closed (LRU) or busy meanwhile.
    """
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(fd)
        except OSError:
            if not os.path.isdir(path):
                raise  # some platforms cannot fsync a directory; a file must sync
        finally:
            os.close(fd)


def create_file(path: str, data: bytes) -> bool:
    """Create *path* holding *data*; False if it exists. No partial file is left behind."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    try:
        write_all(fd, data)
    except BaseException:
        os.close(fd)
        with suppress(OSError):
            os.unlink(path)
        raise
    os.close(fd)
    return True


def read_regular(path: str) -> bytes | None:
    """The bytes of a regular file; None when missing, a directory, a symlink or a FIFO."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.ELOOP):
            return None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def migrate(data_dir: str, tenants_dir: str) -> bool:
    """Rename the reference's pre-tenant ``channels/`` to ``tenants/`` (§8.1), once."""
    old = os.path.join(data_dir, "channels")
    if os.path.isdir(old) and not os.path.lexists(tenants_dir):
        os.rename(old, tenants_dir)
        return True
    return False
