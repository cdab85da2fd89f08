"""A deterministic, realistic event stream: ~50 worker sessions and a DIRECTOR.

Each step picks one session and lets it do what an agent would do next: start a task,
declare a need, ask a peer (with a ``spec:msg/...`` pointer), answer the asks addressed to
it (``reply ... re: ack:``), broadcast (``say``), bring shared resources up or down, keep a
private note, block, and finish with ``done <task> ref: result: [re:]``. The DIRECTOR hands
out directives that the target later closes with ``done ... re:<obj>``.

Open questions, inbox entries and directives stay bounded (they are answered/closed), as in
a healthy swarm; task names, specs and needs keep growing with the history, as they would.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from attrs import define, field

from myco.protocol.events import Record

START_MS = 1_780_000_000_000
SERVICES = ("api", "db", "redis", "staging", "docs-site", "metrics", "queue", "search")
CHANNELS = ("backend", "frontend", "infra")
TOPICS = (
    "the login flow times out under load",
    "schema migration for the orders table",
    "flaky test in the payment suite",
    "rate limiter returns 500 instead of 429",
    "CSS regression on the settings page",
    "upgrade the HTTP client and pin it",
    "cache invalidation when a user is renamed",
    "docs for the new webhook endpoint",
)


@define
class _Worker:
    name: str
    channel: str
    task: str = ""
    n: int = 0
    directive: str = ""
    #: (asker, spec) of asks addressed to this worker, oldest first
    inbox: list[tuple[str, str]] = field(factory=list)


class Workload:
    """``lines()`` yields ``(session, line, msg_name_or_empty)`` forever, reproducibly."""

    def __init__(self, sessions: int = 50, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.workers = [
            _Worker(f"W{i:02d}", CHANNELS[i % len(CHANNELS)]) for i in range(1, sessions + 1)
        ]
        self.by_name = {w.name: w for w in self.workers}
        self.published: list[str] = []
        self.asks = 0
        self.directives = 0
        self.up: set[str] = set()

    def lines(self) -> Iterator[tuple[str, str, str]]:
        rng = self.rng
        while True:
            if rng.random() < 0.03:
                yield from self._director()
                continue
            yield from self._worker(rng.choice(self.workers))

    def _director(self) -> Iterator[tuple[str, str, str]]:
        w = self.rng.choice(self.workers)
        if w.directive:
            topic = self.rng.choice(TOPICS)
            yield "DIRECTOR", f"say status round: {topic} is the priority today", ""
            return
        self.directives += 1
        obj = f"fix-{self.directives}"
        w.directive = obj
        topic = self.rng.choice(TOPICS)
        yield "DIRECTOR", f"direct {w.name} {obj}: {topic}, report back when done", ""

    def _dependency(self, w: _Worker) -> str:
        """What a worker waits for: a peer's task in progress, a recent one, or a service."""
        rng = self.rng
        r = rng.random()
        if r < 0.2:
            return rng.choice(SERVICES)
        peer = rng.choice(self.workers)
        if r < 0.6 and peer.task and peer is not w:
            return f"{peer.name}.{peer.task}"
        if self.published:
            return rng.choice(self.published[-200:])
        return rng.choice(SERVICES)

    def _worker(self, w: _Worker) -> Iterator[tuple[str, str, str]]:
        rng = self.rng
        me = w.name
        if w.inbox and rng.random() < 0.7:
            asker, spec = w.inbox.pop(0)
            commit = f"{rng.getrandbits(28):07x}"
            yield me, f"reply {asker} re:{spec} ack:{spec} done, see commit {commit}", ""
            return
        if not w.task:
            w.n += 1
            w.task = w.directive or f"{me.lower()}-task-{w.n}"
            yield me, f"start {w.task} {rng.choice(TOPICS)}", ""
            return
        r = rng.random()
        if r < 0.06:
            yield me, f"need {self._dependency(w)}", ""
        elif r < 0.18:
            peer = rng.choice(self.workers)
            if peer is w:
                yield me, f"private thinking about {rng.choice(TOPICS)}", ""
                return
            self.asks += 1
            name = f"ask-{me}-{self.asks}.md"
            spec = f"msg/{name}"
            peer.inbox.append((me, spec))
            chan = f" channel:{w.channel}" if rng.random() < 0.3 else ""
            yield me, f"ask {peer.name} {rng.choice(TOPICS)}? spec:{spec}{chan}", name
        elif r < 0.36:
            chan = f" channel:{w.channel}" if rng.random() < 0.5 else ""
            yield me, f"say heads-up: {rng.choice(TOPICS)}{chan}", ""
        elif r < 0.44:
            svc = rng.choice(SERVICES)
            if svc in self.up and rng.random() < 0.5:
                self.up.discard(svc)
                yield me, f"down {svc}", ""
            else:
                self.up.add(svc)
                yield me, f"up {svc} addr:127.0.0.1:{5000 + SERVICES.index(svc)}", ""
        elif r < 0.56:
            yield me, f"private {w.task} progress: {rng.choice(TOPICS)}", ""
        elif r < 0.58:
            yield me, f"block {w.task} waiting for review of {rng.choice(TOPICS)}", ""
        elif r < 0.78:
            yield me, f"start {w.task} still on it", ""
        else:
            re = f" re:{w.directive}" if w.directive and w.task == w.directive else ""
            ref = f"{rng.getrandbits(40):010x}"
            yield me, f"done {w.task} ref:{ref} result:tests-pass{re}", ""
            self.published.append(f"{me}.{w.task}")
            if len(self.published) > 400:  # only the last 200 are ever drawn from
                del self.published[:-200]
            if re:
                w.directive = ""
            w.task = ""


def records(
    n: int, sessions: int = 50, seed: int = 1, start_ms: int = START_MS, first_seq: int = 1
) -> Iterator[tuple[Record, str]]:
    """*n* records with increasing seqs and a clock that advances ~0.5 s per event.

    Yields ``(record, msg_name)``; *msg_name* is the message an ``ask`` points to, or "".
    """
    wl = Workload(sessions, seed)
    rng = random.Random(seed + 1)
    ts = start_ms
    seq = first_seq
    for session, line, msg in wl.lines():
        if seq >= first_seq + n:
            return
        ts += rng.randrange(1000)
        yield Record(seq, ts, session, line), msg
        seq += 1
