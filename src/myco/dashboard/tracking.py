"""What the dashboard remembers that the swarm state forgets: closed questions, block targets.

:class:`~myco.protocol.state.SwarmState` drops a question once it is answered and keeps a
``block`` only as the author's action text. The dashboard wants "recently closed" lists and
``block`` edges, so a verb observer (registered by the dashboard plugin) keeps a little
extra, in ``state.extras``. It runs on replay too, so a restarted daemon shows the same.
"""

from __future__ import annotations

from collections import OrderedDict, deque

from attrs import define, field

from myco.dashboard import EXTRAS_KEY
from myco.protocol.events import Event
from myco.protocol.state import ASK_WINDOW_MS, Question, SwarmState

CLOSED_QUESTIONS_KEPT = 20
CLOSING_EVENTS_KEPT = 1000


@define(slots=True)
class ClosedQuestion:
    """A question that left the open set, with when, by whom and how."""

    question: Question
    seq: int
    ts_ms: int
    by: str
    how: str  # "answered" or "expired"


@define(slots=True)
class Tracking:
    """The dashboard's per-tenant bookkeeping."""

    #: session -> (object, text) of its last ``block``, until it starts or finishes work
    block_on: dict[str, tuple[str, str]] = field(factory=dict)
    open_questions: dict[int, Question] = field(factory=dict)
    closed_questions: deque[ClosedQuestion] = field(
        factory=lambda: deque(maxlen=CLOSED_QUESTIONS_KEPT)
    )
    #: seq -> timestamp of events carrying ``re:`` (they are what closes directives)
    closing_ts: OrderedDict[int, int] = field(factory=OrderedDict)
    #: ``len(state.questions)`` after the last event: a smaller count means some closed
    question_count: int = 0


def tracking(state: SwarmState) -> Tracking:
    """The tracking record of *state*, created on first use."""
    t = state.extras.get(EXTRAS_KEY)
    if not isinstance(t, Tracking):
        t = state.extras[EXTRAS_KEY] = Tracking()
    return t


def track(state: SwarmState, event: Event) -> None:
    """Verb observer: update :class:`Tracking` after *event* was applied."""
    t = tracking(state)
    if event.verb == "block":
        t.block_on[event.session] = (event.obj, event.text)
    elif event.verb in ("start", "done"):
        t.block_on.pop(event.session, None)
    asked = state.questions.get(event.seq)
    expected = t.question_count + (1 if asked is not None else 0)
    if t.open_questions and len(state.questions) != expected:  # cheap test, then the scan
        gone = [seq for seq in t.open_questions if seq not in state.questions]
        for seq in gone:
            q = t.open_questions.pop(seq)
            expired = event.ts_ms - q.ts_ms > ASK_WINDOW_MS
            t.closed_questions.append(
                ClosedQuestion(
                    q,
                    event.seq,
                    event.ts_ms,
                    "" if expired else event.session,
                    "expired" if expired else "answered",
                )
            )
    if asked is not None:
        t.open_questions[event.seq] = asked
    t.question_count = len(state.questions)
    if "re" in event.kvs:
        t.closing_ts[event.seq] = event.ts_ms
        while len(t.closing_ts) > CLOSING_EVENTS_KEPT:
            t.closing_ts.popitem(last=False)
