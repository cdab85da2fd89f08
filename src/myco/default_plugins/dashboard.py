"""The built-in dashboard plugin: the browser page at ``GET /`` and its data endpoints.

It is an ordinary plugin so that ``MYCO_DISABLE_PLUGINS=myco.default_plugins.dashboard``
turns it off and a third-party plugin can replace it: it registers

* a transport (``dashboard``) adding the page, its assets and ``/-/dashboard/...``, and
  their paths in ``/openapi.json``;
* a view format (``dashboard``): the page's JSON snapshot as one session may see it;
* a verb observer that keeps what the page shows but the state forgets (closed questions,
  ``block`` targets).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from myco.hookspecs import hookimpl
from myco.registry import Renderer, RendererRegistry, TransportRegistry, VerbRegistry

if TYPE_CHECKING:
    from aiohttp import web

    from myco.daemon import Daemon
    from myco.protocol.state import SwarmState


class DashboardTransport:
    name = "dashboard"

    def setup(self, app: web.Application, daemon: Daemon) -> None:
        from myco.dashboard import routes

        routes.setup(app)

    def openapi(self, daemon: Daemon) -> Mapping[str, Any]:
        from myco.dashboard.openapi import paths

        return {"paths": paths()}


def render(state: SwarmState, session: str, now_ms: int, budget: int) -> str:
    """``GET /view/{session}?format=dashboard``; the page itself uses the tenant-wide one."""
    from myco.dashboard.snapshot import snapshot

    return json.dumps(snapshot(state, now_ms, viewer=session), ensure_ascii=False)


@hookimpl
def register_verbs(verbs: VerbRegistry) -> None:
    from myco.dashboard.tracking import track

    verbs.observe(track)


@hookimpl
def register_renderers(renderers: RendererRegistry) -> None:
    renderers.add(Renderer("dashboard", render, "application/json; charset=utf-8"))


@hookimpl
def register_transports(transports: TransportRegistry) -> None:
    transports.add(DashboardTransport())
