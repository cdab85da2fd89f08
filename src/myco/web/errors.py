"""JSON error responses: every failure is ``{"ok": false, "error": "..."}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web


def error(
    status: int, message: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error": message, **extra}
    return web.json_response(body, status=status, headers=headers)


class APIError(Exception):
    """Raised by handlers and helpers; the error middleware turns it into a response."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra
        self.headers: dict[str, str] = {}
