"""Per-session tokens: a credential that can act as exactly one session of one tenant.

A session token is derived offline from the tenant token, so no registry of sessions is
needed (``myco token session TOKEN SESSION``)::

    key   = SHA-256("myco-session-key\\0" + tenant_token)          # 32 bytes, per tenant
    mac   = HMAC-SHA256(key, SESSION)                               # SESSION upper-cased
    token = "myco_s_" + SESSION + "_" + tenant_id[:16] + "_" + hex(mac)

The tenant id prefix tells the daemon which key to check the MAC with. The daemon never
stores a tenant token, so it keeps the *key* instead: it learns it the first time it sees
the tenant token (or from ``myco token add``) and persists it in ``<data_dir>/session-keys``
(mode 0600), which is why session tokens keep working across restarts. The key cannot be
turned back into the tenant token, but it can mint session tokens of its tenant: the file is
as sensitive as the data directory itself.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from pathlib import Path

from attrs import frozen

from myco.auth.tokens import file_stamp, tenant_id
from myco.names import session_name

SESSION_TOKEN_PREFIX = "myco_s_"
SESSION_KEYS_FILE = "session-keys"
TENANT_PREFIX_LEN = 16
_KEY_LABEL = b"myco-session-key\0"
_TOKEN_RE = re.compile(
    r"myco_s_(?P<session>[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63})"
    rf"_(?P<tenant>[0-9a-f]{{{TENANT_PREFIX_LEN}}})_(?P<mac>[0-9a-f]{{64}})"
)
_LINE_RE = re.compile(r"(?P<tid>[0-9a-f]{64}) (?P<key>[0-9a-f]{64})")


def session_key(tenant_token: str) -> bytes:
    """The per-tenant HMAC key; a different hash than the tenant id, so it is not public."""
    return hashlib.sha256(_KEY_LABEL + tenant_token.encode("utf-8", "surrogatepass")).digest()


def session_mac(key: bytes, session: str) -> str:
    """Hex HMAC-SHA256 of the canonical session name."""
    return hmac.new(key, session.encode("ascii"), hashlib.sha256).hexdigest()


def session_token(tenant_token: str, session: str) -> str:
    """The token that lets its bearer act as *session* (any case) of the token's tenant.

    Raises :class:`myco.names.InvalidName` for an invalid session name.
    """
    name = session_name(session)
    prefix = tenant_id(tenant_token)[:TENANT_PREFIX_LEN]
    return f"{SESSION_TOKEN_PREFIX}{name}_{prefix}_{session_mac(session_key(tenant_token), name)}"


@frozen
class SessionClaim:
    """What a session token claims; nothing is verified yet."""

    session: str
    tenant_prefix: str
    mac: str


def parse_session_token(token: str) -> SessionClaim | None:
    """The claim of a well-formed session token, else None (then it is a tenant token)."""
    m = _TOKEN_RE.fullmatch(token)
    if m is None:
        return None
    return SessionClaim(m["session"].upper(), m["tenant"], m["mac"])


class SessionKeyStore:
    """Per-tenant session keys, in ``<data_dir>/session-keys``: ``<tenant id> <key hex>``.

    Append-only and re-read when it changes on disk, so ``myco token add`` can register a
    key for a running daemon. Writes are fsync'ed: a restart must not forget a key that
    session tokens already rely on.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._keys: dict[str, bytes] = {}
        #: tenant id prefix (as carried by tokens) -> tenant ids
        self._by_prefix: dict[str, list[str]] = {}
        self._stamp: tuple[int, int, int] | None = None

    def _reload_if_changed(self) -> None:
        stamp = file_stamp(self.path)
        if stamp == self._stamp:
            return
        try:
            text = self.path.read_text(encoding="ascii", errors="replace")
        except FileNotFoundError:
            text, stamp = "", None
        self._keys, self._by_prefix = {}, {}
        for line in text.splitlines():
            m = _LINE_RE.fullmatch(line.strip())
            if m is not None:
                self._remember(m["tid"], bytes.fromhex(m["key"]))
        self._stamp = stamp

    def _remember(self, tid: str, key: bytes) -> None:
        if tid not in self._keys:  # the first line of a tenant counts
            self._keys[tid] = key
            self._by_prefix.setdefault(tid[:TENANT_PREFIX_LEN], []).append(tid)

    def knows(self, tid: str) -> bool:
        """Whether a key is registered for tenant *tid* (memory only: the hot path)."""
        return tid in self._keys

    def register(self, tenant_token: str, tid: str | None = None) -> str:
        """Remember the session key of *tenant_token*'s tenant (idempotent); its tenant id.

        :param tid: the token's tenant id when the caller has it already (saves a hash on
            the hot path: this runs for every request made with a tenant token).
        """
        tid = tid or tenant_id(tenant_token)
        if tid in self._keys:
            return tid
        self._reload_if_changed()
        if tid in self._keys:
            return tid
        key = session_key(tenant_token)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, f"{tid} {key.hex()}\n".encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        self._remember(tid, key)
        self._stamp = None  # re-read on the next lookup: another process may have appended
        return tid

    def verify(self, claim: SessionClaim) -> str | None:
        """The tenant id whose key signed *claim*, or None.

        Every key with the claimed prefix is tried (a prefix collision between tenants is
        harmless) and every comparison is constant-time.
        """
        self._reload_if_changed()
        found = None
        for tid in self._by_prefix.get(claim.tenant_prefix, ()):
            expected = session_mac(self._keys[tid], claim.session)
            if hmac.compare_digest(expected, claim.mac):
                found = tid
        return found
