"""Seen receipts in views: the asker learns whether its target's model saw the question.

Each open question or directive is *delivered* (in the store), then *seen* (a ``seen``
event covered it: turn and time), then *answered* (it leaves the state). The asker's
YOUR OPEN ASKS section says which; the DIRECTOR's UNSEEN section lists items their target
has not seen for longer than ``unseen_minutes``.
"""

from __future__ import annotations

from myco import clock
from myco.names import DIRECTOR
from myco.protocol.state import SwarmState
from myco.sanitize import view_text

from .ledger import Receipt, ledger
from .settings import MINUTE_MS, SETTINGS


def hhmm(ts_ms: int) -> str:
    return clock.iso_s(ts_ms)[11:16]


def status(receipt: Receipt | None, target: str) -> str:
    if receipt is None:
        return f"delivered, not seen by {target} yet"
    return f"seen by {target} {hhmm(receipt.ts_ms)} (turn {receipt.turn}), no reply yet"


def ask_line(state: SwarmState, seq: int) -> str:
    q = state.questions[seq]
    receipt = ledger(state).receipts.get(("ask", seq))
    text = view_text(q.detail[:80])
    return f"- ask {q.target} [{hhmm(q.ts_ms)}] {text} — {status(receipt, q.target)}"


def open_asks(state: SwarmState, me: str, now_ms: int, limit: int) -> list[str]:
    """YOUR OPEN ASKS: the asker's questions still open, with their receipts."""
    lines = [ask_line(state, q.seq) for q in state.questions.values() if q.asker == me]
    book = ledger(state)
    for d in state.directives:
        if d.author == me and d.target not in ("ALL", "*") and not d.fully_closed():
            r = book.receipts.get(("direct", d.seq))
            text = view_text(d.detail[:80])
            lines.append(f"- direct {d.target} [{hhmm(d.ts_ms)}] {text} — {status(r, d.target)}")
    return lines[-limit:] if limit > 0 else []


def unseen(state: SwarmState, me: str, now_ms: int, limit: int) -> list[str]:
    """UNSEEN (DIRECTOR): addressed items their target has not seen for too long."""
    if me != DIRECTOR:
        return []
    book = ledger(state)
    late = now_ms - SETTINGS.unseen_minutes * MINUTE_MS
    lines = []
    for q in state.questions.values():
        if q.ts_ms < late and ("ask", q.seq) not in book.receipts:
            age = clock.age_label(now_ms - q.ts_ms)
            lines.append(f"- ask {q.asker} → {q.target}, {age} ago, not seen by {q.target}")
    for d in state.directives:
        if d.target in ("ALL", "*") or d.fully_closed() or d.ts_ms >= late:
            continue
        if ("direct", d.seq) not in book.receipts:
            age = clock.age_label(now_ms - d.ts_ms)
            lines.append(f"- direct → {d.target}, {age} ago, not seen by {d.target}")
    return lines[:limit]


def open_asks_data(state: SwarmState, me: str, now_ms: int) -> list[dict[str, object]]:
    """The JSON view's YOUR OPEN ASKS: each open item of *me* and whether it was seen."""
    book = ledger(state)
    items: list[tuple[str, int, str, int]] = [
        ("ask", q.seq, q.target, q.ts_ms) for q in state.questions.values() if q.asker == me
    ]
    items += [
        ("direct", d.seq, d.target, d.ts_ms)
        for d in state.directives
        if d.author == me and d.target not in ("ALL", "*") and not d.fully_closed()
    ]
    out: list[dict[str, object]] = []
    for kind, seq, target, ts in items:
        r = book.receipts.get((kind, seq))
        seen = None if r is None else {"turn": r.turn, "ts_ms": r.ts_ms}
        out.append({"kind": kind, "seq": seq, "target": target, "ts_ms": ts, "seen": seen})
    return out
