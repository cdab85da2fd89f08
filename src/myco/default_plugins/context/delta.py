"""Delta views: what changed for a session since the revision its hook last injected.

A *revision* is the tenant's last sequence number when a view was rendered. Given the
revision ``seen`` a session's hook injected last, the delta lists the events since then
that concern the session (addressed to it or to everyone, replies, directives, messages,
broadcasts on its channels, publications and resources it needs, new dependents), its
blockers and dependents when they may have changed, new receipts of its own questions and
its stalls; every ``resurface_turns`` turns it repeats what is addressed to it and still
open. With nothing to say it is one line. A revision the daemon cannot compute a delta
from (unknown, in the future, or older than the events it keeps) gets the full view.

The cost follows the number of new events, never the length of the history.
"""

from __future__ import annotations

from typing import NamedTuple

from myco.names import ALL, DIRECTOR
from myco.protocol.events import Event
from myco.protocol.grammar import GLOBAL
from myco.protocol.state import SwarmState
from myco.protocol.visibility import visible
from myco.registry import ViewSectionRegistry
from myco.sanitize import view_text
from myco.views import markdown
from myco.views import sections as sec

from . import receipts, stalls
from .ledger import ledger
from .settings import SETTINGS

#: verbs whose object, when the viewer needs it, makes the event the viewer's business
PROVIDING = frozenset({"done", "up", "down"})


class Delta(NamedTuple):
    text: str
    #: ``full``, ``delta`` or ``nothing``
    mode: str
    rev: int


def marker(rev: int, mode: str, since: int | None = None) -> str:
    """The first line of every answer: the revision the hook reports as injected."""
    base = f"<!-- myco rev:{rev} {mode}"
    return base + (f" since:{since} -->" if since is not None else " -->")


def concerns(state: SwarmState, ev: Event, me: str, needs: dict[str, None]) -> bool:
    """Is *ev* (by someone else, visible to *me*) *me*'s business?"""
    if me == DIRECTOR:
        return True
    obj = ev.obj
    if obj in (me, ALL):
        return True
    if ev.verb in PROVIDING and obj and (obj in needs or any(n.startswith(obj) for n in needs)):
        return True
    if ev.verb == "need" and obj.startswith(me + "."):
        return True
    if ev.verb == "need" and obj in state.session(me).provides:
        return True
    if ev.verb == "say":  # a broadcast (the channel gate already applied)
        return True
    return GLOBAL not in ev.channels  # a message on one of the viewer's channels


def render_delta(
    sections: ViewSectionRegistry,
    state: SwarmState,
    me: str,
    now_ms: int,
    budget: int,
    seen: int | None,
    turn: int = 0,
) -> Delta:
    rev = state.last_seq
    events = state.events_after(seen) if seen is not None and seen <= rev else None
    if events is None:
        text = markdown.render(sections, state, me, now_ms, budget - 80)
        return Delta(marker(rev, "full") + "\n" + text, "full", rev)
    assert seen is not None
    me_state = state.session(me)
    channels = me_state.channels
    needs = me_state.needs
    verbs = state.verbs
    new: list[str] = []
    needs_changed = False
    for ev in events:
        spec = verbs.get(ev.verb)
        if spec is not None and spec.internal:
            continue
        if ev.session == me:
            needs_changed = needs_changed or ev.verb == "need"
            continue
        if not visible(state, ev, me, channels) or not concerns(state, ev, me, needs):
            continue
        if ev.verb in PROVIDING or ev.verb == "need":
            needs_changed = True
        new.append(sec.event_line(ev, True))
    blocks: list[tuple[str, list[str]]] = []
    if new:
        blocks.append(("NEW FOR YOU", ["```", *new[-40:], "```"]))
    if needs_changed and me != DIRECTOR:
        blockers = state.blockers_for(me)
        dependents = state.dependents_of(me)
        blocks.append(
            (
                "YOUR BLOCKERS AND DEPENDENTS",
                [
                    "Blocked by: " + (view_text(", ".join(blockers)) or "nothing"),
                    "Waiting on you: " + (", ".join(dependents) or "nobody"),
                ],
            )
        )
    book = ledger(state)
    fresh = [
        receipts.ask_line(state, q.seq)
        for q in state.questions.values()
        if q.asker == me and (r := book.receipts.get(("ask", q.seq))) is not None and r.seq > seen
    ]
    if fresh:
        blocks.append(("RECEIPTS", fresh))
    stall_lines = stalls.section(state, me, now_ms, 20)
    if stall_lines and (new or turn_due(turn)):
        blocks.append(("STALLS", stall_lines))
    if turn_due(turn):
        still = still_open(state, me, now_ms)
        if still:
            blocks.append(("STILL OPEN FOR YOU", still))
    head = marker(rev, "delta", seen)
    if not blocks:
        note = f"myco: nothing new for {me} since your last view (rev {seen} → {rev})."
        return Delta(f"{marker(rev, 'nothing', seen)}\n{note}\n", "nothing", rev)
    body = "".join(f"## {h}\n" + "\n".join(lines) + "\n\n" for h, lines in blocks)
    text = f"{head}\n# myco delta — {me} (since rev {seen})\n\n{body}"
    return Delta(markdown_clip(text, budget), "delta", rev)


def turn_due(turn: int) -> bool:
    k = SETTINGS.resurface_turns
    return k > 0 and turn > 0 and turn % k == 0


def still_open(state: SwarmState, me: str, now_ms: int) -> list[str]:
    """What is addressed to *me* and not resolved: questions, directives, messages."""
    lines = [
        f"- ask from {q.asker} [{sec.ts(q.ts_ms)}]: {view_text(q.detail[:120])}"
        for q in state.pending_for(me, now_ms)
    ]
    lines += [
        f"- direct from {d.author} [{sec.ts(d.ts_ms)}]: {view_text(d.detail[:120])}"
        for d in state.directives_for(me)
        if not d.closed_for(me)
    ]
    lines += [
        f"- message `{view_text(spec)}` from {m.sender}"
        for spec, m in state.inbox.get(me, {}).items()
    ]
    return lines


def markdown_clip(text: str, budget: int) -> str:
    if len(text) <= budget:
        return text
    end = "\n_… delta cut at its budget; `myco view` has everything._\n"
    cut = text.rfind("\n", 0, budget - len(end))
    return text[: max(cut, 0)] + end
