"""A scriptable stand-in for the daemon's hook-facing routes (stdlib, in a thread)."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

from tests.e2e.fake_base import FakeServer, QuietHandler


class FakeDaemon(FakeServer):
    """``POST /events`` (dedup by id), ``GET /view/{s}``; ``mode`` scripts misbehaviour.

    Modes: ``ok``, ``hang`` (accept, never answer), ``garbage`` (200 with non-JSON),
    ``error`` (HTTP ``status`` with ``body``), ``ack-lost`` (store, then answer too late).
    """

    def __init__(self) -> None:
        self.mode = "ok"
        self.status = 500
        self.body: Any = {"error": "boom"}
        self.view = "<!-- myco protocol v1 -->\n# myco view — FRONT\n"
        self.posts: list[dict[str, Any]] = []
        self.stored: list[tuple[str, str]] = []  # (session, line)
        self.ids: set[str] = set()
        self.pokes: list[dict[str, str]] = []
        #: lines containing this text are refused with a 400 naming them (like bad targets)
        self.invalid = ""
        fake = self

        class Handler(QuietHandler):
            def _misbehave(self) -> bool:
                if fake.mode == "hang":
                    time.sleep(5)
                    return True
                if fake.mode == "garbage":
                    self._send(200, b"<html>not json", "text/html")
                    return True
                if fake.mode == "error":
                    self._send(fake.status, json.dumps(fake.body).encode())
                    return True
                return False

            def do_GET(self) -> None:
                if self._misbehave():
                    return
                self._send(200, fake.view.encode(), "text/markdown")

            def do_POST(self) -> None:
                data = self._read_json()
                with fake.lock:
                    fake.posts.append(data)
                if fake.mode != "ack-lost" and self._misbehave():
                    return
                bad = [
                    f"events[{i}]: invalid target"
                    for i, line in enumerate(data["events"])
                    if fake.invalid and fake.invalid in line
                ]
                if bad:
                    self._send(
                        400,
                        json.dumps({"error": f"{len(bad)} invalid events", "errors": bad}).encode(),
                    )
                    return
                with fake.lock:
                    if data.get("id") in fake.ids:
                        self._send(200, json.dumps({"ok": True, "duplicate": True}).encode())
                        return
                    fake.ids.add(data.get("id", ""))
                    fake.stored.extend((data["session"], line) for line in data["events"])
                if fake.mode == "ack-lost":
                    time.sleep(5)
                    return
                body = {"ok": True, "count": len(data["events"])}
                if fake.pokes:
                    body["pokes"] = fake.pokes
                self._send(200, json.dumps(body).encode())

        super().__init__(Handler)

    def lines(self) -> list[str]:
        with self.lock:
            return [line for _, line in self.stored]


def free_port() -> int:
    """A port nothing listens on (bound then released), for "daemon down"."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
