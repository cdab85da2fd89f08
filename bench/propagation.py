"""Replica propagation delay: an event accepted by replica A, until replica B serves it.

Two ``myco serve --storage redis`` processes share a private ``redis-server`` (loopback,
free ports). For each probe, one connection posts ``start probe-<i>`` to A while another
asks B for ``GET /status`` back to back until B reports that action. Measured per probe:

* *ack → visible*: from A's 200 until B's first answer showing the event (0 when B showed it
  before A's answer arrived): the delay the target (p99 < 50 ms) is about;
* *post → visible*: from sending the post to A until B showed it.

B's answer time is an upper bound (the event became visible somewhere during that
request). The idle CPU of both replicas is measured afterwards: following the store is a
blocking read, so it should be ~0.

    python -m bench.propagation                 # 500 probes
    python -m bench.propagation --probes 2000 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from attrs import define, field

from bench.http_load import Conn, build, new_token, percentile
from bench.proc import Daemon, cpu_seconds
from bench.redis_server import RedisServer

TARGET_P99_MS = 50.0
#: a probe that B has not shown after this long counts as lost (and fails the run)
PROBE_TIMEOUT = 5.0


@define
class Propagation:
    ack_to_visible: list[float] = field(factory=list)
    post_to_visible: list[float] = field(factory=list)
    lost: int = 0
    idle_cpu: list[float] = field(factory=list)

    def summary(self) -> dict[str, object]:
        a, p = sorted(self.ack_to_visible), sorted(self.post_to_visible)
        ms = 1000.0
        return {
            "probes": len(a),
            "lost": self.lost,
            "ack_to_visible_p50_ms": round(percentile(a, 0.50) * ms, 2),
            "ack_to_visible_p99_ms": round(percentile(a, 0.99) * ms, 2),
            "ack_to_visible_max_ms": round(max(a, default=0.0) * ms, 2),
            "post_to_visible_p50_ms": round(percentile(p, 0.50) * ms, 2),
            "post_to_visible_p99_ms": round(percentile(p, 0.99) * ms, 2),
            "target_p99_ms": TARGET_P99_MS,
            "idle_cpu_percent": [round(c * 100, 2) for c in self.idle_cpu],
        }

    @property
    def ok(self) -> bool:
        a = sorted(self.ack_to_visible)
        return not self.lost and bool(a) and percentile(a, 0.99) * 1000 < TARGET_P99_MS


async def _probe(
    i: int, a: Conn, b: Conn, ports: tuple[int, int], token: str, result: Propagation
) -> None:
    body = json.dumps({"session": "PROBE", "events": [f"start probe-{i}"]}).encode()
    post = build("POST", ports[0], "/events", token, body)
    status = build("GET", ports[1], "/status", token)
    want = f"start probe-{i}"
    acked: list[float] = []

    async def send() -> None:
        code, text = await a.request(post)
        acked.append(time.perf_counter())
        if code != 200:
            raise RuntimeError(f"post to A: {code} {text[:200]!r}")

    t0 = time.perf_counter()
    sender = asyncio.ensure_future(send())
    seen = 0.0
    while time.perf_counter() - t0 < PROBE_TIMEOUT:
        code, text = await b.request(status)
        if code == 200:
            probe = json.loads(text)["sessions"].get("PROBE")
            if probe is not None and probe["action"] == want:
                seen = time.perf_counter()
                break
    await sender
    if not seen:
        result.lost += 1
        return
    result.post_to_visible.append(seen - t0)
    result.ack_to_visible.append(max(0.0, seen - acked[0]))


async def measure(ports: tuple[int, int], probes: int) -> Propagation:
    token = new_token()
    result = Propagation()
    a, b = await Conn().open(ports[0]), await Conn().open(ports[1])
    try:
        for port, conn in ((ports[0], a), (ports[1], b)):  # create the tenant on both
            code, text = await conn.request(build("GET", port, "/status", token))
            if code != 200:
                raise RuntimeError(f"GET /status: {code} {text[:200]!r}")
        for i in range(probes):
            await _probe(i, a, b, ports, token, result)
    finally:
        await a.close()
        await b.close()
    return result


def idle_cpu(pids: Sequence[int], seconds: float) -> list[float]:
    """CPU share of each process over *seconds* of doing nothing."""
    before = [cpu_seconds(p) for p in pids]
    time.sleep(seconds)
    return [(cpu_seconds(p) - b) / seconds for p, b in zip(pids, before, strict=True)]


def run(probes: int = 500, idle_seconds: float = 3.0, workdir: Path | None = None) -> Propagation:
    with ExitStack() as stack:
        if workdir is None:
            workdir = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="myco-propagation-"))
            )
        server = stack.enter_context(RedisServer(workdir / "redis"))
        args = ("--quiet", "--storage", "redis", "--redis-url", server.url)
        first = stack.enter_context(Daemon(workdir / "a", *args))
        second = stack.enter_context(Daemon(workdir / "b", *args))
        result = asyncio.run(measure((first.port, second.port), probes))
        result.idle_cpu = idle_cpu([first.pid, second.pid], idle_seconds)
        return result


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.propagation", description=__doc__.split("\n")[0]
    )
    p.add_argument("--probes", type=int, default=500, help="events to time (default 500)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = p.parse_args(argv)
    if not 1 <= args.probes <= 100_000:
        p.error("--probes must be between 1 and 100000")
    result = run(args.probes)
    s = result.summary()
    if args.json:
        print(json.dumps(s, indent=2))
    else:
        print(f"propagation over {s['probes']} probes (replica A -> replica B, loopback):")
        print(
            f"  ack -> visible on B:  p50 {s['ack_to_visible_p50_ms']} ms, "
            f"p99 {s['ack_to_visible_p99_ms']} ms, max {s['ack_to_visible_max_ms']} ms "
            f"(target p99 < {TARGET_P99_MS:g} ms)"
        )
        print(
            f"  post -> visible on B: p50 {s['post_to_visible_p50_ms']} ms, "
            f"p99 {s['post_to_visible_p99_ms']} ms"
        )
        print(
            f"  lost probes: {s['lost']}; idle CPU of the replicas: "
            f"{', '.join(f'{c * 100:.2f} %' for c in result.idle_cpu)}"
        )
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
