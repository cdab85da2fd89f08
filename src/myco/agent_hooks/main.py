"""``myco hook <agent> <event>``: the one command agent CLIs run, and it never fails.

Whatever happens (daemon down, hanging or answering garbage, a bad payload, a bug), the
process exits 0 within about a second and prints either nothing or a complete JSON
object: a non-zero exit or half-written output is something a CLI could act on.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping, Sequence
from typing import IO, Any

from myco.agent_hooks.deadline import Deadline, DeadlineExceeded, arm_watchdog, disarm_watchdog
from myco.agent_hooks.env import hook_budget, state_dir

USAGE = "usage: myco hook AGENT EVENT  (reads the CLI's JSON payload on stdin)"
MAX_STDIN = 32 * 1024 * 1024
#: time between the budget running out and the watchdog firing
WATCHDOG_SLACK = 0.1


def main(
    argv: Sequence[str],
    stdin: IO[bytes] | None = None,
    stdout: IO[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Run one hook; always returns 0."""
    environ = os.environ if environ is None else environ
    out = ""
    budget = hook_budget(environ)
    deadline = Deadline(budget)
    arm_watchdog(budget + WATCHDOG_SLACK)
    try:
        if len(argv) < 2:
            print(USAGE, file=sys.stderr)
            return 0
        out = _run(argv[0], argv[1], stdin or sys.stdin.buffer, environ, deadline)
    except DeadlineExceeded:
        out = ""
        _record(environ, "deadline exceeded")
    except Exception as exc:  # never let a bug reach the CLI as an exit status
        out = ""
        _record(environ, f"{type(exc).__name__}: {exc}")
    finally:
        disarm_watchdog()
    if out:
        try:
            (stdout or sys.stdout).write(out)
            (stdout or sys.stdout).flush()
        except OSError:
            pass
    return 0


def _run(
    agent: str, event: str, stdin: IO[bytes], environ: Mapping[str, str], deadline: Deadline
) -> str:
    from myco.agent_hooks.resolve import load_adapter
    from myco.agent_hooks.runtime import HookContext

    payload = _payload(stdin.read(MAX_STDIN))
    adapter = load_adapter(agent)
    if adapter is None:
        _record(environ, f"no adapter named {agent!r}")
        return ""
    ctx = HookContext.from_environ(agent, event, payload, environ, deadline)
    return adapter.hook(ctx).stdout


def _payload(raw: bytes) -> dict[str, Any]:
    import json

    try:
        data = json.loads(raw.decode("utf-8", errors="replace") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _record(environ: Mapping[str, str], message: str) -> None:
    """Note a failure in ``<state>/hook-errors.log`` (and stderr when debugging)."""
    if environ.get("MYCO_HOOK_DEBUG"):
        print(f"[myco hook] {message}", file=sys.stderr)
    try:
        path = state_dir(environ) / "hook-errors.log"
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if path.exists() and path.stat().st_size > 1_000_000:
            path.unlink()
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {message}\n")
    except (OSError, DeadlineExceeded):
        pass
