"""What the context plugin remembers per session, rebuilt from events like everything else.

Two internal verbs carry it, posted by the agent hooks (never shown in views):

* ``seen view rev:N turn:T`` -- the prompt hook injected the view (or delta) of revision
  ``N`` (the tenant's last sequence number when it was rendered) into agent turn ``T``.
  Every question and directive addressed to the session with a sequence number up to
  ``N`` is then *seen*, with that turn and time (a receipt).
* ``live STATE [source:S]`` -- a lifecycle hook fired: ``started`` (SessionStart, with its
  source), ``working``, ``idle`` (Stop), ``awaiting-human`` (a permission or input
  prompt), ``ended`` (SessionEnd).

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
    ledger(state).live[event.session] = Live(what, event.ts_ms, event.kvs.get("source", ""))


def lint_live(state: SwarmState, event: Event, now_ms: int) -> list[str]:
    if event.obj.lower() not in LIVE_STATES:
        return [f"live: unknown state {event.obj!r} (one of {', '.join(LIVE_STATES)})"]
    return []


def lint_seen(state: SwarmState, event: Event, now_ms: int) -> list[str]:
    if _int(event.kvs.get("rev")) is None:
        return ["seen: needs rev:<number> (posted by the prompt hook, not by agents)"]
    return []
