"""The OpenAPI paths of the ``mcp`` transport (merged into ``GET /openapi.json``)."""

from __future__ import annotations

from typing import Any

from myco.web.openapi import (
    ANY_ERRORS,
    AUTH_ERRORS,
    OPTIONAL_SESSION_PATTERN,
    error_responses,
    json_response,
)
from myco_mcp.search import OFFSET_MAX

_SESSION = {
    "name": "session",
    "in": "query",
    "required": False,
    "description": "read as this session (the caller must be allowed to act as it); "
    "default: the session a session token is bound to, else everything but bookkeeping",
    "schema": {"type": "string", "pattern": OPTIONAL_SESSION_PATTERN},
}
#: a JSON-RPC message (the SDK answers a malformed one with a JSON-RPC error)
_JSONRPC = {
    "type": "object",
    "required": ["jsonrpc", "method"],
    "properties": {
        "jsonrpc": {"const": "2.0"},
        "method": {"type": "string"},
        "id": {"type": ["string", "integer"]},
        "params": {"type": "object"},
    },
}
_PAGE = [
    {
        "name": "offset",
        "in": "query",
        "schema": {"type": "integer", "minimum": 0, "maximum": OFFSET_MAX},
    },
    {
        "name": "limit",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
    },
]
_ANY_JSON = {"application/json": {"schema": {"type": "object"}}}
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
        "schemas": {
            "SearchHit": hit,
            "ThreadEvent": _EVENT,
            "ThreadSummary": {
                "type": "object",
                "required": ["id", "events", "first", "last"],
                "properties": {
                    "id": {"type": "integer", "description": "the seq of the thread's ask"},
                    "events": {"type": "integer", "description": "events the reader may see"},
                    "first": {"$ref": "#/components/schemas/ThreadEvent"},
                    "last": {"$ref": "#/components/schemas/ThreadEvent"},
                },
            },
        },
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
                        "content": {"application/json": {"schema": _JSONRPC}},
                    },
                    "responses": {
                        "200": json_response({"type": "object"}, "the JSON-RPC answer"),
                        "202": {"description": "a notification, accepted"},
                        **error_responses(*AUTH_ERRORS),
                        "400": {
                            "description": "not JSON, or not a JSON-RPC message (the daemon's "
                            "error, or the SDK's JSON-RPC error)",
                            "content": _ANY_JSON,
                        },
                        "406": {"description": "an Accept the SDK refuses", "content": _ANY_JSON},
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
                            "description": "words; every one must match (none: no hits)",
                            "schema": {"type": "string", "minLength": 1, "maxLength": 500},
                        },
                        _SESSION,
                        *_PAGE,
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
                        **error_responses(400, 403, *ANY_ERRORS),
                    },
                }
            },
            "/threads": {
                "get": {
                    "summary": "The threads the reader may see, newest activity first "
                    "(plugin myco-mcp)",
                    "parameters": [_SESSION, *_PAGE],
                    "responses": {
                        "200": json_response(
                            {
                                "type": "object",
                                "required": ["threads", "next_offset"],
                                "properties": {
                                    "threads": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/ThreadSummary"},
                                    },
                                    "next_offset": {"type": ["integer", "null"]},
                                },
                            },
                            "a page of threads; a thread is listed when one of its events "
                            "is visible to the reader, `events` counts those",
                        ),
                        **error_responses(400, 403, *ANY_ERRORS),
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
                            "schema": {"type": "string", "pattern": "^#?[0-9]{1,18}$"},
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
                        **error_responses(400, 403, 404, *ANY_ERRORS),
                    },
                }
            },
        },
    }
