"""The contract of transports: ways events and views travel between agents and myco."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from aiohttp import web

    from myco.daemon import Daemon


@runtime_checkable
class Transport(Protocol):
    """A transport adds routes and background tasks to the daemon's application."""

    name: str

    def setup(self, app: web.Application, daemon: Daemon) -> None:
        """Attach routes, middlewares or ``cleanup_ctx`` entries to *app*."""
