"""Resident memory of one tenant's state as its history grows (in-process, no HTTP).

Usage::

    python -m bench.memory --points 200000,400000        # RSS at each point, and the growth
    python -m bench.memory --points 1000000,2000000

The bench workload's records are applied the way a replay applies them
(``Tenant.apply_records``); at each point the cyclic GC runs and ``VmRSS`` is read. The
names of the messages the asks point to are not registered: the daemon keeps one name per
stored message, and refuses messages beyond ``MYCO_MAX_MSGS`` (10,000), so that set is
bounded by the limit, not by the history. The history itself stays in the store: what is
measured is what the daemon keeps for views, receipts and open items.
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench import workload
from bench.proc import status_kib


def measure(points: Sequence[int]) -> list[dict[str, float]]:
    from myco.config import Config
    from myco.daemon import Daemon
    from myco.tenants import Tenant

    out = []
    with tempfile.TemporaryDirectory(prefix="myco-bench-memory-") as tmp:
        daemon = Daemon(Config(data_dir=Path(tmp), access_log=False))
        tenant = Tenant("f" * 64, daemon)
        todo = sorted(points)
        batch = []
        t0 = time.perf_counter()
        last_t, last_n = t0, 0
        for n, (rec, _msg) in enumerate(workload.records(todo[-1]), start=1):
            batch.append(rec)
            if len(batch) == 1000 or n == todo[0]:
                tenant.apply_records(batch)
                batch = []
            if n == todo[0]:
                gc.collect()
                now = time.perf_counter()
                out.append(
                    {
                        "events": n,
                        "rss_mib": status_kib("self", "VmRSS") / 1024,
                        "apply_events_per_s": (n - last_n) / (now - last_t),
                    }
                )
                last_t, last_n = now, n
                todo.pop(0)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.split("\n")[0])
    ap.add_argument("--points", default="200000,400000", help="comma-separated event counts")
    args = ap.parse_args(argv)
    rows = measure([int(p) for p in args.points.split(",")])
    for row in rows:
        print(json.dumps(row))
    first, last = rows[0], rows[-1]
    print(json.dumps({"rss_growth": last["rss_mib"] / first["rss_mib"] - 1}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
