"""Messaging verbs: ask, reply, say and direct."""

from __future__ import annotations

from myco.hookspecs import hookimpl
from myco.protocol.events import Event
from myco.protocol.grammar import directive_object
from myco.protocol.state import Broadcast, Directive, Question, SwarmState
from myco.registry import VerbRegistry, VerbSpec


def ask(state: SwarmState, event: Event) -> None:
    if not event.obj or event.obj == event.session:
        return  # a self-ask is listed but asks nothing
    s = state.session(event.session)
    s.activate()
    s.action = f"ask {event.obj}"
    spec = event.kvs.get("spec", "")
    state.add_question(
        Question(
            event.seq,
            event.ts_ms,
            event.session,
            event.obj,
            event.detail,
            event.text,
            spec,
            event.channels,
        )
    )
    if spec:
        state.note_asked(spec, event.session)
        state.address_msg(spec, event.session, event.obj, event.seq)


def lint_ask(state: SwarmState, event: Event, now_ms: int) -> list[str]:
    if event.obj == event.session:
        return [f"ask {event.obj}: you cannot ask yourself; recorded, but it asks nothing."]
    return []


def _resolve_by_spec(
    state: SwarmState, spec: str, by: str, asker: str | None, *, anyone: bool = False
) -> bool:
    """Resolve the oldest open question carrying *spec* that was asked of *by*.

    Only the DIRECTOR's ``direct ... re:`` (*anyone*) may close a question asked of someone
    else: a third party's reply never closes another session's question.
    """
    mine = [q for q in state.questions_to(by) if q.spec == spec]
    for pick in (
        [q for q in mine if asker is None or q.asker == asker],
        mine,
        [q for q in state.questions.values() if q.spec == spec] if anyone else [],
    ):
        if pick:
            state.resolve_question(pick[0], by)
            return True
    return False


def reply(state: SwarmState, event: Event) -> None:
    me, peer = event.session, event.obj
    s = state.session(me)
    s.activate()
    s.action = f"reply {peer}".rstrip()
    kv = event.kvs
    if kv.get("ack"):
        state.ack(kv["ack"], me)
    spec = kv.get("spec", "")
    if spec:
        state.address_msg(spec, me, peer, event.seq)
    if peer:
        s.last_reply[peer] = spec
    ref = kv.get("re", "")
    if not (ref and _resolve_by_spec(state, ref, me, peer)):
        for q in [q for q in state.questions_to(me) if q.asker == peer]:
            state.resolve_question(q, me)
    if ref:  # answering a directive closes it for me
        for d in reversed(state.directives_for(me)):
            if d.author == peer and not d.closed_for(me) and d.matches(ref):
                d.closed[me] = event.seq
                state.prune_directives()
                break


def lint_reply(state: SwarmState, event: Event, now_ms: int) -> list[str]:
    peer, me = event.obj, event.session
    if not peer:
        return ["reply needs a target session: `reply <SESSION> <answer>`."]
    if any(q.asker == peer for q in state.pending_for(me, now_ms)):
        return []
    ref = event.kvs.get("re", "")
    if ref and any(
        d.author == peer and not d.closed_for(me) and d.matches(ref)
        for d in state.directives_for(me)
    ):
        return []  # answering a directive from peer is what reply re: is for
    return [
        f"reply {peer}: no pending ask from {peer} to {me}. To start a new question use "
        f"`ask {peer}`; `reply` is for answering an existing ask and won't appear in "
        f"{peer}'s PENDING QUESTIONS otherwise."
    ]


def reply_visible(state: SwarmState, event: Event, viewer: str) -> bool:
    return event.obj == viewer


def say(state: SwarmState, event: Event) -> None:
    s = state.session(event.session)
    s.activate()
    s.action = f"say {event.obj}".rstrip()
    text = f"{event.obj} {event.text}".strip()
    state.broadcasts.append(Broadcast(event.seq, event.ts_ms, event.session, text, event.channels))


def direct(state: SwarmState, event: Event) -> None:
    if not event.obj:
        return
    kv = event.kvs
    state.directives.append(
        Directive(
            event.seq,
            event.ts_ms,
            event.session,
            event.obj,
            event.detail,
            directive_object(event.text),
            kv.get("spec", ""),
        )
    )
    if kv.get("re"):
        _resolve_by_spec(state, kv["re"], event.session, None, anyone=True)


def lint_direct(state: SwarmState, event: Event, now_ms: int) -> list[str]:
    if not event.obj:
        return ["direct needs a target: `direct <SESSION|all> <instruction>`."]
    return []


def _visible(state: SwarmState, event: Event, viewer: str) -> bool:
    return True


@hookimpl
def register_verbs(verbs: VerbRegistry) -> None:
    verbs.add(
        VerbSpec(
            "ask",
            ask,
            "ask a session; it sees it under PENDING QUESTIONS",
            example="ask BACK token-format spec:msg/FRONT-001.md",
            target=True,
            lint=lint_ask,
            visible=_visible,
        )
    )
    verbs.add(
        VerbSpec(
            "reply",
            reply,
            "answer a question (`re:` = the question's spec)",
            example="reply FRONT jwt-hs256 re:msg/FRONT-001.md",
            target=True,
            lint=lint_reply,
            visible=reply_visible,
        )
    )
    verbs.add(
        VerbSpec(
            "say", say, "tell everyone", visible=_visible, example="say deploying front in 10min"
        )
    )
    verbs.add(
        VerbSpec(
            "direct",
            direct,
            "instruct a session or `all` (DIRECTOR only)",
            example="direct BACK prioritise refresh tokens",
            target=True,
            allow_all=True,
            lint=lint_direct,
            visible=_visible,
        )
    )
