"""Load: many concurrent agent sessions against daemon replicas sharing one Redis.

Each session is one keep-alive connection acting as one agent: it posts its next event
line (with a client id, as the hooks do) three times out of four and reads its view the
fourth, without pause, until the time is up. Sessions are spread over the replicas as a
load balancer would. Afterwards the stored events are counted per session: every
acknowledged event must be there once.

Bounded in time and count, loopback only (a private ``redis-server`` on a free port and
``myco serve --port 0`` processes), and everything is stopped by PID at the end::

    python -m bench.load                         # 50 sessions, 2 replicas, 30 s
    python -m bench.load --sessions 80 --duration 60 --replicas 3
    python -m bench.load --storage file --replicas 1
    python -m bench.load --write docs/performance.md   # fill the load section
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from attrs import define, field

from bench import workload
from bench.http_load import Conn, build, new_token, percentile
from bench.proc import Daemon
from bench.redis_server import RedisServer

START_MARK = "<!-- load:start -->"
END_MARK = "<!-- load:end -->"
#: every how many requests a session reads its view instead of posting
VIEW_EVERY = 4
#: no request may take longer than this (seconds): a hang counts as an error
REQUEST_TIMEOUT = 10.0
#: a hard cap on each session's requests, besides the time limit
MAX_REQUESTS_PER_SESSION = 200_000


@define
class LoadReport:
    sessions: int
    replicas: int
    storage: str
    seconds: float
    posts: int = 0
    views: int = 0
    errors: int = 0
    first_error: str = ""
    latencies: list[float] = field(factory=list)
    acked: dict[str, int] = field(factory=dict)
    stored: dict[str, int] = field(factory=dict)

    @property
    def requests(self) -> int:
        return self.posts + self.views

    @property
    def verified(self) -> bool:
        """Every acknowledged event stored exactly once (nothing unacknowledged either)."""
        return self.acked == self.stored

    def p(self, q: float) -> float:
        return percentile(sorted(self.latencies), q) * 1000

    def summary(self) -> dict[str, object]:
        return {
            "sessions": self.sessions,
            "replicas": self.replicas,
            "storage": self.storage,
            "seconds": round(self.seconds, 1),
            "requests": self.requests,
            "requests_per_s": round(self.requests / self.seconds, 1),
            "events_per_s": round(self.posts / self.seconds, 1),
            "views": self.views,
            "errors": self.errors,
            "first_error": self.first_error,
            "p50_ms": round(self.p(0.50), 2),
            "p99_ms": round(self.p(0.99), 2),
            "max_ms": round(max(self.latencies, default=0.0) * 1000, 1),
            "events_acked": sum(self.acked.values()),
            "events_stored": sum(self.stored.values()),
            "verified": self.verified,
        }


def session_lines(sessions: int, per_session: int, seed: int = 11) -> dict[str, list[str]]:
    """Each worker session's own lines of the realistic workload (msg pointers dropped)."""
    out: dict[str, list[str]] = {}
    stream = workload.Workload(sessions=sessions, seed=seed).lines()
    wanted = sessions * per_session
    for n, (session, line, _msg) in enumerate(stream):
        if session != "DIRECTOR":
            out.setdefault(session, []).append(line.split(" spec:", 1)[0])
        if n >= wanted * 2:
            break
    return out


async def _session(
    name: str, lines: list[str], port: int, token: str, deadline: float, report: LoadReport
) -> None:
    conn = await Conn().open(port)
    view = build("GET", port, f"/view/{name}", token)
    k = 0
    try:
        while time.monotonic() < deadline and k < MAX_REQUESTS_PER_SESSION:
            k += 1
            posting = k % VIEW_EVERY != 0
            if posting:
                line = lines[k % len(lines)]
                body = json.dumps({"session": name, "events": [line], "id": f"{name}-{k}"})
                raw = build("POST", port, "/events", token, body.encode())
            else:
                raw = view
            t0 = time.perf_counter()
            try:
                status, body_bytes = await asyncio.wait_for(conn.request(raw), REQUEST_TIMEOUT)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as exc:
                status, body_bytes = 0, repr(exc).encode()
                await conn.close()
                conn = await Conn().open(port)
            report.latencies.append(time.perf_counter() - t0)
            if status != 200:
                report.errors += 1
                report.first_error = report.first_error or f"{status} {body_bytes[:200]!r}"
            elif posting:
                report.posts += 1
                report.acked[name] = report.acked.get(name, 0) + 1
            else:
                report.views += 1
    finally:
        await conn.close()


async def _count_stored(port: int, token: str) -> dict[str, int]:
    """Stored events per session, read back page by page through ``GET /events``."""
    conn = await Conn().open(port)
    out: dict[str, int] = {}
    after = 0
    try:
        while True:
            status, body = await conn.request(
                build("GET", port, f"/events?after={after}&limit=50000", token)
            )
            if status != 200:
                raise RuntimeError(f"GET /events: {status} {body[:200]!r}")
            events = json.loads(body)["events"]
            if not events:
                return out
            for ev in events:
                out[ev["session"]] = out.get(ev["session"], 0) + 1
            after = events[-1]["seq"]
    finally:
        await conn.close()


async def drive(ports: Sequence[int], sessions: int, duration: float) -> LoadReport:
    """Run *sessions* sessions spread over *ports* for *duration* seconds."""
    token = new_token()
    report = LoadReport(sessions, len(ports), "", duration)
    lines = session_lines(sessions, per_session=64)
    names = sorted(lines)[:sessions]
    # create the tenant first (one request), as the first hook of a swarm would
    first = await Conn().open(ports[0])
    try:
        status, body = await first.request(build("GET", ports[0], "/status", token))
        if status != 200:
            raise RuntimeError(f"tenant creation failed: {status} {body[:200]!r}")
    finally:
        await first.close()
    start = time.monotonic()
    deadline = start + duration
    await asyncio.gather(
        *(
            _session(name, lines[name], ports[i % len(ports)], token, deadline, report)
            for i, name in enumerate(names)
        )
    )
    report.seconds = time.monotonic() - start
    report.stored = await _count_stored(ports[0], token)
    return report


def run(
    duration: float = 30.0,
    sessions: int = 50,
    replicas: int = 2,
    storage: str = "redis",
    workdir: Path | None = None,
) -> LoadReport:
    """Start Redis (for ``redis``) and the replicas, drive the load, stop everything."""
    if storage == "file" and replicas != 1:
        raise ValueError("the file backend serves one daemon per data directory")
    with ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="myco-load-")))
        args = ["--quiet", "--storage", storage]
        if storage == "redis":
            server = RedisServer(workdir / "redis", appendonly=True, appendfsync="everysec")
            stack.enter_context(server)
            args += ["--redis-url", server.url]
        ports = []
        for i in range(replicas):
            daemon = Daemon(workdir / f"replica-{i}", *args)
            stack.enter_context(daemon)
            ports.append(daemon.port)
        report = asyncio.run(drive(ports, sessions, duration))
        report.storage = storage
        return report


def markdown(report: LoadReport) -> str:
    """The load section of ``docs/performance.md``."""
    s = report.summary()
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    machine = f"{os.cpu_count()} cores, Python {platform.python_version()}"
    return "\n".join(
        [
            f"Measured {when} on {machine} with `python -m bench.load` (client, daemons and",
            "Redis on the same machine, loopback only). Each session is one keep-alive",
            "connection posting one event (with a client id) three times out of four and reading",
            "its view the fourth, without pause.",
            "",
            "| what | result |",
            "|---|---|",
            f"| setup | {s['sessions']} concurrent sessions, {s['replicas']} replica(s), "
            f"`--storage {s['storage']}`, {s['seconds']} s |",
            f"| throughput | {s['requests_per_s']} requests/s ({s['events_per_s']} events/s "
            f"posted, {s['requests']} requests) |",
            f"| latency | p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms, max {s['max_ms']} ms |",
            f"| errors | {s['errors']} |",
            f"| acknowledged events stored exactly once | {s['events_stored']} of "
            f"{s['events_acked']}: {'yes' if s['verified'] else '**NO**'} |",
        ]
    )


def write_section(path: Path, text: str) -> None:
    """Replace what is between the load markers (appending them if absent); nothing else."""
    doc = path.read_text() if path.exists() else ""
    block = f"{START_MARK}\n{text}\n{END_MARK}"
    if START_MARK in doc and END_MARK in doc:
        head, rest = doc.split(START_MARK, 1)
        tail = rest.split(END_MARK, 1)[1]
        doc = head + block + tail
    else:
        doc = doc.rstrip("\n") + "\n\n## Load: concurrent sessions on replicas\n\n" + block + "\n"
    path.write_text(doc)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    p.add_argument("--duration", type=float, default=30.0, help="seconds (default 30)")
    p.add_argument("--sessions", type=int, default=50, help="concurrent sessions (default 50)")
    p.add_argument("--replicas", type=int, default=2, help="daemon replicas (default 2)")
    p.add_argument("--storage", choices=("redis", "file"), default="redis")
    p.add_argument("--write", type=Path, help="put the figures into this markdown file")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = p.parse_args(argv)
    if args.duration > 600 or args.sessions > 1000:
        p.error("keep it bounded: at most 600 s and 1000 sessions")
    report = run(args.duration, args.sessions, args.replicas, args.storage)
    s = report.summary()
    if args.json:
        print(json.dumps(s, indent=2))
    else:
        print(
            f"load: {s['sessions']} sessions on {s['replicas']} replica(s) "
            f"(--storage {s['storage']}) for {s['seconds']} s"
        )
        print(
            f"  throughput: {s['requests_per_s']} requests/s, {s['events_per_s']} events/s "
            f"({s['requests']} requests)"
        )
        print(f"  latency:    p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms, max {s['max_ms']} ms")
        print(f"  errors:     {s['errors']} {s['first_error']}".rstrip())
        print(
            f"  stored:     {s['events_stored']} of {s['events_acked']} acknowledged events "
            f"({'verified' if s['verified'] else 'MISMATCH'})"
        )
    if args.write:
        write_section(args.write, markdown(report))
        print(f"wrote {args.write}")
    return 0 if report.verified and not report.errors else 1


if __name__ == "__main__":
    sys.exit(main())
