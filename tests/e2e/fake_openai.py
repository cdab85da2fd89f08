"""A fake OpenAI API on 127.0.0.1 (stdlib, in a thread): Responses SSE and Chat Completions.

Codex speaks only the Responses API (``POST /v1/responses``, server-sent events); Aider
(litellm → openai SDK) speaks Chat Completions, streamed or not. Every request is recorded;
main requests consume scripted replies in order. Codex's side request that names a new
thread (``codex_output_schema`` / ``thread_title``) gets a title without using up a reply,
or the script would go out of step. Recipe: /work/shared/docs/agent-cli-codex-aider.md §1.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from tests.e2e.fake_base import QuietHandler, Reply, ScriptedModel

# A Reply here: plain text, or {"text": ..., "tool_call": {"name": ..., "arguments": {...}}}
# or {"text": ..., "custom_tool_call": {"name": "apply_patch", "input": "*** Begin Patch…"}}
# (a freeform tool such as Codex's apply_patch; Responses API only)
USAGE = {
    "input_tokens": 10,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 10,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 20,
}
NO_CACHE = ("cache-control", "no-cache")


class FakeOpenAI(ScriptedModel):
    """Start with :meth:`start`, feed replies with :meth:`script`, read :attr:`requests`."""

    def __init__(self) -> None:
        #: called with the number of main requests so far, before one is answered
        self.before_reply: Callable[[int], None] | None = None
        fake = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                fake.record({"method": "GET", "path": self.path})
                if self.path.split("?")[0].endswith("/models"):
                    self._json(
                        200,
                        {
                            "object": "list",
                            "data": [
                                {
                                    "id": "fake-model",
                                    "object": "model",
                                    "created": 0,
                                    "owned_by": "f",
                                }
                            ],
                        },
                    )
                    return
                self._json(404, {"error": {"message": f"not found: {self.path}"}})

            def do_POST(self) -> None:
                body = self._read_json(lambda raw: {"_raw": raw.decode("utf-8", "replace")})
                path = self.path.split("?")[0].rstrip("/")
                kind = "other"
                if path.endswith("/responses"):
                    kind = "title" if _is_title(body) else "responses"
                elif path.endswith("/chat/completions"):
                    kind = "chat"
                fake.record({"method": "POST", "path": self.path, "kind": kind, "body": body})
                if kind in ("responses", "chat") and fake.before_reply is not None:
                    fake.before_reply(len(fake.turns()))
                if kind == "title":
                    self._responses(body, {"text": json.dumps({"title": "Fake task title"})})
                elif kind == "responses":
                    self._responses(body, _reply(fake.next_reply()))
                elif kind == "chat":
                    self._chat(body, _reply(fake.next_reply()))
                else:
                    self._json(404, {"error": {"message": f"not found: {self.path}"}})

            def _responses(self, body: dict[str, Any], reply: dict[str, Any]) -> None:
                rid = "resp_" + uuid.uuid4().hex[:12]
                model = body.get("model", "fake-model")
                items: list[dict[str, Any]] = []
                if reply.get("text"):
                    items.append(
                        {
                            "type": "message",
                            "role": "assistant",
                            "status": "completed",
                            "id": "msg_" + uuid.uuid4().hex[:12],
                            "content": [
                                {"type": "output_text", "text": reply["text"], "annotations": []}
                            ],
                        }
                    )
                call = reply.get("tool_call")
                if call:
                    items.append(
                        {
                            "type": "function_call",
                            "id": "fc_" + uuid.uuid4().hex[:12],
                            "call_id": "call_" + uuid.uuid4().hex[:12],
                            "status": "completed",
                            "name": call["name"],
                            "arguments": json.dumps(call.get("arguments", {})),
                        }
                    )
                custom = reply.get("custom_tool_call")
                if custom:
                    items.append(
                        {
                            "type": "custom_tool_call",
                            "id": "ctc_" + uuid.uuid4().hex[:12],
                            "call_id": "call_" + uuid.uuid4().hex[:12],
                            "status": "completed",
                            "name": custom["name"],
                            "input": custom["input"],
                        }
                    )
                self._sse_start(NO_CACHE)
                self._sse(
                    "response.created",
                    {
                        "type": "response.created",
                        "response": {"id": rid, "model": model, "status": "in_progress"},
                    },
                )
                for i, item in enumerate(items):
                    self._sse(
                        "response.output_item.added",
                        {
                            "type": "response.output_item.added",
                            "output_index": i,
                            "item": {
                                **item,
                                "status": "in_progress",
                                **({"content": []} if item["type"] == "message" else {}),
                            },
                        },
                    )
                    if item["type"] == "message":
                        text = reply["text"]
                        for j in range(0, len(text), 40):
                            self._sse(
                                "response.output_text.delta",
                                {
                                    "type": "response.output_text.delta",
                                    "item_id": item["id"],
                                    "output_index": i,
                                    "content_index": 0,
                                    "delta": text[j : j + 40],
                                },
                            )
                    self._sse(
                        "response.output_item.done",
                        {"type": "response.output_item.done", "output_index": i, "item": item},
                    )
                self._sse(
                    "response.completed",
                    {
                        "type": "response.completed",
                        "response": {
                            "id": rid,
                            "model": model,
                            "status": "completed",
                            "output": items,
                            "usage": USAGE,
                        },
                    },
                )

            def _chat(self, body: dict[str, Any], reply: dict[str, Any]) -> None:
                text = str(reply.get("text", ""))
                cid = "chatcmpl-" + uuid.uuid4().hex[:12]
                base = {
                    "id": cid,
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": body.get("model", "fake-model"),
                }
                usage = {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}
                if not body.get("stream"):
                    self._json(
                        200,
                        {
                            **base,
                            "object": "chat.completion",
                            "usage": usage,
                            "choices": [
                                {
                                    "index": 0,
                                    "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": text},
                                }
                            ],
                        },
                    )
                    return
                self._sse_start(NO_CACHE)

                def chunk(delta: dict[str, Any], finish: str | None = None) -> None:
                    self._sse(
                        None,
                        {
                            **base,
                            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                        },
                    )

                chunk({"role": "assistant", "content": ""})
                for j in range(0, len(text), 40):
                    chunk({"content": text[j : j + 40]})
                chunk({}, "stop")
                if (body.get("stream_options") or {}).get("include_usage"):
                    self._sse(None, {**base, "choices": [], "usage": usage})
                self._sse(None, "[DONE]")

        super().__init__(Handler, "/v1")

    def turns(self, kind: str = "") -> list[dict[str, Any]]:
        """Bodies of the main model requests (Responses or Chat), oldest first."""
        with self.lock:
            return [
                r["body"]
                for r in self.requests
                if r.get("kind") in ((kind,) if kind else ("responses", "chat"))
            ]


def _reply(reply: Reply) -> dict[str, Any]:
    return {"text": reply} if isinstance(reply, str) else reply


def _is_title(body: dict[str, Any]) -> bool:
    """Codex's thread-title side request (it must not consume a scripted reply)."""
    fmt = (body.get("text") or {}).get("format") or {}
    meta = str((body.get("client_metadata") or {}).get("x-codex-turn-metadata", ""))
    return fmt.get("name") == "codex_output_schema" and (
        '"thread_source":"thread_title"' in meta or "title" in json.dumps(fmt.get("schema", {}))
    )
