"""``GET /edits/check``: what the pre-edit hook asks before a tool writes a file."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from myco.default_plugins.edits import model

if TYPE_CHECKING:
    from aiohttp import web

    from myco.daemon import Daemon

PATH = "/edits/check"
#: the most paths, and the longest path, one check takes (the URL stays under 8 KiB)
MAX_PATHS_PER_CHECK = 8
MAX_PATH_CHARS = 256
#: paths travel URL-quoted (``urllib.parse.quote(path, safe="/")``), repositories as ids
PATH_PATTERN = "^[A-Za-z0-9_.~/%-]+$"
REPO_PATTERN = "^[A-Za-z0-9_.:-]{0,80}$"


async def check(request: web.Request) -> web.Response:
    """Leases of other live sessions covering the paths, and their recent editors."""
    from aiohttp import web

    from myco.clock import now_ms
    from myco.web.errors import APIError
    from myco.web.routes import acting_session, tenant_of

    session = acting_session(request, request.query.get("session", ""))
    repo = request.query.get("repo", "")
    paths = request.query.getall("path", [])
    if not paths or len(paths) > MAX_PATHS_PER_CHECK or not all(paths):
        raise APIError(400, f"give 1 to {MAX_PATHS_PER_CHECK} non-empty `path` parameters")
    if any(len(p) > MAX_PATH_CHARS or not _PATH_RE.match(p) for p in paths):
        raise APIError(400, f"a `path` must be URL-quoted and at most {MAX_PATH_CHARS} characters")
    if not _REPO_RE.match(repo):
        raise APIError(400, "`repo` is `git:<root commit>` or `host:<name>`")
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


_PATH_RE = re.compile(PATH_PATTERN)
_REPO_RE = re.compile(REPO_PATTERN)


class EditsTransport:
    """Adds ``GET /edits/check`` (authenticated; the caller must be allowed to act as it)."""

    name = "edits"

    def setup(self, app: web.Application, daemon: Daemon) -> None:
        app.router.add_get(PATH, check, name="edits-check")

    def openapi(self, daemon: Daemon) -> Mapping[str, Any]:
        from myco.web.openapi import SESSION_PATTERN, error_responses, json_response

        item = {"type": "object", "properties": {"path": {"type": "string"}}}
        answer = {
            "type": "object",
            "required": ["mode", "leases", "editors"],
            "properties": {
                "mode": {"enum": ["advisory", "enforce"]},
                "leases": {"type": "array", "items": item},
                "editors": {"type": "array", "items": item},
            },
        }
        text = {"type": "string", "maxLength": MAX_PATH_CHARS, "pattern": PATH_PATTERN}
        parameters = [
            {
                "name": "session",
                "in": "query",
                "required": True,
                "schema": {"type": "string", "pattern": SESSION_PATTERN},
            },
            {
                "name": "path",
                "in": "query",
                "required": True,
                "style": "form",
                "explode": True,
                "schema": {
                    "type": "array",
                    "items": text,
                    "minItems": 1,
                    "maxItems": MAX_PATHS_PER_CHECK,
                },
            },
            {
                "name": "repo",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "pattern": REPO_PATTERN},
            },
        ]
        return {
            "paths": {
                PATH: {
                    "get": {
                        "summary": "Leases and recent editors of paths, for a pre-edit hook",
                        "operationId": "editsCheck",
                        "parameters": parameters,
                        "responses": {
                            "200": json_response(answer, "what stands in the way of the edit"),
                            **error_responses(400, 401, 403),
                        },
                    }
                }
            },
            "schemas": {},
        }
