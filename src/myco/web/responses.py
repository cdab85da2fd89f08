"""Large responses written in chunks, each within a deadline.

aiohttp hands a whole ``web.Response`` body to the transport and then waits, without a
deadline, for a client to read it: a client that never reads would hold that memory for as
long as it keeps the connection. Big answers (history pages) go through here instead: the
body is written in slices, and a reader that leaves one unread for
``Limits.stream_write_timeout`` seconds is disconnected, which frees the rest.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from myco.web.limits import limits_of

CHUNK = 64 * 1024


async def json_in_chunks(request: web.Request, text: str) -> web.StreamResponse:
    """Send *text* (a JSON document) as a 200 ``application/json`` response."""
    body = text.encode("utf-8")
    timeout = limits_of(request.app).stream_write_timeout
    resp = web.StreamResponse(
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    resp.content_length = len(body)
    await resp.prepare(request)
    view = memoryview(body)
    try:
        for start in range(0, len(body), CHUNK):
            await asyncio.wait_for(resp.write(view[start : start + CHUNK]), timeout)
        await asyncio.wait_for(resp.write_eof(), timeout)
    except (asyncio.TimeoutError, ConnectionError):
        if request.transport is not None:
            request.transport.abort()  # a reader that does not read: drop what it holds
    return resp
