"""Ingest speed as history grows: 500-line batches of the bench mix, in-process.

Usage::

    MYCO_MAX_MSGS=1000000 python -m bench.ingest --events 200000 --step 100000

Lines of the mix (``bench/workload.py``) are grouped by session in windows of 500 and each
group goes through ``Tenant.ingest`` (validation, the file store's append with
``--fsync no``, lint, apply), as ``POST /events`` would after authentication, with the
messages asks point to posted inline. Prints events/s for each *step* events; flat ingest
means the later steps are as fast as the first. ``MYCO_MAX_MSGS`` must allow one message
per ask (the default limit, 10,000, refuses them after about 110k events of this mix):
unless it is set, this script sets it to 1,000,000 for its own daemon. Only the built-in
plugins load, unless ``MYCO_LOAD_PLUGINS`` names installed ones (a search index, for one,
indexes in a thread of its own that would compete with the timed work).

Then it times the paging probe a client makes to catch up, ``GET /events?after=<seq>&limit=1``
(``Tenant.history_page``, what the route calls, on the checksummed file log): after the
last event, just before it, and in the middle of the history; median of 20 calls each, as
worker W07 and unfiltered.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import workload

TENANT = "1" * 64


async def measure(events: int, step: int) -> list[dict[str, Any]]:
    from myco.config import Config
    from myco.daemon import Daemon
    from myco.protocol import state as limits

    if "MYCO_MAX_MSGS" not in os.environ:
        limits.MAX_MSGS = 1_000_000  # one message per ask of the mix

    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="myco-bench-ingest-") as tmp:
        config = Config(
            data_dir=Path(tmp),
            access_log=False,
            snapshot_interval=0,
            tenant_idle_ttl=0,
            plugins={"file": {"fsync": "no"}},
        )
        daemon = Daemon(config)
        await daemon.start()
        tenant = await daemon.tenants.create(TENANT)
        lines = workload.Workload(50, seed=1).lines()
        done, errors, t0 = 0, 0, time.perf_counter()
        while done < events:
            window = [next(lines) for _ in range(500)]
            groups: dict[str, tuple[list[str], dict[str, object]]] = {}
            for session, line, msg in window:
                batch, msgs = groups.setdefault(session, ([], {}))
                batch.append(line)
                if msg:
                    msgs[msg] = f"# {msg}\n\nwhat do you think?"
            for session, (batch, msgs) in groups.items():
                try:
                    await tenant.ingest(session, batch, msgs=msgs or None)
                except Exception:
                    errors += 1
            done += len(window)
            if done % step == 0:
                now = time.perf_counter()
                out.append({"events": done, "events_per_s": step / (now - t0), "errors": errors})
                t0 = now
        out.extend(await probe(tenant))
        await daemon.stop()
    return out


async def probe(tenant: Any) -> list[dict[str, Any]]:
    """Milliseconds of ``history_page(after, 1, viewer)`` at three places in the history."""
    last = tenant.state.last_seq
    rows: list[dict[str, Any]] = []
    for label, after in (("last", last), ("last-1", last - 1), ("middle", last // 2)):
        for viewer in ("W07", None):
            took = []
            for _ in range(20):
                t = time.perf_counter()
                await tenant.history_page(after, 1, viewer)
                took.append((time.perf_counter() - t) * 1000)
            rows.append(
                {"probe": f"after={label} limit=1", "viewer": viewer, "ms": statistics.median(took)}
            )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--step", type=int, default=100_000)
    args = ap.parse_args(argv)
    os.environ.setdefault("MYCO_LOAD_PLUGINS", "")
    rows = asyncio.run(measure(args.events, args.step))
    for row in rows:
        print(json.dumps(row))
    steps = [r for r in rows if "events_per_s" in r]
    print(json.dumps({"last_vs_first": steps[-1]["events_per_s"] / steps[0]["events_per_s"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
