"""Wall-clock time of Claude Code's edit hooks (``myco hook claude-code pre-edit|post-edit``).

Usage::

    python -m bench.edits_hook              # 30 runs per case, markdown table on stdout
    python -m bench.edits_hook --runs 50 --json

Each run is what Claude Code does before and after an ``Edit`` of a file in a git work
tree: start ``myco``, write the PreToolUse/PostToolUse payload on stdin, wait for exit.
"up" is a real ``myco serve`` where another session holds a lease on the file (so the
pre-edit check finds something and answers with a warning, or a deny with ``enforce``);
"down" is a closed port (the pre-edit check fails open, post-edit queues in the outbox).
The root commit is cached after the first run, as in a real session.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.hooks import TOKEN, HookTiming, _free_port, _summary, _time, myco_executable, table
from bench.proc import Daemon


def _repo(work: Path) -> Path:
    repo = work / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "app.py").write_text("x = 1\n")
    git = ["git", "-c", "user.name=b", "-c", "user.email=b@b"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "root"], cwd=repo, check=True)
    return repo


def _payload(event: str, repo: Path) -> bytes:
    return json.dumps(
        {
            "session_id": "bench",
            "hook_event_name": event,
            "cwd": str(repo),
            "tool_name": "Edit",
            "tool_input": {
                "file_path": str(repo / "src" / "app.py"),
                "old_string": "x = 1",
                "new_string": "x = 2",
            },
        }
    ).encode()


def _post(url: str, session: str, line: str) -> None:
    """Another session's lease (the token creates the tenant on first use)."""
    import urllib.request

    request = urllib.request.Request(
        f"{url}/events",
        data=json.dumps({"session": session, "events": [line]}).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200


def measure(work: Path, runs: int = 30, warmup: int = 3) -> list[HookTiming]:
    state = work / "state"
    repo = _repo(work)
    base = {
        **os.environ,
        "MYCO_TOKEN": TOKEN,
        "MYCO_SESSION": "BENCH",
        "MYCO_STATE_DIR": str(state),
    }
    for var in ("MYCO_HOOK_DEBUG", "MYCO_LEASES"):
        base.pop(var, None)
    results = [
        _summary(
            "(python -c pass)",
            "—",
            [_time([sys.executable, "-c", "pass"], b"", base) for _ in range(runs)],
        )
    ]
    argv = myco_executable()
    subprocess.run([sys.executable, "-m", "myco.agent_hooks.plugin_cache"], env=base, check=True)
    with Daemon(work / "data", "--quiet") as daemon:
        up = f"http://127.0.0.1:{daemon.port}"
        _post(up, "OTHER", "claim src/** ttl:2h bench")
        cases = [
            ("pre-edit", "PreToolUse", "up", up, ""),
            ("pre-edit (enforce)", "PreToolUse", "up", up, "enforce"),
            ("pre-edit", "PreToolUse", "down", f"http://127.0.0.1:{_free_port()}", ""),
            ("post-edit", "PostToolUse", "up", up, ""),
            ("post-edit", "PostToolUse", "down", f"http://127.0.0.1:{_free_port()}", ""),
        ]
        for label, event, where, url, leases in cases:
            env = {**base, "MYCO_URL": url, **({"MYCO_LEASES": leases} if leases else {})}
            hook = label.split()[0]
            samples = []
            for n in range(warmup + runs):
                shutil.rmtree(state / "outbox", ignore_errors=True)
                took = _time([*argv, "hook", "claude-code", hook], _payload(event, repo), env)
                if n >= warmup:
                    samples.append(took)
            results.append(_summary(label, where, samples))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="myco-bench-edits-") as tmp:
        results = measure(Path(tmp), args.runs)
    if args.json:
        print(json.dumps([{**r._asdict(), "ok": r.ok} for r in results], indent=2))
    else:
        print(table(results))
    return 0 if all(r.ok for r in results if r.daemon != "—") else 1


if __name__ == "__main__":
    raise SystemExit(main())
