"""myco side by side with the reference daemon (``primoia/myco``'s ``prototype/mycod.py``).

Usage::

    python -m bench.compare --reference /path/to/myco/prototype   # both daemons, one table
    python -m bench.compare                                        # myco only (no reference)

The reference is only ever started from the path given on the command line (nothing is
downloaded); without it, its column is skipped. Each daemon gets the same deterministic
workload (``bench/workload.py``, 50 sessions) through ``POST /events``, then one sequential
client reads ``GET /view/{session}`` over all sessions, then 4 connections do so for a few
seconds, then one sequential client posts single events. Views are fresh on both sides only
for myco: the reference serves a pre-rendered string.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench import http_load
from bench.proc import Daemon

SESSIONS = [f"W{i:02d}" for i in range(1, 51)] + ["DIRECTOR"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Reference:
    """``python mycod.py --port P --multi-tenant --quiet DIR`` from the given prototype dir."""

    def __init__(self, prototype: Path, data: Path) -> None:
        self.script = prototype / "mycod.py"
        self.data = data
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Reference:
        self.data.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, str(self.script), "--port", str(self.port), "--multi-tenant"]
        self.proc = subprocess.Popen(
            [*cmd, "--quiet", str(self.data)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"reference exited with {self.proc.returncode}") from None
                time.sleep(0.05)
        raise TimeoutError("the reference daemon did not listen within 30 s")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


async def measure(port: int, pid: int, events: int, seconds: float) -> dict[str, float]:
    token = http_load.new_token()
    await http_load.seed_view_tenant(port, token, events)
    views = http_load.view_requests(port, token, SESSIONS)
    await http_load.sequential(port, views)  # warm-up
    seq = await http_load.sequential(port, (views[i % len(views)] for i in range(2000)))
    par = await http_load.closed_loop(port, pid, views, 4, seconds)
    # another tenant: the mix's message names would collide with the seeded ones (409)
    posts = http_load.workload_posts(port, http_load.new_token(), 1000, seed=9)
    post = await http_load.sequential(port, posts)
    for r in (seq, par, post):
        if r.errors:
            raise RuntimeError(f"{r.errors} errors, first: {r.first_error}")
    return {
        "view_p50_ms": seq.p(0.5),
        "view_rate": par.rate,
        "post_p50_ms": post.p(0.5),
    }


def table(mine: dict[str, float], ref: dict[str, float] | None) -> str:
    rows = [
        ("GET /view p50, 1 sequential client (ms)", "view_p50_ms", True),
        ("GET /view throughput, 4 connections (views/s)", "view_rate", False),
        ("POST /events p50, 1 sequential client (ms)", "post_p50_ms", True),
    ]
    out = ["| metric | myco | reference | myco advantage |", "|---|---|---|---|"]
    for label, key, lower_is_better in rows:
        if ref is None:
            out.append(f"| {label} | {mine[key]:,.2f} | (no --reference given) | — |")
            continue
        ratio = ref[key] / mine[key] if lower_is_better else mine[key] / ref[key]
        out.append(f"| {label} | {mine[key]:,.2f} | {ref[key]:,.2f} | {ratio:.2f}x |")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__.split("\n")[0])
    ap.add_argument("--reference", type=Path, help="the reference's prototype/ directory")
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--seconds", type=float, default=4.0)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="myco-bench-compare-") as tmp:
        work = Path(tmp)
        with Daemon(work / "myco-data") as daemon:
            mine = asyncio.run(measure(daemon.port, daemon.pid, args.events, args.seconds))
        ref = None
        if args.reference is not None:
            if not (args.reference / "mycod.py").is_file():
                ap.error(f"{args.reference}/mycod.py not found")
            with Reference(args.reference, work / "ref-data") as reference:
                ref = asyncio.run(measure(reference.port, reference.pid, args.events, args.seconds))
    print(table(mine, ref))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
