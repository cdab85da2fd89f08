"""One daemon per file data directory: two writers would interleave sequence numbers.

The file store takes an advisory lock on ``<data_dir>/.myco.lock`` when it opens and
releases it when it closes. Stores of the same process share the lock (tests open a second
reader on a directory); another process is refused.
"""

from __future__ import annotations

import os
from pathlib import Path

_HELD: dict[str, tuple[int, int]] = {}  # resolved dir -> (fd, users)


class DataDirLocked(Exception):
    """Another process holds the data directory (or it cannot be used at all)."""


def acquire(data_dir: str | Path) -> str:
    """Lock *data_dir* for this process; returns the key to :func:`release` it with."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no advisory locks to take
        return ""
    path = Path(data_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
        key = str(path.resolve())
    except OSError as exc:
        raise DataDirLocked(f"cannot use data directory {path}: {exc.strerror}") from None
    held = _HELD.get(key)
    if held is not None:
        _HELD[key] = (held[0], held[1] + 1)
        return key
    try:
        fd = os.open(path / ".myco.lock", os.O_CREAT | os.O_RDWR, 0o600)
    except OSError as exc:
        raise DataDirLocked(f"cannot use data directory {path}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise DataDirLocked(f"another myco daemon is already using {path}") from None
    _HELD[key] = (fd, 1)
    return key


def release(key: str) -> None:
    """Give back one use of the lock taken by :func:`acquire`; the last one unlocks."""
    held = _HELD.get(key)
    if held is None:
        return
    fd, users = held
    if users > 1:
        _HELD[key] = (fd, users - 1)
        return
    del _HELD[key]
    os.close(fd)  # closing the descriptor releases the flock


def in_use(data_dir: str | Path) -> bool:
    """Whether a daemon (of any process) holds *data_dir* right now."""
    try:
        import fcntl
    except ImportError:
        return False
    lock = Path(data_dir) / ".myco.lock"
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # also drops the probe's lock when it got one
    return False
