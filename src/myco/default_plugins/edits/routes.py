"""``GET /edits/check``: what the pre-edit hook asks before a tool writes a file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from myco.default_plugins.edits import model

if TYPE_CHECKING:
    from aiohttp import web

    from myco.daemon import Daemon

PATH = "/edits/check"
MAX_PATHS_PER_CHECK = 50


async def check(request: web.Request) -> web.Response:
    """Leases of other live sessions covering the paths, and their recent editors."""
    from aiohttp import web

    from myco.clock import now_ms
    from myco.web.errors import APIError
    from myco.web.routes import acting_session, tenant_of

    session = acting_session(request, request.query.get("session", ""))
    repo = request.query.get("repo", "")
    paths = request.query.getall("path", [])
    if not paths or len(paths) > MAX_PATHS_PER_CHECK:
        raise APIError(400, f"give 1 to {MAX_PATHS_PER_CHECK} `path` parameters")
    state = tenant_of(request).state
    settings = model.current()
    now = now_ms()
    leases: list[dict[str, Any]] = []
    editors: list[dict[str, Any]] = []
    for path in paths:
        for lease in model.blocking_leases(state, session, repo, path, now, settings):
            leases.append(
                {
                    "path": path,
                    "holder": lease.session,
                    "glob": lease.glob,
                    "why": lease.why,
                    "remaining_s": (lease.expires_ms - now) // 1000,
                }
            )
        for other, ts in model.recent_editors(state, (repo, path), now, settings).items():
            if other != session:
                editors.append({"path": path, "session": other, "ago_s": (now - ts) // 1000})
    return web.json_response({"mode": settings.mode, "leases": leases, "editors": editors})


class EditsTransport:
    """Adds ``GET /edits/check`` (authenticated; the caller must be allowed to act as it)."""

    name = "edits"

    def setup(self, app: web.Application, daemon: Daemon) -> None:
        app.router.add_get(PATH, check, name="edits-check")

    def openapi(self, daemon: Daemon) -> Mapping[str, Any]:
        item = {"type": "object", "properties": {"path": {"type": "string"}}}
        return {
            "paths": {
                PATH: {
                    "get": {
                        "summary": "Leases and recent editors of paths, for a pre-edit hook",
                        "operationId": "editsCheck",
                        "parameters": [
                            {"name": n, "in": "query", "required": r, "schema": {"type": "string"}}
                            for n, r in (("session", True), ("path", True), ("repo", False))
                        ],
                        "responses": {
                            "200": {
                                "description": "what stands in the way of editing the paths",
                                "content": {
                                    "application/json": {
                                        "schema": {
                                            "type": "object",
                                            "properties": {
                                                "mode": {"enum": ["advisory", "enforce"]},
                                                "leases": {"type": "array", "items": item},
                                                "editors": {"type": "array", "items": item},
                                            },
                                        }
                                    }
                                },
                            },
                            "400": {"description": "no path, or too many"},
                        },
                    }
                }
            },
            "schemas": {},
        }
