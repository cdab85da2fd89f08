"""``myco hook <agent> <event>``: the one command agent CLIs run, and it never fails.

Whatever happens (daemon down, hanging or answering garbage, a bad payload, a bug), the
process exits 0 within about a second and prints either nothing or a complete JSON
object: a non-zero exit or half-written output is something a CLI could act on.
"""

from __future__ import annotations

import os
import sys
import time

from myco.agent_hooks.deadline import Deadline, DeadlineExceeded, arm_watchdog, disarm_watchdog
from myco.agent_hooks.env import hook_budget, state_root

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import IO, Any

USAGE = "usage: myco hook AGENT EVENT  (reads the CLI's JSON payload on stdin)"
MAX_STDIN = 32 * 1024 * 1024
#: time between the budget running out and the watchdog firing
WATCHDOG_SLACK = 0.1


def main(
    argv: Sequence[str],
    stdin: IO[bytes] | None = None,
    stdout: IO[str] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    refresh: bool = False,
) -> int:
    """Run one hook; always returns 0.

    With *refresh* (the ``myco hook`` command), a missing or stale plugin cache makes the
    hook start a background process that rebuilds it, after its own output is written.
    """
    environ = os.environ if environ is None else environ
    out, cached = "", True
    budget = hook_budget(environ)
    deadline = Deadline(budget)
    arm_watchdog(budget + WATCHDOG_SLACK)
    try:
        if len(argv) < 2:
            print(USAGE, file=sys.stderr)
            return 0
        out, cached = _run(argv[0], argv[1], stdin or sys.stdin.buffer, environ, deadline)
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
    if refresh and not cached:
        _refresh(environ)
    return 0


def _run(
    agent: str, event: str, stdin: IO[bytes], environ: Mapping[str, str], deadline: Deadline
) -> tuple[str, bool]:
    """The hook's stdout, and whether the plugin resolution came from a valid cache."""
    from myco.agent_hooks.env import read_env
    from myco.agent_hooks.resolve import resolve
    from myco.agent_hooks.runtime import HookContext

    payload = _payload(stdin.read(MAX_STDIN))
    found = resolve(agent, environ)
    if found.adapter is None:
        _record(environ, f"no adapter named {agent!r} (or its plugin is not selected)")
        return "", found.cached
    cwd = payload.get("cwd")
    env = read_env(environ, cwd if isinstance(cwd, str) else "")
    if found.verbs is not None and not environ.get("MYCO_VERBS"):
        env = env._replace(verbs=found.verbs)  # the installed plugins' verbs
    ctx = HookContext(agent, event, payload, env, deadline)
    return found.adapter.hook(ctx).stdout, found.cached


def _refresh(environ: Mapping[str, str]) -> None:
    from myco.agent_hooks.plugin_cache import start_refresh

    try:
        start_refresh(environ)
    except Exception as exc:  # a cache is an optimisation: never a failure
        _record(environ, f"plugin cache refresh: {type(exc).__name__}: {exc}")


def _payload(raw: bytes) -> dict[str, Any]:
    from myco.agent_hooks import jsonlite

    try:
        data = jsonlite.loads(raw.decode("utf-8", errors="replace") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _record(environ: Mapping[str, str], message: str) -> None:
    """Note a failure in ``<state>/hook-errors.log`` (and stderr when debugging)."""
    if environ.get("MYCO_HOOK_DEBUG"):
        print(f"[myco hook] {message}", file=sys.stderr)
    try:
        folder = state_root(environ)
        path = os.path.join(folder, "hook-errors.log")
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if os.path.exists(path) and os.stat(path).st_size > 1_000_000:
            os.unlink(path)
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {message}\n")
    except (OSError, DeadlineExceeded):
        pass
