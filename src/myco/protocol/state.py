"""Incremental swarm state of one tenant.

Events are applied one at a time in sequence order; every structure is kept ready for
rendering so that a view costs the same whatever the length of the history. Verb semantics
live in verb plugins (see :mod:`myco.default_plugins.verbs_core`); this module holds the
data and the effects every event has.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

from attrs import define, field

from myco.names import ALL, DIRECTOR
from myco.protocol.events import Event
from myco.protocol.grammar import _GLOBAL_ONLY, GLOBAL

if TYPE_CHECKING:
    from myco.registry import Presence, VerbRegistry

QUESTION_TTL_MS = 30 * 60 * 1000
ASK_WINDOW_MS = 48 * 3600 * 1000
BROADCAST_TTL_MS = 48 * 3600 * 1000
RECENT_RING = 2000
BROADCAST_RING = 50
CLOSED_DIRECTIVES_KEPT = 100


def _env_int(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


# Growth limits of one tenant (docs/http-api.md, "Limits"). Ingest refuses a batch that
# would pass the first six with a 429; the others are kept by forgetting the oldest.
#: sessions of one tenant (authors and targets)
MAX_SESSIONS = _env_int("MYCO_MAX_SESSIONS", 1000)
#: needs one session may declare
MAX_NEEDS = _env_int("MYCO_MAX_NEEDS", 200)
#: resources (``up``/``down``) of one tenant
MAX_RESOURCES = _env_int("MYCO_MAX_RESOURCES", 1000)
#: messages of one tenant
MAX_MSGS = _env_int("MYCO_MAX_MSGS", 10_000)
#: channels one session may be in
MAX_CHANNELS = _env_int("MYCO_MAX_CHANNELS", 100)
#: open (not fully closed) directives of one tenant
MAX_DIRECTIVES = _env_int("MYCO_MAX_DIRECTIVES", 500)
#: artifacts (``done``) kept per tenant; the oldest is forgotten beyond
MAX_ARTIFACTS = _env_int("MYCO_MAX_ARTIFACTS", 2000)
#: open questions kept per tenant; the oldest is forgotten beyond
MAX_QUESTIONS = _env_int("MYCO_MAX_QUESTIONS", 5000)
#: acknowledged specs (``ack X``), and specs questions carried (``ask ... spec:X``),
#: remembered per tenant; the oldest are forgotten beyond
MAX_ACKED = _env_int("MYCO_MAX_ACKED", 20_000)
#: published items (``done X``) remembered per tenant; the oldest nobody needs are forgotten
MAX_PROVIDED = _env_int("MYCO_MAX_PROVIDED", 20_000)


@define(slots=True)
class SessionState:
    """What the swarm knows about one session."""

    name: str
    status: str = "unknown"
    action: str = ""
    #: object of the last ``start`` not yet followed by a ``done`` (conflict detection)
    working_on: str = ""
    last_seen_ms: int | None = None
    last_seq: int = 0
    #: every need ever declared, in order (``need`` is never retracted)
    needs: dict[str, None] = field(factory=dict)
    #: needs no session has published yet (a resource may still meet them while UP)
    open_needs: dict[str, None] = field(factory=dict)
    provides: set[str] = field(factory=set)
    channels: set[str] = field(factory=lambda: {GLOBAL})
    #: peer -> spec of this session's last reply to that peer ("" when it had none)
    last_reply: dict[str, str] = field(factory=dict)

    def activate(self) -> None:
        """``unknown`` becomes ``active``; ``idle`` and ``blocked`` are kept."""
        if self.status == "unknown":
            self.status = "active"


@define(slots=True)
class Question:
    """An open question (``ask``) or a request of the same shape added by a plugin."""

    seq: int
    ts_ms: int
    asker: str
    target: str
    detail: str
    text: str
    spec: str
    channels: frozenset[str]
    kind: str = "ask"
    subject: str = ""

    def summary(self) -> str:
        """A short label for counters: first word of the text, else the spec."""
        first = self.text.split(None, 1)
        return first[0] if first else (self.spec or "?")


@define(slots=True)
class Directive:
    """A ``direct`` with its per-session closed state."""

    seq: int
    ts_ms: int
    author: str
    target: str
    detail: str
    obj: str
    spec: str
    closed: dict[str, int] = field(factory=dict)

    def closed_for(self, session: str) -> bool:
        return session in self.closed or "*" in self.closed

    def fully_closed(self) -> bool:
        return "*" in self.closed or (self.target != ALL and self.target in self.closed)

    def matches(self, ref: str) -> bool:
        return bool(ref) and ref in (self.obj, self.spec)


@define(slots=True)
class Artifact:
    seq: int
    ts_ms: int
    session: str
    obj: str
    ref: str
    spec: str
    result: str


@define(slots=True)
class Resource:
    name: str
    state: str
    addr: str
    seq: int
    ts_ms: int
    session: str


@define(slots=True)
class Broadcast:
    seq: int
    ts_ms: int
    author: str
    text: str
    channels: frozenset[str]


@define(slots=True)
class PendingMsg:
    """A message (``spec:msg/F``) addressed to a session that has not read it yet."""

    spec: str
    sender: str
    target: str
    seq: int


Observer = Callable[["SwarmState", Event], None]
#: fields of :class:`SwarmState` computed from the others: never in a snapshot
DERIVED = frozenset({"derived_cache", "by_target"})


@define(slots=True)
class _Derived:
    """What :meth:`SwarmState._derived` computes from the needs, once per applied event."""

    seq: int
    up_heads: set[str]
    blockers: dict[str, list[str]]
    dependents: dict[str, set[str]]


def _met_by_resource(need: str, heads: set[str]) -> bool:
    """*need* is an UP resource's name or head, or such a head followed by ``-...``."""
    if need in heads:
        return True
    dash = need.find("-")
    while dash > 0:
        if need[:dash] in heads:
            return True
        dash = need.find("-", dash + 1)
    return False


@define(slots=True)
class SwarmState:
    """All derived state of one tenant; rebuilt identically by replaying its events."""

    verbs: VerbRegistry
    sessions: dict[str, SessionState] = field(factory=dict)
    #: the newest protocol events (not internal ones: they are stored, never listed)
    events: deque[Event] = field(factory=lambda: deque(maxlen=RECENT_RING))
    #: the newest sequence number :attr:`events` let go of (0: it holds every one since 1)
    forgotten: int = 0
    questions: dict[int, Question] = field(factory=dict)
    directives: list[Directive] = field(factory=list)
    artifacts: dict[tuple[str, str], Artifact] = field(factory=dict)
    resources: dict[str, Resource] = field(factory=dict)
    broadcasts: deque[Broadcast] = field(factory=lambda: deque(maxlen=BROADCAST_RING))
    acks: dict[str, set[str]] = field(factory=dict)
    inbox: dict[str, dict[str, PendingMsg]] = field(factory=dict)
    provided: dict[str, set[str]] = field(factory=dict)
    #: item -> sessions that declared ``need item``
    needers: dict[str, set[str]] = field(factory=dict)
    #: provider -> sessions that needed something it published
    needed_from: dict[str, set[str]] = field(factory=dict)
    #: spec -> sessions that asked a question carrying it (they see its acks)
    asked: dict[str, set[str]] = field(factory=dict)
    msg_names: set[str] = field(factory=set)
    session_dirs: dict[str, str] = field(factory=dict)
    last_seq: int = 0
    #: per-plugin state, keyed by plugin name
    extras: dict[str, Any] = field(factory=dict)
    #: blockers and dependents as of ``last_seq`` (see :meth:`_derived`); never pickled
    derived_cache: _Derived | None = field(default=None, eq=False, repr=False)
    #: target -> {seq: question} of the open questions, so that one session's view or lint
    #: never scans every open question (see :meth:`questions_to`); never pickled
    by_target: dict[str, dict[int, Question]] = field(factory=dict, eq=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        """Snapshots leave the derived data out (rebuilt on first use, or on load)."""
        return {
            a.name: getattr(self, a.name) for a in self.__attrs_attrs__ if a.name not in DERIVED
        }

    def __setstate__(self, data: dict[str, Any]) -> None:
        for a in self.__attrs_attrs__:
            object.__setattr__(self, a.name, data.get(a.name))
        self.reindex_questions()

    def __attrs_post_init__(self) -> None:
        self.session(DIRECTOR)

    # -- sessions ---------------------------------------------------------------------
    def session(self, name: str) -> SessionState:
        """Get or create the state of session *name* (already canonical)."""
        s = self.sessions.get(name)
        if s is None:
            s = self.sessions[name] = SessionState(name)
        return s

    def workers(self) -> list[str]:
        """Sessions other than the DIRECTOR that posted at least once (their hooks post
        too), sorted. A name only met as a target (``ask BAKC``) or as a viewer has a
        state (channels, questions) but is not a peer: views and the dashboard leave it out.
        """
        return sorted(
            n for n, s in self.sessions.items() if n != DIRECTOR and s.last_seen_ms is not None
        )

    def presence(self, name: str, now_ms: int) -> Presence | None:
        """Whether *name* is there (working, idle, ended...), from the plugins that track
        lifecycle hooks (:meth:`~myco.registry.VerbRegistry.presence`); None: no one knows."""
        for provider in self.verbs.presences:
            found = provider(self, name, now_ms)
            if found is not None:
                return found
        return None

    # -- applying ---------------------------------------------------------------------
    def apply(self, event: Event) -> None:
        """Apply *event*: the generic effects, then its verb's, then observers'.

        This runs once per event on replay, so it avoids repeated lookups.
        """
        seq = event.seq
        if seq <= self.last_seq:
            return  # already applied: replicas and retries make this normal
        self.last_seq = seq
        name = event.session
        author = self.sessions.get(name)
        if author is None:
            author = self.session(name)
        author.last_seen_ms = event.ts_ms
        author.last_seq = seq
        channels = event.channels
        if channels is not _GLOBAL_ONLY:
            author.channels.update(channels)
        spec = self.verbs.get(event.verb)
        if spec is not None:
            obj = event.obj
            if spec.target and obj and obj != name and obj != ALL:
                target = self.session(obj)
                if channels is not _GLOBAL_ONLY:
                    target.channels.update(channels)
            if not spec.internal:  # bookkeeping (seen, live, ack) never crowds the ring
                self._remember(event)
            spec.apply(self, event)
        else:
            self._remember(event)
        for observer in self.verbs.observers:
            observer(self, event)
        self.derived_cache = None  # whatever the verb changed: recomputed on next use

    def _remember(self, event: Event) -> None:
        """Keep *event* among the recent ones; the one it pushes out raises :attr:`forgotten`."""
        ring = self.events
        if len(ring) == ring.maxlen:
            self.forgotten = ring[0].seq
        ring.append(event)

    def events_after(self, seq: int) -> list[Event] | None:
        """The ring's events after *seq*, oldest first; None when it let go of one of them.

        The ring keeps no internal event (``seen``, ``live``, ``ack``...), so its sequence
        numbers have gaps: what matters is whether it forgot one after *seq*.
        """
        if seq < self.forgotten:
            return None
        out: list[Event] = []
        for ev in reversed(self.events):
            if ev.seq <= seq:
                break
            out.append(ev)
        out.reverse()
        return out

    # -- dependencies -----------------------------------------------------------------
    def add_need(self, session: str, item: str) -> None:
        """*session* needs *item*; indexes kept so views never rescan every need."""
        s = self.session(session)
        if item not in s.needs and len(s.needs) >= MAX_NEEDS:
            return  # ingest refuses these (429); only older logs can still carry them
        s.needs[item] = None
        self.needers.setdefault(item, set()).add(session)
        providers = self.provided.get(item)
        if providers:
            for p in providers - {session}:
                self.needed_from.setdefault(p, set()).add(session)
        else:
            s.open_needs[item] = None

    def provide(self, session: str, item: str) -> None:
        self.session(session).provides.add(item)
        self.provided.setdefault(item, set()).add(session)
        for t in self.needers.get(item, ()):
            self.sessions[t].open_needs.pop(item, None)
            if t != session:
                self.needed_from.setdefault(session, set()).add(t)
        if len(self.provided) > MAX_PROVIDED:
            self._forget_provided()

    def _forget_provided(self) -> None:
        """Forget the oldest published items nobody declared a need for (a tenth at once).

        A later ``need`` of a forgotten item stays open until it is published again.
        """
        drop = []
        for item in self.provided:
            if item not in self.needers:
                drop.append(item)
                if len(drop) >= MAX_PROVIDED // 10 + 1:
                    break
        for item in drop:
            for who in self.provided.pop(item):
                s = self.sessions.get(who)
                if s is not None:
                    s.provides.discard(item)

    def satisfied(self, need: str) -> bool:
        """A need is met by a published ``done`` or by an UP resource of that name.

        ``up backend`` meets ``need backend`` and ``need backend-8080`` (the resource name
        followed by ``-``); unlike the reference, ``up dev-server`` does not meet
        ``need db-server``.
        """
        if self.provided.get(need):
            return True
        return _met_by_resource(need, self._derived().up_heads)

    def blockers_for(self, name: str) -> list[str]:
        """Open needs of *name* that nothing meets yet, in declaration order."""
        return list(self._derived().blockers.get(name, ()))

    def dependents_of(self, name: str) -> list[str]:
        """Sessions that need what *name* published, or wait on ``NAME.<something>``."""
        if name not in self.sessions:
            return []
        return sorted(self._derived().dependents.get(name, ()))

    def all_dependents(self) -> dict[str, set[str]]:
        """session -> sessions waiting on it, for every session at once (``GET /status``)."""
        return self._derived().dependents

    def _derived(self) -> _Derived:
        """Blockers and dependents of every session, computed once per applied event.

        One pass over the open needs (the per-session and per-tenant limits bound them), so
        a status, a dashboard or a view costs the same for one session as for all of them.
        """
        cached = self.derived_cache
        if cached is not None and cached.seq == self.last_seq:
            return cached
        heads: set[str] = set()
        for res in self.resources.values():
            if res.state == "UP":
                heads.add(res.name)
                heads.add(res.name.split(None, 1)[0])
        blockers: dict[str, list[str]] = {}
        dependents: dict[str, set[str]] = {p: set(w) for p, w in self.needed_from.items()}
        provided, sessions = self.provided, self.sessions
        for other in sessions.values():
            open_here = [
                n
                for n in other.open_needs
                if not provided.get(n) and not _met_by_resource(n, heads)
            ]
            if open_here:
                blockers[other.name] = open_here
            for n in open_here:
                dot = n.find(".")
                while dot > 0:
                    owner = n[:dot]
                    if owner != other.name and owner in sessions:
                        dependents.setdefault(owner, set()).add(other.name)
                    dot = n.find(".", dot + 1)
        for owner in list(dependents):
            dependents[owner].discard(owner)
        self.derived_cache = _Derived(self.last_seq, heads, blockers, dependents)
        return self.derived_cache

    # -- questions --------------------------------------------------------------------
    def add_question(self, q: Question) -> None:
        self.questions[q.seq] = q
        self.by_target.setdefault(q.target, {})[q.seq] = q
        while len(self.questions) > MAX_QUESTIONS:  # seq order: the oldest goes first
            self.drop_question(next(iter(self.questions)))

    def drop_question(self, seq: int) -> None:
        """Forget open question *seq* (answered, expired or beyond the limit)."""
        q = self.questions.pop(seq, None)
        if q is None:
            return
        box = self.by_target.get(q.target)
        if box is not None:
            box.pop(seq, None)
            if not box:
                del self.by_target[q.target]

    def questions_to(self, target: str) -> list[Question]:
        """The open questions asked of *target*, oldest first, whatever their age.

        Read from the :attr:`by_target` index; a question a plugin deleted from
        :attr:`questions` directly is dropped from the index here.
        """
        box = self.by_target.get(target)
        if not box:
            return []
        questions = self.questions
        stale = [seq for seq, q in box.items() if questions.get(seq) is not q]
        for seq in stale:
            del box[seq]
        return list(box.values())

    def reindex_questions(self) -> None:
        """Rebuild :attr:`by_target` from :attr:`questions` (after a snapshot is loaded)."""
        self.by_target = {}
        for q in (self.questions or {}).values():
            self.by_target.setdefault(q.target, {})[q.seq] = q

    def add_artifact(self, key: tuple[str, str], artifact: Artifact) -> None:
        """Keep *artifact* as the newest; beyond ``MAX_ARTIFACTS`` the oldest is forgotten."""
        self.artifacts.pop(key, None)
        self.artifacts[key] = artifact
        while len(self.artifacts) > MAX_ARTIFACTS:
            del self.artifacts[next(iter(self.artifacts))]

    def resolve_question(self, q: Question, by: str) -> None:
        self.drop_question(q.seq)
        if q.spec:
            self.ack(q.spec, by)

    def live_questions(self, now_ms: int, window_ms: int = ASK_WINDOW_MS) -> Iterator[Question]:
        """Open questions younger than *window_ms*; older ones are forgotten on the way."""
        expired = []
        for q in self.questions.values():
            if now_ms - q.ts_ms > ASK_WINDOW_MS:
                expired.append(q.seq)
                continue
            if now_ms - q.ts_ms <= window_ms:
                yield q
        for seq in expired:
            self.drop_question(seq)

    def pending_for(self, target: str, now_ms: int) -> list[Question]:
        """Questions *target* still has to answer (the 30-minute TTL applies).

        Only *target*'s questions are looked at (the index), so a lint or a view costs the
        same however many questions the rest of the swarm has open.
        """
        out, expired = [], []
        for q in self.questions_to(target):
            age = now_ms - q.ts_ms
            if age > ASK_WINDOW_MS:
                expired.append(q.seq)
            elif age <= QUESTION_TTL_MS:
                out.append(q)
        for seq in expired:
            self.drop_question(seq)
        return out

    # -- messages ---------------------------------------------------------------------
    def address_msg(self, spec: str, sender: str, target: str, seq: int) -> None:
        """Register ``spec`` as a message from *sender* for *target*."""
        if not spec.startswith("msg/") or target in ("", ALL) or target == sender:
            return
        if target in self.acks.get(spec, ()):
            return
        self.inbox.setdefault(target, {})[spec] = PendingMsg(spec, sender, target, seq)

    def ack(self, spec: str, session: str) -> None:
        """*session* has read *spec*: it leaves its inbox and closes questions it answers."""
        self.acks.setdefault(spec, set()).add(session)
        if len(self.acks) > MAX_ACKED:  # the oldest acknowledged specs are forgotten
            for old in list(islice(self.acks, MAX_ACKED // 10 + 1)):
                del self.acks[old]
        box = self.inbox.get(session)
        if box is not None:
            box.pop(spec, None)
        for q in [q for q in self.questions_to(session) if q.spec == spec]:
            self.drop_question(q.seq)

    def note_asked(self, spec: str, session: str) -> None:
        """*session* asked a question carrying *spec* (it then sees private acks of it).

        Like acks, only the newest ``MAX_ACKED`` specs are remembered: the oldest go first,
        so memory stays flat however long the history (the log keeps them all).
        """
        self.asked.setdefault(spec, set()).add(session)
        if len(self.asked) > MAX_ACKED:
            for old in list(islice(self.asked, MAX_ACKED // 10 + 1)):
                del self.asked[old]

    def acked(self, spec: str, session: str) -> bool:
        return session in self.acks.get(spec, ())

    # -- directives -------------------------------------------------------------------
    def directives_for(self, session: str) -> list[Directive]:
        return [d for d in self.directives if d.target in (session, ALL)]

    def prune_directives(self) -> None:
        """Keep every open directive and the newest closed ones (amortised: rarely runs)."""
        if len(self.directives) <= 2 * CLOSED_DIRECTIVES_KEPT:
            return
        closed = [d for d in self.directives if d.fully_closed()]
        if len(closed) > CLOSED_DIRECTIVES_KEPT:
            drop = {id(d) for d in closed[: len(closed) - CLOSED_DIRECTIVES_KEPT]}
            self.directives = [d for d in self.directives if id(d) not in drop]
