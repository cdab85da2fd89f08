"""The OpenAPI paths of the ``mcp`` transport (merged into ``GET /openapi.json``)."""

from __future__ import annotations

from typing import Any

from myco.web.openapi import error_responses, json_response

_SESSION = {
    "name": "session",
    "in": "query",
    "required": False,
    "description": "read as this session (the caller must be allowed to act as it); "
    "default: the session a session token is bound to, else everything but bookkeeping",
    "schema": {"type": "string"},
}
_EVENT = {
    "type": "object",
    "required": ["seq", "ts", "session", "line"],
    "properties": {
        "seq": {"type": "integer"},
        "ts": {"type": "string"},
        "session": {"type": "string"},
        "line": {"type": "string"},
    },
}


def paths() -> dict[str, Any]:
    hit = {
        "type": "object",
        "required": ["kind", "snippet"],
        "properties": {
            "kind": {"enum": ["event", "msg"]},
            "snippet": {"type": "string", "description": "the match, in [brackets]"},
            "seq": {"type": "integer"},
            "ts": {"type": "string"},
            "session": {"type": "string"},
            "line": {"type": "string"},
            "thread": {"type": ["integer", "null"]},
            "name": {"type": "string", "description": "the message's name (kind msg)"},
        },
    }
    return {
        "schemas": {"SearchHit": hit, "ThreadEvent": _EVENT},
        "paths": {
            "/mcp": {
                "post": {
                    "summary": "MCP over Streamable HTTP (plugin myco-mcp)",
                    "description": "A JSON-RPC message of the Model Context Protocol; tools "
                    "get_view, post_events, read_message, write_message, search, thread and "
                    "the resource myco://view/{session}. The session: the tool's `session` "
                    "argument, else the X-Myco-Session header, else the session token's.",
                    "parameters": [
                        {
                            "name": "X-Myco-Session",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string"},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "responses": {
                        "200": json_response({"type": "object"}, "the JSON-RPC answer"),
                        "202": {"description": "a notification, accepted"},
                        **error_responses(400, 401),
                    },
                }
            },
            "/search": {
                "get": {
                    "summary": "Full-text search of the events and messages the reader may "
                    "see (plugin myco-mcp)",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "required": True,
                            "description": "words; every one must match",
                            "schema": {"type": "string"},
                        },
                        _SESSION,
                        {"name": "offset", "in": "query", "schema": {"type": "integer"}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                    ],
                    "responses": {
                        "200": json_response(
                            {
                                "type": "object",
                                "required": ["query", "hits", "next_offset"],
                                "properties": {
                                    "query": {"type": "string"},
                                    "hits": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/SearchHit"},
                                    },
                                    "next_offset": {"type": ["integer", "null"]},
                                },
                            },
                            "hits, best first",
                        ),
                        **error_responses(400, 401, 403),
                    },
                }
            },
            "/threads/{id}": {
                "get": {
                    "summary": "A thread: an ask, its replies, reviews and messages "
                    "(plugin myco-mcp)",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "description": "the sequence number of the thread's ask",
                            "schema": {"type": "string"},
                        },
                        _SESSION,
                    ],
                    "responses": {
                        "200": json_response(
                            {
                                "type": "object",
                                "required": ["id", "events", "msgs"],
                                "properties": {
                                    "id": {"type": "integer"},
                                    "events": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/ThreadEvent"},
                                    },
                                    "msgs": {"type": "array", "items": {"type": "string"}},
                                },
                            },
                            "the thread's events the reader may see, oldest first",
                        ),
                        **error_responses(400, 401, 403, 404),
                    },
                }
            },
        },
    }
