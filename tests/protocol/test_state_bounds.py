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


def test_questions_index_follows_every_way_a_question_goes() -> None:
    verbs = Hooks(make_plugin_manager(load_entrypoints=False)).register_verbs()
    state = SwarmState(verbs)
    lines = ["ask BOB one spec:msg/1.md", "ask CAROL two", "ask BOB three spec:msg/3.md"]
    for seq, line in enumerate(lines, start=1):
        ev = to_event(Record(seq, 1000 + seq, "ALICE", line), verbs)
        assert ev is not None
        state.apply(ev)
    now = 2000
    assert [q.seq for q in state.pending_for("BOB", now)] == [1, 3]
    assert [q.seq for q in state.pending_for("CAROL", now)] == [2]
    state.ack("msg/1.md", "BOB")  # BOB read the message the question carried
    assert [q.seq for q in state.pending_for("BOB", now)] == [3]
    del state.questions[3]  # a plugin removing one directly
    assert state.pending_for("BOB", now) == []
    data = state.__getstate__()
    assert "by_target" not in data  # the index is rebuilt, not stored
    copy = SwarmState.__new__(SwarmState)
    copy.__setstate__(data)
    assert [q.seq for q in copy.pending_for("CAROL", now)] == [2]
    assert copy.by_target.keys() == {"CAROL"}
    later = 1002 + limits.ASK_WINDOW_MS + 1  # past the ask window: forgotten
    assert state.pending_for("CAROL", later) == [] and 2 not in state.questions
