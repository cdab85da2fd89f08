"""The built-in transport: the HTTP API (``/events``, ``/view``, ``/msg``, ...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

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

    def openapi(self, daemon: Daemon) -> Mapping[str, Any]:
        """The HTTP API's paths; ``?format=`` lists the installed view renderers."""
        from myco.web.openapi import http_api

        return http_api({r.name: r.content_type for r in daemon.renderers})


@hookimpl
def register_transports(transports: TransportRegistry) -> None:
    transports.add(HttpTransport())
