"""A fake Anthropic Messages API on 127.0.0.1 (stdlib, in a thread).

Scripted replies, every request recorded.

Only requests that carry tools (the agent's main turns) consume a scripted reply; side
requests (titles, probes) get "ok". Replies stream as server-sent events, the way the CLI
asks for them. Recipe: /work/shared/docs/agent-cli-claude-gemini.md §2.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: a reply: plain text, or {"text": ..., "tool_use": {"name": ..., "input": {...}}}
Reply = str | dict[str, Any]


class FakeAnthropic:
    """Start with :meth:`start`, feed replies with :meth:`script`, read :attr:`requests`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.replies: list[Reply] = []
        self.requests: list[dict[str, Any]] = []  # every request: method, path, headers, body
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, code: int, obj: Any) -> None:
                data = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def do_GET(self) -> None:
                fake.record({"method": self.command, "path": self.path})
                self._json(
                    404, {"type": "error", "error": {"type": "not_found_error", "message": "fake"}}
                )

            do_HEAD = do_GET

            def do_POST(self) -> None:
                n = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(n) or b"{}")
                fake.record(
                    {
                        "method": "POST",
                        "path": self.path,
                        "body": body,
                        "session": self.headers.get("X-Claude-Code-Session-Id", ""),
                    }
                )
                path = self.path.split("?")[0]
                if path == "/v1/messages/count_tokens":
                    self._json(200, {"input_tokens": 42})
                    return
                if path != "/v1/messages":
                    self._json(
                        404,
                        {"type": "error", "error": {"type": "not_found_error", "message": "fake"}},
                    )
                    return
                reply = fake.next_reply() if body.get("tools") else "ok"
                self._stream(body, _blocks(reply))

            def _stream(self, body: dict[str, Any], blocks: list[dict[str, Any]]) -> None:
                stop = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
                usage = {
                    "input_tokens": 10,
                    "output_tokens": 1,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                }
                msg = {
                    "id": "msg_" + uuid.uuid4().hex[:20],
                    "type": "message",
                    "role": "assistant",
                    "model": body.get("model", "fake"),
                    "stop_sequence": None,
                }
                if not body.get("stream"):
                    self._json(200, {**msg, "content": blocks, "stop_reason": stop, "usage": usage})
                    return
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("connection", "close")
                self.end_headers()

                def event(name: str, data: dict[str, Any]) -> None:
                    payload = json.dumps({"type": name, **data})
                    self.wfile.write(f"event: {name}\ndata: {payload}\n\n".encode())
                    self.wfile.flush()

                event(
                    "message_start",
                    {"message": {**msg, "content": [], "stop_reason": None, "usage": usage}},
                )
                for i, b in enumerate(blocks):
                    if b["type"] == "text":
                        event(
                            "content_block_start",
                            {"index": i, "content_block": {"type": "text", "text": ""}},
                        )
                        step = max(1, len(b["text"]) // 3)  # several deltas, like the real API
                        for j in range(0, len(b["text"]), step):
                            event(
                                "content_block_delta",
                                {
                                    "index": i,
                                    "delta": {
                                        "type": "text_delta",
                                        "text": b["text"][j : j + step],
                                    },
                                },
                            )
                    else:
                        event(
                            "content_block_start", {"index": i, "content_block": {**b, "input": {}}}
                        )
                        event(
                            "content_block_delta",
                            {
                                "index": i,
                                "delta": {
                                    "type": "input_json_delta",
                                    "partial_json": json.dumps(b["input"]),
                                },
                            },
                        )
                    event("content_block_stop", {"index": i})
                event(
                    "message_delta",
                    {
                        "delta": {"stop_reason": stop, "stop_sequence": None},
                        "usage": {"output_tokens": 20},
                    },
                )
                event("message_stop", {})
                self.close_connection = True

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, *args: Any) -> None:
                pass  # the CLI resets keep-alive sockets when it exits

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> FakeAnthropic:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def script(self, replies: Iterable[Reply]) -> None:
        with self.lock:
            self.replies.extend(replies)

    def next_reply(self) -> Reply:
        with self.lock:
            return self.replies.pop(0) if self.replies else "(no scripted reply left)"

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


def _blocks(reply: Reply) -> list[dict[str, Any]]:
    if isinstance(reply, str):
        return [{"type": "text", "text": reply}]
    out: list[dict[str, Any]] = []
    if reply.get("text"):
        out.append({"type": "text", "text": reply["text"]})
    if reply.get("tool_use"):
        tool = reply["tool_use"]
        out.append(
            {
                "type": "tool_use",
                "id": "toolu_" + uuid.uuid4().hex[:16],
                "name": tool["name"],
                "input": tool.get("input", {}),
            }
        )
    return out
