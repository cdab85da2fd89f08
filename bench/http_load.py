"""HTTP load against a real ``myco serve``: a lean keep-alive HTTP/1.1 client on asyncio.

The client pre-builds every request's bytes and parses only the status line and
``Content-Length`` of each response, so one client process costs far less CPU per request
than the aiohttp server it measures (the run reports both processes' CPU to show it).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from attrs import define, field

from bench import workload
from bench.proc import cpu_seconds

HOST = "127.0.0.1"


def new_token() -> str:
    return "bench_" + secrets.token_urlsafe(32)


class Conn:
    """One keep-alive connection, one request in flight.

    With *fresh*, every request opens its own connection and says ``Connection: close``,
    as a hook process does (and as an HTTP/1.0 server such as the reference requires).
    """

    def __init__(self, fresh: bool = False) -> None:
        self.fresh = fresh
        self.port = 0
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self, port: int) -> Conn:
        self.port = port
        if not self.fresh:
            self.reader, self.writer = await asyncio.open_connection(HOST, port)
        return self

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if not self.fresh:
            return await self._exchange(raw)
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        try:
            return await self._exchange(raw.replace(b"\r\n", b"\r\nConnection: close\r\n", 1))
        finally:
            await self.close()

    async def _exchange(self, raw: bytes) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        i = head.lower().find(b"\r\ncontent-length:")
        if i < 0:
            raise RuntimeError(f"response without Content-Length: {head[:200]!r}")
        j = head.index(b"\r\n", i + 2)
        body = await self.reader.readexactly(int(head[i + 17 : j]))
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass


def build(method: str, port: int, path: str, token: str, body: bytes = b"") -> bytes:
    head = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", f"Authorization: Bearer {token}"]
    if method == "POST":
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def post_events(
    port: int, token: str, session: str, lines: Sequence[str], msgs: dict[str, str] | None = None
) -> bytes:
    payload: dict[str, object] = {"session": session, "events": list(lines)}
    if msgs:
        payload["msgs"] = msgs
    return build("POST", port, "/events", token, json.dumps(payload).encode())


def workload_posts(port: int, token: str, n: int, seed: int) -> list[bytes]:
    """*n* single-line ``POST /events`` requests of the realistic mix (asks carry their msg)."""
    out = []
    for rec, msg in islice(workload.records(n, seed=seed), n):
        msgs = {msg: f"# question from {rec.session}\n\nDetails of the ask.\n"} if msg else None
        out.append(post_events(port, token, rec.session, [rec.line], msgs))
    return out


def percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


@define
class LoadResult:
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(factory=list)
    errors: int = 0
    first_error: str = ""
    server_cpu: float = 0.0
    client_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float:
        """Latency percentile in milliseconds."""
        return percentile(sorted(self.latencies), q) * 1000

    def cpu_share(self) -> tuple[float, float]:
        """(server, client) CPU time as a fraction of the measured wall time."""
        return (self.server_cpu / self.seconds, self.client_cpu / self.seconds)


async def closed_loop(
    port: int,
    pid: int,
    requests: Sequence[bytes],
    concurrency: int,
    duration: float,
    warmup: float = 0.3,
    fresh: bool = False,
) -> LoadResult:
    """*concurrency* connections replay *requests* (round robin) for *warmup* + *duration* s.

    Only requests that complete inside the measured window count.
    """
    conns = [await Conn(fresh).open(port) for _ in range(concurrency)]
    res = LoadResult()
    start = time.perf_counter() + warmup
    stop = start + duration
    snaps: list[tuple[float, float]] = []

    def snap() -> None:
        snaps.append((cpu_seconds(pid), time.process_time()))

    loop = asyncio.get_running_loop()
    timers = [loop.call_later(warmup, snap), loop.call_later(warmup + duration, snap)]

    async def worker(k: int, conn: Conn) -> None:
        lat = res.latencies
        i = k
        n = len(requests)
        while True:
            t0 = time.perf_counter()
            if t0 >= stop:
                return
            status, body = await conn.request(requests[i % n])
            t1 = time.perf_counter()
            i += concurrency
            if t0 >= start and t1 <= stop:
                lat.append(t1 - t0)
                if status != 200:
                    res.errors += 1
                    res.first_error = res.first_error or f"{status} {body[:200]!r}"

    try:
        await asyncio.gather(*(worker(k, c) for k, c in enumerate(conns)))
    finally:
        for t in timers:
            t.cancel()
        for c in conns:
            await c.close()
    while len(snaps) < 2:
        snap()
    res.server_cpu = snaps[1][0] - snaps[0][0]
    res.client_cpu = snaps[1][1] - snaps[0][1]
    res.requests = len(res.latencies)
    res.seconds = duration
    return res


async def sequential(port: int, requests: Iterable[bytes], fresh: bool = False) -> LoadResult:
    """One connection, one request at a time: latency without queueing."""
    conn = await Conn(fresh).open(port)
    res = LoadResult()
    t_start = time.perf_counter()
    try:
        for raw in requests:
            t0 = time.perf_counter()
            status, body = await conn.request(raw)
            res.latencies.append(time.perf_counter() - t0)
            if status != 200:
                res.errors += 1
                res.first_error = res.first_error or f"{status} {body[:200]!r}"
    finally:
        await conn.close()
    res.seconds = time.perf_counter() - t_start
    res.requests = len(res.latencies)
    return res


async def seed_view_tenant(
    port: int, token: str, events: int, sessions: int = 50, fresh: bool = False
) -> int:
    """Post *events* of the realistic mix, in order, as *sessions* sessions; returns #posts."""
    conn = await Conn(fresh).open(port)
    posts = 0
    try:
        batch: list[str] = []
        msgs: dict[str, str] = {}
        who = ""
        # consecutive lines by the same session go in one post, as a real agent's turn would
        for rec, msg in workload.records(events, sessions=sessions, seed=7):
            if batch and rec.session != who:
                await _post_ok(conn, post_events(port, token, who, batch, msgs))
                posts += 1
                batch, msgs = [], {}
            who = rec.session
            batch.append(rec.line)
            if msg:
                msgs[msg] = f"# from {rec.session}\n\nWhat exactly is needed here.\n"
        if batch:
            await _post_ok(conn, post_events(port, token, who, batch, msgs))
            posts += 1
    finally:
        await conn.close()
    return posts


async def _post_ok(conn: Conn, raw: bytes) -> None:
    status, body = await conn.request(raw)
    if status != 200:
        raise RuntimeError(f"seeding failed: {status} {body[:300]!r}")


def view_requests(port: int, token: str, sessions: Sequence[str]) -> list[bytes]:
    return [build("GET", port, f"/view/{s}", token) for s in sessions]


def _fresh_worker(
    port: int, requests: Sequence[bytes], k: int, step: int, start: float, stop: float, out: Any
) -> None:
    """One client process: a blocking socket per request, until *stop* (``time.time``)."""
    import socket

    lat: list[float] = []
    errors, first = 0, ""
    i = k
    while True:
        t0 = time.time()
        if t0 >= stop:
            break
        raw = requests[i % len(requests)].replace(b"\r\n", b"\r\nConnection: close\r\n", 1)
        i += step
        with socket.create_connection((HOST, port)) as sock:
            sock.sendall(raw)
            chunks = []
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
        t1 = time.time()
        reply = b"".join(chunks)
        if t0 >= start and t1 <= stop:
            lat.append(t1 - t0)
            if reply[9:12] != b"200":
                errors += 1
                first = first or reply[:200].decode("latin-1")
    out.send((lat, errors, first))


def closed_loop_fresh(
    port: int,
    pid: int,
    requests: Sequence[bytes],
    concurrency: int,
    duration: float,
    warmup: float = 0.3,
) -> LoadResult:
    """Like :func:`closed_loop` with a new connection per request, from *concurrency*
    client processes with blocking sockets: an asyncio client spends more CPU opening a
    connection than a server spends answering it, so on a small machine it would measure
    itself.
    """
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    start = time.time() + warmup + 0.2
    stop = start + duration
    pipes, procs = [], []
    for k in range(concurrency):
        mine, theirs = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_fresh_worker, args=(port, requests, k, concurrency, start, stop, theirs)
        )
        proc.start()
        pipes.append(mine)
        procs.append(proc)
    time.sleep(max(0.0, start - time.time()))
    cpu0 = cpu_seconds(pid)
    time.sleep(max(0.0, stop - time.time()))
    cpu1 = cpu_seconds(pid)
    res = LoadResult(seconds=duration, server_cpu=cpu1 - cpu0)
    for pipe, proc in zip(pipes, procs, strict=True):
        lat, errors, first = pipe.recv()
        proc.join()
        res.latencies.extend(lat)
        res.errors += errors
        res.first_error = res.first_error or first
    res.requests = len(res.latencies)
    return res


def sequential_fresh(port: int, requests: Iterable[bytes]) -> LoadResult:
    """One request at a time, each on a new blocking connection (no event loop in the
    client's latency)."""
    import socket

    res = LoadResult()
    t_start = time.perf_counter()
    for raw in requests:
        raw = raw.replace(b"\r\n", b"\r\nConnection: close\r\n", 1)
        t0 = time.perf_counter()
        with socket.create_connection((HOST, port)) as sock:
            sock.sendall(raw)
            chunks = []
            while data := sock.recv(65536):
                chunks.append(data)
        res.latencies.append(time.perf_counter() - t0)
        reply = b"".join(chunks)
        if reply[9:12] != b"200":
            res.errors += 1
            res.first_error = res.first_error or reply[:200].decode("latin-1")
    res.seconds = time.perf_counter() - t_start
    res.requests = len(res.latencies)
    return res
