"""``GET /view/{session}/delta``: the delta view, as a transport of the context plugin."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

    from myco.daemon import Daemon

PATH = "/view/{session}/delta"


def _int_param(request: web.Request, name: str) -> int | None:
    from myco.web.errors import APIError

    raw = request.query.get(name)
    if raw is None:  # absent; an empty value is as wrong as any other non-number
        return None
    try:
        value = int(raw)
    except ValueError:
        raise APIError(400, f"{name} must be a whole number, not {raw[:40]!r}") from None
    if value < 0:
        raise APIError(400, f"{name} must not be negative")
    return value


async def delta_view(request: web.Request) -> web.Response:
    from aiohttp import web

    from myco.views.delta import view_delta
    from myco.web.routes import acting_session, tenant_of

    session = acting_session(request, request.match_info["session"])
    seen = _int_param(request, "seen")
    turn = _int_param(request, "turn") or 0
    delta = view_delta(tenant_of(request), session, seen, turn)
    return web.Response(
        text=delta.text,
        content_type="text/markdown",
        headers={"X-Myco-Revision": str(delta.rev), "X-Myco-View": delta.mode},
    )


class ContextTransport:
    """Adds the delta view route and documents it."""

    name = "context"

    def setup(self, app: web.Application, daemon: Daemon) -> None:
        app.router.add_get(PATH, delta_view, name="view_delta")

    def openapi(self, daemon: Daemon) -> Mapping[str, Any]:
        from myco.web.openapi import ANY_ERRORS, SESSION_PARAMETER, error_responses

        number = {"type": "integer", "minimum": 0}
        return {
            "paths": {
                PATH: {
                    "get": {
                        "summary": "What changed for a session since the view it last injected",
                        "description": (
                            "Without `seen`: the full markdown view. With `seen` (the revision "
                            "of the view the session's hook injected last): only what changed "
                            "since and concerns the session, or one line when nothing did; the "
                            "full view when the daemon cannot compute a delta from `seen`. The "
                            "first line is `<!-- myco rev:N full|delta|nothing ... -->`; report "
                            "`N` with the event `seen view rev:N turn:T` once it is injected. "
                            "An unknown session is rendered, never registered."
                        ),
                        "parameters": [
                            SESSION_PARAMETER,
                            {
                                "name": "seen",
                                "in": "query",
                                "schema": number,
                                "description": "revision the session injected last",
                            },
                            {
                                "name": "turn",
                                "in": "query",
                                "schema": number,
                                "description": "the agent turn this view is for (re-surfacing)",
                            },
                        ],
                        "responses": {
                            "200": {
                                "description": "the view, the delta, or one line",
                                "headers": {
                                    "X-Myco-Revision": {"schema": number},
                                    "X-Myco-View": {
                                        "schema": {"enum": ["full", "delta", "nothing"]}
                                    },
                                },
                                "content": {"text/markdown": {"schema": {"type": "string"}}},
                            },
                            **error_responses(400, 403, *ANY_ERRORS),
                        },
                    }
                }
            },
            "schemas": {},
        }
