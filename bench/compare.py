"""myco side by side with the reference daemon (``primoia/myco``'s ``prototype/mycod.py``).

Usage::

    python -m bench.compare --reference /path/to/myco/prototype   # both daemons, one table
    python -m bench.compare --shape bench --reference ...          # the 50-session workload
    python -m bench.compare                                        # myco only (no reference)

The reference is only ever started from the path given on the command line (nothing is
downloaded); without it, its column is skipped. Both daemons run with their default
logging (access log on, written to a file) and every request opens a new connection, as a
hook process does (the reference speaks HTTP/1.0 and closes each one anyway). myco loads
its built-in plugins only, unless ``MYCO_LOAD_PLUGINS`` names installed ones. Shapes:

- ``reference`` (default): the reference's own workload shape, 3 tenants of 30 sessions
  and 3,000 events each of the mix (``bench/workload.py``);
- ``bench``: one tenant of the 50-session workload with 5,000 events.

Each daemon gets the same deterministic events through ``POST /events``; then one
sequential client reads ``GET /view/{session}`` round robin over every tenant's sessions
and the DIRECTOR, then 4 client processes do so for a few seconds, then one sequential
client posts 1,000 single events to a new tenant. The clients use blocking sockets: an
asyncio client spends more CPU opening a connection than a server spends answering it,
and on a small machine would measure itself. myco's views are fresh (ages and states
current to the second); the reference serves a string pre-rendered when its state last
changed. Its main loop also polls its logs every millisecond, which costs it a share of
a core throughout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench import http_load
from bench.proc import Daemon

#: shape name -> (tenants, sessions per tenant, events per tenant)
SHAPES = {"reference": (3, 30, 3000), "bench": (1, 50, 5000)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Reference:
    """``python mycod.py --port P DIR`` from the given prototype dir, its log in a file.

    It binds every interface (it has no option for the address): run it on a trusted host.
    """

    def __init__(self, prototype: Path, data: Path) -> None:
        self.script = prototype / "mycod.py"
        self.data = data
        self.log = data.parent / f"{data.name}.stderr"
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Reference:
        self.data.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, str(self.script), "--port", str(self.port), str(self.data)]
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=log)
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


async def measure(
    port: int, pid: int, shape: tuple[int, int, int], seconds: float
) -> dict[str, float]:
    """View p50, view throughput (4 connections) and POST p50 against one daemon."""
    tenants, sessions, events = shape
    names = [f"W{i:02d}" for i in range(1, sessions + 1)] + ["DIRECTOR"]
    views: list[bytes] = []
    for _ in range(tenants):
        token = http_load.new_token()
        await http_load.seed_view_tenant(port, token, events, sessions, fresh=True)
        views += http_load.view_requests(port, token, names)
    await http_load.sequential(port, views, fresh=True)  # warm-up
    seq = await http_load.sequential(port, (views[i % len(views)] for i in range(2000)), fresh=True)
    par = http_load.closed_loop_fresh(port, pid, views, 4, seconds)
    # another tenant: the mix's message names would collide with the seeded ones (409)
    posts = http_load.workload_posts(port, http_load.new_token(), 1000, seed=9)
    post = http_load.sequential_fresh(port, posts)
    for r in (seq, par, post):
        if r.errors:
            raise RuntimeError(f"{r.errors} errors, first: {r.first_error}")
    return {
        "view_p50_ms": seq.p(0.5),
        "view_p99_ms": seq.p(0.99),
        "view_rate": par.rate,
        "post_p50_ms": post.p(0.5),
    }


def table(mine: dict[str, float], ref: dict[str, float] | None) -> str:
    rows = [
        ("GET /view p50, 1 sequential client (ms)", "view_p50_ms", True),
        ("GET /view p99, 1 sequential client (ms)", "view_p99_ms", True),
        ("GET /view throughput, 4 client processes (views/s)", "view_rate", False),
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
    ap.add_argument("--shape", choices=sorted(SHAPES), default="reference")
    ap.add_argument("--events", type=int, help="events per tenant (default: the shape's)")
    ap.add_argument("--seconds", type=float, default=4.0)
    args = ap.parse_args(argv)
    tenants, sessions, events = SHAPES[args.shape]
    shape = (tenants, sessions, args.events or events)
    with tempfile.TemporaryDirectory(prefix="myco-bench-compare-") as tmp:
        work = Path(tmp)
        # myco as shipped: its built-in plugins; separately installed ones (a search index,
        # metrics) only when MYCO_LOAD_PLUGINS names them
        only = {"MYCO_LOAD_PLUGINS": os.environ.get("MYCO_LOAD_PLUGINS", "")}
        with Daemon(work / "myco-data", env=only) as daemon:
            mine = asyncio.run(measure(daemon.port, daemon.pid, shape, args.seconds))
        print(f"myco: {mine}", file=sys.stderr, flush=True)  # the reference takes minutes
        ref = None
        if args.reference is not None:
            if not (args.reference / "mycod.py").is_file():
                ap.error(f"{args.reference}/mycod.py not found")
            with Reference(args.reference, work / "ref-data") as reference:
                ref = asyncio.run(measure(reference.port, reference.pid, shape, args.seconds))
    print(
        f"shape `{args.shape}`: {shape[0]} tenant(s) x {shape[1]} sessions + DIRECTOR, "
        f"{shape[2]:,} events each, a new connection per request, default logging\n"
    )
    print(table(mine, ref))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
