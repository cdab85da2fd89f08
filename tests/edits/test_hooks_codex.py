"""Codex's PreToolUse/PostToolUse on ``apply_patch``: paths come from the patch text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from myco.adapters.codex.adapter import ADAPTER
from myco.agent_hooks.edits import patch_paths
from myco.testing import AdapterHarness, DaemonProcess
from tests.edits.test_hooks import clones, daemon, git

__all__ = ["clones", "daemon"]  # fixtures, used by name

PATCH = (
    "*** Begin Patch\n*** Add File: notes/new.txt\n+text\n*** Update File: src/app.py\n"
    "@@\n-x = 1\n+x = 2\n*** Delete File: old.txt\n*** Update File: a.py\n*** Move to: b.py\n"
    "*** End Patch\n"
)


def payload(cwd: Path, event: str) -> dict[str, object]:
    """As Codex 0.169 sends it (agent-cli notes: tool_input.command is the whole patch)."""
    return {
        "session_id": "s",
        "turn_id": "t",
        "cwd": str(cwd),
        "hook_event_name": event,
        "tool_name": "apply_patch",
        "tool_input": {"command": PATCH},
        "tool_use_id": "call_1",
    }


def test_patch_paths() -> None:
    assert patch_paths(PATCH) == ["notes/new.txt", "src/app.py", "old.txt", "a.py", "b.py"]


def test_codex_reports_patched_files_and_denies_under_an_enforced_lease(
    daemon: DaemonProcess,
    clones: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b = clones
    alice = AdapterHarness(ADAPTER, daemon, tmp_path / "sa", session="ALICE")
    assert alice.hook("post-edit", payload(a, "PostToolUse")).stdout == ""
    root = git(a, "rev-list", "--max-parents=0", "HEAD").strip()[:16]
    lines = [e["line"] for e in daemon.events()]
    assert f"edit src/app.py repo:git:{root}" in lines and len(lines) == 5

    daemon.post("ALICE", "claim src/** ttl:20m")
    monkeypatch.setenv("MYCO_LEASES", "enforce")
    bob = AdapterHarness(ADAPTER, daemon, tmp_path / "sb", session="BOB")
    out = json.loads(bob.hook("pre-edit", payload(b, "PreToolUse")).stdout)["hookSpecificOutput"]
    assert out["permissionDecision"] == "deny"
    assert "`src/app.py` is under ALICE's lease `src/**`" in out["permissionDecisionReason"]
