"""Stalls and deadlocks: what keeps sessions from moving, told to those involved.

Four kinds: a cycle of open need/ask/block edges (the dashboard's detector,
:func:`myco.dashboard.graph.find_deadlocks`), an ask open past its TTL, a directive open
longer than ``directive_minutes``, a session awaiting its human longer than
``awaiting_minutes``. Workers see the lines that name them, the DIRECTOR sees all; when
nothing is wrong the STALLS section is absent (no text, and the graph is built at most
once per state change).
"""

from __future__ import annotations

import weakref

from attrs import define

from myco import clock
from myco.names import DIRECTOR
from myco.protocol.state import QUESTION_TTL_MS, SwarmState

from .ledger import ledger
from .liveness import WAITING, liveness
from .settings import MINUTE_MS, SETTINGS


@define(frozen=True)
class Stall:
    kind: str
    sessions: frozenset[str]
    text: str


#: id(state) -> (the state, by weak reference; its last_seq; its cycles). The reference
#: tells a live state from a new one that reuses a collected state's id.
_cycles: dict[int, tuple[weakref.ref[SwarmState], int, list[list[str]]]] = {}


def deadlocks(state: SwarmState) -> list[list[str]]:
    """Cycles of open need/ask/block edges between sessions, cached per state change."""
    cached = _cycles.get(id(state))
    if cached is not None and cached[0]() is state and cached[1] == state.last_seq:
        return cached[2]
    from myco.dashboard.graph import build_edges, find_deadlocks
    from myco.dashboard.tracking import tracking

    nodes, edges = build_edges(
        state, list(state.questions.values()), state.directives, tracking(state).block_on
    )
    cycles = find_deadlocks(nodes, edges)
    if len(_cycles) > 1000:
        _cycles.clear()
    _cycles[id(state)] = (weakref.ref(state), state.last_seq, cycles)
    return cycles


def stalls(state: SwarmState, now_ms: int) -> list[Stall]:
    """Every stall of the swarm now, deadlocks first."""
    out = [
        Stall(
            "deadlock",
            frozenset(c),
            "deadlock: " + " → ".join(c) + " wait on each other",
        )
        for c in deadlocks(state)
    ]
    return [
        *out,
        *_late_asks(state, now_ms),
        *_old_directives(state, now_ms),
        *_waiting(state, now_ms),
    ]


def _late_asks(state: SwarmState, now_ms: int) -> list[Stall]:
    return [
        Stall(
            "ask-ttl",
            frozenset({q.asker, q.target}),
            f"ask {q.asker} → {q.target} open {clock.age_label(now_ms - q.ts_ms)} (past its TTL)",
        )
        for q in state.questions.values()
        if now_ms - q.ts_ms > QUESTION_TTL_MS
    ]


def _old_directives(state: SwarmState, now_ms: int) -> list[Stall]:
    limit = SETTINGS.directive_minutes * MINUTE_MS
    return [
        Stall(
            "directive",
            frozenset({d.author, d.target}),
            f"directive {d.author} → {d.target} open {clock.age_label(now_ms - d.ts_ms)}",
        )
        for d in state.directives
        if not d.fully_closed() and now_ms - d.ts_ms > limit
    ]


def _waiting(state: SwarmState, now_ms: int) -> list[Stall]:
    limit = SETTINGS.awaiting_minutes * MINUTE_MS
    out = []
    for name, live in ledger(state).live.items():
        if live.state != WAITING:
            continue
        what, since = liveness(state, name, now_ms)
        if what == WAITING and now_ms - since > limit:
            age = clock.age_label(now_ms - since)
            out.append(
                Stall("awaiting-human", frozenset({name}), f"{name} awaiting its human {age}")
            )
    return out


def section(state: SwarmState, me: str, now_ms: int, limit: int) -> list[str]:
    """STALLS: the stalls that involve *me* (all of them for the DIRECTOR)."""
    lines = [f"- {s.text}" for s in stalls(state, now_ms) if me == DIRECTOR or me in s.sessions]
    return lines[:limit]


def data(state: SwarmState, me: str, now_ms: int) -> list[dict[str, object]]:
    """The JSON view's STALLS: kind, sessions involved, text."""
    return [
        {"kind": s.kind, "sessions": sorted(s.sessions), "text": s.text}
        for s in stalls(state, now_ms)
        if me == DIRECTOR or me in s.sessions
    ]
