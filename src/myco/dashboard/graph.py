"""The dependency picture: who waits for whom, deadlock cycles, and a layered layout.

Edges point from the session that waits to what it waits for:

* ``need`` — a session needs an object; the edge goes to the session that provides it (the
  ``SESSION.`` prefix, a published ``done``, a session working on it, or the session that
  put a resource up), else to an item node. Satisfied needs stay as faint edges.
* ``ask`` — an open question, asker to target.
* ``block`` — a blocked session to what it named in its ``block`` line.
* ``direct`` — an open directive, author to target (``ALL`` gets a group node).

A cycle of open ``need``/``ask``/``block`` edges between sessions is a deadlock: nobody in
it can move until someone else does. Directive edges are left out of that test: a director
waiting for a worker who asks it a question is the normal course of work.

The layout is computed here, not in the browser, so it is deterministic and testable (see
:func:`layout`); sessions with no edge at all go in a grid underneath.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from attrs import asdict, define

from myco.names import ALL, DIRECTOR
from myco.protocol.state import Directive, Question, SwarmState

NODE_W = 150
NODE_H = 48
GAP_X = 100
GAP_Y = 22
PAD = 24
GRID_GAP = 44
GRID_GAP_X = 20
LOOP_ROOM = 44
MAX_GRID_COLUMNS = 6
#: edge kinds that mean "cannot go on until the other side acts"
WAITS = frozenset({"need", "ask", "block"})


@define(slots=True)
class Node:
    id: str
    label: str
    kind: str  # "session", "item" or "group"
    status: str = ""
    x: int = 0
    y: int = 0
    w: int = NODE_W
    h: int = NODE_H
    cycle: bool = False


@define(slots=True)
class Edge:
    source: str
    target: str
    kind: str  # "need", "ask", "block" or "direct"
    label: str
    open: bool = True
    cycle: bool = False


def need_provider(state: SwarmState, need: str) -> str | None:
    """The session expected to deliver *need*, or None when nobody is known to."""
    if "." in need:
        head = need.split(".", 1)[0]
        for cand in (head, head.upper()):
            if cand in state.sessions:
                return cand
    providers = state.provided.get(need)
    if providers:
        return sorted(providers)[0]
    working = sorted(n for n, s in state.sessions.items() if s.working_on == need)
    if working:
        return working[0]
    for res in state.resources.values():
        head = res.name.split(None, 1)[0]
        if need in (res.name, head) or need.startswith(head + "-"):
            return res.session
    return None


def _short(text: str, n: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def build_edges(
    state: SwarmState,
    questions: Iterable[Question],
    directives: Iterable[Directive],
    block_on: Mapping[str, tuple[str, str]],
) -> tuple[dict[str, Node], list[Edge]]:
    """Every node and edge of the picture (not laid out yet)."""
    nodes: dict[str, Node] = {}
    #: one arrow per (from, to, kind, open): ten asks between the same two sessions are
    #: one arrow labelled "first-ask +9", not ten arrows on top of each other
    grouped: dict[tuple[str, str, str, bool], list[Edge]] = {}

    def session_node(name: str) -> str:
        if name not in nodes:
            s = state.sessions.get(name)
            nodes[name] = Node(name, name, "session", s.status if s else "unknown")
        return name

    def target_node(session: str, obj: str) -> str | None:
        provider = need_provider(state, obj)
        if provider == session:
            return None  # waiting for oneself is not a dependency worth drawing
        if provider is not None:
            return session_node(provider)
        key = f"item:{obj}"
        if key not in nodes:
            nodes[key] = Node(key, obj, "item")
        return key

    def add(edge: Edge) -> None:
        group = grouped.setdefault((edge.source, edge.target, edge.kind, edge.open), [])
        if all(e.label != edge.label for e in group):
            group.append(edge)

    for name in sorted(state.sessions):
        s = state.sessions[name]
        if name != DIRECTOR and s.last_seen_ms is not None:  # not a name only met as a target
            session_node(name)
        for need in s.needs:
            target = target_node(name, need)
            if target is not None:
                # "BACK.api" on an arrow that already points at BACK: "api" says it all
                label = need.split(".", 1)[1] if need.upper().startswith(target + ".") else need
                edge = Edge(session_node(name), target, "need", _short(label))
                edge.open = not state.satisfied(need)
                add(edge)
        blocked = block_on.get(name)
        if s.status == "blocked" and blocked and blocked[0]:
            obj, text = blocked
            upper = obj.upper()
            if upper in state.sessions and upper != name:
                target = session_node(upper)
            else:
                target = target_node(name, obj)
            if target is not None:
                add(Edge(session_node(name), target, "block", _short(text or obj)))
    for q in questions:
        if q.asker == q.target:
            continue
        label = q.summary() if q.kind == "ask" else f"{q.kind} {q.summary()}"
        add(Edge(session_node(q.asker), session_node(q.target), "ask", _short(label)))
    for d in directives:
        if d.fully_closed():
            continue
        label = _short(d.obj or d.detail)
        if d.target == ALL:
            pending = [w for w in state.workers() if w != d.author and w not in d.closed]
            if not pending:
                continue
            if "group:ALL" not in nodes:
                nodes["group:ALL"] = Node("group:ALL", "ALL", "group")
            add(Edge(session_node(d.author), "group:ALL", "direct", label))
        elif d.target != d.author:
            add(Edge(session_node(d.author), session_node(d.target), "direct", label))
    edges = []
    for group in grouped.values():
        first = group[0]
        if len(group) > 1:
            first.label = f"{first.label} +{len(group) - 1}"
        edges.append(first)
    return nodes, edges


def strongly_connected(order: Sequence[str], succ: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (no recursion limit); components in reverse topo order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in order:
        if root in index:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(succ.get(root, ())))]
        while work:
            v, it = work[-1]
            descended = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(succ.get(w, ()))))
                    descended = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if descended:
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == index[v]:
                comp: list[str] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def cycle_through(start: str, succ: Mapping[str, Sequence[str]], members: set[str]) -> list[str]:
    """A shortest cycle from *start* back to itself inside *members* (``[A, B, A]``)."""
    prev: dict[str, str] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        v = queue.popleft()
        for w in sorted(succ.get(v, ())):
            if w not in members:
                continue
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(prev[path[-1]])
                return [*reversed(path), start]
            if w not in seen:
                seen.add(w)
                prev[w] = v
                queue.append(w)
    return []


def find_deadlocks(nodes: Mapping[str, Node], edges: Sequence[Edge]) -> list[list[str]]:
    """Mark cycle nodes and edges; return one concrete cycle per deadlocked group."""
    succ: dict[str, list[str]] = {}
    for e in edges:
        if (
            e.open
            and e.kind in WAITS
            and nodes[e.source].kind == "session"
            and nodes[e.target].kind == "session"
        ):
            succ.setdefault(e.source, []).append(e.target)
    cycles: list[list[str]] = []
    member: dict[str, int] = {}
    for comp in strongly_connected(sorted(succ), succ):
        if len(comp) < 2:
            continue
        for name in comp:
            member[name] = len(cycles)
            nodes[name].cycle = True
        cycles.append(cycle_through(comp[0], succ, set(comp)))
    for e in edges:
        if (
            e.open
            and e.kind in WAITS
            and e.source in member
            and member.get(e.target) == member[e.source]
        ):
            e.cycle = True
    return sorted(cycles)


def back_edges(order: Sequence[str], succ: Mapping[str, Sequence[str]]) -> set[tuple[str, str]]:
    """Edges that close a cycle in a depth-first walk: turned around, the rest is acyclic."""
    on_path: set[str] = set()
    done: set[str] = set()
    back: set[tuple[str, str]] = set()
    for root in order:
        if root in done:
            continue
        on_path.add(root)
        work = [(root, iter(sorted(succ.get(root, ()))))]
        while work:
            v, it = work[-1]
            for w in it:
                if w in on_path:
                    back.add((v, w))
                elif w not in done:
                    on_path.add(w)
                    work.append((w, iter(sorted(succ.get(w, ())))))
                    break
            else:
                work.pop()
                on_path.discard(v)
                done.add(v)
    return back


def layout(nodes: Mapping[str, Node], edges: Sequence[Edge]) -> dict[str, int | None]:
    """Give every node x/y; return the canvas size and where the unconnected grid starts.

    Sugiyama-style: edges closing a cycle are turned around, nodes are ranked by longest
    path (so every arrow of a chain points right and a cycle shows as one arrow looping
    back underneath), then each column is ordered by the barycentre of its neighbours.
    """
    linked = sorted({e.source for e in edges} | {e.target for e in edges})
    succ: dict[str, list[str]] = {}
    preds: dict[str, list[str]] = {}
    for e in edges:
        if e.target not in succ.get(e.source, ()):
            succ.setdefault(e.source, []).append(e.target)
            preds.setdefault(e.target, []).append(e.source)
    back = back_edges(linked, succ)
    dag: dict[str, set[str]] = {}
    for u, targets in succ.items():
        for v in targets:
            a, b = (v, u) if (u, v) in back else (u, v)
            if a != b:
                dag.setdefault(a, set()).add(b)
    indegree = dict.fromkeys(linked, 0)
    for after in dag.values():
        for v in after:
            indegree[v] += 1
    rank = dict.fromkeys(linked, 0)
    ready = deque(n for n in linked if indegree[n] == 0)
    while ready:
        u = ready.popleft()
        for v in sorted(dag.get(u, ())):
            rank[v] = max(rank[v], rank[u] + 1)
            indegree[v] -= 1
            if indegree[v] == 0:
                ready.append(v)
    columns: list[list[str]] = [[] for _ in range(max(rank.values(), default=-1) + 1)]
    for n in linked:
        columns[rank[n]].append(n)
    pos = {n: i for col in columns for i, n in enumerate(col)}

    def barycentre(n: str, links: Mapping[str, list[str]]) -> float:
        near = [pos[m] for m in links.get(n, ()) if m in pos]
        return sum(near) / len(near) if near else float(pos[n])

    sweeps: tuple[tuple[dict[str, list[str]], list[list[str]]], ...] = (
        (preds, columns[1:]),
        (succ, list(reversed(columns[:-1]))),
    )
    for _ in range(3):  # a few sweeps are enough for pictures of this size
        for links, sweep in sweeps:
            for col in sweep:
                col.sort(key=lambda n: (barycentre(n, links), n))
                pos.update({n: i for i, n in enumerate(col)})
    tallest = max((len(c) for c in columns), default=0)
    step_y = NODE_H + GAP_Y
    for r, col in enumerate(columns):
        top = PAD + (tallest - len(col)) * step_y // 2
        for i, n in enumerate(col):
            nodes[n].x = PAD + r * (NODE_W + GAP_X)
            nodes[n].y = top + i * step_y
    width = PAD * 2 + max(len(columns), 1) * (NODE_W + GAP_X) - GAP_X
    height = PAD + tallest * step_y - GAP_Y + PAD if tallest else 0
    if any(rank[e.target] < rank[e.source] for e in edges):
        height += LOOP_ROOM  # arrows that loop back are drawn under the nodes
    rest = sorted(n for n in nodes if n not in pos)
    grid_y: int | None = None
    if rest:
        cols = min(max(len(columns), 4), MAX_GRID_COLUMNS, len(rest))
        grid_y = height + (GRID_GAP if height else PAD)
        for i, n in enumerate(rest):
            nodes[n].x = PAD + (i % cols) * (NODE_W + GRID_GAP_X)
            nodes[n].y = grid_y + (i // cols) * step_y
        width = max(width, PAD * 2 + cols * (NODE_W + GRID_GAP_X) - GRID_GAP_X)
        height = grid_y + ((len(rest) - 1) // cols + 1) * step_y - GAP_Y + PAD
    return {"width": width, "height": max(height, PAD * 2), "grid_y": grid_y}


def build_graph(
    state: SwarmState,
    questions: Iterable[Question],
    directives: Iterable[Directive],
    block_on: Mapping[str, tuple[str, str]],
) -> dict[str, Any]:
    """The whole picture as plain data for the page (and for tests)."""
    nodes, edges = build_edges(state, questions, directives, block_on)
    cycles = find_deadlocks(nodes, edges)
    size = layout(nodes, edges)
    return {
        **size,
        "nodes": [asdict(n) for n in nodes.values()],
        "edges": [
            {
                "from": e.source,
                "to": e.target,
                "kind": e.kind,
                "label": e.label,
                "open": e.open,
                "cycle": e.cycle,
            }
            for e in edges
        ],
        "cycles": cycles,
    }
