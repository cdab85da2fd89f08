"""The markdown view: worker and DIRECTOR layouts under a hard size budget.

When a view would exceed the budget, the least relevant content goes first (old events,
closed directives, old artifacts, broadcasts, then long peer and resource lists), and the
view says what was left out. What is addressed to the viewer (open directives, questions,
messages) is never dropped.
"""

from __future__ import annotations

from collections.abc import Callable

from myco.names import DIRECTOR
from myco.protocol.state import SwarmState
from myco.views import sections as sec

PROTOCOL_MARKER = "<!-- myco protocol v1 -->"

#: (cap name, successive values) tried in order while the view is over budget
TRIM_STEPS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("events", (10, 5, 3, 0)),
    ("closed", (1, 0)),
    ("artifacts", (10, 5, 0)),
    ("broadcasts", (2, 0)),
    ("peers", (20, 5, 0)),
    ("resources", (10, 0)),
    ("graph", (20, 5, 0)),
    ("sessions", (20, 5, 0)),
    ("conflicts", (5, 0)),
)
DEFAULT_CAPS = {
    "events": 15,
    "closed": 3,
    "artifacts": 15,
    "broadcasts": 5,
    "peers": 200,
    "resources": 100,
    "graph": 200,
    "sessions": 200,
    "conflicts": 50,
}
LABELS = {
    "events": "older event(s)",
    "closed": "closed directive(s)",
    "artifacts": "artifact(s)",
    "broadcasts": "broadcast(s)",
    "peers": "peer(s)",
    "resources": "resource(s)",
    "graph": "dependency line(s)",
    "sessions": "session row(s)",
    "conflicts": "conflict(s)",
}

Section = tuple[str, Callable[[dict[str, int]], list[str]], str | None]


def _layout(state: SwarmState, me: str, now: int, lod_k: int) -> list[Section]:
    """(heading, render(caps), cap it depends on) for every section, in order."""
    director = me == DIRECTOR
    out: list[Section] = []
    if director:
        out.append(("NOW", lambda c: sec.now_director(state, me, now), None))
        out.append(
            ("SESSIONS", lambda c: sec.sessions_table(state, now, c["sessions"]), "sessions")
        )
    else:
        out.append(("NOW", lambda c: sec.now_worker(state, me, now), None))
    out.append(("DIRECTIVES", lambda c: sec.directives(state, me, c["closed"]), "closed"))
    out.append(("PUBLISHED ARTIFACTS", lambda c: sec.artifacts(state, c["artifacts"]), "artifacts"))
    if director:
        out.append(
            ("DEPENDENCY GRAPH", lambda c: sec.dependency_graph(state, now, c["graph"]), "graph")
        )
        out.append(("CONFLICTS", lambda c: sec.conflicts(state, c["conflicts"]), "conflicts"))
    else:
        out.append(("YOUR BLOCKERS", lambda c: sec.blockers(state, me), None))
        out.append(("YOUR DEPENDENTS", lambda c: sec.dependents(state, me), None))
    out.append(
        ("BROADCASTS", lambda c: sec.broadcasts(state, me, now, c["broadcasts"]), "broadcasts")
    )
    if not director:
        out.append(("PEERS", lambda c: sec.peers(state, me, now, c["peers"]), "peers"))
    out.append(("SHARED RESOURCES", lambda c: sec.resources(state, c["resources"]), "resources"))
    out.append(("RECENT EVENTS", lambda c: sec.recent(state, me, c["events"], lod_k), "events"))
    out.append(("PENDING QUESTIONS", lambda c: sec.questions(state, me, now), None))
    out.append(("PENDING MESSAGES", lambda c: sec.messages(state, me), None))
    return out


def _block(heading: str, lines: list[str]) -> str:
    if not lines:
        return ""  # optional sections (BROADCASTS, PEERS) vanish when empty
    return f"## {heading}\n" + "\n".join(lines) + "\n\n"


def render(state: SwarmState, me: str, now: int, budget: int, lod_k: int = 3) -> str:
    """The markdown view of session *me* at time *now* (ms), at most *budget* characters."""
    state.session(me)
    layout = _layout(state, me, now, lod_k)
    caps = dict(DEFAULT_CAPS)
    head = f"{PROTOCOL_MARKER}\n# myco view — {me}\n\n"
    blocks = [_block(h, fn(caps)) for h, fn, _ in layout]
    total = len(head) + sum(map(len, blocks))
    left_out: dict[str, int] = {}
    if total > budget:
        full_counts = {name: _count(blocks, layout, name) for name, _ in TRIM_STEPS}
        note = ""
        for name, values in TRIM_STEPS:
            for value in values:
                if total + len(note) <= budget:  # the note counts against the budget too
                    break
                caps[name] = value
                for i, (h, fn, dep) in enumerate(layout):
                    if dep == name:
                        blocks[i] = _block(h, fn(caps))
                total = len(head) + sum(map(len, blocks))
                left_out[name] = full_counts[name] - _count(blocks, layout, name)
                note = _trim_note(left_out, budget)
        if note:
            blocks.append(note)
    return head + "".join(blocks)


def _trim_note(left_out: dict[str, int], budget: int) -> str:
    """The closing line that says what trimming left out ("" when nothing was)."""
    what = ", ".join(f"{n} {LABELS[k]}" for k, n in left_out.items() if n > 0)
    return f"_View trimmed to fit {budget} characters: left out {what}._\n\n" if what else ""


def _count(blocks: list[str], layout: list[Section], cap: str) -> int:
    """Rough item count of the section depending on *cap* (list or table rows)."""
    for block, (_, _, dep) in zip(blocks, layout, strict=True):
        if dep == cap:
            return sum(
                1
                for line in block.splitlines()
                if (
                    line.startswith(("- ", "| "))
                    and not line.startswith(("| session |", "| resource |"))
                )
                or (cap == "events" and line and not line.startswith(("```", "## ", "Nothing")))
            )
    return 0
