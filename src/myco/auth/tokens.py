"""Bearer tokens: tenant ids, strength rules and the registry of closed-mode tokens.

A tenant is named by the SHA-256 of its token, so the daemon never needs to keep a raw
token anywhere: the token store for ``--tenants closed`` holds hashes only.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import secrets
from collections import Counter
from pathlib import Path

MIN_LENGTH = 32
MIN_ENTROPY_BITS = 80.0
TOKEN_PREFIX = "myco_"
TOKENS_FILE = "tokens"

_HEX_DIGITS = frozenset("0123456789abcdef")


def tenant_id(token: str) -> str:
    """The tenant a token selects: lowercase hex SHA-256 of its UTF-8 bytes.

    ``surrogatepass`` keeps this total: a header decoded with escapes still hashes
    instead of crashing the request.
    """
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def entropy_bits(token: str) -> float:
    """Estimated entropy: Shannon entropy of the character distribution × length.

    Computed as ``Σ count·log2(n/count)`` so a one-character alphabet gives ``0.0``
    (never ``-0.0`` in a message).
    """
    n = len(token)
    if n == 0:
        return 0.0
    return sum(c * math.log2(n / c) for c in Counter(token).values())


def strength_problem(token: str) -> str | None:
    """Why *token* may not create a tenant, or None; guessable tokens would share swarms."""
    if len(token) < MIN_LENGTH:
        return f"token too short (min {MIN_LENGTH} chars)"
    bits = entropy_bits(token)
    if bits < MIN_ENTROPY_BITS:
        return f"token too weak (low entropy: {bits:.1f} < {MIN_ENTROPY_BITS:.0f} bits)"
    return None


def new_token() -> str:
    """A fresh random token that always passes :func:`strength_problem`."""
    while True:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        if strength_problem(token) is None:
            return token


def _is_hash(value: str) -> bool:
    return len(value) == 64 and set(value) <= _HEX_DIGITS


def file_stamp(path: Path) -> tuple[int, int, int] | None:
    """What tells a changed file apart: mtime, size and inode (None when missing).

    mtime alone can miss two writes within one timestamp tick; size and inode help.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class TokenStore:
    """Hashes of the tokens a closed daemon accepts (``<data_dir>/tokens``).

    One SHA-256 hex per line, optionally followed by ``# label``; lines starting with
    ``#`` are comments. The file is re-read whenever it changes on disk, so ``myco token
    add`` takes effect on a running daemon without a restart.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._hashes: list[str] = []
        self._stamp: tuple[int, int, int] | None = None

    def _reload_if_changed(self) -> None:
        stamp = file_stamp(self.path)
        if stamp == self._stamp:
            return
        hashes: list[str] = []
        if stamp is not None:
            try:
                text = self.path.read_text(encoding="utf-8", errors="replace")
            except FileNotFoundError:
                text, stamp = "", None
            for line in text.splitlines():
                value = line.split("#", 1)[0].strip().lower()
                if _is_hash(value) and value not in hashes:
                    hashes.append(value)
        self._hashes = hashes
        self._stamp = stamp

    def hashes(self) -> list[str]:
        """The registered tenant ids, in file order."""
        self._reload_if_changed()
        return list(self._hashes)

    def __len__(self) -> int:
        return len(self.hashes())

    def contains(self, tid: str) -> bool:
        """Whether tenant *tid* is registered.

        Compares against every stored hash with :func:`hmac.compare_digest` and never
        stops early, so timing reveals neither which entry matched nor how many did not.
        """
        self._reload_if_changed()
        candidate = tid.lower().encode("ascii", "replace")
        found = False
        for stored in self._hashes:
            found |= hmac.compare_digest(stored.encode("ascii"), candidate)
        return found

    def add(self, token: str, label: str = "") -> str:
        """Register *token* (idempotent) and return its tenant id.

        Only the hash is written; the file is created ``0600`` because even hashes tell
        an attacker which tenants exist.
        """
        tid = tenant_id(token)
        if self.contains(tid):
            return tid
        label = " ".join(label.split())  # one line, whatever the caller passed
        line = f"{tid}  # {label}\n" if label else f"{tid}\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)
            size = os.fstat(fd).st_size
            prefix = ""
            if size:
                with open(self.path, "rb") as f:
                    f.seek(size - 1)
                    if f.read(1) != b"\n":
                        prefix = "\n"  # a hand-edited file without a final newline
            os.write(fd, (prefix + line).encode("utf-8"))
        finally:
            os.close(fd)
        self._stamp = None  # force a re-read: keeps in-memory and on-disk views identical
        self._reload_if_changed()
        return tid
