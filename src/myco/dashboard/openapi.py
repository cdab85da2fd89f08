"""The dashboard's OpenAPI paths: contributed to ``/openapi.json`` by its transport.

They disappear with the plugin (``MYCO_DISABLE_PLUGINS=myco.default_plugins.dashboard``).
"""

from __future__ import annotations

from typing import Any

from myco.dashboard.snapshot import TIMELINE_MAX
from myco.web.openapi import (
    ANY_ERRORS,
    AUTH_ERRORS,
    FILE_PARAMETER,
    OPTIONAL_SESSION_PATTERN,
    error_responses,
    json_response,
)


def paths() -> dict[str, Any]:
    """``/``, its static assets and the authenticated ``/-/dashboard/...`` endpoints."""
    return {
        "/": {
            "get": {
                "summary": "The dashboard page (no data; it asks for a token)",
                "security": [],
                "responses": {"200": {"description": "page", "content": {"text/html": {}}}},
            }
        },
        "/-/dashboard/static/{name}": {
            "get": {
                "summary": "A static asset of the dashboard",
                "security": [],
                "parameters": [
                    {
                        "name": "name",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {"200": {"description": "asset"}, **error_responses(404)},
            }
        },
        "/-/dashboard/state": {
            "get": {
                "summary": "Dashboard snapshot: sessions, graph, questions, directives, ...",
                "responses": {
                    "200": json_response({"type": "object"}, "snapshot"),
                    **error_responses(403, *ANY_ERRORS),
                },
            }
        },
        "/-/dashboard/events": {
            "get": {
                "summary": "Recent events filtered by session, verb, channel; paged by before",
                "parameters": [
                    {
                        "name": "session",
                        "in": "query",
                        "schema": {"type": "string", "pattern": OPTIONAL_SESSION_PATTERN},
                    },
                    *(
                        {"name": n, "in": "query", "schema": {"type": "string"}}
                        for n in ("verb", "channel")
                    ),
                    # an empty value means the default
                    {
                        "name": "before",
                        "in": "query",
                        "schema": {"anyOf": [{"type": "integer"}, {"const": ""}]},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {
                            "anyOf": [
                                {"type": "integer", "minimum": 1, "maximum": TIMELINE_MAX},
                                {"const": ""},
                            ]
                        },
                    },
                ],
                "responses": {
                    "200": json_response({"type": "object"}, "events"),
                    **error_responses(400, 403, *ANY_ERRORS),
                },
            }
        },
        "/-/dashboard/msg/{file}": {
            "get": {
                "summary": "A message rendered to safe HTML (no acknowledgement)",
                "parameters": [FILE_PARAMETER],
                "responses": {
                    "200": json_response({"type": "object"}, "message"),
                    **error_responses(400, 403, 404, *ANY_ERRORS),
                },
            }
        },
        "/-/dashboard/stream": {
            "get": {
                "summary": "Server-Sent Events of newly applied events (Last-Event-ID resumes)",
                "parameters": [{"name": "after", "in": "query", "schema": {"type": "integer"}}],
                "responses": {
                    "200": {
                        "description": "event stream",
                        "content": {"text/event-stream": {}},
                    },
                    **error_responses(*AUTH_ERRORS),
                },
            }
        },
    }
