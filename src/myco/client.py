"""A small synchronous HTTP client for the CLI, on the standard library only.

The CLI commands and the agent hooks run as fresh processes; avoiding aiohttp here keeps
their start-up cheap. Failures are :class:`ClientError` with a message that says what to
do (start the daemon, set ``MYCO_TOKEN``), not only what the server answered.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from myco.agent_hooks.env import DEFAULT_URL, daemon_url

__all__ = ["DEFAULT_URL", "TENANT_CREATED_HEADER", "Client", "ClientError"]

#: the daemon's answer when this request's token created a new, empty swarm
TENANT_CREATED_HEADER = "X-Myco-Tenant-Created"
NEW_SWARM_NOTICE = (
    "new swarm created for this token: nothing was posted with it before. If you expected "
    "an existing swarm, check MYCO_TOKEN (a mistyped token starts an empty swarm)."
)


class ClientError(Exception):
    """A one-line, user-facing failure.

    :param status: the HTTP status the daemon answered, or None when it could not be reached.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Client:
    """Talks to one daemon as one tenant (``MYCO_URL`` and ``MYCO_TOKEN`` by default).

    :param notice: called with a one-line message the user should see even when the
        request succeeds (the token created a new swarm); the CLI prints it on stderr.
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        timeout: float = 10.0,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        self.url = daemon_url(url or os.environ.get("MYCO_URL"))
        if not self.url.startswith(("http://", "https://")):
            raise ClientError(
                f"the daemon URL must start with http:// or https:// (got {self.url!r}); "
                "set MYCO_URL to e.g. http://127.0.0.1:8000"
            )
        self.token = token if token is not None else os.environ.get("MYCO_TOKEN", "")
        self.timeout = timeout
        self.notice = notice
        #: whether a request of this client created its tenant (the daemon said so)
        self.created_tenant = False

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
                self._saw(resp.headers)
                return resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            self._saw(exc.headers)
            raise ClientError(self._refusal(exc.code, exc.read()), exc.code) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ClientError(
                f"cannot reach the myco daemon at {self.url} ({reason}): start it with "
                "`myco serve`, or set MYCO_URL to the address it listens on"
            ) from None

    def json(self, method: str, path: str, payload: Any = None) -> Any:
        body = None if payload is None else json.dumps(payload).encode()
        _, data, _ = self.request(method, path, body)
        return json.loads(data) if data else None

    def text(self, path: str) -> str:
        _, data, _ = self.request("GET", path)
        return data.decode("utf-8", errors="replace")

    def _saw(self, headers: Any) -> None:
        """Note the daemon's side remarks (a new swarm) once per client."""
        if headers is None or headers.get(TENANT_CREATED_HEADER) != "1":
            return
        if not self.created_tenant and self.notice is not None:
            self.notice(NEW_SWARM_NOTICE)
        self.created_tenant = True

    def _refusal(self, status: int, payload: bytes) -> str:
        text = _error_text(payload)
        if status == 401 and not self.token:
            return (
                "no token: set MYCO_TOKEN to your swarm's token "
                "(`export MYCO_TOKEN=$(myco token new)` starts a new swarm)"
            )
        if status == 401:
            return f"401: {text} (the token comes from MYCO_TOKEN)"
        return f"{status}: {text}"


def _error_text(payload: bytes) -> str:
    try:
        data = json.loads(payload)
        return str(data.get("error") or data)
    except (ValueError, AttributeError):
        return payload.decode("utf-8", errors="replace")[:200] or "no message"
