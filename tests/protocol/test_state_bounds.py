"""What the state remembers of a long history stays bounded (the log keeps it all)."""

from __future__ import annotations

from myco.plugins import Hooks, make_plugin_manager
from myco.protocol import state as limits
from myco.protocol.engine import to_event
from myco.protocol.events import Record
from myco.protocol.state import SwarmState


def test_specs_asked_about_are_bounded_oldest_first() -> None:
    verbs = Hooks(make_plugin_manager(load_entrypoints=False)).register_verbs()
    state = SwarmState(verbs)
    n = limits.MAX_ACKED + 50
    for seq in range(1, n + 1):
        ev = to_event(Record(seq, seq, "ALICE", f"ask BOB q{seq} spec:msg/A-{seq}.md"), verbs)
        assert ev is not None
        state.apply(ev)
        state.resolve_question(state.questions[seq], "BOB")  # answered: nothing stays open
    assert len(state.asked) <= limits.MAX_ACKED
    assert "msg/A-1.md" not in state.asked  # the oldest went first
    assert state.asked[f"msg/A-{n}.md"] == {"ALICE"}
