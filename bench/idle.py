"""Idle CPU of a running daemon with a few tenants loaded."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bench import http_load
from bench.proc import Daemon, cpu_seconds
from bench.replay import write_data_dir
from myco.auth.tokens import tenant_id


async def _touch(port: int, tokens: list[str]) -> None:
    """One post and one view per tenant, so every code path has run once before idling."""
    conn = await http_load.Conn().open(port)
    try:
        for token in tokens:
            for raw in (
                http_load.post_events(port, token, "W01", ["say idle check"]),
                http_load.build("GET", port, "/view/W01", token),
            ):
                status, body = await conn.request(raw)
                if status != 200:
                    raise RuntimeError(f"idle setup failed: {status} {body[:200]!r}")
    finally:
        await conn.close()


def measure(
    work_dir: Path, seconds: float, tenants: int = 3, events: int = 20_000, settle: float = 1.5
) -> dict[str, float]:
    """CPU share (percent of one core) used by an idle daemon over *seconds*."""
    tokens = [http_load.new_token() for _ in range(tenants)]
    data_dir = work_dir / "idle-data"
    total = write_data_dir(data_dir, {tenant_id(t): events for t in tokens})
    with Daemon(data_dir, "--fsync", "everysec", "--quiet") as daemon:
        asyncio.run(_touch(daemon.port, tokens))
        time.sleep(settle)  # the everysec fsync of the touch posts happens in here
        c0, t0 = cpu_seconds(daemon.pid), time.monotonic()
        time.sleep(seconds)
        c1, t1 = cpu_seconds(daemon.pid), time.monotonic()
    return {
        "percent": (c1 - c0) / (t1 - t0) * 100,
        "seconds": t1 - t0,
        "tenants": tenants,
        "events": total,
    }
