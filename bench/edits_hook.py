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

import json
import subprocess
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from bench.hooks import (
    TOKEN,
    Case,
    HookTiming,
    _free_port,
    base_env,
    cli,
    interleaved,
    myco_executable,
)
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


def _payload(event: str, repo: Path, n: int = 0) -> bytes:
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
    base = base_env(state)
    argv = myco_executable()
    with Daemon(work / "data", "--quiet") as daemon:
        up = f"http://127.0.0.1:{daemon.port}"
        _post(up, "OTHER", "claim src/** ttl:2h bench")
        down = f"http://127.0.0.1:{_free_port()}"
        rows = [
            ("pre-edit", "PreToolUse", "up", up, ""),
            ("pre-edit (enforce)", "PreToolUse", "up", up, "enforce"),
            ("pre-edit", "PreToolUse", "down", down, ""),
            ("post-edit", "PostToolUse", "up", up, ""),
            ("post-edit", "PostToolUse", "down", down, ""),
        ]
        cases = [
            Case(
                label,
                where,
                [*argv, "hook", "claude-code", label.split()[0]],
                partial(_payload, event, repo),
                {**base, "MYCO_URL": url, **({"MYCO_LEASES": leases} if leases else {})},
            )
            for label, event, where, url, leases in rows
        ]
        return interleaved(cases, state, base, runs, warmup)


def main(argv: Sequence[str] | None = None) -> int:
    return cli(__doc__ or "", measure, argv)


if __name__ == "__main__":
    raise SystemExit(main())
