"""Search at scale (plugin myco-mcp): query latency on a tenant with N events.

Builds one tenant's state from the realistic workload (:mod:`bench.workload`), indexes it
with the plugin's own catch-up path (``Library._add_records``, what a start-up after a lost
index does), then times :meth:`myco_mcp.search.Library.search` as a worker session would
call it (visibility applied) for words of every frequency: a commit hash (one match), a
task name (tens), a topic word (a tenth of all events) and a word in most ``done`` lines.

``python -m bench.search [N]`` prints one JSON object (default N = 1,000,000).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import workload

QUERIES = {
    "rare (a commit hash)": "",  # filled with a hash the workload wrote
    "a task name": "w07-task-12",
    "topic word (~10 % of events)": "migration",
    "two topic words": "payment suite",
    "common (~16 % of events)": "tests-pass",
}
RUNS = 15


async def run(n: int, directory: Path) -> dict[str, Any]:
    import myco_mcp
    from myco_mcp.search import Library

    from myco.config import Config
    from myco.daemon import Daemon
    from myco.plugins import make_plugin_manager
    from myco.tenants import Tenant

    pm = make_plugin_manager(load_entrypoints=False, extra=[myco_mcp])
    daemon = Daemon(Config(data_dir=directory, access_log=False), pm)
    tenant = Tenant("bench", daemon)
    library = Library(daemon, directory / "search")
    index = library.index_for(tenant)
    await library.wait_ready(tenant)  # nothing stored: ready at once
    t0 = time.perf_counter()
    batch = []
    for rec, _msg in workload.records(n):
        batch.append(rec)
        if rec.line.startswith("done ") and not QUERIES["rare (a commit hash)"]:
            QUERIES["rare (a commit hash)"] = rec.line.split("ref:", 1)[1].split()[0]
        if len(batch) >= 5000:
            tenant.apply_records(batch)
            library.add_records(tenant, index, batch)
            batch = []
    tenant.apply_records(batch)
    library.add_records(tenant, index, batch)
    await index.last_seq()  # every write before it is done
    build_s = time.perf_counter() - t0
    out: dict[str, Any] = {"events": n, "index_build_s": round(build_s, 1), "queries": {}}
    for label, query in QUERIES.items():
        times = []
        hits = 0
        for _ in range(RUNS):
            start = time.perf_counter()
            body = await library.search(tenant, "W07", query, 0, 20)
            times.append((time.perf_counter() - start) * 1000)
            hits = len(body["hits"])
        times.sort()
        out["queries"][label] = {
            "query": query,
            "hits_on_page": hits,
            "median_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
        }
    size = sum(p.stat().st_size for p in (directory / "search").iterdir() if p.is_file())
    out["index_mb"] = round(size / 1e6, 1)
    await library.close()
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(asyncio.run(run(n, Path(tmp))), indent=2))


if __name__ == "__main__":
    main()
