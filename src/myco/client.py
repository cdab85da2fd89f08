"""A small synchronous HTTP client for the CLI, on the standard library only.

The CLI commands and the agent hooks run as fresh processes; avoiding aiohttp here keeps
their start-up cheap.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8000"


class ClientError(Exception):
    """A one-line, user-facing failure."""


class Client:
    """Talks to one daemon as one tenant (``MYCO_URL`` and ``MYCO_TOKEN`` by default)."""

    def __init__(
        self, url: str | None = None, token: str | None = None, timeout: float = 10.0
    ) -> None:
        self.url = (url or os.environ.get("MYCO_URL") or DEFAULT_URL).rstrip("/")
        self.token = token if token is not None else os.environ.get("MYCO_TOKEN", "")
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, bytes, str]:
        req = urllib.request.Request(self.url + path, data=body, method=method)
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        if body is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            payload = exc.read()
            raise ClientError(f"{exc.code}: {_error_text(payload)}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ClientError(f"cannot reach the myco daemon at {self.url} ({reason})") from None

    def json(self, method: str, path: str, payload: Any = None) -> Any:
        body = None if payload is None else json.dumps(payload).encode()
        _, data, _ = self.request(method, path, body)
        return json.loads(data) if data else None

    def text(self, path: str) -> str:
        _, data, _ = self.request("GET", path)
        return data.decode("utf-8", errors="replace")


def _error_text(payload: bytes) -> str:
    try:
        data = json.loads(payload)
        return str(data.get("error") or data)
    except (ValueError, AttributeError):
        return payload.decode("utf-8", errors="replace")[:200] or "no message"
