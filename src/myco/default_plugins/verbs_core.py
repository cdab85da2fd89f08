"""Core work verbs: start, done, need, block, up, down, private (log, note) and ack.

Registered through ``register_verbs`` exactly as a third-party verb would be.
"""

from __future__ import annotations

from myco.hookspecs import hookimpl
from myco.protocol.events import Event
from myco.protocol.state import Artifact, Resource, SwarmState
from myco.registry import VerbRegistry, VerbSpec


def _pending_summary(state: SwarmState, event: Event, now_ms: int) -> list[str]:
    ref = event.kvs.get("re", "")
    # a request this very event answers (``done x re:x`` closing a review) is not pending
    pending = [
        q
        for q in state.pending_for(event.session, now_ms)
        if not (ref and ref in (q.subject, q.spec))
    ]
    if not pending:
        return []
    parts = []
    for q in pending[:3]:
        d = q.detail if len(q.detail) <= 60 else q.detail[:57] + "..."
        parts.append(f"{q.asker}→you: {d}")
    return [
        f"{event.verb} with {len(pending)} pending ask(s) for you ({'; '.join(parts)}). "
        "Reply or acknowledge before closing the turn."
    ]


def start(state: SwarmState, event: Event) -> None:
    s = state.session(event.session)
    s.status = "active"
    s.action = f"start {event.obj}".rstrip()
    s.working_on = event.obj


def done(state: SwarmState, event: Event) -> None:
    s = state.session(event.session)
    s.status = "idle"
    s.action = f"done {event.obj}".rstrip()
    s.working_on = ""
    if not event.obj:
        return
    state.provide(event.session, event.obj)
    state.provide(event.session, f"{event.session}.{event.obj}")
    kv = event.kvs
    key = (event.session, event.obj)
    state.add_artifact(  # re-inserted: newest last, the oldest forgotten beyond the limit
        key,
        Artifact(
            event.seq,
            event.ts_ms,
            event.session,
            event.obj,
            kv.get("ref", ""),
            kv.get("spec", ""),
            kv.get("result", ""),
        ),
    )
    ref = kv.get("re", "")
    if ref:
        for d in reversed(state.directives_for(event.session)):
            if not d.closed_for(event.session) and d.matches(ref):
                d.closed[event.session] = event.seq
                state.prune_directives()
                break


def lint_done(state: SwarmState, event: Event, now_ms: int) -> list[str]:
    out = _pending_summary(state, event, now_ms)
    me = event.session
    open_ds = [d for d in state.directives_for(me) if not d.closed_for(me)]
    ref = event.kvs.get("re", "")
    answers = ref and any(ref in (q.subject, q.spec) for q in state.pending_for(me, now_ms))
    if ref and not answers:
        if not any(d.matches(ref) for d in open_ds):
            names = ", ".join(d.obj or d.spec for d in open_ds) or "none"
            out.append(
                f"done re:{ref}: matches no open directive for you (open: {names}). "
                "The directive stays open."
            )
    elif not ref:
        mine = [d for d in open_ds if d.target == me]
        if mine:
            objs = ", ".join(d.obj or d.spec for d in mine[:3])
            out.append(
                f"done without re: while {len(mine)} directive(s) for you are open ({objs}). "
                "Add re:<obj> to close the one this done fulfils."
            )
    return out


def need(state: SwarmState, event: Event) -> None:
    if event.obj:
        state.add_need(event.session, event.obj)


def block(state: SwarmState, event: Event) -> None:
    s = state.session(event.session)
    s.status = "blocked"
    s.action = f"blocked: {event.obj} {event.text}".strip()


def _resource(state: SwarmState, event: Event, up: bool) -> None:
    name = f"{event.obj} {event.text}".strip()
    if not name:
        return
    old = state.resources.get(name)
    addr = event.kvs.get("addr") or (old.addr if old else "")
    state.resources[name] = Resource(
        name, "UP" if up else "DOWN", addr, event.seq, event.ts_ms, event.session
    )


def up(state: SwarmState, event: Event) -> None:
    _resource(state, event, True)


def down(state: SwarmState, event: Event) -> None:
    _resource(state, event, False)


def private(state: SwarmState, event: Event) -> None:
    s = state.session(event.session)
    s.activate()
    s.action = "private"  # the action is public (DIRECTOR table, /status): keep the note out
    ack = event.kvs.get("ack", "")
    if ack:
        state.ack(ack, event.session)
    ref = event.kvs.get("re", "")
    if ref:  # the author retires one of its own directives, for everyone
        for d in reversed(state.directives):
            key = "*" if d.target == "ALL" else d.target
            if d.author == event.session and key not in d.closed and d.matches(ref):
                d.closed[key] = event.seq
                state.prune_directives()
                break


def lint_private(state: SwarmState, event: Event, now_ms: int) -> list[str]:
    if "ack" in event.kvs:
        return []  # acknowledging is what the warning would ask for
    pending = state.pending_for(event.session, now_ms)
    if not pending:
        return []
    askers = ", ".join(sorted({q.asker for q in pending}))
    return [
        f"{event.verb}: peers can't see this. You have pending ask(s) from {askers} — "
        "if you're answering, use `reply <session>` instead."
    ]


def private_visible(state: SwarmState, event: Event, viewer: str) -> bool:
    ack = event.kvs.get("ack", "")
    return bool(ack) and viewer in state.asked.get(ack, ())


def ack(state: SwarmState, event: Event) -> None:
    if event.obj:
        state.ack(event.obj, event.session)


def _never(state: SwarmState, event: Event, viewer: str) -> bool:
    return False


@hookimpl
def register_verbs(verbs: VerbRegistry) -> None:
    add = verbs.add
    add(
        VerbSpec(
            "start",
            start,
            "you begin working on something",
            lint=lambda st, ev, now: _pending_summary(st, ev, now),
            example="start login-form",
        )
    )
    add(
        VerbSpec(
            "done",
            done,
            "finished and published (add `re:<obj>` if it fulfils a directive)",
            lint=lint_done,
            example="done login-form ref:feat/login result:ok",
        )
    )
    add(
        VerbSpec(
            "need",
            need,
            "you depend on a peer's `done` or an `up` resource",
            example="need BACK.auth-api",
        )
    )
    add(VerbSpec("block", block, "you cannot proceed", example="block waiting for db credentials"))
    add(
        VerbSpec(
            "up",
            up,
            "a shared resource is available",
            example="up dev-server addr:http://127.0.0.1:8080",
        )
    )
    add(VerbSpec("down", down, "a shared resource went away", example="down dev-server"))
    add(
        VerbSpec(
            "private",
            private,
            "a note only you see; `ack:` marks a message read",
            example="private ack ack:msg/BACK-002.md",
            aliases=("log", "note"),
            lint=lint_private,
            visible=private_visible,
        )
    )
    add(VerbSpec("ack", ack, "mark msg/<file> as read", visible=_never, internal=True))
