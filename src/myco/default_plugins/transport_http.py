"""The built-in transport: the HTTP API (``/events``, ``/view``, ``/msg``, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from myco.hookspecs import hookimpl
from myco.registry import TransportRegistry

if TYPE_CHECKING:
    from aiohttp import web

    from myco.daemon import Daemon


class HttpTransport:
    name = "http"

    def setup(self, app: web.Application, daemon: Daemon) -> None:
        from myco.web import routes

        routes.setup(app)


@hookimpl
def register_transports(transports: TransportRegistry) -> None:
    transports.add(HttpTransport())
