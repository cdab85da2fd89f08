"""Lint and apply a batch of stored records: the one place ingest semantics live.

Used by the daemon's ingest path and by :mod:`myco.testing`'s in-memory swarm alike.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from myco.names import ALL
from myco.protocol.events import Event, Record
from myco.protocol.grammar import _GLOBAL_ONLY, channels_of, parse_kvs, parse_line
from myco.protocol.state import SwarmState
from myco.registry import VerbRegistry, VerbSpec

_NO_KVS: dict[str, str] = {}  # shared and never mutated: events without key:value pairs


def to_event(record: Record, verbs: VerbRegistry) -> Event | None:
    """Parse a stored record into an event (None for a blank line).

    The hot path of replay: it inlines :func:`~myco.protocol.grammar.parse_line`.
    """
    parts = record.line.split(None, 2)
    if not parts:
        return None
    raw_verb = parts[0].lower()
    obj = parts[1] if len(parts) > 1 else ""
    detail = parts[2].strip() if len(parts) > 2 else ""
    if raw_verb in verbs.session_verbs:
        obj = obj.upper()
    elif ":" in obj:
        parsed = parse_line(record.line, verbs.session_verbs, verbs.keys)
        assert parsed is not None
        obj, detail = parsed.obj, parsed.detail
    if ":" in detail:
        kvs, text = parse_kvs(detail, verbs.keys)
        channels = channels_of(kvs)
    else:
        kvs, text, channels = _NO_KVS, detail, _GLOBAL_ONLY
    return Event(
        record.seq,
        record.ts_ms,
        record.session,
        verbs.canonical.get(raw_verb, raw_verb),
        obj,
        detail,
        text,
        kvs,
        channels,
    )


def lint(state: SwarmState, event: Event, now_ms: int) -> list[str]:
    """Warnings for the author of *event*, against the state before it is applied."""
    verbs = state.verbs
    spec = verbs.get(event.verb)
    out: list[str] = []
    if spec is None:
        public = verbs.public()
        hint = _did_you_mean(event.verb, public)
        out.append(
            f"unknown verb {event.verb!r}: recorded, but it changes nothing.{hint} "
            f"Verbs: {', '.join(s.name for s in public)}."
        )
    else:
        if spec.target:
            out.extend(_unknown_target(state, event))
        if spec.lint is not None:
            out.extend(spec.lint(state, event, now_ms))
    ref = event.kvs.get("spec", "")
    if ref.startswith("msg/") and ref[4:] not in state.msg_names:
        out.append(missing_msg(ref[4:]))
    return out


def missing_msg(name: str) -> str:
    """The lint for ``spec:msg/NAME`` when no such message exists (CLI first, then HTTP)."""
    return (
        f"spec:msg/{name} referenced but no such msg exists yet. Create it with "
        f"`myco msg put {name} FILE` (or inline `msgs` on this same post, or POST "
        f"/msg/{name}) or drop the spec: pointer — the recipient gets a 404 otherwise."
    )


def _unknown_target(state: SwarmState, event: Event) -> list[str]:
    """``ask BAKC``: a target nobody has heard of, close to a session that exists."""
    obj = event.obj
    target = state.sessions.get(obj)
    if not obj or obj == ALL or (target is not None and target.last_seen_ms is not None):
        return []
    known = [n for n, s in state.sessions.items() if s.last_seen_ms is not None and n != obj]
    close = difflib.get_close_matches(obj, known, n=1, cutoff=0.75)
    if not close:
        return []  # perhaps a session that has not started yet
    return [f"no session {obj} has posted yet: did you mean {close[0]}?"]


def _did_you_mean(word: str, public: Iterable[VerbSpec]) -> str:
    """`` Did you mean `start`?`` for a near miss such as ``strat`` ('' when none is close)."""
    names = {n: s.name for s in public for n in (s.name, *s.aliases)}
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return f" Did you mean `{names[close[0]]}`?" if close else ""


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
        # the same advice twice in one answer is noise (three asks citing one missing msg)
        warnings.extend(w for w in lint(state, ev, now_ms) if w not in warnings)
        state.apply(ev)
        events.append(ev)
    return events, warnings
