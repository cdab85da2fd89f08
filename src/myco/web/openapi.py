"""The OpenAPI 3.1 description of the HTTP API (served at ``/openapi.json``)."""

from __future__ import annotations

from typing import Any

from myco._version import __version__

_ERR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "invalid request", 401: "not authenticated", 403: "not allowed for this session",
            404: "not found", 408: "body too slow", 409: "already exists",
            413: "body too large", 429: "rate limited", 503: "storage unavailable"}
    return {str(c): _json(_ERR, text[c]) for c in codes}


_AUTH = (400, 401, 403, 408, 413, 429, 503)
_SESSION = {"name": "session", "in": "path", "required": True,
            "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$"}}
_FILE = {"name": "file", "in": "path", "required": True,
         "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$"}}
_MD = {"text/markdown": {"schema": {"type": "string"}}}
_OK = {"type": "object", "required": ["ok"], "properties": {"ok": {"const": True}}}


def openapi_document() -> dict[str, Any]:
    """The whole document; a test checks it lists exactly the application's routes."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "myco", "version": __version__,
                 "description": "Coordination daemon for parallel AI coding-agent sessions."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["ok", "error"], "properties": {
                    "ok": {"const": False}, "error": {"type": "string"},
                    "errors": {"type": "array", "items": {"type": "string"}}}},
                "EventsIn": {"type": "object", "required": ["session", "events"], "properties": {
                    "session": {"type": "string"},
                    "events": {"type": "array", "items": {"type": "string"}, "maxItems": 500},
                    "msgs": {"type": "object", "additionalProperties": {"type": "string"}},
                    "id": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"}}},
                "EventsOut": {"type": "object", "required": ["ok", "count"], "properties": {
                    "ok": {"const": True}, "count": {"type": "integer"},
                    "duplicate": {"type": "boolean"},
                    "seq": {"type": "array", "items": {"type": "integer"}},
                    "warnings": {"type": "array", "items": {"type": "string"}},
                    "pokes": {"type": "array", "items": {"type": "object"}},
                    "msgs": {"type": "object", "additionalProperties": {"type": "string"}}}},
            },
        },
        "security": [{"bearer": []}],
        "paths": {
            "/healthz": {"get": {"summary": "Liveness and tenant count", "security": [],
                                 "responses": {"200": _json({"type": "object"}, "alive")}}},
            "/openapi.json": {"get": {"summary": "This document", "security": [],
                                      "responses": {"200": _json({"type": "object"}, "ok")}}},
            "/-/plugins.json": {"get": {
                "summary": "Installed plugins", "security": [],
                "parameters": [{"name": "all", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": _json({"type": "array"}, "plugins")}}},
            "/view/{session}": {"get": {
                "summary": "The session's view (markdown, or ?format=json)",
                "parameters": [_SESSION, {"name": "format", "in": "query",
                                          "schema": {"type": "string"}}],
                "responses": {"200": {"description": "view", "content": {
                    **_MD, "application/json": {"schema": {"type": "object"}}}},
                    **_errors(*_AUTH)}}},
            "/events": {"get": {
                "summary": "Stored events after a sequence number, oldest first",
                "parameters": [{"name": "after", "in": "query", "schema": {"type": "integer"}},
                               {"name": "limit", "in": "query", "schema": {"type": "integer"}}],
                "responses": {"200": _json({"type": "object"}, "events"), **_errors(*_AUTH)}},
                "post": {
                "summary": "Post event lines of one session",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/EventsIn"}}}},
                "responses": {"200": _json({"$ref": "#/components/schemas/EventsOut"}, "stored"),
                              **_errors(*_AUTH)}}},
            "/msg/{file}": {
                "get": {"summary": "Read a message (?session= acknowledges it)",
                        "parameters": [_FILE, {"name": "session", "in": "query",
                                               "schema": {"type": "string"}}],
                        "responses": {"200": {"description": "message", "content": _MD},
                                      **_errors(*_AUTH, 404)}},
                "post": {"summary": "Create an immutable message (at most 65536 bytes)",
                         "parameters": [_FILE],
                         "requestBody": {"content": {"text/markdown": {
                             "schema": {"type": "string"}}}},
                         "responses": {"200": _json(_OK, "created"),
                                       **_errors(*_AUTH, 409)}}},
            "/msg/": {
                "get": {"summary": "Missing file name", "responses": _errors(400, 401)},
                "post": {"summary": "Missing file name", "responses": _errors(400, 401)}},
            "/status": {"get": {"summary": "Every session's status",
                                "responses": {"200": _json({"type": "object"}, "status"),
                                              **_errors(*_AUTH)}}},
            "/dispatch/{session}": {
                "post": {"summary": "Queue a prompt for a headless session",
                         "parameters": [_SESSION],
                         "requestBody": {"content": {"application/json": {"schema": {
                             "type": "object", "required": ["prompt"],
                             "properties": {"prompt": {"type": "string"}}}}}},
                         "responses": {"200": _json(_OK, "queued"), **_errors(*_AUTH)}},
                "get": {"summary": "Take the queued prompt of a session",
                        "parameters": [_SESSION],
                        "responses": {"200": _json({"type": "object"}, "prompt"),
                                      "204": {"description": "nothing queued"},
                                      **_errors(*_AUTH)}}},
        },
    }
