"""Wall-clock time of ``myco hook claude-code prompt|stop``, daemon up and down.

Usage::

    python -m bench.hooks                 # 30 runs per case, markdown table on stdout
    python -m bench.hooks --runs 50 --json

Each run is what Claude Code does: start the installed ``myco`` executable (absolute path,
no shims), write the JSON payload on stdin, wait for exit. "up" is a real ``myco serve``
on 127.0.0.1; "down" is a closed port (the stop hook then writes to the outbox, which is
emptied between runs). The first row is the bare interpreter, for scale.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from bench.proc import Daemon

TARGET_MS = 100.0
TOKEN = "bench-hooks-Vq8Lm2Nx6Tb9Kc4Jh7Gf1Ds5Ap0TeZr3W"


class HookTiming(NamedTuple):
    hook: str
    daemon: str
    runs: int
    median_ms: float
    p95_ms: float
    max_ms: float

    @property
    def ok(self) -> bool:
        return self.median_ms < TARGET_MS


def myco_executable() -> list[str]:
    from myco.launcher import myco_command

    return myco_command()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _payload(hook: str, n: int) -> bytes:
    if hook == "prompt":
        return json.dumps(
            {"session_id": "bench", "prompt": f"task {n}", "hook_event_name": "UserPromptSubmit"}
        ).encode()
    return json.dumps(
        {
            "session_id": "bench",
            "prompt_id": f"bench-{n}-{time.time_ns()}",
            "hook_event_name": "Stop",
            "stop_hook_active": False,
            "last_assistant_message": f"Done.\n<myco>\nnote bench step-{n}\n</myco>",
        }
    ).encode()


def _time(argv: Sequence[str], stdin: bytes, env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(
        argv,
        input=stdin,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    took = (time.perf_counter() - started) * 1000
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} exited {proc.returncode}")
    return took


def _summary(hook: str, daemon: str, samples: list[float]) -> HookTiming:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return HookTiming(hook, daemon, len(samples), statistics.median(ordered), p95, ordered[-1])


def measure(work: Path, runs: int = 30, warmup: int = 3) -> list[HookTiming]:
    """Time the bare interpreter and each (hook, daemon up/down) case *runs* times."""
    state = work / "state"
    base = {
        **os.environ,
        "MYCO_TOKEN": TOKEN,
        "MYCO_SESSION": "BENCH",
        "MYCO_STATE_DIR": str(state),
    }
    base.pop("MYCO_HOOK_DEBUG", None)
    results = [
        _summary(
            "(python -c pass)",
            "—",
            [_time([sys.executable, "-c", "pass"], b"", base) for _ in range(runs)],
        )
    ]
    argv = myco_executable()
    # What `myco run` does before the first turn: cache the plugin resolution.
    subprocess.run([sys.executable, "-m", "myco.agent_hooks.plugin_cache"], env=base, check=True)
    with Daemon(work / "data", "--quiet") as daemon:
        cases = {
            "up": f"http://127.0.0.1:{daemon.port}",
            "down": f"http://127.0.0.1:{_free_port()}",
        }
        for hook in ("prompt", "stop"):
            for where, url in cases.items():
                env = {**base, "MYCO_URL": url}
                samples = []
                for n in range(warmup + runs):
                    shutil.rmtree(state / "outbox", ignore_errors=True)
                    took = _time([*argv, "hook", "claude-code", hook], _payload(hook, n), env)
                    if n >= warmup:
                        samples.append(took)
                results.append(_summary(hook, where, samples))
    return results


def table(results: Sequence[HookTiming]) -> str:
    lines = [
        "| hook | daemon | runs | median | p95 | max | target (median) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        verdict = "—" if r.daemon == "—" else ("pass" if r.ok else "**FAIL**")
        lines.append(
            f"| {r.hook} | {r.daemon} | {r.runs} | {r.median_ms:.1f} ms | "
            f"{r.p95_ms:.1f} ms | {r.max_ms:.1f} ms | < {TARGET_MS:.0f} ms: {verdict} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="myco-bench-hooks-") as tmp:
        results = measure(Path(tmp), args.runs)
    if args.json:
        print(json.dumps([{**r._asdict(), "ok": r.ok} for r in results], indent=2))
    else:
        print(table(results))
    return 0 if all(r.ok for r in results if r.daemon != "—") else 1


if __name__ == "__main__":
    raise SystemExit(main())
