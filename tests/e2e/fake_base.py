"""The plumbing the fake HTTP servers share (stdlib, in a thread).

:class:`FakeServer` serves a handler class on a free port of 127.0.0.1 in a daemon thread;
:class:`ScriptedModel` adds what the fake model APIs have in common: scripted replies taken
in order and every request recorded. Handlers derive from :class:`QuietHandler`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

#: a scripted reply: plain text, or a dict whose keys each fake documents
Reply = str | dict[str, Any]
NO_REPLY_LEFT = "(no scripted reply left)"
_Fake = TypeVar("_Fake", bound="FakeServer")


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1, no access log, with helpers to read JSON and write JSON or server-sent events."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, code: int, payload: bytes, ctype: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _json(self, code: int, obj: Any) -> None:
        self._send(code, json.dumps(obj).encode())

    def _read_json(self, invalid: Callable[[bytes], Any] | None = None) -> Any:
        """The JSON body (``{}`` when empty); *invalid* maps a body that is not JSON, else
        the error propagates."""
        n = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(n) if n else b"{}"
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            if invalid is None:
                raise
            return invalid(raw)

    def _sse_start(self, *headers: tuple[str, str]) -> None:
        """A 200 ``text/event-stream`` answer (any extra *headers*); the connection closes."""
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True

    def _sse(self, event: str | None, data: Any, end: str = "\n\n") -> None:
        """One server-sent event: *data* as is when a string, else as JSON."""
        text = data if isinstance(data, str) else json.dumps(data)
        head = f"event: {event}\n" if event else ""
        self.wfile.write(f"{head}data: {text}{end}".encode())
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, *args: Any) -> None:
        pass  # clients reset keep-alive sockets when they exit


class FakeServer:
    """Serves *handler* on 127.0.0.1 (:attr:`url`, plus *path*) once :meth:`start` is called."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], path: str = "") -> None:
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def start(self: _Fake) -> _Fake:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class ScriptedModel(FakeServer):
    """A fake model API: feed replies with :meth:`script`, read :attr:`requests`."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], path: str = "") -> None:
        self.replies: list[Reply] = []
        self.requests: list[dict[str, Any]] = []  # every request: method, path, body, ...
        super().__init__(handler, path)

    def script(self, replies: Iterable[Reply]) -> None:
        with self.lock:
            self.replies.extend(replies)

    def next_reply(self) -> Reply:
        with self.lock:
            return self.replies.pop(0) if self.replies else NO_REPLY_LEFT

    def record(self, request: dict[str, Any]) -> None:
        with self.lock:
            self.requests.append(request)

    def turns(self) -> list[dict[str, Any]]:
        """Bodies of the main requests (those with tools), oldest first."""
        with self.lock:
            return [
                r["body"]
                for r in self.requests
                if r["method"] == "POST" and r.get("body", {}).get("tools")
            ]
