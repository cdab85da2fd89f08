"""In-process view render time as the history grows (the state is built by direct apply).

Events are applied the way replay applies them (``to_event`` + ``SwarmState.apply``, no
HTTP, no lint); at each checkpoint every session's markdown view is rendered a few times
(``rounds`` per worker, ``rounds * DIRECTOR_EXTRA`` for the one DIRECTOR view).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from attrs import define, field

from bench import workload
from bench.http_load import percentile
from myco.protocol.engine import to_event
from myco.testing import Swarm

BUDGET = 9000
#: the DIRECTOR view is one per swarm: render it this many times more often than a worker's
DIRECTOR_EXTRA = 5


@define
class RenderPoint:
    events: int
    #: per-render seconds over every session (workers and DIRECTOR), sorted
    worker: list[float] = field(factory=list)
    director: list[float] = field(factory=list)
    apply_seconds: float = 0.0

    def p(self, which: str, q: float) -> float:
        """Percentile in milliseconds of ``worker`` or ``director`` renders."""
        return percentile(getattr(self, which), q) * 1000


def measure(
    checkpoints: Sequence[int], sessions: int = 50, rounds: int = 3, seed: int = 11
) -> list[RenderPoint]:
    """Apply events up to each checkpoint in turn and time the views there."""
    swarm = Swarm()
    state, verbs = swarm.state, swarm.verbs
    renderer = swarm.renderers.get("markdown")
    assert renderer is not None
    apply = state.apply
    points = []
    stream = workload.records(max(checkpoints), sessions=sessions, seed=seed)
    done = 0
    last_ts = workload.START_MS
    for target in sorted(checkpoints):
        t0 = time.perf_counter()
        for rec, msg in stream:
            if msg:
                state.msg_names.add(msg)
            ev = to_event(rec, verbs)
            if ev is not None:
                apply(ev)
            last_ts = rec.ts_ms
            done += 1
            if done >= target:
                break
        point = RenderPoint(done, apply_seconds=time.perf_counter() - t0)
        now = last_ts + 5000
        names = sorted(state.sessions)
        for r in range(rounds * DIRECTOR_EXTRA):
            for name in names:
                director = name == "DIRECTOR"
                if not director and r >= rounds:
                    continue
                t1 = time.perf_counter()
                renderer.render(state, name, now, BUDGET)
                dt = time.perf_counter() - t1
                (point.director if director else point.worker).append(dt)
        point.worker.sort()
        point.director.sort()
        points.append(point)
    return points
