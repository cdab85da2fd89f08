"""Threads: an ask (or a review request), its replies, reviews and their messages.

A thread is derived from the events as they are applied (a verb observer), so it is
rebuilt on replay like the rest of the state and kept in ``state.extras["mcp"]``:

* ``ask B …`` and ``review B <object> …`` start a thread whose id is their sequence
  number, unless they carry ``re:`` naming a thread already (a follow-up question);
* an event whose ``re:`` names a thread joins it: ``re:#<id>``, or a key of the thread
  (the ask's ``spec:`` message, the reviewed object, a message or object a member named);
* ``reply A …`` without a known ``re:`` joins the latest thread of A's asks to the author;
* an event whose ``spec:``, ``ack:`` or ``ref:`` value is a key of a thread joins it (the
  ask's message being read, a review of the reply's message, ...);
* a member's ``spec:`` value, and its ``ref:`` value when it names a message
  (``msg/...``), become keys of its thread (a ``ref:`` to a branch or a commit would pull
  every later event naming it into the thread).

Each step costs O(1) per event, and nothing grows with the history: the newest
:data:`MAX_THREADS` threads are kept, each with its newest :data:`MAX_MEMBERS` events and
its first :data:`MAX_KEYS` keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from attrs import define, field

if TYPE_CHECKING:
    from myco.protocol.events import Event
    from myco.protocol.state import SwarmState

#: the key of the plugin's state in ``state.extras`` (the plugin's name)
PLUGIN = "mcp"
#: threads kept per tenant; the oldest are forgotten first
MAX_THREADS = 10_000
#: events kept per thread; the oldest members are let go first
MAX_MEMBERS = 200
#: keys (messages, objects) per thread that link later events to it
MAX_KEYS = 32
#: verbs that open a thread, and the kv or the text word naming what they are about
STARTERS = {"ask": "spec", "review": ""}
#: keys whose values may name a thread (a message, an object)
LINK_KEYS = ("spec", "ack", "ref")


@define
class Threads:
    """Thread membership of one tenant's events (plain data: it is snapshotted)."""

    #: thread id (the starting event's seq) -> member seqs, oldest first
    members: dict[int, list[int]] = field(factory=dict)
    #: event seq -> thread id
    of_seq: dict[int, int] = field(factory=dict)
    #: a message name or object -> the thread it belongs to
    by_key: dict[str, int] = field(factory=dict)
    #: thread id -> its keys (to forget them with the thread)
    keys: dict[int, list[str]] = field(factory=dict)
    #: (asker, asked) -> the latest thread of an ask between them
    latest_ask: dict[tuple[str, str], int] = field(factory=dict)

    def thread_of_ref(self, ref: str) -> int | None:
        """The thread *ref* names: ``#<id>`` or a key of a kept thread."""
        if ref.startswith("#") and ref[1:].isdigit():
            tid = int(ref[1:])
            return tid if tid in self.members else None
        found = self.by_key.get(ref)
        return found if found is not None and found in self.members else None

    def add(self, thread: int, event: Event) -> None:
        members = self.members.setdefault(thread, [])
        members.append(event.seq)
        self.of_seq[event.seq] = thread
        if len(members) > MAX_MEMBERS:
            self.of_seq.pop(members.pop(0), None)
        for key in ("spec", "ref"):
            value = event.kvs.get(key, "")
            if key == "ref" and not value.startswith("msg/"):
                continue
            if value and value not in self.by_key:
                self._key(thread, value)

    def start(self, event: Event, about: str) -> int:
        thread = event.seq
        self.members[thread] = []
        self.keys[thread] = []
        if about:
            self._key(thread, about)
        while len(self.members) > MAX_THREADS:
            self._forget(next(iter(self.members)))
        return thread

    def _key(self, thread: int, key: str) -> None:
        keys = self.keys.setdefault(thread, [])
        if len(keys) < MAX_KEYS:
            self.by_key[key] = thread
            keys.append(key)

    def _forget(self, thread: int) -> None:
        for seq in self.members.pop(thread, []):
            self.of_seq.pop(seq, None)
        for key in self.keys.pop(thread, []):
            if self.by_key.get(key) == thread:
                del self.by_key[key]
        for pair in [p for p, t in self.latest_ask.items() if t == thread]:
            del self.latest_ask[pair]


def threads_of(state: SwarmState) -> Threads:
    found = state.extras.get(PLUGIN)
    if not isinstance(found, Threads):
        found = state.extras[PLUGIN] = Threads()
    return found


def _about(event: Event, key: str) -> str:
    if key:
        return event.kvs.get(key, "")
    return event.text.split(None, 1)[0] if event.text else ""


def observe(state: SwarmState, event: Event) -> None:
    """Verb observer: put *event* in its thread, if it belongs to one."""
    threads = threads_of(state)
    thread = threads.thread_of_ref(event.kvs.get("re", "")) if "re" in event.kvs else None
    starter = STARTERS.get(event.verb)
    if thread is None and starter is not None and event.obj and event.obj != event.session:
        thread = threads.start(event, _about(event, starter))
    if thread is None and event.verb == "reply" and event.obj:
        thread = threads.latest_ask.get((event.obj, event.session))
        if thread is not None and thread not in threads.members:
            thread = None
    if thread is None:
        for key in LINK_KEYS:
            value = event.kvs.get(key, "")
            if value:
                thread = threads.thread_of_ref(value)
                if thread is not None:
                    break
    if thread is None:
        return
    if starter is not None and event.obj and event.obj != event.session:
        threads.latest_ask[(event.session, event.obj)] = thread
    threads.add(thread, event)


def by_activity(threads: Threads) -> list[int]:
    """Thread ids, the newest activity (the highest member seq) first."""
    return sorted(threads.members, key=lambda t: (threads.members[t] or [t])[-1], reverse=True)
