"""The OpenAPI 3.1 document served at ``/openapi.json``, assembled from the transports.

Each transport documents its own routes: :meth:`myco.transports.Transport.openapi` returns
``{"paths": {...}, "schemas": {...}}`` and :func:`openapi_document` merges them, so a
disabled transport's paths disappear and a plugin's appear. The helpers below
(:func:`json_response`, :func:`error_responses`, the parameters) are for those fragments;
:func:`http_api` is the HTTP transport's own.

Precise enough to be tested against: ``tests/fuzz/test_openapi_conformance.py`` runs
schemathesis on a real daemon, so a request the schema allows must be accepted, one it
forbids must be refused with a documented 4xx, and every response must match its schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from myco._version import __version__
from myco.client import TENANT_CREATED_HEADER

if TYPE_CHECKING:
    from myco.daemon import Daemon

_ERR = {"$ref": "#/components/schemas/Error"}
#: the built-in view formats, for callers without a daemon at hand
DEFAULT_VIEW_FORMATS: Mapping[str, str] = {
    "json": "application/json; charset=utf-8",
    "markdown": "text/markdown; charset=utf-8",
}
SESSION_PATTERN = "^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$"
OPTIONAL_SESSION_PATTERN = "^([A-Za-z0-9_-][A-Za-z0-9_.-]{0,63})?$"
# A message name: like a session name but longer, and never containing "..".
FILE_PATTERN = "^(?!.*[.][.])[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$"
# One event line: no line break nor control character (grammar.line_problem).
LINE_PATTERN = "^[^\\u0000-\\u0008\\u000a-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"
_RETRY = {
    "Retry-After": {
        "required": True,
        "description": "seconds to wait",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}


def json_response(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """A response whose body is JSON following *schema*."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def error_responses(*codes: int) -> dict[str, Any]:
    """The documented JSON error answers for *codes* (``Retry-After`` on 429 and 503)."""
    text = {
        400: "invalid request",
        401: "not authenticated",
        403: "not allowed for this session",
        404: "not found",
        408: "body too slow",
        409: "already exists",
        413: "body too large",
        429: "rate limited (with Retry-After), a growth limit reached, or too many streams",
        503: "storage unavailable, or too many open connections",
        507: "storage full: nothing of the request was stored",
    }
    out = {str(c): json_response(_ERR, text[c]) for c in codes}
    if "503" in out:
        out["503"]["headers"] = _RETRY
    if "429" in out:  # a growth limit does not clear by waiting: no Retry-After then
        out["429"]["headers"] = {"Retry-After": {**_RETRY["Retry-After"], "required": False}}
    return out


#: what a route doing authentication and reading a body may answer
AUTH_ERRORS = (400, 401, 403, 408, 413, 429, 503)
#: what any authenticated route may answer, whatever it does
ANY_ERRORS = (401, 429, 503)
SESSION_PARAMETER = {
    "name": "session",
    "in": "path",
    "required": True,
    "description": "session name, case-insensitive (canonical form is upper case)",
    "schema": {"type": "string", "pattern": SESSION_PATTERN},
}
FILE_PARAMETER = {
    "name": "file",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": FILE_PATTERN},
}
_MD = {"text/markdown": {"schema": {"type": "string"}}}
_OK = {"type": "object", "required": ["ok"], "properties": {"ok": {"const": True}}}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_INT0 = {"type": "integer", "minimum": 0}
#: every error answer's body (components/schemas/Error); transports refer to it
ERROR_SCHEMA = {
    "type": "object",
    "required": ["ok", "error"],
    "properties": {"ok": {"const": False}, "error": {"type": "string"}, "errors": _STRINGS},
}


def _obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


def _schemas() -> dict[str, Any]:
    return {
        "EventsIn": {
            "type": "object",
            "required": ["session", "events"],
            "description": "Lines are validated as a batch: one bad line (a line break or "
            "control character, a targeted verb naming an invalid session) "
            "rejects the whole post. null optional fields count as absent.",
            "properties": {
                "session": {"type": "string", "pattern": SESSION_PATTERN},
                "events": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 500,
                    "items": {"type": "string", "maxLength": 4000, "pattern": LINE_PATTERN},
                },
                "msgs": {
                    "type": ["object", "null"],
                    "propertyNames": {"pattern": FILE_PATTERN},
                    # 65536 bytes of UTF-8 at most: 16384 characters always fit
                    "additionalProperties": {"type": "string", "maxLength": 16384},
                    "description": "messages to create first, name -> markdown body "
                    "(at most 65536 bytes of UTF-8). All or nothing: a bad name or "
                    "body, a name that belongs to another session (403) or that "
                    "exists with another body (409) rejects the whole post",
                },
                "id": {
                    "type": ["string", "null"],
                    "pattern": "^[A-Za-z0-9_.:-]{0,64}$",
                    "description": "client batch id for safe retries (empty: none)",
                },
            },
        },
        "EventsOut": _obj(
            ["ok", "count"],
            ok={"const": True},
            count=_INT0,
            duplicate={"const": True},
            seq={"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
            warnings=_STRINGS,
            pokes={
                "type": "array",
                "items": _obj(
                    ["verb", "target", "summary", "status", "last_seen_age"],
                    verb={"type": "string"},
                    target={"type": "string"},
                    summary={"type": "string"},
                    status={"type": "string"},
                    last_seen_age={"type": "string"},
                ),
            },
            msgs={"type": "object", "additionalProperties": {"type": "string"}},
        ),
        "EventsPage": _obj(
            ["events", "last_seq"],
            last_seq=_INT0,
            next_after={
                "type": "integer",
                "description": "present when the page stopped early: ask again with after=this",
            },
            events={
                "type": "array",
                "items": _obj(
                    ["seq", "ts", "session", "line"],
                    seq={"type": "integer", "minimum": 1},
                    ts={"type": "string"},
                    session={"type": "string"},
                    line={"type": "string"},
                ),
            },
        ),
        "Status": _obj(
            ["sessions"],
            sessions={
                "type": "object",
                "additionalProperties": _obj(
                    ["status", "action", "blockers", "dependents", "last_seen"],
                    status={"type": "string"},
                    action={"type": "string"},
                    blockers=_STRINGS,
                    dependents=_STRINGS,
                    last_seen={"type": ["string", "null"]},
                ),
            },
        ),
        "Health": _obj(
            ["ok", "mode", "tenants", "loaded", "channels"],
            ok={"const": True},
            mode={"type": "string"},
            tenants=_INT0,
            loaded=_INT0,
            channels=_INT0,
        ),
        "Plugins": {
            "type": "array",
            "items": _obj(
                ["name", "version", "package", "hooks"],
                name={"type": "string"},
                version={"type": ["string", "null"]},
                package={"type": ["string", "null"]},
                hooks=_STRINGS,
            ),
        },
    }


def _view_content(formats: Mapping[str, str]) -> dict[str, Any]:
    """One media type per distinct content type of the installed renderers."""
    out: dict[str, Any] = {}
    for ctype in sorted(set(formats.values())):
        media = ctype.split(";", 1)[0].strip()
        out[media] = {
            "schema": {"type": "object"} if media.endswith("json") else {"type": "string"}
        }
    return out


#: ``X-Myco-Tenant-Created``: the first authenticated request of a new tenant token (with
#: ``--tenants open``) says so on its answer, whatever the route and status
TENANT_CREATED_HEADER_SPEC = {
    "description": "1 when this request's token created a new, empty swarm (tenant)",
    "required": False,
    "schema": {"type": "string", "enum": ["1"]},
}
_TENANT_CREATED_REF = {"$ref": "#/components/headers/TenantCreated"}


def _mark_tenant_creation(paths: dict[str, dict[str, Any]]) -> None:
    """Every answer of an authenticated operation may carry ``X-Myco-Tenant-Created``."""
    for operations in paths.values():
        for operation in operations.values():
            if not isinstance(operation, dict) or operation.get("security") == []:
                continue
            for response in operation.get("responses", {}).values():
                if "$ref" not in response:
                    response["headers"] = {
                        **response.get("headers", {}),
                        TENANT_CREATED_HEADER: _TENANT_CREATED_REF,
                    }


def openapi_document(daemon: Daemon) -> dict[str, Any]:
    """The whole document: every transport's paths and schemas, merged.

    A test checks it lists exactly the application's routes, whichever plugins are
    installed or disabled. Raises ValueError when two transports document the same
    operation or different schemas under one name.
    """
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    owners: dict[tuple[str, str], str] = {}
    for transport in daemon.transports:
        describe = getattr(transport, "openapi", None)
        if describe is None:
            continue
        fragment = describe(daemon)
        for path, operations in fragment.get("paths", {}).items():
            for method, operation in operations.items():
                other = owners.setdefault((path, method), transport.name)
                if other != transport.name:
                    raise ValueError(
                        f"{method.upper()} {path} is documented by both the {other!r} and "
                        f"the {transport.name!r} transports"
                    )
                paths.setdefault(path, {})[method] = operation
        for name, schema in fragment.get("schemas", {}).items():
            if schemas.setdefault(name, schema) != schema:
                raise ValueError(f"schema {name!r} is defined twice, differently")
    _mark_tenant_creation(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "myco",
            "version": __version__,
            "description": "Coordination daemon for parallel AI coding-agent sessions.",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
            "headers": {"TenantCreated": TENANT_CREATED_HEADER_SPEC},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }


def http_api(view_formats: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The HTTP transport's paths and schemas (``myco.default_plugins.transport_http``).

    :param view_formats: installed view renderers, name -> content type (the daemon passes
        its registry, so ``?format=`` lists exactly what it can render).
    """
    formats = dict(view_formats or DEFAULT_VIEW_FORMATS)
    return {
        "schemas": _schemas(),
        "paths": {
            "/healthz": {
                "get": {
                    "summary": "Liveness and tenant count",
                    "security": [],
                    "responses": {
                        "200": json_response({"$ref": "#/components/schemas/Health"}, "alive")
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": json_response({"type": "object"}, "ok")},
                }
            },
            "/-/plugins.json": {
                "get": {
                    "summary": "Installed plugins",
                    "security": [],
                    "parameters": [
                        {
                            "name": "all",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "anything but empty, 0 or false: built-ins too",
                        }
                    ],
                    "responses": {
                        "200": json_response({"$ref": "#/components/schemas/Plugins"}, "plugins")
                    },
                }
            },
            "/view/{session}": {
                "get": {
                    "summary": "The session's view (markdown, or another ?format=)",
                    "description": "Registers an unknown session. A session credential may only "
                    "read its own view.",
                    "parameters": [
                        SESSION_PARAMETER,
                        {"name": "format", "in": "query", "schema": {"enum": sorted(formats)}},
                    ],
                    "responses": {
                        "200": {"description": "view", "content": _view_content(formats)},
                        **error_responses(400, 403, 404, *ANY_ERRORS),
                    },
                }
            },
            "/events": {
                "get": {
                    "summary": "Stored events after a sequence number, oldest first",
                    "description": "A session credential sees only what that session may see.",
                    "parameters": [
                        {"name": "after", "in": "query", "schema": {"type": "integer"}},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100_000},
                        },
                    ],
                    "responses": {
                        "200": json_response({"$ref": "#/components/schemas/EventsPage"}, "events"),
                        **error_responses(400, *ANY_ERRORS),
                    },
                },
                "post": {
                    "summary": "Post event lines of one session",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/EventsIn"}
                            }
                        },
                    },
                    "responses": {
                        "200": json_response({"$ref": "#/components/schemas/EventsOut"}, "stored"),
                        **error_responses(400, 403, 408, 409, 413, 507, *ANY_ERRORS),
                    },
                },
            },
            "/msg/{file}": {
                "get": {
                    "summary": "Read a message (?session= acknowledges it)",
                    "parameters": [
                        FILE_PARAMETER,
                        {
                            "name": "session",
                            "in": "query",
                            "description": "acknowledge as this session (empty: no one)",
                            "schema": {"type": "string", "pattern": OPTIONAL_SESSION_PATTERN},
                        },
                    ],
                    "responses": {
                        "200": {"description": "message", "content": _MD},
                        **error_responses(400, 403, 404, *ANY_ERRORS),
                    },
                },
                "post": {
                    "summary": "Create an immutable message (at most 65536 bytes of UTF-8)",
                    "parameters": [
                        FILE_PARAMETER,
                        {
                            "name": "session",
                            "in": "query",
                            "description": "the creating session: a name starting with a "
                            "session's name belongs to that session (empty: the credential's)",
                            "schema": {"type": "string", "pattern": OPTIONAL_SESSION_PATTERN},
                        },
                    ],
                    "requestBody": {"content": {"text/markdown": {"schema": {"type": "string"}}}},
                    "responses": {
                        "200": json_response(_OK, "created"),
                        **error_responses(400, 403, 404, 408, 409, 413, 507, *ANY_ERRORS),
                    },
                },
            },
            "/msg/": {
                "get": {
                    "summary": "Missing file name (always 400)",
                    "responses": error_responses(400, *ANY_ERRORS),
                },
                "post": {
                    "summary": "Missing file name (always 400)",
                    "responses": error_responses(400, *ANY_ERRORS),
                },
            },
            "/status": {
                "get": {
                    "summary": "Every session's status",
                    "responses": {
                        "200": json_response({"$ref": "#/components/schemas/Status"}, "status"),
                        **error_responses(*ANY_ERRORS),
                    },
                }
            },
            "/dispatch/{session}": {
                "post": {
                    "summary": "Queue a prompt for a headless session (replaces one)",
                    "parameters": [SESSION_PARAMETER],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": _obj(
                                    ["prompt"], prompt={"type": "string", "minLength": 1}
                                )
                            }
                        },
                    },
                    "responses": {
                        "200": json_response(_OK, "queued"),
                        **error_responses(400, 403, 404, 408, 413, 507, *ANY_ERRORS),
                    },
                },
                "get": {
                    "summary": "Take the queued prompt of a session",
                    "parameters": [SESSION_PARAMETER],
                    "responses": {
                        "200": json_response(
                            _obj(["ok", "prompt"], ok={"const": True}, prompt={"type": "string"}),
                            "prompt",
                        ),
                        "204": {"description": "nothing queued"},
                        **error_responses(400, 403, 404, *ANY_ERRORS),
                    },
                },
            },
        },
    }
