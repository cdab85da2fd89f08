"""The edits plugin's state: who edited which path when, and who holds which lease.

Everything here is a pure function of the events (their daemon timestamps included), so
a replay or a Redis replica rebuilds the same state; nothing reads the clock. Liveness,
expiry and the conflict window are decided by the readers, at render time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from attrs import define, field

from myco.default_plugins.edits.globs import matches, normalise, overlap
from myco.protocol.events import Event
from myco.protocol.state import SwarmState

NAME = "edits"
#: paths remembered per tenant; the least recently edited are forgotten beyond
MAX_PATHS = 5000
#: leases one session may hold; the oldest is dropped beyond
MAX_LEASES_PER_SESSION = 50
DEFAULT_TTL_MS = 60 * 60 * 1000
MAX_TTL_MS = 24 * 3600 * 1000
_DURATION_RE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")

#: (repository, path): the repository is ``git:<root commit>`` or ``host:<name>``
PathKey = tuple[str, str]


@define(slots=True)
class Lease:
    session: str
    glob: str
    repo: str
    ts_ms: int
    ttl_ms: int
    why: str
    seq: int

    @property
    def expires_ms(self) -> int:
        return self.ts_ms + self.ttl_ms

    def covers(self, repo: str, path: str) -> bool:
        return (not self.repo or self.repo == repo) and matches(path, self.glob)


@define(slots=True)
class EditsState:
    #: (repo, path) -> session -> timestamp of its last edit, least recent path first
    edits: dict[PathKey, dict[str, int]] = field(factory=dict)
    #: session -> the paths it edited (an index, so a view reads only its own)
    by_session: dict[str, set[PathKey]] = field(factory=dict)
    #: (session, glob) -> lease
    leases: dict[tuple[str, str], Lease] = field(factory=dict)


def of(state: SwarmState) -> EditsState:
    """This plugin's part of *state* (created on first use)."""
    found = state.extras.get(NAME)
    if not isinstance(found, EditsState):
        found = state.extras[NAME] = EditsState()
    return found


def parse_duration(text: str) -> int | None:
    """``90s``, ``30m``, ``2h``, ``1h30m`` (or bare minutes) in milliseconds; None if invalid."""
    text = text.strip().lower()
    if text.isdigit():
        return int(text) * 60_000
    m = _DURATION_RE.match(text)
    if not text or m is None:
        return None
    h, mi, s = (int(g) if g else 0 for g in m.groups())
    return ((h * 60 + mi) * 60 + s) * 1000


def repo_of(event: Event) -> str:
    repo = event.kvs.get("repo", "")
    if repo:
        return repo
    host = event.kvs.get("host", "")
    return f"host:{host}" if host else ""


# -- verbs ----------------------------------------------------------------------------
def apply_edit(state: SwarmState, event: Event) -> None:
    """``edit <path> repo:<id>``: *path* was just edited by the author."""
    if not event.obj:
        return
    st = of(state)
    key = (repo_of(event), event.obj)
    editors = st.edits.pop(key, None) or {}
    editors[event.session] = event.ts_ms
    st.edits[key] = editors  # most recent last
    st.by_session.setdefault(event.session, set()).add(key)
    while len(st.edits) > MAX_PATHS:
        old = next(iter(st.edits))
        for session in st.edits.pop(old):
            _unindex(st, session, old)


def apply_clean(state: SwarmState, event: Event) -> None:
    """``clean <path> repo:<id>``: the author committed *path* (no change left)."""
    _forget(of(state), event.session, (repo_of(event), event.obj))


def apply_claim(state: SwarmState, event: Event) -> None:
    """``claim <glob> ttl:<duration> [why]``: a lease on the matching paths."""
    if not event.obj:
        return
    ttl = parse_duration(event.kvs.get("ttl", "")) or DEFAULT_TTL_MS
    st = of(state)
    glob = normalise(event.obj)
    st.leases.pop((event.session, glob), None)
    st.leases[(event.session, glob)] = Lease(
        event.session,
        glob,
        event.kvs.get("repo", ""),
        event.ts_ms,
        min(ttl, MAX_TTL_MS),
        event.text,
        event.seq,
    )
    mine = [k for k in st.leases if k[0] == event.session]
    for k in mine[:-MAX_LEASES_PER_SESSION]:
        del st.leases[k]


def apply_release(state: SwarmState, event: Event) -> None:
    """``release <glob|all>``: drop the author's leases, and its edits under them."""
    st = of(state)
    target = normalise(event.obj)
    every = event.obj.lower() in ("all", "*", "**")
    for key in [k for k in st.leases if k[0] == event.session]:
        if every or key[1] == target:
            del st.leases[key]
    for path_key in list(st.by_session.get(event.session, ())):
        if every or matches(path_key[1], target):
            _forget(st, event.session, path_key)


def _forget(st: EditsState, session: str, key: PathKey) -> None:
    editors = st.edits.get(key)
    if editors is not None:
        editors.pop(session, None)
        if not editors:
            del st.edits[key]
    _unindex(st, session, key)


def _unindex(st: EditsState, session: str, key: PathKey) -> None:
    keys = st.by_session.get(session)
    if keys is not None:
        keys.discard(key)
        if not keys:
            del st.by_session[session]


def lint_claim(state: SwarmState, event: Event, now_ms: int) -> list[str]:
    """Warn the author of a bad TTL, or of a lease that overlaps a live one."""
    out = []
    ttl = event.kvs.get("ttl", "")
    if not event.obj:
        return ["claim needs a glob: `claim <glob> ttl:<duration> [why]`."]
    if ttl and parse_duration(ttl) is None:
        out.append(f"claim {event.obj}: ttl:{ttl} is not a duration (30m, 2h, 1h30m); 60m used.")
    for lease in live_leases(state, now_ms, current()):
        if lease.session != event.session and overlap(lease.glob, event.obj):
            out.append(
                f"claim {event.obj}: overlaps {lease.session}'s lease `{lease.glob}`"
                f"{f' ({lease.why})' if lease.why else ''}; both of you will see a conflict."
            )
    return out


# -- readers (render time) ------------------------------------------------------------
@define(frozen=True)
class Settings:
    """What the daemon's options decide (``myco serve --edit-window`` ...)."""

    window_ms: int = 30 * 60 * 1000
    stale_ms: int = 30 * 60 * 1000
    mode: str = "advisory"


def live(state: SwarmState, session: str, now_ms: int, settings: Settings) -> bool:
    """*session* posted (or its hooks did) within the stale window."""
    s = state.sessions.get(session)
    return bool(s and s.last_seen_ms is not None and now_ms - s.last_seen_ms <= settings.stale_ms)


def live_leases(state: SwarmState, now_ms: int, settings: Settings) -> Iterator[Lease]:
    for lease in of(state).leases.values():
        if now_ms < lease.expires_ms and live(state, lease.session, now_ms, settings):
            yield lease


def recent_editors(
    state: SwarmState, key: PathKey, now_ms: int, settings: Settings
) -> dict[str, int]:
    """Live sessions that edited *key* within the window, with when."""
    editors = of(state).edits.get(key, {})
    return {
        s: ts
        for s, ts in editors.items()
        if now_ms - ts <= settings.window_ms and live(state, s, now_ms, settings)
    }


@define(frozen=True)
class Conflict:
    kind: str  # "edit" or "lease"
    what: str  # the path, or "glob ∩ glob"
    repo: str
    sessions: tuple[str, ...]


def edit_conflicts(
    state: SwarmState, now_ms: int, settings: Settings, only: str | None = None
) -> list[Conflict]:
    """Paths two or more live sessions edited within the window (those of *only*)."""
    st = of(state)
    keys = st.by_session.get(only, set()) if only is not None else st.edits.keys()
    found = []
    for key in sorted(keys):
        editors = recent_editors(state, key, now_ms, settings)
        if len(editors) > 1 and (only is None or only in editors):
            found.append(Conflict("edit", key[1], key[0], tuple(sorted(editors))))
    return found


def lease_conflicts(
    state: SwarmState, now_ms: int, settings: Settings, only: str | None = None
) -> list[Conflict]:
    """Overlapping live leases of different sessions (those involving *only*)."""
    leases = sorted(live_leases(state, now_ms, settings), key=lambda lease: lease.seq)
    found = []
    for i, a in enumerate(leases):
        for b in leases[i + 1 :]:
            if a.session == b.session or (only is not None and only not in (a.session, b.session)):
                continue
            if (not a.repo or not b.repo or a.repo == b.repo) and overlap(a.glob, b.glob):
                found.append(
                    Conflict(
                        "lease", f"{a.glob} ∩ {b.glob}", a.repo or b.repo, (a.session, b.session)
                    )
                )
    return found


def blocking_leases(
    state: SwarmState, me: str, repo: str, path: str, now_ms: int, settings: Settings
) -> list[Lease]:
    """Other live sessions' leases covering *path*: what enforcement denies."""
    return [
        lease
        for lease in live_leases(state, now_ms, settings)
        if lease.session != me and lease.covers(repo, path)
    ]


_current: list[Settings] = [Settings()]


def current() -> Settings:
    """The settings of the running daemon (defaults outside one, e.g. in a ``Swarm``)."""
    return _current[0]


def configure(settings: Settings) -> None:
    """Called at daemon start-up with the values of its options."""
    _current[0] = settings
