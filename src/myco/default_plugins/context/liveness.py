"""Session liveness from lifecycle hooks: working, awaiting-human, idle, ended, stale.

The state a session's hooks last reported (:mod:`.ledger`, verb ``live``) ages: a session
that is neither ended nor waiting for its human and that no hook has heard from for
``stale_minutes`` is *stale* (its CLI died without a SessionEnd). A session no lifecycle
hook ever reported on (hooks wired by hand, an older myco) is *active* or *stale* by the
time of its last event. PEERS and SESSIONS show the liveness of every session a hook
reported on (:func:`presence`, the plugin's ``verbs.presence`` provider); PEERS leaves out
ended and stale sessions after ``gone_minutes``.
"""

from __future__ import annotations

from myco.names import DIRECTOR
from myco.protocol.state import SwarmState
from myco.registry import Presence

from .ledger import ledger
from .settings import MINUTE_MS, SETTINGS

#: states worth a marker in views; everything else reads as plain text
WAITING = "awaiting-human"


def liveness(state: SwarmState, name: str, now_ms: int) -> tuple[str, int]:
    """(state, since ms) of session *name*."""
    live = ledger(state).live.get(name)
    s = state.sessions.get(name)
    last = s.last_seen_ms if s is not None and s.last_seen_ms is not None else None
    stale_ms = SETTINGS.stale_minutes * MINUTE_MS
    if live is None:
        if last is None:
            return "unknown", now_ms
        return ("stale", last) if now_ms - last > stale_ms else ("active", last)
    what = "working" if live.state == "started" else live.state
    if what in ("ended", WAITING):
        return what, live.since_ms
    heard = max(live.since_ms, last or 0)
    if now_ms - heard > stale_ms:
        return "stale", heard
    return what, live.since_ms


def gone(state: SwarmState, name: str, now_ms: int) -> bool:
    """Ended or stale for longer than ``gone_minutes``: left out of worker views."""
    what, since = liveness(state, name, now_ms)
    return what in ("ended", "stale") and now_ms - since > SETTINGS.gone_minutes * MINUTE_MS


def presence(state: SwarmState, name: str, now_ms: int) -> Presence | None:
    """The provider behind PEERS, SESSIONS and the dashboard (``verbs.presence``).

    Nothing until some lifecycle hook of the swarm reported (a swarm without them shows
    what its events say, as the reference does), nor for a name no session ever used.
    """
    book = ledger(state)
    if not book.live:
        return None
    s = state.sessions.get(name)
    if name not in book.live and (s is None or s.last_seen_ms is None):
        return None
    what, since = liveness(state, name, now_ms)
    gone_ms = SETTINGS.gone_minutes * MINUTE_MS
    return Presence(what, since, what in ("ended", "stale") and now_ms - since > gone_ms)


def section(state: SwarmState, me: str, now_ms: int, limit: int) -> list[str]:
    """LIVENESS in the markdown view: nothing, since PEERS and SESSIONS show each
    session's liveness (:func:`presence`); the JSON view keeps the section's :func:`data`."""
    return []


def data(state: SwarmState, me: str, now_ms: int) -> dict[str, dict[str, object]]:
    """The JSON view's LIVENESS: session -> state and since (ms), as LIVENESS lists them."""
    out: dict[str, dict[str, object]] = {}
    if not ledger(state).live:
        return out  # as the section: nothing until a lifecycle hook reported
    for name in sorted(state.sessions):
        s = state.sessions[name]
        if name == me or (s.last_seen_ms is None and name not in ledger(state).live):
            continue
        if me != DIRECTOR and gone(state, name, now_ms):
            continue
        what, since = liveness(state, name, now_ms)
        out[name] = {"state": what, "since_ms": since}
    return out
