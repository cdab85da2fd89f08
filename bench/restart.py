"""Crash restart and lazy tenants, against a real ``myco serve``.

Usage::

    python -m bench.restart --events 1000000      # kill -9 with 1M events, time to a view
    python -m bench.restart --tenants 10000       # 10k tenants on disk, time to /healthz

*Crash restart*: one tenant's history is written to disk (bench.replay's format), a daemon
loads it (a full, cold replay: the first view), writes its periodic snapshot, is killed with
SIGKILL and started again; the row is the time from the new process's start to its first
``GET /view`` answer (snapshot restore + tail replay), against the time of a cold replay.

*Lazy tenants*: N small tenants are copied on disk; the row is the time from process start
to the first ``/healthz`` answer, and how many tenants it says are loaded.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from bench import replay
from bench.proc import Daemon, status_kib

TOKEN = "bench-restart-Xq2Lm8Nv5Tb1Kc7Jh3Gf9Ds4Ap6TeZr0W"


def _get(port: int, path: str, token: str | None = TOKEN, timeout: float = 600.0) -> bytes:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.read()  # type: ignore[no-any-return]


def _start_timed(daemon: Daemon, path: str, token: str | None = TOKEN) -> tuple[float, bytes]:
    """Seconds from starting *daemon* to its first answer on *path*, and that answer."""
    t0 = time.perf_counter()
    port = daemon.start(timeout=600)
    body = _get(port, path, token)
    return time.perf_counter() - t0, body


def crash_restart(work: Path, events: int) -> dict[str, float]:
    from myco.auth.tokens import tenant_id

    tid = tenant_id(TOKEN)
    data = work / "restart-data"
    replay.write_data_dir(data, {tid: events})
    snapshot = data / "tenants" / tid / "snapshot.bin"
    env = {"MYCO_SNAPSHOT_INTERVAL": "1", "MYCO_TENANT_IDLE_TTL": "0"}
    daemon = Daemon(data, "--quiet", env=env)
    try:
        cold, first = _start_timed(daemon, "/view/W01?format=json")
        deadline = time.monotonic() + 600
        while not snapshot.exists() or int.from_bytes(snapshot.read_bytes()[:8], "big") < events:
            if time.monotonic() > deadline:
                raise TimeoutError("no snapshot written")
            time.sleep(0.1)
        rss = status_kib(daemon.pid, "VmRSS")
        assert daemon.proc is not None
        daemon.proc.kill()  # SIGKILL: no clean stop
        daemon.proc.wait()
        warm, again = _start_timed(daemon, "/view/W01?format=json")
        same = _stable(first) == _stable(again)
    finally:
        daemon.stop()
    return {
        "events": events,
        "cold_s": cold,
        "restart_s": warm,
        "snapshot_mib": snapshot.stat().st_size / 2**20,
        "rss_mib": rss / 1024,
        "identical": float(same),
    }


def _stable(view: bytes) -> object:
    data = json.loads(view)
    data.pop("now", None)
    for entry in data.get("sessions", {}).values():
        entry.pop("age_ms", None)
    return data


def lazy_tenants(work: Path, tenants: int) -> dict[str, float]:
    from myco.auth.tokens import tenant_id

    data = work / "lazy-data"
    first = data / "tenants" / tenant_id(TOKEN)
    replay.write_tenant(first, 20)
    for i in range(tenants - 1):
        shutil.copytree(first, data / "tenants" / tenant_id(f"{TOKEN}-{i}"))
    daemon = Daemon(data, "--quiet")
    try:
        seconds, body = _start_timed(daemon, "/healthz", token=None)
        health = json.loads(body)
        rss = status_kib(daemon.pid, "VmRSS")
        t0 = time.perf_counter()
        _get(daemon.port, "/view/W01")
        first_use = time.perf_counter() - t0
    finally:
        daemon.stop()
    return {
        "tenants": health["tenants"],
        "loaded": health["loaded"],
        "healthz_s": seconds,
        "rss_mib": rss / 1024,
        "first_use_s": first_use,
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.restart", description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=0, help="crash restart with this history")
    ap.add_argument("--tenants", type=int, default=0, help="lazy start with this many tenants")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="myco-bench-restart-") as tmp:
        work = Path(tmp)
        if args.events:
            print(json.dumps({"crash_restart": crash_restart(work, args.events)}))
        if args.tenants:
            print(json.dumps({"lazy_tenants": lazy_tenants(work, args.tenants)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
