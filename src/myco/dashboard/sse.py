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

A reader costs bounded memory: its queue holds at most ``Limits.stream_queue`` events (a
reader that falls that far behind is dropped; it reconnects and gets ``reset``), a write it
leaves unread for ``Limits.stream_write_timeout`` seconds ends its stream, and one tenant
holds at most ``Limits.streams_per_tenant`` streams (then ``429``).
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
from myco.web.limits import limits_of

HEARTBEAT_S = 15.0
RETRY_MS = 1000
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
    return state.events_after(after)


class Subscriber(asyncio.Queue[Event]):
    """One reader's bounded queue; :meth:`overflow` drops its backlog and wakes its stream."""

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize)
        self.overflowed = False
        self.wake = asyncio.Event()

    def overflow(self) -> None:
        """Called by the publisher when the queue is full: free it, end the stream."""
        self.overflowed = True
        while not self.empty():
            self.get_nowait()
        self.wake.set()


class SlowReader(Exception):
    """The client left a write unread past the deadline."""


async def _write(resp: web.StreamResponse, data: bytes, timeout: float) -> None:
    try:
        await asyncio.wait_for(resp.write(data), timeout)
    except asyncio.TimeoutError:
        raise SlowReader from None


async def _send(
    resp: web.StreamResponse, state: SwarmState, events: Sequence[Event], timeout: float
) -> None:
    for i in range(0, len(events), BATCH_MAX):
        chunk = events[i : i + BATCH_MAX]
        data = frame("events", [event_data(e, state) for e in chunk], id=chunk[-1].seq)
        await _write(resp, data, timeout)


async def stream(
    request: web.Request, state: SwarmState, watchers: set[asyncio.Queue[Event]]
) -> web.StreamResponse:
    """Serve one stream until the client goes away, falls behind, or the daemon stops."""
    after = last_event_id(request)
    limits = limits_of(request.app)
    if len(watchers) >= limits.streams_per_tenant:
        raise APIError(
            429,
            f"too many live streams for this swarm (limit {limits.streams_per_tenant}, "
            "MYCO_STREAMS_PER_TENANT); close another page first",
        )
    timeout = limits.stream_write_timeout
    queue = Subscriber(limits.stream_queue)
    closing = queue.wake
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
        hello = {"last_seq": state.last_seq, "now_ms": clock.now_ms()}
        await _write(resp, frame("hello", hello, retry=RETRY_MS), timeout)
        sent = state.last_seq
        if after is not None:
            missed = backlog(state, after)
            if missed is None:
                await _write(resp, frame("reset", {"last_seq": state.last_seq}), timeout)
            else:
                await _send(resp, state, missed, timeout)
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
            if getter in done and not queue.overflowed:
                batch = [getter.result()]
                waiters.remove(getter)
                getter = None
                while not queue.empty():
                    batch.append(queue.get_nowait())
                fresh = [e for e in batch if e.seq > sent]
                if fresh:
                    await _send(resp, state, fresh, timeout)
                    sent = fresh[-1].seq
            elif not done:
                await _write(resp, b": keep-alive\n\n", timeout)
        if queue.overflowed:  # fell too far behind: reload the snapshot
            await _write(resp, frame("reset", {"last_seq": state.last_seq}), timeout)
    except (ConnectionError, SlowReader):
        if request.transport is not None:
            request.transport.abort()  # nobody reads it: drop its buffers now, unsent
        return resp
    finally:
        for w in waiters:
            w.cancel()
        watchers.discard(queue)
        streams.discard(closing)
        while not queue.empty():
            queue.get_nowait()
    with contextlib.suppress(ConnectionError, asyncio.TimeoutError):
        await asyncio.wait_for(resp.write_eof(), timeout)
    return resp


async def close_streams(app: web.Application) -> None:
    """``on_shutdown``: end every open stream now; clients reconnect to the next daemon."""
    streams: set[asyncio.Event] = app[STREAMS]
    for closing in list(streams):
        closing.set()
