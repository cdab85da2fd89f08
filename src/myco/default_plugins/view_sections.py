"""The built-in sections of the views, registered like any plugin's.

Each :class:`~myco.registry.ViewSection` wraps a function of :mod:`myco.views.sections`;
``order`` gives today's layout, ``priority`` and ``steps`` what the budget shrinks first
(old events, closed directives, artifacts, broadcasts, peers, resources, then the
DIRECTOR's graph, sessions and conflicts). Sections addressed to the viewer are
``addressed=True``: cut last, and never without saying so.
"""

from __future__ import annotations

import os

from myco.hookspecs import hookimpl
from myco.names import DIRECTOR
from myco.protocol.state import SwarmState
from myco.registry import DIRECTOR_ROLE, WORKER, ViewSection, ViewSectionRegistry
from myco.views import sections as sec

ADDRESSED = 1000  # the priority of what is addressed to the viewer
ONLY_WORKER = frozenset({WORKER})
ONLY_DIRECTOR = frozenset({DIRECTOR_ROLE})


def lod_k() -> int:
    """How many of the latest events RECENT EVENTS shows in full (``MYCO_LOD_K``)."""
    try:
        return int(os.environ.get("MYCO_LOD_K", "3"))
    except ValueError:
        return 3


def now(state: SwarmState, me: str, now_ms: int, limit: int) -> list[str]:
    if me == DIRECTOR:
        return sec.now_director(state, me, now_ms)
    return sec.now_worker(state, me, now_ms)


def count_events(lines: list[str]) -> int:
    return sum(1 for line in lines if line and not line.startswith(("```", "Nothing")))


BUILTIN_SECTIONS: tuple[ViewSection, ...] = (
    ViewSection("NOW", now, order=100, priority=ADDRESSED, addressed=True),
    ViewSection(
        "SESSIONS",
        lambda state, me, now_ms, limit: sec.sessions_table(state, now_ms, limit),
        roles=ONLY_DIRECTOR,
        order=150,
        priority=80,
        limit=200,
        steps=(20, 5, 0),
        label="session row(s)",
    ),
    ViewSection(
        "DIRECTIVES",
        lambda state, me, now_ms, limit: sec.directives(state, me, limit),
        order=200,
        priority=20,  # only the closed directives shrink
        limit=3,
        steps=(1, 0),
        label="closed directive(s)",
        addressed=True,
    ),
    ViewSection(
        "PUBLISHED ARTIFACTS",
        lambda state, me, now_ms, limit: sec.artifacts(state, limit),
        order=300,
        priority=30,
        limit=15,
        steps=(10, 5, 0),
        label="artifact(s)",
    ),
    ViewSection(
        "YOUR BLOCKERS",
        lambda state, me, now_ms, limit: sec.blockers(state, me),
        roles=ONLY_WORKER,
        order=400,
        priority=ADDRESSED,
        addressed=True,
    ),
    ViewSection(
        "DEPENDENCY GRAPH",
        lambda state, me, now_ms, limit: sec.dependency_graph(state, now_ms, limit),
        roles=ONLY_DIRECTOR,
        order=410,
        priority=70,
        limit=200,
        steps=(20, 5, 0),
        label="dependency line(s)",
    ),
    ViewSection(
        "YOUR DEPENDENTS",
        lambda state, me, now_ms, limit: sec.dependents(state, me),
        roles=ONLY_WORKER,
        order=450,
        priority=ADDRESSED,
        addressed=True,
    ),
    ViewSection(
        "CONFLICTS",
        lambda state, me, now_ms, limit: sec.conflicts(state, limit),
        roles=ONLY_DIRECTOR,
        order=470,
        priority=90,
        limit=50,
        steps=(5, 0),
        label="conflict(s)",
    ),
    ViewSection(
        "BROADCASTS",
        lambda state, me, now_ms, limit: sec.broadcasts(state, me, now_ms, limit),
        order=500,
        priority=40,
        limit=5,
        steps=(2, 0),
        label="broadcast(s)",
    ),
    ViewSection(
        "PEERS",
        lambda state, me, now_ms, limit: sec.peers(state, me, now_ms, limit),
        roles=ONLY_WORKER,
        order=600,
        priority=50,
        limit=200,
        steps=(20, 5, 0),
        label="peer(s)",
    ),
    ViewSection(
        "SHARED RESOURCES",
        lambda state, me, now_ms, limit: sec.resources(state, limit),
        order=700,
        priority=60,
        limit=100,
        steps=(10, 0),
        label="resource(s)",
    ),
    ViewSection(
        "RECENT EVENTS",
        lambda state, me, now_ms, limit: sec.recent(state, me, limit, lod_k()),
        order=800,
        priority=10,
        limit=15,
        steps=(10, 5, 3, 0),
        label="older event(s)",
        count=count_events,
    ),
    ViewSection(
        "PENDING QUESTIONS",
        lambda state, me, now_ms, limit: sec.questions(state, me, now_ms),
        order=900,
        priority=ADDRESSED,
        addressed=True,
    ),
    ViewSection(
        "PENDING MESSAGES",
        lambda state, me, now_ms, limit: sec.messages(state, me),
        order=1000,
        priority=ADDRESSED,
        addressed=True,
    ),
)


@hookimpl
def register_view_sections(sections: ViewSectionRegistry) -> None:
    for section in BUILTIN_SECTIONS:
        sections.add(section)
