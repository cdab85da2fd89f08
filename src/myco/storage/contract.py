"""The contract every storage backend fulfils.

A backend is the durable source of truth; the daemon keeps derived state in memory and
rebuilds it with :meth:`Storage.replay`. The same contract test suite
(:class:`myco.testing.StorageContract`, shipped with myco) runs against every backend.

Guarantees a backend must give:

* :meth:`append` assigns each record a sequence number strictly greater than any earlier
  one of the tenant and returns only once the records would survive the daemon process
  being killed (machine crashes are governed by the backend's fsync policy);
* :meth:`replay` yields a tenant's records in sequence order, in chunks, all of them or
  only those after a sequence number (``after_seq``: the daemon restores a snapshot,
  then replays the rest);
* messages are immutable: :meth:`put_msg` never overwrites;
* names reaching a backend are already validated (:mod:`myco.names`), and a backend never
  touches anything outside the tenant's own space.

Optional capabilities (a backend that lacks them still works; the daemon checks for them):

* :class:`Following` -- a store shared by several daemon replicas lets each one *follow*
  what the others append, so every replica's in-memory state stays current. Such a
  backend assigns seqs without gaps (each tenant's seqs are 1, 2, 3, ...), may refuse a
  ``client_id`` already stored for the session (``append`` then returns ``[]``: a retry
  through another replica is not stored twice), and the daemon runs a
  :class:`myco.storage.tailer.Tailer` on it. The file backend is single-writer and lacks it.
* ``rate_limiter(**limits)`` -- returns a :class:`myco.auth.ratelimit.Limiter` whose
  budgets are shared by every replica (the auth plugin uses it instead of its in-memory one).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Protocol, runtime_checkable

from attrs import frozen

from myco.protocol.events import Record


class StorageUnavailable(Exception):
    """The store cannot be reached right now (the HTTP layer answers 503)."""


class StorageFull(Exception):
    """The store has no room left (a full disk; the HTTP layer answers 507).

    Raised only when nothing of the failed write was kept.
    """


@runtime_checkable
class Storage(Protocol):
    """A storage backend for every tenant of one daemon."""

    name: str

    async def open(self) -> None:
        """Connect or create what is needed; called once before any other method."""

    async def close(self) -> None:
        """Flush and release everything; the last call."""

    async def list_tenants(self) -> list[str]:
        """Ids of every tenant that exists, in no particular order."""

    async def create_tenant(self, tenant_id: str) -> None:
        """Create tenant *tenant_id*; creating an existing tenant changes nothing."""

    def replay(self, tenant_id: str, after_seq: int = 0) -> AsyncIterator[Sequence[Record]]:
        """The tenant's records with ``seq > after_seq``, in sequence order, in chunks.

        An ``async def`` generator; no chunk is empty. *after_seq* is 0 for a full replay.
        The daemon passes it (as a keyword) only to a store with :class:`Snapshots`, so a
        store without them may omit the parameter.
        """

    async def append(
        self,
        tenant_id: str,
        session: str,
        lines: Sequence[str],
        ts_ms: int,
        client_id: str = "",
    ) -> list[Record]:
        """Durably append *lines* by *session*, all with timestamp *ts_ms*.

        Returns the stored records with their assigned sequence numbers.
        """

    async def put_msg(self, tenant_id: str, name: str, body: bytes) -> bool:
        """Store message *name*; False (and nothing written) when it already exists."""

    async def get_msg(self, tenant_id: str, name: str) -> bytes | None:
        """The message body, or None when there is no such message."""

    async def list_msgs(self, tenant_id: str) -> list[str]:
        """Names of every message of the tenant."""

    async def put_dispatch(self, tenant_id: str, session: str, prompt: str) -> None:
        """Queue *prompt* for *session* (one pending prompt; a new one replaces it)."""

    async def take_dispatch(self, tenant_id: str, session: str) -> str | None:
        """Remove and return the pending prompt of *session*, if any."""

    async def read_meta(self, tenant_id: str) -> Mapping[str, object]:
        """Operator metadata of the tenant (``{"sessions": {NAME: "/project/dir"}}``)."""


@frozen
class Change:
    """What a followed store learned about one tenant: new records, new messages, or that
    the tenant exists (a change with neither, for a tenant the follower does not know)."""

    tenant_id: str
    records: tuple[Record, ...] = ()
    msgs: tuple[str, ...] = ()


@runtime_checkable
class Following(Protocol):
    """Optional: a store several daemon replicas share, whose appends each replica follows."""

    def follow(self, positions: Mapping[str, int]) -> AsyncIterator[Change]:
        """Changes after *positions* (tenant id -> last seq the caller applied), forever.

        First everything already stored beyond the positions (tenants missing from
        *positions* from the start, with an empty change for an empty one), then, as they
        happen, every tenant's new records in seq order and new message names, whoever
        wrote them (the caller skips records it applied already). Waits by blocking on
        the store, never by polling. Raises :class:`StorageUnavailable` when the store
        goes away; the caller calls ``follow`` again, with fresh positions, when it is back.
        """

    async def changes_between(self, tenant_id: str, after: int, before: int) -> Change:
        """The records with ``after < seq < before`` (and messages created meanwhile).

        The daemon calls it when an append got seqs above ones it has not applied yet
        (another replica appended in between), so every replica applies in seq order.
        """


@runtime_checkable
class Tops(Protocol):
    """Optional, for a store with :class:`Following`: the last seq of many tenants at once.

    Tenants load on first use, so a replica follows tenants it never loaded; with their
    tops as positions, ``follow`` does not read their whole history only to have it ignored.
    """

    async def tops(self, tenant_ids: Sequence[str]) -> dict[str, int]:
        """tenant id -> the highest seq stored (0 for a tenant without records)."""


@runtime_checkable
class Paging(Protocol):
    """Optional: read a page of records from a sequence number on, in time that follows the
    page, not the history (``GET /events?after=``). Without it the daemon replays."""

    async def read_after(self, tenant_id: str, after_seq: int, limit: int) -> list[Record]:
        """At most *limit* records with ``seq > after_seq``, in sequence order."""


@runtime_checkable
class MsgRollback(Protocol):
    """Optional: remove a message just created, when the post that carried it failed."""

    async def delete_msg(self, tenant_id: str, name: str) -> None:
        """Remove message *name* (nothing happens when it does not exist)."""


@runtime_checkable
class Snapshots(Protocol):
    """Optional capability: keep one state snapshot per tenant to make restarts fast.

    A snapshot is opaque bytes tagged with the sequence number it includes; the daemon
    replays only the records after it, ``replay(tenant_id, after_seq=seq)``, so a store
    with snapshots must implement :meth:`Storage.replay`'s *after_seq*.
    """

    async def save_snapshot(self, tenant_id: str, seq: int, data: bytes) -> None:
        """Atomically replace the tenant's snapshot."""

    async def load_snapshot(self, tenant_id: str) -> tuple[int, bytes] | None:
        """The tenant's snapshot as ``(seq, data)``, or None."""
