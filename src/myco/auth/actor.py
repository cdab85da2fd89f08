"""Who is making a request."""

from __future__ import annotations

from attrs import field, frozen


@frozen
class Actor:
    """An authenticated caller.

    :param tenant_id: the tenant (swarm) the request acts on.
    :param session: the only session this caller may act as, or None for a tenant-wide
        credential.
    :param created: this request's credential created the tenant just now (a new, empty
        swarm: maybe a mistyped token). The HTTP transport answers it with the header
        ``X-Myco-Tenant-Created: 1`` and the CLI warns. Not part of equality.
    :param strict: the credential comes from a daemon that requires proof of the acting
        session (``myco serve --require-session-tokens``): a tenant-wide credential may
        then act as no session, and only DIRECTOR may use DIRECTOR verbs or dispatch to
        another session. The rules are :mod:`myco.policy`'s.
    """

    tenant_id: str
    session: str | None = None
    created: bool = field(default=False, eq=False)
    strict: bool = False


class AuthError(Exception):
    """Refuse a request: *status* and a message for the JSON error body."""

    def __init__(self, message: str, status: int = 401, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after
