"""The contract of transports: ways events and views travel between agents and myco."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from aiohttp import web

    from myco.daemon import Daemon


@runtime_checkable
class Transport(Protocol):
    """A transport adds routes and background tasks to the daemon's application.

    A transport that serves HTTP routes also documents them: its optional method
    ``openapi(daemon) -> {"paths": {...}, "schemas": {...}}`` returns OpenAPI 3.1 path
    items and component schemas, which ``GET /openapi.json`` merges with every other
    transport's (see :class:`DocumentedTransport` and :mod:`myco.web.openapi`). Decide
    what a caller may do with :mod:`myco.policy`, as the built-in transports do.
    """

    name: str

    def setup(self, app: web.Application, daemon: Daemon) -> None:
        """Attach routes, middlewares or ``cleanup_ctx`` entries to *app*."""


@runtime_checkable
class DocumentedTransport(Transport, Protocol):
    """A transport that documents its routes in ``/openapi.json``."""

    def openapi(self, daemon: Daemon) -> Mapping[str, Any]:
        """``{"paths": {path: {method: operation}}, "schemas": {name: schema}}``.

        Paths are OpenAPI 3.1 path items for exactly the routes :meth:`setup` adds;
        schemas land in ``components/schemas`` (refer to them as
        ``#/components/schemas/NAME``; ``Error`` is always there).
        """
        ...
