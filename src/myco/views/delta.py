"""Delta views for plugins: what changed for a session since a revision it has seen.

The public way to the deltas that ``GET /view/{session}/delta`` serves: a plugin that
serves views through its own transport or tool (myco-mcp's ``get_view``) calls
:func:`view_delta` rather than the context plugin's internals. The first line of the text
is the ``<!-- myco rev:N full|delta|nothing … -->`` marker; pass its ``rev`` back as
*seen* next time. See protocol.md, "Deltas, receipts and liveness".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from myco import clock
from myco.default_plugins.context.delta import Delta, render_delta

if TYPE_CHECKING:
    from myco.tenants import Tenant

__all__ = ["Delta", "view_delta"]


def view_delta(
    tenant: Tenant, session: str, seen: int | None, turn: int = 0, now_ms: int | None = None
) -> Delta:
    """What changed for *session* since revision *seen* (None, unknown or too old: the
    full view), as the daemon's hooks inject it. *session* must be a valid, canonical
    name the caller may act as (check with :mod:`myco.policy`); an unknown session is
    rendered but not added to the state.

    :param turn: the session's turn count (every ``resurface_turns`` turns the delta
        repeats what is addressed to it and still open).
    :returns: ``Delta(text, mode, rev)``; *mode* is ``full``, ``delta`` or ``nothing``.
    """
    state = tenant.state
    known = session in state.sessions
    daemon = tenant.daemon
    try:
        return render_delta(
            daemon.sections,
            state,
            session,
            clock.now_ms() if now_ms is None else now_ms,
            daemon.config.view_budget,
            seen,
            turn,
        )
    finally:
        if not known:
            state.sessions.pop(session, None)
