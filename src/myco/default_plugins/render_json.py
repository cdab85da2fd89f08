"""A JSON view of the swarm as one session sees it, for tools and dashboards."""

from __future__ import annotations

import json
from typing import Any

from myco import clock
from myco.hookspecs import hookimpl
from myco.protocol.grammar import GLOBAL
from myco.protocol.state import QUESTION_TTL_MS, SwarmState
from myco.protocol.visibility import recent_for
from myco.registry import Renderer, RendererRegistry
from myco.serde import unstructure


def snapshot(state: SwarmState, me: str, now: int) -> dict[str, Any]:
    """Plain data of what *me* may see; ages in milliseconds, times in ISO UTC."""
    state.session(me)
    sessions = {}
    for name, s in sorted(state.sessions.items()):
        sessions[name] = {
            "status": s.status,
            "action": s.action,
            "working_on": s.working_on,
            "last_seen": clock.iso_ms(s.last_seen_ms) if s.last_seen_ms is not None else None,
            "age_ms": now - s.last_seen_ms if s.last_seen_ms is not None else None,
            "blockers": state.blockers_for(name),
            "dependents": state.dependents_of(name),
            "channels": sorted(s.channels),
        }
    mine = state.directives_for(me)
    live = [
        q
        for q in state.live_questions(now, QUESTION_TTL_MS)
        if me in (q.asker, q.target) or GLOBAL in q.channels
    ]
    return {
        "session": me,
        "now": clock.iso_ms(now),
        "sessions": sessions,
        "directives": [{**unstructure(d), "open": not d.closed_for(me)} for d in mine],
        "questions": [unstructure(q) for q in live],
        "artifacts": [unstructure(a) for a in reversed(list(state.artifacts.values()))],
        "resources": [unstructure(r) for _, r in sorted(state.resources.items())],
        "events": [
            {
                "seq": e.seq,
                "ts": clock.iso_ms(e.ts_ms),
                "session": e.session,
                "verb": e.verb,
                "obj": e.obj,
                "detail": e.detail,
                "channels": sorted(e.channels),
            }
            for e in recent_for(state, me, 50)
        ],
        "messages": sorted(state.inbox.get(me, {})),
    }


def render(state: SwarmState, session: str, now_ms: int, budget: int) -> str:
    return json.dumps(snapshot(state, session, now_ms), ensure_ascii=False)


@hookimpl
def register_renderers(renderers: RendererRegistry) -> None:
    renderers.add(Renderer("json", render, "application/json; charset=utf-8"))
