"""Claude Code's tool hooks against a real daemon: report edits, warn, deny under a lease."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from myco.adapters.claude_code.adapter import ADAPTER
from myco.testing import AdapterHarness, DaemonProcess


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def clones(tmp_path: Path) -> tuple[Path, Path]:
    """Two clones of one repository (same root commit, different directories)."""
    origin = tmp_path / "origin"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    (origin / "src").mkdir()
    (origin / "src" / "app.py").write_text("x = 1\n")
    git(origin, "add", ".")
    git(origin, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "root")
    a, b = tmp_path / "a", tmp_path / "b"
    git(tmp_path, "clone", "-q", str(origin), str(a))
    git(tmp_path, "clone", "-q", str(origin), str(b))
    return a, b


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    with DaemonProcess(tmp_path / "data") as d:
        yield d


def edit(path: Path, tool: str = "Edit") -> dict[str, object]:
    return {
        "hook_event_name": "PreToolUse",
        "tool_name": tool,
        "tool_input": {"file_path": str(path), "old_string": "x", "new_string": "y"},
        "cwd": str(path.parent),
    }


def answer(out_stdout: str) -> dict[str, object]:
    return json.loads(out_stdout)["hookSpecificOutput"] if out_stdout else {}


def harness(daemon: DaemonProcess | None, tmp: Path, session: str) -> AdapterHarness:
    return AdapterHarness(ADAPTER, daemon, tmp / f"state-{session}", session=session)


def test_two_clones_editing_one_file_conflict_and_the_second_is_warned_at_the_edit(
    daemon: DaemonProcess, clones: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = clones
    alice, bob = harness(daemon, tmp_path, "ALICE"), harness(daemon, tmp_path, "BOB")
    assert alice.hook("pre-edit", edit(a / "src/app.py")).stdout == ""  # nobody else
    assert alice.hook("post-edit", edit(a / "src/app.py")).stdout == ""
    root = git(a, "rev-list", "--max-parents=0", "HEAD").strip()
    lines = [(e["session"], e["line"]) for e in daemon.events()]
    assert lines == [("ALICE", f"edit src/app.py repo:git:{root[:16]}")]

    warned = answer(bob.hook("pre-edit", edit(b / "src/app.py")).stdout)
    assert warned["hookEventName"] == "PreToolUse" and "permissionDecision" not in warned
    assert "ALICE edited `src/app.py` 0 min ago" in str(warned["additionalContext"])
    bob.hook("post-edit", edit(b / "src/app.py"))
    for who in ("ALICE", "BOB"):
        other = "BOB" if who == "ALICE" else "ALICE"
        assert f"`src/app.py`: edited by {other} and you" in daemon.view(who)
    assert "edited by ALICE and BOB" in daemon.view("DIRECTOR")


def test_enforce_denies_an_edit_under_another_sessions_lease_naming_it(
    daemon: DaemonProcess,
    clones: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, b = clones
    daemon.post("ALICE", "claim src/** ttl:30m reworking the app")
    bob = harness(daemon, tmp_path, "BOB")
    advisory = answer(bob.hook("pre-edit", edit(b / "src/app.py", "Write")).stdout)
    assert "ALICE's lease `src/**`" in str(advisory["additionalContext"])

    monkeypatch.setenv("MYCO_LEASES", "enforce")  # what `myco run --leases enforce` sets
    denied = answer(bob.hook("pre-edit", edit(b / "src/app.py", "Write")).stdout)
    assert denied["permissionDecision"] == "deny"
    reason = str(denied["permissionDecisionReason"])
    assert "`src/app.py` is under ALICE's lease `src/**`" in reason
    assert "reworking the app" in reason
    assert answer(bob.hook("pre-edit", edit(b / "README.md")).stdout) == {}  # not leased

    daemon.post("ALICE", "release src/**")
    assert bob.hook("pre-edit", edit(b / "src/app.py")).stdout == ""


def test_other_tools_are_ignored(
    daemon: DaemonProcess, clones: tuple[Path, Path], tmp_path: Path
) -> None:
    a, _ = clones
    out = harness(daemon, tmp_path, "ALICE").hook(
        "post-edit", {**edit(a / "x"), "tool_name": "Read"}
    )
    assert out.stdout == "" and daemon.events() == []


def test_daemon_down_the_edit_goes_through_fast_and_is_reported_later(
    daemon: DaemonProcess,
    clones: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, _ = clones
    daemon.post("BOB", "claim src/** ttl:30m")
    monkeypatch.setenv("MYCO_LEASES", "enforce")
    alice = harness(daemon, tmp_path, "ALICE")
    daemon.stop()
    started = time.monotonic()
    assert alice.hook("pre-edit", edit(a / "src/app.py")).stdout == ""  # fail open
    alice.hook("post-edit", edit(a / "src/app.py"))  # queued in the outbox
    assert time.monotonic() - started < 1.0
    alice.environ["MYCO_URL"] = daemon.restart()
    alice.hook("prompt", {"prompt": "next"})  # the next hook flushes the outbox
    # (the prompt hook's own `seen` report follows the flushed edit)
    lines = [e["line"].split()[:2] for e in daemon.events() if e["line"].split()[0] != "seen"]
    assert lines[-1] == ["edit", "src/app.py"]
    assert "- `src/**` held by BOB" in daemon.view("ALICE")  # the lease survived the restart


def test_stop_reports_committed_paths_clean(
    daemon: DaemonProcess, clones: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = clones
    alice, bob = harness(daemon, tmp_path, "ALICE"), harness(daemon, tmp_path, "BOB")
    for who, clone in ((alice, a), (bob, b)):
        (clone / "src/app.py").write_text("changed\n")
        who.hook("post-edit", edit(clone / "src/app.py"))
    assert "edited by BOB and you" in daemon.view("ALICE")
    alice.hook("stop", {"last_assistant_message": "ok"})  # still dirty: nothing cleaned
    assert "edited by BOB and you" in daemon.view("ALICE")
    git(a, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "mine")
    alice.hook("stop", {"last_assistant_message": "ok"})
    assert "`src/app.py`" not in daemon.view("ALICE") and "`src/app.py`" not in daemon.view("BOB")
    assert any(e["line"].startswith("clean src/app.py repo:git:") for e in daemon.events())


def test_outside_git_paths_are_absolute_and_named_by_host(
    daemon: DaemonProcess, tmp_path: Path
) -> None:
    loose = tmp_path / "loose"
    loose.mkdir()
    harness(daemon, tmp_path, "ALICE").hook("post-edit", edit(loose / "notes.txt"))
    (event,) = daemon.events()
    import socket

    assert event["line"] == f"edit {loose / 'notes.txt'} repo:host:{socket.gethostname()}"


def test_aider_stop_reports_the_files_it_edited(
    daemon: DaemonProcess, clones: tuple[Path, Path], tmp_path: Path
) -> None:
    from myco.adapters.aider.adapter import ADAPTER as AIDER

    a, b = clones
    harness(daemon, tmp_path, "BOB").hook("post-edit", edit(b / "src/app.py"))
    (a / "src/app.py").write_text("edited by aider, not committed yet\n")
    aider = AdapterHarness(AIDER, daemon, tmp_path / "state-AI", session="AI")
    stop = {"texts": ["ok"], "turn_id": "t1", "edited": True, "files": ["src/app.py"]}
    aider.hook("stop", {**stop, "cwd": str(a)})
    assert "`src/app.py`: edited by BOB and you" in daemon.view("AI")
    git(a, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "aider")
    aider.hook("stop", {**stop, "turn_id": "t2", "files": [], "cwd": str(a)})
    assert "`src/app.py`" not in daemon.view("AI")  # committed: the conflict clears
