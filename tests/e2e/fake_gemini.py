"""A fake Gemini API (``generativelanguage``, v1beta) on 127.0.0.1 (stdlib, in a thread).

Scripted replies, every request recorded. Same design as :mod:`tests.e2e.fake_anthropic`:

* only requests that carry ``tools`` (the agent's main turns) consume a scripted reply;
  side requests (the model router, summaries) get a schema-valid object or "ok";
* replies to ``streamGenerateContent`` stream as server-sent events split into
  :attr:`FakeGemini.chunks` pieces, so that the CLI's ``prompt_response`` for AfterAgent is
  the corrupted one of gemini-cli issues #27030/#27109 and the hook has to read the chat
  record instead.

Recipe and the CLI's endpoints: /work/shared/docs/agent-cli-claude-gemini.md §4.2.
"""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.fake_base import QuietHandler, Reply, ScriptedModel

# A Reply here: plain text, or {"text": ..., "tool_call": {"name": ..., "args": {...}}}; a
# list as "text" gives the streamed chunks explicitly
USAGE = {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15}


class FakeGemini(ScriptedModel):
    """Start with :meth:`start`, feed replies with :meth:`script`, read :attr:`requests`."""

    def __init__(self, chunks: int = 3) -> None:
        self.chunks = chunks
        fake = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                fake.record({"method": self.command, "path": self.path})
                self._json(404, {"error": {"code": 404, "message": "fake", "status": "NOT_FOUND"}})

            do_HEAD = do_GET

            def do_POST(self) -> None:
                body = self._read_json(lambda raw: {})
                fake.record({"method": "POST", "path": self.path, "body": body})
                action = self.path.split("?")[0].rsplit(":", 1)[-1]
                if action == "countTokens":
                    self._json(200, {"totalTokens": 42})
                    return
                if action not in ("generateContent", "streamGenerateContent"):
                    self._json(404, {"error": {"code": 404, "message": "fake"}})
                    return
                reply = fake.next_reply() if body.get("tools") else _side_reply(body)
                pieces = _pieces(reply, fake.chunks)
                if action == "generateContent":
                    self._json(200, _chunk(_whole(pieces), last=True))
                    return
                self._sse_start()
                for i, piece in enumerate(pieces):
                    self._sse(None, _chunk(piece, last=i == len(pieces) - 1), end="\r\n\r\n")

        super().__init__(Handler)


def _side_reply(body: dict[str, Any]) -> Reply:
    """A JSON object that fits the requested schema (the router asks for one), else "ok"."""
    config = body.get("generationConfig") or {}
    schema = config.get("responseJsonSchema") or config.get("responseSchema")
    return json.dumps(_from_schema(schema)) if isinstance(schema, dict) else "ok"


def _from_schema(schema: dict[str, Any]) -> Any:
    kind = str(schema.get("type", "object")).lower()
    if schema.get("enum"):
        return schema["enum"][0]
    if kind == "object":
        props = schema.get("properties") or {}
        return {k: _from_schema(v) for k, v in props.items() if isinstance(v, dict)}
    if kind == "array":
        return []
    if kind in ("integer", "number"):
        return max(1, int(schema.get("minimum", 1)))
    if kind == "boolean":
        return False
    return "x"


def _pieces(reply: Reply, chunks: int) -> list[list[dict[str, Any]]]:
    """The parts of each streamed chunk: text cut into *chunks* pieces (several deltas,
    like the real API) unless the reply lists them; a function call comes last."""
    text = reply if isinstance(reply, str) else reply.get("text") or ""
    if isinstance(text, str):
        step = max(1, -(-len(text) // max(1, chunks)))
        text = [text[i : i + step] for i in range(0, len(text), step)]
    pieces = [[{"text": piece}] for piece in text]
    if isinstance(reply, dict) and reply.get("tool_call"):
        call = reply["tool_call"]
        pieces.append([{"functionCall": {"name": call["name"], "args": call.get("args", {})}}])
    return pieces or [[{"text": ""}]]


def _whole(pieces: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The parts of a non-streamed answer: the text in one part, then any call."""
    parts = [p for piece in pieces for p in piece]
    text = "".join(p["text"] for p in parts if "text" in p)
    return [{"text": text}, *(p for p in parts if "text" not in p)]


def _chunk(parts: list[dict[str, Any]], last: bool) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if last:
        candidate["finishReason"] = "STOP"
    return {"candidates": [candidate], "usageMetadata": USAGE, "modelVersion": "fake"}
