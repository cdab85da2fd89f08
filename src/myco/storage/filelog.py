"""On-disk format of the file backend: names, log lines, replay parsing and fsync helpers.

Kept free of asyncio so the heavy parts (``load``, ``read_after``) can run in a worker
thread. A log line we write is ``<ts>;<seq>[;<client_id>]#<crc> <SESSION> <line>``, where
``<crc>`` is the CRC-32 (8 hex digits) of the line without ``#<crc>`` and its newline: every
record can be verified, and the reference's ``<ts> <SESSION> <line>`` layout stays readable.
The reference implementation's own lines (``<ts> <SESSION> <line>``, no seq) are read as
"legacy" lines, and so are myco's lines from before checksums (no ``#<crc>``) -- but only
until the first checksummed line of a file: after it, a line that does not verify is a bad
record, skipped and reported (file and line number), never applied.
"""

from __future__ import annotations

import errno
import gc
import os
import re
import stat
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from heapq import merge
from itertools import islice
from operator import attrgetter

from attrs import define, field

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
    out = []
    for i, line in enumerate(lines):
        head = f"{ts};{first_seq + i}{cid}".encode()
        tail = f" {session} {line}".encode()
        out.append(b"%s#%08x%s\n" % (head, zlib.crc32(tail, zlib.crc32(head)), tail))
    return b"".join(out)


#: a bad record is reported for its first few lines per file, then only counted
BAD_REPORTED_PER_FILE = 20


@define
class LoadReport:
    """What replay found besides records: bad lines, and the top seq of every file."""

    #: (file path, 1-based line number, reason), the first few per file
    bad: list[tuple[str, int, str]] = field(factory=list)
    bad_count: int = 0
    #: file name -> highest seq of a verified record in it
    tops: dict[str, int] = field(factory=dict)
    #: file name -> byte offset where checksums became mandatory (its first checked line)
    unchecked_end: dict[str, int] = field(factory=dict)
    #: reference lines (no seq), numbered 1..n before myco's own
    legacy: int = 0
    #: the lowest seq of myco's own records (0: none)
    first_own: int = 0

    def add_bad(self, path: str, lineno: int, reason: str, reported: int) -> int:
        self.bad_count += 1
        if reported < BAD_REPORTED_PER_FILE:
            self.bad.append((path, lineno, reason))
        return reported + 1


def _verified(raw: bytes, sp: int) -> bool | None:
    """True/False when the head of *raw* carries a checksum that does/does not match;
    None when it carries none (a legacy line)."""
    if sp < 10 or raw[sp - 9] != 0x23:  # "#"
        return None
    try:
        want = int(raw[sp - 8 : sp], 16)
    except ValueError:
        return False
    return zlib.crc32(raw[sp:], zlib.crc32(raw[: sp - 9])) == want


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
    report: LoadReport,
    after: int = 0,
) -> int:
    """Add one file's complete lines to *own* (seq'd) and *legacy* (ts, file, index, ...).

    Returns the highest seq seen (bad lines that claim one included: a seq is never
    reused). Bad lines go to *report*. The hot loop for replay speed: plain splits, no
    regex, our own timestamps sliced with a per-minute cache.
    """
    with open(path, "rb") as f:
        data = f.read()
    raws = data.split(b"\n")
    raws.pop()  # b"" after the last newline, or a torn tail left by a crash
    # Decoded once as a whole (fast); byte lines and text lines correspond one to one.
    texts = data.decode("utf-8", "replace").split("\n")
    add = own.append
    get_minute = minutes.get
    crc32 = zlib.crc32
    top = 0
    checked = False
    reported = 0
    offset = 0
    unchecked_end = len(data)
    for idx, raw in enumerate(raws):
        sp = raw.find(b" ")
        crc = sp > 9 and raw[sp - 9] == 0x23  # "#": the line carries a checksum
        if not checked:
            start = offset
            offset += len(raw) + 1
            if crc:
                checked = True
                unchecked_end = start
        elif not crc:
            if raw.strip():
                reported = report.add_bad(path, idx + 1, "no checksum", reported)
            continue
        parts = texts[idx].split(" ", 2)
        head = parts[0][:-9] if crc else parts[0]
        fields = head.split(";")
        n = len(fields)
        if n == 1 and not crc:  # the reference's "<ts> <SESSION> <line>"
            parts = texts[idx].split(None, 2)
            if len(parts) < 3:
                continue
            tok = parts[0]
            ts = legacy_ts.get(tok)
            if ts is None:
                ts = legacy_ts[tok] = clock.parse_iso(tok) or 0
            legacy.append((ts, file_no, idx, session, parts[2].rstrip()))
            continue
        try:
            seq = int(fields[1]) if n > 1 else 0
        except ValueError:
            seq = 0
        if seq and (not report.first_own or seq < report.first_own):
            report.first_own = seq
        if seq <= after and seq:
            if seq > top:
                top = seq
            continue  # in the caller's snapshot already: not even verified again
        if crc:
            try:
                good = crc32(raw[sp:], crc32(raw[: sp - 9])) == int(raw[sp - 8 : sp], 16)
            except ValueError:
                good = False
            if not good:
                if top < seq < 1 << 53:
                    top = seq  # a damaged record's seq is never handed out again
                reported = report.add_bad(path, idx + 1, "checksum mismatch", reported)
                continue
        if seq > top:
            top = seq
        if not seq or n > 3 or len(parts) < 3 or not parts[2] or parts[2].isspace():
            if crc:
                reported = report.add_bad(path, idx + 1, "malformed record", reported)
            continue
        if crc and parts[1] != session and parts[1].upper() != session:
            reported = report.add_bad(path, idx + 1, f"written for {parts[1]!r}", reported)
            continue
        tok = fields[0]
        base = get_minute(tok[:17])
        if base is None or len(tok) != 24 or tok[19] != "." or tok[23] != "Z":
            ts = _own_ts(tok, minutes)
        else:
            try:
                ts = base + int(tok[17:19] + tok[20:23])
            except ValueError:
                ts = _own_ts(tok, minutes)
        add(Record(seq, ts, session, parts[2], fields[2] if n == 3 else ""))
    name = os.path.basename(path)
    report.tops[name] = top
    report.unchecked_end[name] = unchecked_end if checked else len(data)
    return top


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


def load(log_dir: str, after: int = 0) -> tuple[list[Record], int, LoadReport]:
    """Every record of a log directory with seq > *after* in seq order, the highest seq,
    and what else was found (bad lines, per-file tops).

    Legacy lines come first, ordered by (time, file name, line) and numbered 1..n; our own
    lines follow in seq order. The session is the file's stem, upper-cased. Of two verified
    records with one seq (a copied line), the first is kept and the other reported.
    """
    report = LoadReport()
    top = 0
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
                path, name[:-4].upper(), no, own, legacy, minutes, legacy_ts, report, after
            )
            top = max(top, top_here)
    finally:
        if gc_was_enabled:
            gc.enable()
    legacy.sort()
    if report.first_own and len(legacy) >= report.first_own:
        # Reference lines are numbered 1..n before myco's first record: more of them (a
        # reference hook appending after myco took over) would reuse myco's seqs.
        names = log_files(log_dir)
        for _, file_no, idx, _, _ in legacy[report.first_own - 1 :]:
            report.add_bad(
                os.path.join(log_dir, names[file_no]),
                idx + 1,
                "reference line after myco's own records",
                0,
            )
        del legacy[report.first_own - 1 :]
    report.legacy = len(legacy)
    out = [
        Record(i, ts, sess, line) for i, (ts, _, _, sess, line) in enumerate(legacy, 1) if i > after
    ]
    own.sort(key=_by_seq)  # files are seq-sorted runs: timsort merges them in C
    last = repeated = 0
    for rec in own:
        if rec.seq <= last:
            where = os.path.join(log_dir, f"{rec.session}.log")
            repeated = report.add_bad(where, 0, f"seq {rec.seq} repeated", repeated)
            continue
        last = rec.seq
        out.append(rec)
    return out, max(len(legacy), top), report


def read_after(
    log_dir: str, files: Iterable[tuple[str, int]], after: int, limit: int
) -> list[Record]:
    """At most *limit* records with seq > *after*, in seq order, read from *files*.

    *files* are ``(file name, offset where checksums became mandatory)``, only those that
    hold a seq above *after*. Each file is entered by binary search on its (seq-sorted)
    records, so the cost follows the page, not the history.
    """
    streams = [
        _records_from(os.path.join(log_dir, n), n[:-4].upper(), end, after) for n, end in files
    ]
    return list(islice(merge(*streams, key=_by_seq), limit))


def _own_record(raw: bytes, session: str, checked_only: bool) -> Record | None:
    """One of our lines as a record, or None (legacy, damaged, or not verifiable)."""
    sp = raw.find(b" ")
    if sp <= 0:
        return None
    ok = _verified(raw, sp)
    if ok is False or (ok is None and checked_only):
        return None
    head = raw[: sp - 9] if ok else raw[:sp]
    fields = head.decode("ascii", "replace").split(";")
    if not 2 <= len(fields) <= 3 or not fields[1].isdigit():
        return None
    rest = raw[sp + 1 :].decode("utf-8", "replace").split(" ", 1)
    if len(rest) < 2 or not rest[1] or rest[1].isspace() or (ok and rest[0].upper() != session):
        return None
    ts = _own_ts(fields[0], {})
    return Record(int(fields[1]), ts, session, rest[1], fields[2] if len(fields) == 3 else "")


#: bytes of a session log that ``read_after`` reads line by line after bisecting
BISECT_SPAN = 4096


def _seq_at_most(raw: bytes, after: int) -> bool:
    """True when *raw*'s head names a seq <= *after* (what a page skips), cheaply.

    Only the seq field is read: a line skipped here is never returned, so it needs no
    checksum; a damaged one that looks later is parsed and verified as usual.
    """
    sp = raw.find(b" ", 0, 120)
    fields = raw[:sp].split(b";", 2) if sp > 0 else ()
    if len(fields) < 2:
        return False
    seq = fields[1].partition(b"#")[0]
    return seq.isdigit() and int(seq) <= after


def _records_from(path: str, session: str, unchecked_end: int, after: int) -> Iterator[Record]:
    """The records of one file with seq > *after*, found by bisecting byte offsets."""
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed when the generator ends
    except OSError:
        return
    with f:
        size = os.fstat(f.fileno()).st_size
        lo, hi = 0, size  # every record starting before lo has seq <= after
        while hi - lo > BISECT_SPAN:
            mid = (lo + hi) // 2
            f.seek(mid - 1)
            f.readline()  # to the next line start
            found: tuple[int, int] | None = None
            while f.tell() < hi:
                pos = f.tell()
                raw = f.readline()
                if not raw.endswith(b"\n"):
                    break
                rec = _own_record(raw[:-1], session, pos >= unchecked_end)
                if rec is not None:
                    found = (f.tell(), rec.seq)
                    break
            if found is None or found[1] > after:
                hi = mid
            else:
                lo = found[0]
        f.seek(lo)
        last = after
        while True:
            pos = f.tell()
            raw = f.readline()
            if not raw.endswith(b"\n"):
                return  # end of file, or a torn last line
            if last == after and _seq_at_most(raw, after):
                continue  # before the page: not parsed nor verified (it is never returned)
            rec = _own_record(raw[:-1], session, pos >= unchecked_end)
            if rec is not None and rec.seq > last:
                last = rec.seq
                yield rec


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
