"""The dashboard's data: one JSON snapshot of a tenant, built from the in-memory state.

Everything here reads :class:`~myco.protocol.state.SwarmState` (and the dashboard's own
:mod:`~myco.dashboard.tracking`), never the store, so a snapshot costs the same whatever the
length of the history: the timeline covers the state's window of recent events.

``viewer=None`` is the operator's picture (the tenant token holder, who may read the whole
history through ``GET /events`` anyway). With a viewer session the snapshot keeps to what
that session may see (the visibility rules of the views), which is what the ``dashboard``
view format serves at ``GET /view/{session}?format=dashboard``.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from typing import Any

from myco import clock
from myco.dashboard.graph import build_graph
from myco.dashboard.tracking import tracking
from myco.names import ALL, DIRECTOR
from myco.protocol.events import Event
from myco.protocol.grammar import GLOBAL
from myco.protocol.state import (
    ASK_WINDOW_MS,
    QUESTION_TTL_MS,
    Directive,
    Question,
    SessionState,
    SwarmState,
)
from myco.protocol.visibility import visible

#: a session that says it is working (active or blocked) but has posted nothing for this
#: long is marked stale
STALE_AFTER_MS = 10 * 60 * 1000
TIMELINE_FIRST = 300
TIMELINE_MAX = 1000
RECENTLY_CLOSED = 10
MESSAGES_MAX = 500
# The snapshot's size is bounded whatever one client posted (docs/http-api.md, "Limits"):
#: blockers and dependents listed per session
LIST_MAX = 50
#: newest artifacts, resources, open questions and open directives listed
ARTIFACTS_MAX = 200
RESOURCES_MAX = 500
QUESTIONS_MAX = 500
DIRECTIVES_MAX = 500


def event_data(ev: Event, state: SwarmState) -> dict[str, Any]:
    """One event as the timeline shows it."""
    spec = state.verbs.get(ev.verb)
    return {
        "seq": ev.seq,
        "ts": clock.iso_ms(ev.ts_ms),
        "ts_ms": ev.ts_ms,
        "session": ev.session,
        "verb": ev.verb,
        "obj": ev.obj,
        "detail": ev.detail,
        "channels": sorted(ev.channels),
        "internal": bool(spec is not None and spec.internal),
        "private": ev.verb == "private",
    }


def is_stale(s: SessionState, now: int) -> bool:
    return (
        s.name != DIRECTOR
        and s.status in ("active", "blocked", "unknown")
        and s.last_seen_ms is not None
        and now - s.last_seen_ms > STALE_AFTER_MS
    )


def _seen(state: SwarmState, viewer: str | None) -> set[str]:
    return state.session(viewer).channels if viewer else set()


def event_matches(ev: Event, session: str = "", verb: str = "", channel: str = "") -> bool:
    """The timeline filters: a session matches its own events and the ones naming it."""
    if session and session not in (ev.session, ev.obj.upper()):
        return False
    if verb and ev.verb != verb:
        return False
    return not channel or channel in ev.channels


def timeline(
    state: SwarmState,
    viewer: str | None,
    *,
    limit: int = TIMELINE_FIRST,
    before: int | None = None,
    session: str = "",
    verb: str = "",
    channel: str = "",
) -> list[Event]:
    """Newest *limit* matching events (oldest first) of the in-memory window."""
    channels = _seen(state, viewer)
    out: list[Event] = []
    for ev in reversed(state.events):
        if before is not None and ev.seq >= before:
            continue
        if not event_matches(ev, session, verb, channel):
            continue
        if viewer is not None and not visible(state, ev, viewer, channels):
            continue
        out.append(ev)
        if len(out) >= limit:
            break
    out.reverse()
    return out


def _question(q: Question, now: int) -> dict[str, Any]:
    return {
        "seq": q.seq,
        "ts": clock.iso_ms(q.ts_ms),
        "ts_ms": q.ts_ms,
        "age_ms": now - q.ts_ms,
        "asker": q.asker,
        "target": q.target,
        "kind": q.kind,
        "text": q.text,
        "detail": q.detail,
        "spec": q.spec,
        "channels": sorted(q.channels),
        "in_views": now - q.ts_ms <= QUESTION_TTL_MS,
    }


def _directive(
    d: Directive, state: SwarmState, now: int, closing: dict[int, int]
) -> dict[str, Any]:
    if d.target == ALL:
        pending = (
            []
            if "*" in d.closed
            else [w for w in state.workers() if w != d.author and w not in d.closed]
        )
    else:
        pending = [] if d.fully_closed() else [d.target]
    closed_seq = max(d.closed.values(), default=0)
    closed_ms = closing.get(closed_seq)
    return {
        "seq": d.seq,
        "ts": clock.iso_ms(d.ts_ms),
        "ts_ms": d.ts_ms,
        "age_ms": now - d.ts_ms,
        "author": d.author,
        "target": d.target,
        "obj": d.obj,
        "detail": d.detail,
        "spec": d.spec,
        "closed_by": sorted(d.closed),
        "pending": pending,
        "closed_ts_ms": closed_ms if d.fully_closed() else None,
    }


def messages(state: SwarmState, viewer: str | None) -> list[dict[str, Any]]:
    """Every stored message with who sent it, to whom, and who has read it."""
    info: dict[str, dict[str, Any]] = {}
    for ev in state.events:
        spec = ev.kvs.get("spec", "")
        if not spec.startswith("msg/") or spec[4:] not in state.msg_names:
            continue
        rec = info.setdefault(
            spec[4:], {"from": ev.session, "to": set(), "seq": ev.seq, "ts_ms": ev.ts_ms}
        )
        verb = state.verbs.get(ev.verb)
        if verb is not None and verb.target and ev.obj not in ("", ALL, ev.session):
            rec["to"].add(ev.obj)
    unread: dict[str, list[str]] = {}
    for target, box in state.inbox.items():
        for spec in box:
            unread.setdefault(spec, []).append(target)
    out: list[dict[str, Any]] = []
    for name in state.msg_names:
        found = info.get(name)
        spec = f"msg/{name}"
        sender = found["from"] if found else ""
        if not sender:
            head = name.split("-", 1)[0].upper()
            sender = head if head in state.sessions else ""
        to = set(found["to"]) if found else set()
        to.update(unread.get(spec, ()))
        read_by = sorted(state.acks.get(spec, ()))
        if viewer is not None and viewer != sender and viewer not in to and viewer not in read_by:
            continue
        out.append(
            {
                "name": name,
                "from": sender,
                "to": sorted(to),
                "read_by": read_by,
                "unread_by": sorted(unread.get(spec, ())),
                "seq": found["seq"] if found else None,
                "ts": clock.iso_ms(found["ts_ms"]) if found else None,
                "ts_ms": found["ts_ms"] if found else None,
            }
        )
    out.sort(key=lambda m: (-int(m["seq"] or 0), str(m["name"])))
    return out[:MESSAGES_MAX]


def _visible_question(q: Question, viewer: str | None, channels: set[str]) -> bool:
    return (
        viewer is None
        or viewer == DIRECTOR
        or viewer in (q.asker, q.target)
        or GLOBAL in q.channels
        or not q.channels.isdisjoint(channels)
    )


def _visible_directive(d: Directive, viewer: str | None) -> bool:
    return viewer in (None, DIRECTOR, d.author, d.target) or d.target == ALL


def sessions(
    state: SwarmState, now: int, questions: Iterable[Question], directives: Iterable[Directive]
) -> list[dict[str, Any]]:
    asked: dict[str, int] = {}
    for q in questions:
        asked[q.target] = asked.get(q.target, 0) + 1
    owed: dict[str, int] = {}
    for d in directives:
        targets = state.workers() if d.target == ALL else [d.target]
        for t in targets:
            if t != d.author and not d.closed_for(t):
                owed[t] = owed.get(t, 0) + 1
    out = []
    for name, s in sorted(state.sessions.items()):
        if s.last_seen_ms is None:
            continue  # the director before it spoke, a name only met as a target: no session
        out.append(
            {
                "name": name,
                "status": s.status,
                "action": s.action,
                "working_on": s.working_on,
                "last_seen": clock.iso_ms(s.last_seen_ms) if s.last_seen_ms is not None else None,
                "last_seen_ms": s.last_seen_ms,
                "age_ms": now - s.last_seen_ms if s.last_seen_ms is not None else None,
                "stale": is_stale(s, now),
                "blockers": state.blockers_for(name)[:LIST_MAX],
                "dependents": state.dependents_of(name)[:LIST_MAX],
                "channels": sorted(s.channels),
                "questions": asked.get(name, 0),
                "directives": owed.get(name, 0),
                "inbox": len(state.inbox.get(name, {})),
                "liveness": liveness_of(state, name, now),
            }
        )
    return out


def liveness_of(state: SwarmState, name: str, now: int) -> str | None:
    """The session's liveness label (``idle 3min``) from the plugins that track lifecycle
    hooks (:meth:`~myco.protocol.state.SwarmState.presence`), None when none knows."""
    found = state.presence(name, now)
    return found.label(now) if found is not None else None


def snapshot(
    state: SwarmState, now: int, viewer: str | None = None, sections: Any = None
) -> dict[str, Any]:
    """Everything the page shows, as plain JSON-ready data.

    With *sections* (the daemon's view-section registry), ``sections`` holds the plugin
    sections' data as *viewer* (else the DIRECTOR) sees them: file conflicts and leases.
    """
    t = tracking(state)
    channels = _seen(state, viewer)
    live = [
        q
        for q in state.live_questions(now, ASK_WINDOW_MS)
        if _visible_question(q, viewer, channels)
    ][-QUESTIONS_MAX:]
    shown = [d for d in state.directives if _visible_directive(d, viewer)]
    open_ds = [d for d in shown if not d.fully_closed()][-DIRECTIVES_MAX:]
    closed_ds = sorted(
        (d for d in shown if d.fully_closed()), key=lambda d: max(d.closed.values(), default=0)
    )[-RECENTLY_CLOSED:]
    closing = dict(t.closing_ts)
    closed_qs = [c for c in t.closed_questions if _visible_question(c.question, viewer, channels)][
        -RECENTLY_CLOSED:
    ]
    verbs = sorted({s.name for s in state.verbs if not s.internal or viewer is None})
    all_channels = sorted(set().union(*(s.channels for s in state.sessions.values())))
    events = timeline(state, viewer)
    return {
        "viewer": viewer,
        "now": clock.iso_ms(now),
        "now_ms": now,
        "last_seq": state.last_seq,
        "stale_after_ms": STALE_AFTER_MS,
        "question_ttl_ms": QUESTION_TTL_MS,
        "sessions": sessions(state, now, live, open_ds),
        "graph": build_graph(state, live, open_ds, t.block_on),
        "questions": {
            "open": [_question(q, now) for q in live],
            "closed": [
                {
                    **_question(c.question, now),
                    "closed_ts": clock.iso_ms(c.ts_ms),
                    "closed_ts_ms": c.ts_ms,
                    "closed_by": c.by,
                    "how": c.how,
                }
                for c in reversed(closed_qs)
            ],
        },
        "directives": {
            "open": [_directive(d, state, now, closing) for d in open_ds],
            "closed": [_directive(d, state, now, closing) for d in reversed(closed_ds)],
        },
        "artifacts": [
            {
                "session": a.session,
                "obj": a.obj,
                "ref": a.ref,
                "spec": a.spec,
                "result": a.result,
                "seq": a.seq,
                "ts": clock.iso_ms(a.ts_ms),
                "ts_ms": a.ts_ms,
            }
            for a in islice(reversed(state.artifacts.values()), ARTIFACTS_MAX)
        ],
        "resources": [
            {
                "name": r.name,
                "state": r.state,
                "addr": r.addr,
                "session": r.session,
                "seq": r.seq,
                "ts": clock.iso_ms(r.ts_ms),
                "ts_ms": r.ts_ms,
            }
            for _, r in sorted(state.resources.items())[:RESOURCES_MAX]
        ],
        "messages": messages(state, viewer),
        "events": [event_data(ev, state) for ev in events],
        "events_window": len(state.events),
        "verbs": verbs,
        "channels": all_channels,
        "sections": _plugin_sections(sections, state, viewer, now),
    }


def _plugin_sections(sections: Any, state: SwarmState, viewer: str | None, now: int) -> Any:
    if sections is None:
        return {}
    from myco.default_plugins.render_json import plugin_sections

    return plugin_sections(sections, state, viewer or DIRECTOR, now)
