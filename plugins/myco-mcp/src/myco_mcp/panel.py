"""The ``THREADS`` view section: the recent threads a viewer may see, as plain data.

The section has no markdown lines (agents read threads through the ``thread`` tool and
``GET /threads``, not in their view's budget): it exists for its ``data``, which the JSON
view and the dashboard's plugin panels show. It is computed from the state alone (a view
section is synchronous): the threads with events in the state's ring of recent events,
newest activity first, each event shown only if :func:`myco.protocol.visibility.visible`
lets the viewer see it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from myco.protocol.grammar import GLOBAL
from myco.protocol.visibility import visible
from myco.registry import ViewSection
from myco_mcp.threads import threads_of

if TYPE_CHECKING:
    from myco.protocol.events import Event
    from myco.protocol.state import SwarmState

HEADING = "THREADS"
#: threads listed in the section
SHOWN = 20
#: characters of a line shown
LINE_MAX = 160
#: events listed per thread (the newest; ``count`` has them all)
EVENTS_SHOWN = 10


def no_lines(state: SwarmState, session: str, now_ms: int, limit: int) -> list[str]:
    """Nothing in the markdown view: the section is data only."""
    return []


def data(state: SwarmState, session: str, now_ms: int) -> list[dict[str, Any]]:
    """Recent threads *session* may see: ``{id, text, meta, ts_ms, count, events}`` each
    (``events``: the newest :data:`EVENTS_SHOWN` of the ``count`` it may see)."""
    threads = threads_of(state)
    me = state.sessions.get(session)
    channels = me.channels if me is not None else {GLOBAL}
    shown: dict[int, list[Event]] = {}
    for ev in reversed(state.events):  # newest first: the first hit is the latest activity
        tid = threads.of_seq.get(ev.seq)
        if tid is None or tid not in threads.members:
            continue
        if tid not in shown and len(shown) >= SHOWN:
            continue
        if not visible(state, ev, session, channels):
            continue
        shown.setdefault(tid, []).append(ev)
    out = []
    for tid, events in shown.items():
        events.reverse()  # oldest first
        first, last = events[0], events[-1]
        out.append(
            {
                "id": tid,
                "text": f"#{tid} {first.session}: {first.line}"[:LINE_MAX],
                "meta": f"{len(events)} event(s) · last: {last.session}: {last.line}"[:LINE_MAX],
                "ts_ms": last.ts_ms,
                "count": len(events),
                "events": [
                    {"seq": e.seq, "session": e.session, "line": e.line}
                    for e in events[-EVENTS_SHOWN:]
                ],
            }
        )
    return out


SECTION = ViewSection(HEADING, no_lines, order=960, priority=5, data=data)
