"""Who sees which event in RECENT EVENTS.

Order of the rules: bookkeeping verbs are never listed; the author sees its own events;
the channel gate (``global``, a mention of the viewer, or a shared channel); then the verb's
own rule (``reply`` only for its target, ``private`` only for its author); else visible.
"""

from __future__ import annotations

from myco.protocol.events import Event
from myco.protocol.grammar import GLOBAL
from myco.protocol.state import SwarmState


def in_scope(event: Event, viewer: str, viewer_channels: set[str]) -> bool:
    """The channel gate."""
    ch = event.channels
    return GLOBAL in ch or event.obj == viewer or not ch.isdisjoint(viewer_channels)


def visible(state: SwarmState, event: Event, viewer: str, viewer_channels: set[str]) -> bool:
    spec = state.verbs.get(event.verb)
    if spec is not None and spec.internal:
        return False
    if event.session == viewer:
        return True
    if not in_scope(event, viewer, viewer_channels):
        return False
    if spec is not None and spec.visible is not None:
        verdict = spec.visible(state, event, viewer)
        if verdict is not None:
            return verdict
    return True


def recent_for(state: SwarmState, viewer: str, limit: int) -> list[Event]:
    """The newest *limit* events *viewer* may see, oldest first."""
    if limit <= 0:
        return []
    me = state.sessions.get(viewer)
    channels = me.channels if me is not None else {GLOBAL}
    out: list[Event] = []
    for ev in reversed(state.events):
        if visible(state, ev, viewer, channels):
            out.append(ev)
            if len(out) >= limit:
                break
    out.reverse()
    return out
