"""One function per view section; each returns the section's markdown lines.

Sections take caps (how many items to show) so that the budget logic in
:mod:`myco.views.markdown` can shrink the least relevant content first.
"""

from __future__ import annotations

from itertools import islice

from myco import clock
from myco.names import DIRECTOR
from myco.protocol.events import Event
from myco.protocol.grammar import GLOBAL
from myco.protocol.state import ASK_WINDOW_MS, BROADCAST_TTL_MS, QUESTION_TTL_MS, SwarmState
from myco.protocol.visibility import recent_for
from myco.sanitize import cell, view_text

COLLAPSED_SNIPPET = 60
COUNTER_SHOWN = 5


def ts(ms: int) -> str:
    return clock.iso_s(ms)


def now_worker(state: SwarmState, me: str, now: int) -> list[str]:
    s = state.session(me)
    lines = [f"Status: **{s.status}** — {view_text(s.action) or 'no recent action'}"]
    blockers = state.blockers_for(me)
    if blockers:
        lines.append("Blocked by: " + ", ".join(view_text(b) for b in blockers))
    elif s.status != "blocked":
        lines.append("No known blocker.")
    lines += swarm_counter(state, me, now)
    return lines


def swarm_counter(state: SwarmState, me: str, now: int) -> list[str]:
    channels = state.session(me).channels
    asks = [
        q
        for q in state.live_questions(now, ASK_WINDOW_MS)
        if me in (q.asker, q.target) or GLOBAL in q.channels or not q.channels.isdisjoint(channels)
    ]
    if not asks:
        return []
    shown = ", ".join(
        f"{q.asker}→{q.target} ({view_text(q.summary()[:40])})" for q in asks[:COUNTER_SHOWN]
    )
    more = f" … +{len(asks) - COUNTER_SHOWN}" if len(asks) > COUNTER_SHOWN else ""
    return [f"Swarm: **{len(asks)} pending ask(s)** — {shown}{more}"]


def now_director(state: SwarmState, me: str, now: int) -> list[str]:
    n = len(state.workers())
    return [f"Swarm with {n} worker session(s).", *swarm_counter(state, me, now)]


def sessions_table(state: SwarmState, now: int, cap: int) -> list[str]:
    workers = state.workers()
    if not workers:
        return ["No worker session yet."]
    lines = []
    if cap > 0:  # no header over an empty table
        lines += [
            "| session | status | last action | last-seen | blockers | dependents |",
            "|---|---|---|---|---|---|",
        ]
    shown = workers[:cap]
    presence = {name: state.presence(name, now) for name in shown}
    live = any(p is not None for p in presence.values())
    if live and lines:  # a liveness column once a plugin reports it
        lines = [
            "| session | status | liveness | last action | last-seen | blockers | dependents |",
            "|---|---|---|---|---|---|---|",
        ]
    for name in shown:
        s = state.sessions[name]
        seen = clock.age_label(now - s.last_seen_ms) if s.last_seen_ms is not None else "—"
        p = presence[name]
        alive = (f" {p.label(now)} |" if p is not None else " — |") if live else ""
        lines.append(
            f"| {name} | {s.status} |{alive} {cell(s.action)} | {seen} | "
            f"{cell(', '.join(state.blockers_for(name)))} | "
            f"{cell(', '.join(state.dependents_of(name)))} |"
        )
    if len(workers) > cap:
        lines.append(f"_… {len(workers) - cap} more session(s) not shown._")
    return lines


def directives(state: SwarmState, me: str, closed_cap: int) -> list[str]:
    mine = [d for d in state.directives_for(me) if d.author != me]
    open_ = [d for d in mine if not d.closed_for(me)]
    closed = [d for d in mine if d.closed_for(me)]
    lines = [f"- [{ts(d.ts_ms)}] {view_text(d.detail)}" for d in open_]
    if me == DIRECTOR:  # the directives it gave, with who closed them
        sent = [d for d in state.directives if d.author == me]
        for d in sent:
            if d.fully_closed():
                closed.append(d)
                continue
            who = f" (closed by {', '.join(sorted(d.closed))})" if d.closed else " (open)"
            lines.append(f"- → {d.target} [{ts(d.ts_ms)}] {view_text(d.detail)}{who}")
        closed.sort(key=lambda d: d.seq)
    if not lines:
        lines.append("No open directive." if closed else "No active directive.")
    if closed_cap > 0:
        lines += [
            f"- ✓ [{ts(d.ts_ms)}] {view_text(d.obj or d.detail)}" for d in closed[-closed_cap:]
        ]
    return lines


def artifacts(state: SwarmState, cap: int) -> list[str]:
    arts = state.artifacts
    if not arts:
        return ["No artifact published."]
    shown = list(islice(reversed(arts.values()), cap)) if cap > 0 else []
    lines = []
    if shown:
        lines += [
            "| session | artifact | ref | result | path | spec |",
            "|---|---|---|---|---|---|",
        ]
        for a in shown:
            path = state.session_dirs.get(a.session, "")
            lines.append(
                f"| {a.session} | {cell(a.obj)} | {cell(a.ref)} | {cell(a.result)} | "
                f"{cell(path)} | {cell(a.spec)} |"
            )
    hidden = len(arts) - len(shown)
    if hidden:
        lines.append(f"_… {hidden} older artifact(s) not shown (full history in the log)._")
    return lines


def blockers(state: SwarmState, me: str) -> list[str]:
    return [f"- {view_text(b)}" for b in state.blockers_for(me)] or ["None."]


def dependents(state: SwarmState, me: str) -> list[str]:
    return [f"- {d}" for d in state.dependents_of(me)] or ["Nobody waiting on you."]


def broadcasts(state: SwarmState, me: str, now: int, cap: int) -> list[str]:
    channels = state.session(me).channels
    out = [
        b
        for b in state.broadcasts
        if (b.author == me or GLOBAL in b.channels or not b.channels.isdisjoint(channels))
        and now - b.ts_ms <= BROADCAST_TTL_MS
    ]
    if cap <= 0:
        return []
    return [f"- [{ts(b.ts_ms)}] **{b.author}**: {view_text(b.text)}" for b in out[-cap:]]


def peers(state: SwarmState, me: str, now: int, cap: int) -> list[str]:
    """PEERS: the other workers, with their liveness when a plugin tracks it; those that
    have left (ended or stale for a while) are left out."""
    mine = state.session(me)
    names = []
    presence = {}
    for n in state.workers():
        if n == me:
            continue
        found = state.presence(n, now)
        if found is not None and found.gone:
            continue
        names.append(n)
        presence[n] = found
    lines = []
    for name in names[:cap]:
        p = state.sessions[name]
        seen = clock.age_label(now - p.last_seen_ms) if p.last_seen_ms is not None else "—"
        tag = ""
        spec = mine.last_reply.get(name)
        if spec:
            tag = " (reply read)" if state.acked(spec, name) else " (reply pending)"
        live = presence[name]
        alive = f", {live.label(now)}" if live is not None else ""
        lines.append(f"- **{name}**: {p.status}{alive}, last-seen {seen}{tag}")
    if len(names) > cap:
        lines.append(f"_… {len(names) - cap} more peer(s) not shown._")
    return lines


def resources(state: SwarmState, cap: int) -> list[str]:
    if not state.resources:
        return ["No resource registered."]
    names = sorted(state.resources)
    lines = ["| resource | state | address |", "|---|---|---|"] if cap > 0 else []
    for name in names[:cap]:
        r = state.resources[name]
        lines.append(f"| {cell(name)} | {r.state} | {cell(r.addr)} |")
    if len(names) > cap:
        lines.append(f"_… {len(names) - cap} more resource(s) not shown._")
    return lines


def event_line(ev: Event, full: bool) -> str:
    head = f"{ts(ev.ts_ms)} {ev.session} {ev.verb} {ev.obj}".rstrip()
    if not ev.detail:
        return view_text(head)
    if full:
        return view_text(f"{head} {ev.detail}")
    if ev.kvs:
        return view_text(head + " " + " ".join(f"{k}:{v}" for k, v in ev.kvs.items()))
    d = ev.detail
    snippet = d if len(d) <= COLLAPSED_SNIPPET else d[:COLLAPSED_SNIPPET].rstrip() + "…"
    return view_text(f"{head} {snippet}")


def recent(state: SwarmState, me: str, cap: int, lod_k: int) -> list[str]:
    events = recent_for(state, me, cap)
    if not events:
        return ["Nothing recent."]
    n = len(events)
    lines = ["```"]
    for i, ev in enumerate(events):
        lines.append(event_line(ev, lod_k <= 0 or i >= n - lod_k))
    lines.append("```")
    return lines


def questions(state: SwarmState, me: str, now: int) -> list[str]:
    qs = [q for q in state.live_questions(now, QUESTION_TTL_MS) if me in (q.asker, q.target)]
    lines = []
    for q in qs:
        label = "" if q.kind == "ask" else f"{q.kind} "
        lines.append(f"- [{ts(q.ts_ms)}] {q.asker} → {q.target}: {label}{view_text(q.detail)}")
    return lines or ["None."]


def messages(state: SwarmState, me: str) -> list[str]:
    box = state.inbox.get(me, {})
    lines = []
    for spec in sorted(box):
        name = spec[4:]
        if name not in state.msg_names:
            continue
        lines.append(
            f"- From **{box[spec].sender}**: `{spec}` — read with `myco msg get {name}` or "
            f'`curl -H "Authorization: Bearer $MYCO_TOKEN" '
            f'"$MYCO_URL/{spec}?session=$MYCO_SESSION"` (automatic ack)'
        )
    return lines or ["No pending message."]


def dependency_graph(state: SwarmState, now: int, cap: int) -> list[str]:
    lines = []
    for name in state.workers():
        for need in sorted(state.blockers_for(name)):
            owner = need.split(".", 1)[0] if "." in need else ""
            who = owner if owner in state.sessions else "?"
            lines.append(f"- {name} --waits-for--> {view_text(need)} (from {who})")
    for q in state.live_questions(now, QUESTION_TTL_MS):
        lines.append(f"- {q.asker} --asks--> {q.target} ({view_text(q.summary()[:40])})")
    cap = max(cap, 0)
    if len(lines) > cap:
        lines = [*lines[:cap], f"_… {len(lines) - cap} more dependency line(s) not shown._"]
    return lines or ["No pending dependency."]


def conflicts(state: SwarmState, cap: int = 50) -> list[str]:
    groups: dict[str, list[str]] = {}
    for name in state.workers():
        s = state.sessions[name]
        if s.working_on and s.status in ("active", "blocked"):
            groups.setdefault(s.working_on, []).append(name)
    found = [(obj, names) for obj, names in sorted(groups.items()) if len(names) > 1]
    if not found:
        return ["No conflict detected."]
    lines = [
        f"- WARNING: {', '.join(names)} working on `{view_text(_cut(obj))}` at the same time"
        for obj, names in found[:cap]
    ]
    if len(found) > cap:
        lines.append(f"_… {len(found) - cap} more conflict(s) not shown._")
    return lines


def _cut(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
