"""A fake Anthropic Messages API on 127.0.0.1 (stdlib, in a thread).

Scripted replies, every request recorded.

Only requests that carry tools (the agent's main turns) consume a scripted reply; side
requests (titles, probes) get "ok". Replies stream as server-sent events, the way the CLI
asks for them. Recipe: /work/shared/docs/agent-cli-claude-gemini.md §2.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.e2e.fake_base import QuietHandler, Reply, ScriptedModel

# A Reply here: plain text, or {"text": ..., "tool_use": {"name": ..., "input": {...}}}


class FakeAnthropic(ScriptedModel):
    """Start with :meth:`start`, feed replies with :meth:`script`, read :attr:`requests`."""

    def __init__(self) -> None:
        fake = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                fake.record({"method": self.command, "path": self.path})
                self._json(
                    404, {"type": "error", "error": {"type": "not_found_error", "message": "fake"}}
                )

            do_HEAD = do_GET

            def do_POST(self) -> None:
                body = self._read_json()
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
                self._sse_start()

                def event(name: str, data: dict[str, Any]) -> None:
                    self._sse(name, {"type": name, **data})

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

        super().__init__(Handler)


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
