"""Tenant state snapshots: restart in seconds instead of replaying the whole history.

A snapshot is the pickled :class:`~myco.protocol.state.SwarmState` of a tenant (without its
verb registry) plus the remembered client batch ids, tagged with the last sequence number it
includes. On start-up the daemon restores it and replays only the later records. It is only
used when it was written by the same myco version with the same verbs and observers, so a
changed plugin set falls back to a full replay, which always yields the same state.

Snapshots live in the daemon's own store, next to the logs, and are trusted like them.
"""

from __future__ import annotations

import hashlib
import pickle
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import attrs
import structlog

from myco._version import __version__
from myco.protocol.state import SwarmState

if TYPE_CHECKING:
    from myco.registry import VerbRegistry
    from myco.tenants import Tenant

FORMAT = 1
log = structlog.get_logger("myco.snapshots")


def fingerprint(verbs: VerbRegistry) -> str:
    """What the state's shape depends on: myco's version, the verbs and the observers."""
    parts = [__version__, *(f"{s.name}:{s.plugin}" for s in sorted(verbs, key=lambda s: s.name))]
    parts += [
        f"{getattr(o, '__module__', '')}.{getattr(o, '__qualname__', o)}" for o in verbs.observers
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def dump(tenant: Tenant) -> bytes | None:
    """The snapshot of *tenant*, or None when some plugin state cannot be pickled."""
    state = tenant.state
    fields = {f.name: getattr(state, f.name) for f in attrs.fields(SwarmState) if f.name != "verbs"}
    payload = {
        "format": FORMAT,
        "fingerprint": fingerprint(tenant.verbs),
        "state": fields,
        "client_ids": list(tenant.client_ids),
    }
    try:
        return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # a plugin keeps something unpicklable in state.extras
        log.warning("snapshot skipped", tenant=tenant.id[:8], error=str(exc))
        return None


def restore(tenant: Tenant, data: bytes) -> bool:
    """Replace *tenant*'s state with the snapshot; False (state untouched) if unusable."""
    try:
        payload: Any = pickle.loads(data)
    except Exception as exc:
        log.warning(
            "snapshot unreadable, replaying everything", tenant=tenant.id[:8], error=str(exc)
        )
        return False
    if (
        not isinstance(payload, dict)
        or payload.get("format") != FORMAT
        or payload.get("fingerprint") != fingerprint(tenant.verbs)
    ):
        log.info(
            "snapshot from another version or plugin set, replaying everything",
            tenant=tenant.id[:8],
        )
        return False
    state = SwarmState(tenant.verbs)
    for name, value in payload["state"].items():
        setattr(state, name, value)
    tenant.state = state
    tenant.client_ids = OrderedDict((tuple(key), None) for key in payload["client_ids"])
    return True
