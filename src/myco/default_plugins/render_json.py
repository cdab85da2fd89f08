"""A JSON view of the swarm as one session sees it, for tools and dashboards.

Third-party view sections the session's role sees are in ``sections``: heading -> the
section's ``data`` (when it has one) or its lines, neutralised as in the markdown view.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from myco import clock
from myco.hookspecs import hookimpl
from myco.names import DIRECTOR
from myco.protocol.grammar import GLOBAL
from myco.protocol.state import QUESTION_TTL_MS, SwarmState
from myco.protocol.visibility import recent_for
from myco.registry import Renderer, RendererRegistry, ViewSectionRegistry
from myco.serde import unstructure
from myco.views.markdown import is_builtin, role_of, section_lines


def snapshot(state: SwarmState, me: str, now: int) -> dict[str, Any]:
    """Plain data of what *me* may see; ages in milliseconds, times in ISO UTC."""
    state.session(me)
    sessions = {}
    for name, s in sorted(state.sessions.items()):
        if s.last_seen_ms is None and name not in (me, DIRECTOR):
            continue  # a name only met as a target is not a session
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


def plugin_sections(
    sections: ViewSectionRegistry, state: SwarmState, me: str, now: int
) -> dict[str, Any]:
    """Third-party sections *me* sees (the built-ins are the structured fields above)."""
    out: dict[str, Any] = {}
    for section in sections.for_role(role_of(me)):
        if is_builtin(section):
            continue
        if section.data is not None:
            out[section.heading] = section.data(state, me, now)
        else:
            out[section.heading] = section_lines(section, state, me, now, section.limit)
    return out


def render(
    sections: ViewSectionRegistry, state: SwarmState, session: str, now_ms: int, budget: int
) -> str:
    body = snapshot(state, session, now_ms)
    body["sections"] = plugin_sections(sections, state, session, now_ms)
    return json.dumps(body, ensure_ascii=False)


@hookimpl
def register_renderers(renderers: RendererRegistry, sections: ViewSectionRegistry) -> None:
    renderers.add(Renderer("json", partial(render, sections), "application/json; charset=utf-8"))
