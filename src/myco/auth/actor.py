"""Who is making a request."""

from __future__ import annotations

from attrs import field, frozen


@frozen
class Actor:
    """An authenticated caller.

    :param tenant_id: the tenant (swarm) the request acts on.
    :param session: the only session this caller may act as, or None for a tenant-wide
        credential that may act as any session.
    :param created: this request's credential created the tenant just now (a new, empty
        swarm: maybe a mistyped token). The HTTP transport answers it with the header
        ``X-Myco-Tenant-Created: 1`` and the CLI warns. Not part of equality.
    """

    tenant_id: str
    session: str | None = None
    created: bool = field(default=False, eq=False)


class AuthError(Exception):
    """Refuse a request: *status* and a message for the JSON error body."""

    def __init__(self, message: str, status: int = 401, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after
