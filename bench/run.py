"""Run the myco benchmarks and print (or write) the results table.

Usage::

    python -m bench.run                       # full run (~2 minutes on 2 cores)
    python -m bench.run --quick               # smaller sizes, a smoke run
    python -m bench.run --write docs/performance.md
    python -m bench.run --only post,view      # some parts only (post view render replay idle)

Every daemon is a real ``myco serve`` process on 127.0.0.1 with a port the OS picks; every
file lives in a temporary directory that is removed afterwards (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from attrs import define, frozen

from bench import http_load, idle, render, replay
from bench.proc import Daemon

START_MARK = "<!-- bench:start -->"
END_MARK = "<!-- bench:end -->"
PARTS = ("post", "view", "render", "replay", "idle", "hooks", "propagation")


@frozen
class Sizes:
    post_seconds: float
    post_concurrency: int
    post_sequential: int
    view_events: int
    view_sequential: int
    view_seconds: float
    view_concurrency: int
    render_points: tuple[int, ...]
    render_rounds: int
    replay_events: int
    idle_seconds: float
    idle_tenants: int
    idle_events: int


PRESETS = {
    "full": Sizes(
        5.0, 8, 2000, 5000, 2000, 4.0, 8, (1000, 100_000, 1_000_000), 3, 1_000_000, 10.0, 3, 20_000
    ),
    "quick": Sizes(
        1.5, 8, 500, 1000, 500, 1.5, 8, (1000, 10_000, 100_000), 2, 100_000, 3.0, 2, 5_000
    ),
    # for tests/test_bench_smoke.py: proves the code paths, measures nothing meaningful
    "tiny": Sizes(0.3, 2, 20, 100, 20, 0.3, 2, (100, 300, 1000), 1, 2000, 0.5, 1, 200),
}


@define
class Row:
    metric: str
    value: str
    target: str = "—"
    ok: bool | None = None

    @property
    def verdict(self) -> str:
        return {True: "pass", False: "**FAIL**", None: "—"}[self.ok]


def _ms(x: float) -> str:
    return f"{x:.2f} ms" if x < 10 else f"{x:.1f} ms"


def _n(x: int) -> str:
    if x >= 1_000_000 and x % 1_000_000 == 0:
        return f"{x // 1_000_000}M"
    if x >= 1000 and x % 1000 == 0:
        return f"{x // 1000}k"
    return str(x)


def _log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- 1 and 2: HTTP -------------------------------------------------------------------------
async def _http(port: int, pid: int, sizes: Sizes, parts: Sequence[str]) -> list[Row]:
    rows: list[Row] = []
    if "post" in parts:
        token = http_load.new_token()
        reqs = http_load.workload_posts(port, token, 20_000, seed=3)
        _log(f"POST /events: sequential x{sizes.post_sequential}")
        seq = await http_load.sequential(port, reqs[: sizes.post_sequential])
        _log(f"POST /events: {sizes.post_concurrency} connections for {sizes.post_seconds}s")
        res = await http_load.closed_loop(
            port, pid, reqs[sizes.post_sequential :], sizes.post_concurrency, sizes.post_seconds
        )
        for r in (seq, res):
            if r.errors:
                raise RuntimeError(f"POST /events errors: {r.errors}, first: {r.first_error}")
        server, client = res.cpu_share()
        c = sizes.post_concurrency
        rows += [
            Row(
                f"POST /events throughput (1 line/post, {c} connections)",
                f"{res.rate:,.0f} posts/s",
                ">= 2,000 posts/s",
                res.rate >= 2000,
            ),
            Row(
                f"POST /events latency p50 / p99 ({c} connections)",
                f"{_ms(res.p(0.5))} / {_ms(res.p(0.99))}",
            ),
            Row(
                "POST /events latency p50 / p99 (1 sequential client)",
                f"{_ms(seq.p(0.5))} / {_ms(seq.p(0.99))}",
            ),
            Row(
                "CPU during POST load: daemon / load generator",
                f"{server:.0%} / {client:.0%} of a core",
            ),
        ]
    if "view" in parts:
        token = http_load.new_token()
        _log(f"GET /view: seeding 50 sessions with {sizes.view_events} events")
        await http_load.seed_view_tenant(port, token, sizes.view_events)
        sessions = [f"W{i:02d}" for i in range(1, 51)] + ["DIRECTOR"]
        reqs = http_load.view_requests(port, token, sessions)
        await http_load.sequential(port, reqs)  # warm-up: one view per session
        _log(f"GET /view: sequential x{sizes.view_sequential}")
        n = sizes.view_sequential
        seq = await http_load.sequential(port, (reqs[i % len(reqs)] for i in range(n)))
        _log(f"GET /view: {sizes.view_concurrency} connections for {sizes.view_seconds}s")
        res = await http_load.closed_loop(
            port, pid, reqs, sizes.view_concurrency, sizes.view_seconds
        )
        for r in (seq, res):
            if r.errors:
                raise RuntimeError(f"GET /view errors: {r.errors}, first: {r.first_error}")
        p50 = seq.p(0.5)
        ev = _n(sizes.view_events)
        rows += [
            Row(
                f"GET /view latency p50 (1 sequential client, 51 sessions, {ev} events)",
                _ms(p50),
                "< 1 ms",
                p50 < 1.0,
            ),
            Row("GET /view latency p99 (1 sequential client)", _ms(seq.p(0.99))),
            Row(
                f"GET /view throughput ({sizes.view_concurrency} connections)",
                f"{res.rate:,.0f} views/s",
            ),
        ]
    return rows


def bench_http(work: Path, sizes: Sizes, parts: Sequence[str]) -> list[Row]:
    with Daemon(work / "http-data", "--fsync", "everysec", "--quiet") as daemon:
        _log(f"daemon pid {daemon.pid} listening on 127.0.0.1:{daemon.port}")
        return asyncio.run(_http(daemon.port, daemon.pid, sizes, parts))


# -- 3: render -----------------------------------------------------------------------------
def bench_render(work: Path, sizes: Sizes) -> list[Row]:
    _log(f"render: building state up to {_n(max(sizes.render_points))} events in process")
    points = render.measure(sizes.render_points, rounds=sizes.render_rounds)
    rows = [
        Row(
            f"view render at {_n(p.events)} events: worker p50 / p99, DIRECTOR p50",
            f"{_ms(p.p('worker', 0.5))} / {_ms(p.p('worker', 0.99))}, {_ms(p.p('director', 0.5))}",
        )
        for p in points
    ]
    first, mid, last = points[0], points[-2], points[-1]
    for which, label in (("worker", "worker"), ("director", "DIRECTOR")):
        growth = last.p(which, 0.5) / mid.p(which, 0.5)
        overall = last.p(which, 0.5) / first.p(which, 0.5)
        rows.append(
            Row(
                f"render flatness, {label} p50: {_n(mid.events)} → {_n(last.events)} events",
                f"{growth:.1f}x ({_n(first.events)} → {_n(last.events)}: {overall:.1f}x)",
                "<= 1.5x (flat)",
                growth <= 1.5,
            )
        )
    return rows


# -- 4: replay -----------------------------------------------------------------------------
def bench_replay(work: Path, sizes: Sizes) -> list[Row]:
    from myco.auth.tokens import tenant_id

    data_dir = work / "replay-data"
    n = sizes.replay_events
    _log(f"replay: writing {_n(n)} events as 50 session logs")
    replay.write_data_dir(data_dir, {tenant_id(http_load.new_token()): n})
    _log("replay: fresh process, await daemon.start(), no snapshot (cold, as after a crash)")
    cold = replay.measure(data_dir, work / "replay.json")
    _log("replay: again, after the clean stop wrote a snapshot (warm restart)")
    warm = replay.measure(data_dir, work / "replay-warm.json")
    for res in (cold, warm):
        if res["events"] != n:
            raise RuntimeError(f"replayed {res['events']} events, expected {n}")
    cold_rate, warm_rate = n / cold["seconds"], n / warm["seconds"]
    mib = 1024
    return [
        Row(
            f"restart with {_n(n)} events of history (snapshot + tail replay)",
            f"{warm['seconds']:.1f} s = {warm_rate:,.0f} events/s",
            ">= 200,000 events/s",
            warm_rate >= 200_000,
        ),
        Row(
            f"cold replay of {_n(n)} events (no snapshot: first start, or after a crash)",
            f"{cold['seconds']:.1f} s = {cold_rate:,.0f} events/s",
            "—",
        ),
        Row(
            f"peak RSS after replaying {_n(n)} events (VmHWM), cold / warm",
            f"{cold['hwm_kib'] / mib:,.0f} MiB / {warm['hwm_kib'] / mib:,.0f} MiB "
            f"(before: {cold['rss_before_kib'] / mib:,.0f} MiB)",
        ),
    ]


# -- 6: agent hooks -----------------------------------------------------------------------
def bench_hooks(work: Path, sizes: Sizes) -> list[Row]:
    from bench import hooks

    runs = 30 if sizes.idle_seconds >= 10 else 8
    _log(f"hooks: `myco hook claude-code prompt|stop` as wired, daemon up and down, {runs} runs")
    rows = []
    (work / "hooks").mkdir(parents=True, exist_ok=True)
    for r in hooks.measure(work / "hooks", runs=runs):
        if r.daemon == "—":
            rows.append(
                Row(
                    "bare interpreter start (`python -c pass`, interleaved), median / p95",
                    f"{r.median_ms:.1f} ms / {r.p95_ms:.1f} ms",
                )
            )
            continue
        rows.append(
            Row(
                (f"hook `{r.hook}`" if r.targeted else f"hook {r.hook}")
                + f", daemon {r.daemon}: wall-clock median / p95 (over bare)",
                f"{r.median_ms:.1f} ms / {r.p95_ms:.1f} ms (+{r.over_ms:.1f} ms)",
                f"median <= bare + {hooks.TARGET_OVER_BARE_MS:.0f} ms" if r.targeted else "—",
                r.ok if r.targeted else None,
            )
        )
    return rows


# -- 7: replica propagation (Redis) ---------------------------------------------------------
def bench_propagation(work: Path, sizes: Sizes) -> list[Row]:
    from bench import propagation

    probes = 500 if sizes.idle_seconds >= 10 else 50
    _log(f"propagation: two replicas on a private redis-server, {probes} probes")
    s = propagation.run(probes, idle_seconds=2.0, workdir=work / "propagation").summary()
    return [
        Row(
            "replica propagation (200 on A → visible on B): p50 / p99",
            f"{s['ack_to_visible_p50_ms']} ms / {s['ack_to_visible_p99_ms']} ms",
            "p99 < 50 ms",
            float(s["ack_to_visible_p99_ms"]) < 50,
        )
    ]


# -- 5: idle -------------------------------------------------------------------------------
def bench_idle(work: Path, sizes: Sizes) -> list[Row]:
    _log(f"idle: {sizes.idle_tenants} tenants, {sizes.idle_seconds:.0f}s")
    res = idle.measure(work, sizes.idle_seconds, sizes.idle_tenants, sizes.idle_events)
    return [
        Row(
            f"idle CPU over {res['seconds']:.3g} s ({sizes.idle_tenants} tenants, "
            f"{_n(int(res['events']))} events loaded)",
            f"{res['percent']:.2f} %",
            "< 1 %",
            res["percent"] < 1.0,
        )
    ]


# -- report --------------------------------------------------------------------------------
def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
            cwd=Path(__file__).parent,
        )
        return out.stdout.strip()
    except OSError:
        return ""


def table(rows: Sequence[Row], preset: str, seconds: float, load: float) -> str:
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    commit = git_commit()
    head = (
        f"_Measured {when} on {machine()}; preset `{preset}`"
        f"{f', commit `{commit}`' if commit else ''}; run took {seconds:.0f} s; "
        f"1-min load average before the run: {load:.2f}._\n\n"
    )
    lines = ["| metric | value | target | result |", "|---|---|---|---|"]
    lines += [f"| {r.metric} | {r.value} | {r.target} | {r.verdict} |" for r in rows]
    return head + "\n".join(lines) + "\n"


def write_doc(path: Path, text: str) -> None:
    """Replace what lies between the markers of *path* (markers appended when missing)."""
    block = f"{START_MARK}\n{text}{END_MARK}"
    old = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    pattern = re.compile(re.escape(START_MARK) + r".*?" + re.escape(END_MARK), re.DOTALL)
    if pattern.search(old):
        new = pattern.sub(lambda _m: block, old, count=1)
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")


def run(preset: str, parts: Sequence[str], work: Path) -> list[Row]:
    sizes = PRESETS[preset]
    rows: list[Row] = []
    steps: list[tuple[str, Callable[[], list[Row]]]] = [
        ("http", lambda: bench_http(work, sizes, [p for p in parts if p in ("post", "view")])),
        ("render", lambda: bench_render(work, sizes)),
        ("replay", lambda: bench_replay(work, sizes)),
        ("idle", lambda: bench_idle(work, sizes)),
        ("hooks", lambda: bench_hooks(work, sizes)),
        ("propagation", lambda: bench_propagation(work, sizes)),
    ]
    for name, step in steps:
        if name == "http" and not {"post", "view"} & set(parts):
            continue
        if name != "http" and name not in parts:
            continue
        rows += step()
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (smoke run)")
    ap.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default=None,
        help="sizes to use (default full; --quick means quick)",
    )
    ap.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts to run (default: {','.join(PARTS)})",
    )
    ap.add_argument(
        "--write",
        metavar="FILE",
        type=Path,
        default=None,
        help="replace the table between the bench markers of FILE",
    )
    ap.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = ap.parse_args(argv)
    preset = args.preset or ("quick" if args.quick else "full")
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        ap.error(f"unknown part(s): {', '.join(sorted(unknown))} (known: {', '.join(PARTS)})")
    work = Path(tempfile.mkdtemp(prefix="myco-bench-"))
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    try:
        rows = run(preset, parts, work)
    finally:
        if args.keep:
            _log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    text = table(rows, preset, time.perf_counter() - t0, load)
    print(text)
    if args.write is not None:
        write_doc(args.write, text)
        _log(f"wrote {args.write}")
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
