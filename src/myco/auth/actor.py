"""Who is making a request."""

from __future__ import annotations

from attrs import frozen


@frozen
class Actor:
    """An authenticated caller.

    :param tenant_id: the tenant (swarm) the request acts on.
    :param session: the only session this caller may act as, or None for a tenant-wide
        credential that may act as any session.
    """

    tenant_id: str
    session: str | None = None


class AuthError(Exception):
    """Refuse a request: *status* and a message for the JSON error body."""

    def __init__(self, message: str, status: int = 401, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after
