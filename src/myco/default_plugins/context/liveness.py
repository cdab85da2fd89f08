"""Session liveness from lifecycle hooks: working, awaiting-human, idle, ended, stale.

The state a session's hooks last reported (:mod:`.ledger`, verb ``live``) ages: a session
that is neither ended nor waiting for its human and that no hook has heard from for
``stale_minutes`` is *stale* (its CLI died without a SessionEnd). A session no lifecycle
hook ever reported on (hooks wired by hand, an older myco) is *active* or *stale* by the
time of its last event. Worker views leave out ended and stale sessions after
``gone_minutes``.
"""

from __future__ import annotations

from myco import clock
from myco.names import DIRECTOR
from myco.protocol.state import SwarmState

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


def label(state: SwarmState, name: str, now_ms: int) -> str:
    what, since = liveness(state, name, now_ms)
    if what == "unknown":
        return "unknown"
    return f"{what} {clock.age_label(max(0, now_ms - since))}"


def section(state: SwarmState, me: str, now_ms: int, limit: int) -> list[str]:
    """LIVENESS: one line per session that reported anything (workers: not gone ones)."""
    names = [n for n in state.sessions if n != me]
    book = ledger(state)
    if not book.live:
        return []  # no lifecycle hook has reported yet: nothing better than PEERS to say
    lines = []
    for name in sorted(names):
        s = state.sessions[name]
        if s.last_seen_ms is None and name not in book.live:
            continue  # only named as a target: not a session that ever ran
        if me != DIRECTOR and gone(state, name, now_ms):
            continue
        lines.append(f"- {name}: {label(state, name, now_ms)}")
        if len(lines) >= limit:
            break
    return lines


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
