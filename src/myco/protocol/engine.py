"""Lint and apply a batch of stored records: the one place ingest semantics live.

Used by the daemon's ingest path and by :mod:`myco.testing`'s in-memory swarm alike.
"""

from __future__ import annotations

from collections.abc import Iterable

from myco.protocol.events import Event, Record
from myco.protocol.grammar import parse_line
from myco.protocol.state import SwarmState
from myco.registry import VerbRegistry


def to_event(record: Record, verbs: VerbRegistry) -> Event | None:
    """Parse a stored record into an event (None for a blank line)."""
    parsed = parse_line(record.line, verbs.session_verbs, verbs.keys)
    if parsed is None:
        return None
    verb = verbs.canonical.get(parsed.verb, parsed.verb)
    return Event(
        record.seq, record.ts_ms, record.session, verb, parsed.obj, parsed.detail,
        parsed.text, parsed.kvs, parsed.channels,
    )


def lint(state: SwarmState, event: Event, now_ms: int) -> list[str]:
    """Warnings for the author of *event*, against the state before it is applied."""
    verbs = state.verbs
    spec = verbs.get(event.verb)
    out: list[str] = []
    if spec is None:
        out.append(
            f"unknown verb {event.verb!r}: recorded, but it changes nothing. "
            f"Verbs: {', '.join(s.name for s in verbs.public())}."
        )
    elif spec.lint is not None:
        out.extend(spec.lint(state, event, now_ms))
    ref = event.kvs.get("spec", "")
    if ref.startswith("msg/") and ref[4:] not in state.msg_names:
        out.append(
            f"spec:{ref} referenced but no such msg exists yet. Create it (inline `msgs` on "
            f"this same POST, or POST /msg/{ref[4:]}) or drop the spec: pointer — the "
            "recipient gets a 404 otherwise."
        )
    return out


def apply_batch(
    state: SwarmState, records: Iterable[Record], now_ms: int
) -> tuple[list[Event], list[str]]:
    """Lint then apply each record in order; returns the applied events and warnings."""
    events: list[Event] = []
    warnings: list[str] = []
    for rec in records:
        ev = to_event(rec, state.verbs)
        if ev is None:
            continue
        warnings.extend(lint(state, ev, now_ms))
        state.apply(ev)
        events.append(ev)
    return events, warnings
