"""Ingest speed as history grows: 500-line batches of the bench mix, in-process.

Usage::

    MYCO_MAX_MSGS=1000000 python -m bench.ingest --events 200000 --step 100000

Lines of the mix (``bench/workload.py``) are grouped by session in windows of 500 and each
group goes through ``Tenant.ingest`` (validation, the file store's append with
``--fsync no``, lint, apply), as ``POST /events`` would after authentication, with the
messages asks point to posted inline. Prints events/s for each *step* events; flat ingest
means the later steps are as fast as the first. ``MYCO_MAX_MSGS`` must allow one message
per ask (the default limit, 10,000, refuses them after about 110k events of this mix).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench import workload

TENANT = "1" * 64


async def measure(events: int, step: int) -> list[dict[str, float]]:
    from myco.config import Config
    from myco.daemon import Daemon

    out: list[dict[str, float]] = []
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
        await daemon.stop()
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--step", type=int, default=100_000)
    args = ap.parse_args(argv)
    rows = asyncio.run(measure(args.events, args.step))
    for row in rows:
        print(json.dumps(row))
    print(json.dumps({"last_vs_first": rows[-1]["events_per_s"] / rows[0]["events_per_s"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
