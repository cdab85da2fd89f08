"""The contract every storage backend fulfils.

A backend is the durable source of truth; the daemon keeps derived state in memory and
rebuilds it with :meth:`Storage.replay`. The same contract test suite
(``tests/storage/contract.py``) runs against every backend.

Guarantees a backend must give:

* :meth:`append` assigns each record a sequence number strictly greater than any earlier
  one of the tenant and returns only once the records would survive the daemon process
  being killed (machine crashes are governed by the backend's fsync policy);
* :meth:`replay` yields a tenant's records in sequence order, in chunks;
* messages are immutable: :meth:`put_msg` never overwrites;
* names reaching a backend are already validated (:mod:`myco.names`), and a backend never
  touches anything outside the tenant's own space.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Protocol, runtime_checkable

from myco.protocol.events import Record


class StorageUnavailable(Exception):
    """The store cannot be reached right now (the HTTP layer answers 503)."""


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

    def replay(self, tenant_id: str) -> AsyncIterator[Sequence[Record]]:
        """Every record of the tenant in sequence order, in chunks."""

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
