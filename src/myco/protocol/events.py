"""Value types for events as stored and as applied.

Both are named tuples rather than attrs classes: millions of them are built on replay and
a tuple is several times cheaper to create, while staying immutable and typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple


class Record(NamedTuple):
    """An event line as a storage backend keeps it.

    ``seq`` is assigned by the store and strictly increases within a tenant; ``ts_ms`` is
    the daemon's UTC clock in milliseconds; ``client_id`` lets a retried post be recognised.
    """

    seq: int
    ts_ms: int
    session: str
    line: str
    client_id: str = ""


class Event(NamedTuple):
    """A parsed event, ready to be applied to a :class:`~myco.protocol.state.SwarmState`."""

    seq: int
    ts_ms: int
    session: str
    verb: str
    obj: str
    detail: str
    text: str
    kvs: Mapping[str, str]
    channels: frozenset[str]

    @property
    def line(self) -> str:
        """The event line as posted, without author and timestamp (verb normalised)."""
        return " ".join(p for p in (self.verb, self.obj, self.detail) if p)
