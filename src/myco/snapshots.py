"""Tenant state snapshots: restart in seconds instead of replaying the whole history.

A snapshot is the pickled :class:`~myco.protocol.state.SwarmState` of a tenant (without its
verb registry) plus the remembered client batch ids, tagged with the last sequence number it
includes. On start-up (or when a lazy tenant is first used) the daemon restores it and
replays only the later records.

Taking one must not stall the event loop: :func:`dump` pickles a consistent copy on the
loop (one C call, no ``await`` in between, so no event is half applied), then
:func:`pack` compresses it in a worker thread and the store writes it there too.

The stored bytes start with :data:`MAGIC`, a two-byte :data:`FORMAT` and the 32-byte
:func:`fingerprint` of the myco version, verb set and observer set that wrote it; a
snapshot whose header differs is never unpickled (unpickling could import another
version's or a removed plugin's classes): the tenant is then replayed in full, which always
yields the same state. Snapshots live in the daemon's own store, next to the logs, and are
trusted like them.
"""

from __future__ import annotations

import hashlib
import pickle
import zlib
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import structlog

from myco._version import __version__
from myco.protocol.state import SwarmState

if TYPE_CHECKING:
    from myco.registry import VerbRegistry
    from myco.tenants import Tenant

#: the first bytes of every snapshot this module writes
MAGIC = b"MYCOSNAP"
#: the layout after :data:`MAGIC`; bump it whenever the payload's shape changes
FORMAT = 4
_HEADER = MAGIC + FORMAT.to_bytes(2, "big")
log = structlog.get_logger("myco.snapshots")


def fingerprint(verbs: VerbRegistry) -> str:
    """What the state's shape depends on: myco's version, the verbs and the observers."""
    parts = [__version__, *(f"{s.name}:{s.plugin}" for s in sorted(verbs, key=lambda s: s.name))]
    parts += [
        f"{getattr(o, '__module__', '')}.{getattr(o, '__qualname__', o)}" for o in verbs.observers
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def dump(tenant: Tenant) -> tuple[bytes, bytes] | None:
    """A consistent, uncompressed copy of *tenant*: ``(fingerprint digest, pickle)``, or
    None when a plugin's state cannot be pickled. Call it on the event loop, then
    :func:`pack` the result in a thread."""
    fields = tenant.state.__getstate__()  # without the derived data
    del fields["verbs"]  # the registry is the daemon's, not the tenant's
    payload = {"state": fields, "client_ids": list(tenant.client_ids)}
    try:
        return bytes.fromhex(fingerprint(tenant.verbs)), pickle.dumps(
            payload, protocol=pickle.HIGHEST_PROTOCOL
        )
    except Exception as exc:  # a plugin keeps something unpicklable in state.extras
        log.warning("snapshot skipped", tenant=tenant.id[:8], error=str(exc))
        return None


def pack(dumped: tuple[bytes, bytes]) -> bytes:
    """The stored form of :func:`dump`'s result: header, then compressed (slow: a thread)."""
    digest, raw = dumped
    return _HEADER + digest + zlib.compress(raw, 1)


def unpack(data: bytes, verbs: VerbRegistry) -> Any:
    """The payload of stored snapshot *data*, or None when it is of another format,
    version or plugin set than *verbs*' (never unpickled then) or damaged. Slow for a
    large tenant: call it in a thread."""
    header = _HEADER + bytes.fromhex(fingerprint(verbs))
    if not data.startswith(header):
        return None
    try:
        return pickle.loads(zlib.decompress(data[len(header) :]))
    except Exception:
        return None


def restore(tenant: Tenant, payload: Any) -> bool:
    """Replace *tenant*'s state with an :func:`unpack`-ed snapshot; False (state
    untouched) when there is none: missing, damaged, or of another format, version or
    plugin set."""
    if not (
        isinstance(payload, dict)
        and isinstance(payload.get("state"), dict)
        and isinstance(payload.get("client_ids"), list)
    ):
        log.info(
            "snapshot of another format, version or plugin set: replaying everything",
            tenant=tenant.id[:8],
        )
        return False
    state = SwarmState(tenant.verbs)
    for name, value in payload["state"].items():
        setattr(state, name, value)
    state.reindex_questions()
    tenant.state = state
    tenant.client_ids = OrderedDict((tuple(key), None) for key in payload["client_ids"])
    return True
