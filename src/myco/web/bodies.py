"""Reading request bodies defensively: size, time, UTF-8 and JSON shape."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from myco.web.errors import APIError
from myco.web.limits import limits_of

#: the body deadline when the daemon's limits do not set one (``MYCO_BODY_TIMEOUT``)
BODY_TIMEOUT_S = 10.0

#: any surrogate in a decoded str is unpaired: json.loads joins valid pairs into one char
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


async def read_bytes(request: web.Request, limit: int, what: str = "request body") -> bytes:
    """The whole body (chunked or not), at most *limit* bytes, within a deadline."""
    if request.content_length is not None and request.content_length > limit:
        raise APIError(413, f"{what} exceeds {limit} bytes")
    timeout = limits_of(request.app).body_timeout or BODY_TIMEOUT_S
    try:
        body = await asyncio.wait_for(_read_limited(request, limit, what), timeout)
    except asyncio.TimeoutError:
        raise APIError(408, f"{what} not received within {timeout:g} s") from None
    except (HttpProcessingError, RequestPayloadError, ConnectionError) as exc:
        # a corrupt Content-Encoding, a torn chunk, or the client hung up mid-body: the rest
        # of this body is unreadable, so aiohttp must not try to drain it (it would log a
        # traceback); the connection closes after the answer
        request.content.feed_eof()
        err = APIError(400, f"{what} could not be read: {_reason(exc)}")
        err.headers["Connection"] = "close"
        raise err from None
    return body


def _reason(exc: BaseException) -> str:
    """A one-line reason, without aiohttp's repr noise."""
    text = getattr(exc, "message", "") or str(exc) or type(exc).__name__
    return str(text).splitlines()[0][:200]


async def _read_limited(request: web.Request, limit: int, what: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(65536):
        size += len(chunk)
        if size > limit:  # chunked, or longer than declared: same message as declared
            raise APIError(413, f"{what} exceeds {limit} bytes")
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
    except RecursionError:  # json's C scanner recurses once per nesting level
        raise APIError(400, "invalid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise APIError(400, "request body must be a JSON object")
    bad = _lone_surrogate(data)
    if bad is not None:
        raise APIError(
            400,
            f"invalid JSON: a string holds a lone surrogate (\\u{bad:04x}); "
            "strings must be valid Unicode",
        )
    return data


def _lone_surrogate(value: object) -> int | None:
    """The first unpaired surrogate code point in any string of *value*, else None.

    Valid UTF-8 cannot carry one, but a JSON ``\\ud800`` escape can, and no such string can
    be written to a file or a log as UTF-8. Iterative: nesting depth is not bounded here.
    """
    stack: list[object] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            m = _SURROGATE_RE.search(item)
            if m is not None:
                return ord(m.group())
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None
