"""What the context plugin remembers per session, rebuilt from events like everything else.

Two internal verbs carry it, posted by the agent hooks (never shown in views):

* ``seen view rev:N turn:T`` -- the prompt hook injected the view (or delta) of revision
  ``N`` (the tenant's last sequence number when it was rendered) into agent turn ``T``.
  Every question and directive addressed to the session with a sequence number up to
  ``N`` is then *seen*, with that turn and time (a receipt).
* ``live STATE [source:S]`` -- a lifecycle hook fired: ``started`` (SessionStart, with its
  source), ``working``, ``idle`` (Stop), ``awaiting-human`` (a permission or input
  prompt), ``ended`` (SessionEnd). A directive or urgent question that reaches a session
  awaiting its human is kept (``untold``) until that session's next report, whose answer
  tells the human (the hooks show warnings on ``live`` posts to the human).

Because they are events, receipts and revisions survive restarts and reach Redis replicas
through the store. The ledger stays bounded: one record per session and one receipt per
open question or directive (receipts of resolved items are forgotten).
"""

from __future__ import annotations

from attrs import define, field

from myco.protocol.events import Event
from myco.protocol.state import SwarmState

KEY = "myco.default_plugins.context"
LIVE_STATES = ("started", "working", "idle", "awaiting-human", "ended")


@define(slots=True)
class Seen:
    """The last view a session's hook injected."""

    rev: int
    turn: int
    ts_ms: int
    seq: int


@define(slots=True)
class Live:
    """The last lifecycle state a session's hooks reported."""

    state: str
    since_ms: int
    source: str = ""


@define(slots=True)
class Receipt:
    """An addressed item reached its target's context: in which turn, when."""

    session: str
    turn: int
    ts_ms: int
    #: sequence number of the ``seen`` event (deltas show receipts newer than their base)
    seq: int


@define(slots=True)
class Ledger:
    seen: dict[str, Seen] = field(factory=dict)
    live: dict[str, Live] = field(factory=dict)
    #: ("ask" | "direct", item seq) -> receipt
    receipts: dict[tuple[str, int], Receipt] = field(factory=dict)
    #: session -> (verb, seq) of directives and urgent asks that reached it while it was
    #: awaiting its human (no wake): its hooks' next lifecycle report tells the human
    untold: dict[str, list[tuple[str, int]]] = field(factory=dict)


def ledger(state: SwarmState) -> Ledger:
    found = state.extras.get(KEY)
    if not isinstance(found, Ledger):
        found = state.extras[KEY] = Ledger()
    return found


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def apply_seen(state: SwarmState, event: Event) -> None:
    """Record the injected revision and a receipt for every item it covered."""
    book = ledger(state)
    me = event.session
    rev = _int(event.kvs.get("rev"))
    turn = _int(event.kvs.get("turn")) or 0
    if rev is None or rev < 0:
        return
    rev = min(rev, event.seq)
    before = book.seen.get(me)
    floor = before.rev if before is not None else 0
    book.seen[me] = Seen(rev, turn, event.ts_ms, event.seq)
    book.live[me] = Live("working", event.ts_ms)
    receipt = Receipt(me, turn, event.ts_ms, event.seq)
    # newest first, stopping at what the previous receipt already covered: the cost
    # follows what is new, not the number of open items
    for q in reversed(state.questions.values()):
        if q.seq <= floor and before is not None:
            break
        if q.target == me and q.seq <= rev:
            book.receipts.setdefault(("ask", q.seq), receipt)
    for d in reversed(state.directives):
        if d.seq <= floor and before is not None:
            break
        if d.target == me and d.seq <= rev and not d.closed_for(me):
            book.receipts.setdefault(("direct", d.seq), receipt)
    untold = book.untold.get(me)
    if untold:  # the model saw them: nothing left to tell its human
        book.untold[me] = [item for item in untold if item[1] > rev]
    _forget_resolved(state, book)


def _forget_resolved(state: SwarmState, book: Ledger) -> None:
    """Drop receipts of items that are gone (amortised: runs when receipts pile up)."""
    if len(book.receipts) <= 2 * (len(state.questions) + len(state.directives)) + 64:
        return
    open_directives = {d.seq for d in state.directives if not d.fully_closed()}
    book.receipts = {
        k: r
        for k, r in book.receipts.items()
        if (k[0] == "ask" and k[1] in state.questions)
        or (k[0] == "direct" and k[1] in open_directives)
    }


def apply_live(state: SwarmState, event: Event) -> None:
    what = event.obj.lower()
    if what not in LIVE_STATES:
        return
    book = ledger(state)
    book.live[event.session] = Live(what, event.ts_ms, event.kvs.get("source", ""))
    if what != "ended":  # the report's answer told the human (see lint_live)
        book.untold.pop(event.session, None)


def lint_live(state: SwarmState, event: Event, now_ms: int) -> list[str]:
    """An unknown state; else what the human behind the reporting hook should hear.

    Warnings answering a ``live`` post go to the human (the hooks post it, never the
    model): a directive or urgent question that arrived while the session waited for its
    human, woke nobody and is still unseen. ``live ended`` keeps them for the next start.
    """
    what = event.obj.lower()
    if what not in LIVE_STATES:
        return [f"live: unknown state {event.obj!r} (one of {', '.join(LIVE_STATES)})"]
    if what == "ended":
        return []
    return [
        line
        for verb, seq in ledger(state).untold.get(event.session, ())
        if (line := _untold_line(state, event.session, verb, seq))
    ]


def _untold_line(state: SwarmState, me: str, verb: str, seq: int) -> str:
    from myco.sanitize import view_text

    if verb == "ask":
        q = state.questions.get(seq)
        if q is None:
            return ""  # answered meanwhile
        who, ts, text, what = q.asker, q.ts_ms, q.detail, "an urgent question"
    else:
        d = next((d for d in state.directives if d.seq == seq), None)
        if d is None or d.closed_for(me):
            return ""
        who, ts, text, what = d.author, d.ts_ms, d.detail, "a directive"
    from myco.clock import iso_s

    return (
        f"while {me} waited for you, {who} sent it {what} ({iso_s(ts)[11:16]} UTC): "
        f"{view_text(text[:160])} — {me} was not woken; your next prompt shows it to {me}."
    )


#: the most untold items kept per session (the oldest are dropped)
UNTOLD_MAX = 20


def note_untold(state: SwarmState, event: Event) -> None:
    """Observer: a directive or urgent ask to a session awaiting its human wakes nobody
    (:mod:`.wake`); remember it so that the session's next lifecycle report tells the human.
    """
    verb = event.verb
    if verb not in ("direct", "ask"):
        return
    from .wake import wants_wake

    target = event.obj
    book = ledger(state)
    live = book.live.get(target)
    if live is None or live.state != "awaiting-human" or target == event.session:
        return
    if wants_wake(event):
        items = book.untold.setdefault(target, [])
        items.append((verb, event.seq))
        del items[:-UNTOLD_MAX]


def lint_seen(state: SwarmState, event: Event, now_ms: int) -> list[str]:
    if _int(event.kvs.get("rev")) is None:
        return ["seen: needs rev:<number> (posted by the prompt hook, not by agents)"]
    return []
