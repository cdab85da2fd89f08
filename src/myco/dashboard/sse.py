"""The live feed: newly applied events as Server-Sent Events.

``EventSource`` cannot send an ``Authorization`` header, so the page reads this stream with
``fetch()`` and parses it itself; the token therefore never has to appear in a URL. The
stream honours ``Last-Event-ID`` (or ``?after=``): events the client missed while it was
reconnecting are replayed from the state's window, and when that window no longer reaches
back far enough (or the client knows a later event than the daemon: another store) the
stream sends ``reset`` and the page reloads its snapshot.

Frames: ``hello`` (``{"last_seq", "now_ms"}``) first, then ``events`` (a JSON list, ``id``
is the last seq of the batch), ``reset``, and a ``:`` comment every 15 s as a keep-alive.
The daemon's shutdown ends every stream at once, so a restart never waits on open pages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from typing import Any, Final

from aiohttp import web

from myco import clock
from myco.dashboard.snapshot import event_data
from myco.protocol.events import Event
from myco.protocol.state import SwarmState
from myco.web.errors import APIError

HEARTBEAT_S = 15.0
RETRY_MS = 1000
#: a client this far behind is told to reload instead of being fed the backlog
QUEUE_MAX = 5000
BATCH_MAX = 500

STREAMS: Final = web.AppKey("myco.dashboard.streams", set[asyncio.Event])


def frame(event: str, data: Any, *, id: int | None = None, retry: int | None = None) -> bytes:
    """One SSE message; JSON never contains a line break, so one ``data:`` line is enough."""
    lines = []
    if retry is not None:
        lines.append(f"retry: {retry}")
    if id is not None:
        lines.append(f"id: {id}")
    lines.append(f"event: {event}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode()


def last_event_id(request: web.Request) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.query.get("after")
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise APIError(400, "Last-Event-ID and after must be integers") from None
    if value < 0:
        raise APIError(400, "Last-Event-ID and after must not be negative")
    return value


def backlog(state: SwarmState, after: int) -> list[Event] | None:
    """Events after *after* from the state's window; None when the window misses some."""
    if after > state.last_seq:
        return None
    if after == state.last_seq:
        return []
    ring = state.events
    overflowed = ring.maxlen is not None and len(ring) >= ring.maxlen
    if overflowed and ring and ring[0].seq > after + 1:
        return None
    return [ev for ev in ring if ev.seq > after]


async def _send(resp: web.StreamResponse, state: SwarmState, events: Sequence[Event]) -> None:
    for i in range(0, len(events), BATCH_MAX):
        chunk = events[i : i + BATCH_MAX]
        await resp.write(frame("events", [event_data(e, state) for e in chunk], id=chunk[-1].seq))


async def stream(
    request: web.Request, state: SwarmState, watchers: set[asyncio.Queue[Event]]
) -> web.StreamResponse:
    """Serve one stream until the client goes away or the daemon shuts down."""
    after = last_event_id(request)
    closing = asyncio.Event()
    queue: asyncio.Queue[Event] = asyncio.Queue()
    resp = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache, no-store",
            "X-Accel-Buffering": "no",
        }
    )
    streams = request.app[STREAMS]
    watchers.add(queue)  # before reading the window: nothing can fall in between
    streams.add(closing)
    waiters: list[asyncio.Future[Any]] = []
    try:
        await resp.prepare(request)
        await resp.write(
            frame("hello", {"last_seq": state.last_seq, "now_ms": clock.now_ms()}, retry=RETRY_MS)
        )
        sent = state.last_seq
        if after is not None:
            missed = backlog(state, after)
            if missed is None:
                await resp.write(frame("reset", {"last_seq": state.last_seq}))
            else:
                await _send(resp, state, missed)
        closer: asyncio.Future[Any] = asyncio.ensure_future(closing.wait())
        getter: asyncio.Future[Event] | None = None
        waiters.append(closer)
        while not closing.is_set():
            if getter is None:
                getter = asyncio.ensure_future(queue.get())
                waiters.append(getter)
            done, _ = await asyncio.wait(
                {getter, closer}, timeout=HEARTBEAT_S, return_when=asyncio.FIRST_COMPLETED
            )
            if getter in done:
                batch = [getter.result()]
                waiters.remove(getter)
                getter = None
                while not queue.empty():
                    batch.append(queue.get_nowait())
                if queue.qsize() > QUEUE_MAX:
                    await resp.write(frame("reset", {"last_seq": state.last_seq}))
                    break
                fresh = [e for e in batch if e.seq > sent]
                if fresh:
                    await _send(resp, state, fresh)
                    sent = fresh[-1].seq
            elif not done:
                await resp.write(b": keep-alive\n\n")
    except ConnectionError:
        return resp  # the client went away: nobody to tell
    finally:
        for w in waiters:
            w.cancel()
        watchers.discard(queue)
        streams.discard(closing)
    with contextlib.suppress(ConnectionError):
        await resp.write_eof()
    return resp


async def close_streams(app: web.Application) -> None:
    """``on_shutdown``: end every open stream now; clients reconnect to the next daemon."""
    streams: set[asyncio.Event] = app[STREAMS]
    for closing in list(streams):
        closing.set()
