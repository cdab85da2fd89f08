"""Reading request bodies defensively: size, time, UTF-8 and JSON shape."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from myco.web.errors import APIError

BODY_TIMEOUT_S = 10.0


async def read_bytes(request: web.Request, limit: int, what: str = "request body") -> bytes:
    """The whole body (chunked or not), at most *limit* bytes, within a deadline."""
    if request.content_length is not None and request.content_length > limit:
        raise APIError(413, f"{what} exceeds {limit} bytes")
    try:
        body = await asyncio.wait_for(_read_limited(request, limit), BODY_TIMEOUT_S)
    except asyncio.TimeoutError:
        raise APIError(408, f"{what} not received within {BODY_TIMEOUT_S:.0f} s") from None
    return body


async def _read_limited(request: web.Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(65536):
        size += len(chunk)
        if size > limit:
            raise APIError(413, f"request body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise APIError(400, f"request body is not valid UTF-8 (byte {exc.start})") from None


async def read_object(request: web.Request, limit: int) -> dict[str, Any]:
    """A JSON object body, or a 400 that says what is wrong."""
    text = decode(await read_bytes(request, limit))
    try:
        data = json.loads(text)
    except ValueError:
        raise APIError(400, "invalid JSON") from None
    if not isinstance(data, dict):
        raise APIError(400, "request body must be a JSON object")
    return data
