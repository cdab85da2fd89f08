"""What the edits e2e tests share: git clones of one origin, scripted edit turns, checks.

The ``origin`` fixture (a repository with ``src/app.py``) is in ``tests/e2e/conftest.py``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess, call
from tests.e2e.conftest import Agent

ACCEPT_EDITS = ("--permission-mode", "acceptEdits")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout


def clone_into(origin: Path, agent: Agent) -> Path:
    git(agent.project.parent, "clone", "-q", str(origin), str(agent.project))
    return agent.project / "src" / "app.py"


def edit_turn(path: Path, old: str, new: str, block: str) -> list[object]:
    """A turn that reads *path*, replaces *old* by *new*, then ends with *block*."""
    return [
        {"text": "Reading.", "tool_use": {"name": "Read", "input": {"file_path": str(path)}}},
        {
            "text": "Editing.",
            "tool_use": {
                "name": "Edit",
                "input": {"file_path": str(path), "old_string": old, "new_string": new},
            },
        },
        f"Done.\n<myco>\n{block}\n</myco>",
    ]


def view(daemon: DaemonProcess, session: str) -> str:
    status, body = call(daemon.url, "GET", f"/view/{session}", TOKEN)
    assert status == 200
    return str(body)


def ok(proc: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert proc.returncode == 0, (proc.stderr, proc.stdout)
    result = json.loads(proc.stdout)
    assert isinstance(result, dict) and not result.get("is_error"), result
    return result
