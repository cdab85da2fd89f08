"""Gemini CLI's BeforeTool/AfterTool on ``write_file``/``replace`` (the myco-gemini plugin)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from myco.testing import AdapterHarness, DaemonProcess
from tests.edits.test_hooks import clones, daemon

pytest.importorskip("myco_gemini")
from myco_gemini.adapter import ADAPTER, Gemini

__all__ = ["clones", "daemon"]  # fixtures, used by name


def payload(cwd: Path, event: str, tool: str = "replace") -> dict[str, object]:
    """As Gemini CLI 0.61 sends it: ``file_path`` as the model gave it (relative here)."""
    return {
        "session_id": "s",
        "cwd": str(cwd),
        "hook_event_name": event,
        "tool_name": tool,
        "tool_input": {"file_path": "src/app.py", "old_string": "x", "new_string": "y"},
    }


def test_gemini_wires_its_write_tools() -> None:
    hooks = Gemini().hooks(["/bin/myco", "hook", "gemini"])
    assert hooks["BeforeTool"][0]["matcher"] == "write_file|replace"
    assert hooks["BeforeTool"][0]["hooks"][0]["command"] == "/bin/myco hook gemini pre-edit"
    assert hooks["AfterTool"][0]["hooks"][0]["command"] == "/bin/myco hook gemini post-edit"


def test_gemini_warns_after_the_edit_and_denies_in_its_own_shape(
    daemon: DaemonProcess,
    clones: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b = clones
    alice = AdapterHarness(ADAPTER, daemon, tmp_path / "sa", session="ALICE")
    bob = AdapterHarness(ADAPTER, daemon, tmp_path / "sb", session="BOB")
    assert json.loads(alice.hook("post-edit", payload(a, "AfterTool")).stdout) == {}
    assert json.loads(bob.hook("pre-edit", payload(b, "BeforeTool")).stdout) == {}  # let through
    after = json.loads(bob.hook("post-edit", payload(b, "AfterTool")).stdout)
    assert "ALICE edited `src/app.py`" in after["hookSpecificOutput"]["additionalContext"]
    assert "edited by ALICE and you" in daemon.view("BOB")

    daemon.post("ALICE", "claim src/** ttl:20m")
    monkeypatch.setenv("MYCO_LEASES", "enforce")
    denied = json.loads(bob.hook("pre-edit", payload(b, "BeforeTool", "write_file")).stdout)
    assert denied["decision"] == "deny"
    assert "`src/app.py` is under ALICE's lease `src/**`" in denied["reason"]
