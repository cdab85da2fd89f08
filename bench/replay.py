"""Replay at scale: write N events as session logs on disk, then time a fresh daemon's start.

``write_data_dir`` produces ``tenants/<id>/log/<SESSION>.log`` files in the file backend's
own format (``<iso>;<seq> <SESSION> <line>``) directly, without going through the daemon.
``python -m bench.replay DATA_DIR OUT.json`` is the fresh process: it builds a
:class:`~myco.daemon.Daemon` on DATA_DIR, times ``await daemon.start()`` and loading every
tenant (tenants load lazily, on first use; here all of them at once) and records its peak
RSS.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from bench import workload
from bench.proc import status_kib

FLUSH_LINES = 4096


def _iso_prefix(cache: dict[int, str], ts_ms: int) -> str:
    sec = ts_ms // 1000
    s = cache.get(sec)
    if s is None:
        s = datetime.fromtimestamp(sec, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.")
        if len(cache) > 4096:
            cache.clear()
        cache[sec] = s
    return s


def write_tenant(tenant_dir: Path, events: int, sessions: int = 50, seed: int = 5) -> int:
    """Write *events* of the realistic mix as one tenant's logs; returns the number written."""
    log_dir = tenant_dir / "log"
    for sub in ("log", "msg", "view", "dispatch"):
        (tenant_dir / sub).mkdir(parents=True, exist_ok=True)
    buffers: dict[str, list[str]] = {}
    cache: dict[int, str] = {}
    n = 0

    def flush(session: str) -> None:
        with open(log_dir / f"{session}.log", "a", encoding="utf-8") as f:
            f.write("".join(buffers[session]))
        buffers[session] = []

    for rec, _msg in workload.records(events, sessions=sessions, seed=seed):
        ts = f"{_iso_prefix(cache, rec.ts_ms)}{rec.ts_ms % 1000:03d}Z"
        buf = buffers.setdefault(rec.session, [])
        buf.append(f"{ts};{rec.seq} {rec.session} {rec.line}\n")
        if len(buf) >= FLUSH_LINES:
            flush(rec.session)
        n += 1
    for session in list(buffers):
        flush(session)
    return n


def write_data_dir(data_dir: Path, tenants: dict[str, int], sessions: int = 50) -> int:
    """One tenant per ``{tenant_id: events}``; returns the total number of events."""
    total = 0
    for i, (tid, events) in enumerate(tenants.items()):
        total += write_tenant(data_dir / "tenants" / tid, events, sessions, seed=5 + i)
    return total


def measure(data_dir: Path, out: Path, timeout: float = 300.0) -> dict[str, float]:
    """Run the replay in a fresh interpreter; returns its measurements."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            p
            for p in (str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH"))
            if p
        ),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bench.replay", str(data_dir), str(out)],
        capture_output=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"replay child failed ({proc.returncode}): {proc.stderr[-3000:]!r}")
    return json.loads(out.read_text())


def _child(data_dir: str, out: str) -> None:
    import asyncio
    import resource
    import time

    import structlog

    from myco.config import Config
    from myco.daemon import Daemon

    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    rss_before = status_kib("self", "VmRSS")
    config = Config(data_dir=Path(data_dir), access_log=False, plugins={"file": {"fsync": "no"}})
    daemon = Daemon(config)

    async def run() -> dict[str, float]:
        t0 = time.perf_counter()
        await daemon.start()
        await daemon.tenants.load_all()
        seconds = time.perf_counter() - t0
        events = sum(t.state.last_seq for t in daemon.tenants)
        result = {
            "seconds": seconds,
            "events": events,
            "tenants": len(daemon.tenants),
            "rss_before_kib": rss_before,
            "rss_after_kib": status_kib("self", "VmRSS"),
            "hwm_kib": status_kib("self", "VmHWM"),
            "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }
        await daemon.stop()
        return result

    result = asyncio.run(run())
    Path(out).write_text(json.dumps(result))


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
