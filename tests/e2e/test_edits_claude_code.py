"""Two real Claude Code sessions in two clones of one repository: conflicts and leases.

The fake model replies with Read and Edit tool calls, so the CLI really edits the files;
myco's PreToolUse/PostToolUse hooks report the edits, warn, and (with ``--leases
enforce``) refuse an edit under the other session's lease.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess, call
from tests.e2e.conftest import Agent
from tests.e2e.fake_anthropic import FakeAnthropic

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
MakeAgent = Callable[..., Agent]
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


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    origin = tmp_path / "origin"
    (origin / "src").mkdir(parents=True)
    git(origin, "init", "-q", "-b", "main")
    (origin / "src" / "app.py").write_text("value = 1\n")
    git(origin, "add", ".")
    git(origin, "commit", "-qm", "root")
    return origin


def test_same_file_in_two_clones_conflict_then_lease_denies_then_release_allows(
    make_agent: MakeAgent, model: FakeAnthropic, daemon: DaemonProcess, origin: Path
) -> None:
    alice, bob = make_agent("ALICE"), make_agent("BOB")
    a_file, b_file = clone_into(origin, alice), clone_into(origin, bob)

    # 1. both edit src/app.py: both views show the conflict, BOB is warned at the edit
    model.script(edit_turn(a_file, "value = 1", "value = 2", "start app"))
    ok(alice.turn("change it", sid=str(uuid.uuid4()), first=True, claude_args=ACCEPT_EDITS))
    assert a_file.read_text() == "value = 2\n"
    seen = len(model.turns())
    model.script(edit_turn(b_file, "value = 1", "value = 3", "start app-too"))
    ok(bob.turn("change it", sid=str(uuid.uuid4()), first=True, claude_args=ACCEPT_EDITS))
    assert b_file.read_text() == "value = 3\n"
    after_edit = json.dumps(model.turns()[seen:][-1])
    assert "myco warning: ALICE edited `src/app.py`" in after_edit  # at the edit, not later
    assert "`src/app.py`: edited by BOB and you" in view(daemon, "ALICE")
    assert "`src/app.py`: edited by ALICE and you" in view(daemon, "BOB")
    assert "edited by ALICE and BOB" in view(daemon, "DIRECTOR")

    # 2. ALICE claims src/**; BOB, enforcing, is refused and told why; the file is unchanged
    model.script(["Claiming.\n<myco>\nclaim src/** ttl:30m finishing the app\n</myco>"])
    ok(alice.turn("claim it", sid=str(uuid.uuid4()), first=True))
    assert "- `src/**` held by ALICE" in view(daemon, "BOB")
    seen = len(model.turns())
    model.script(edit_turn(b_file, "value = 3", "value = 4", "start app-again"))
    result = ok(
        bob.turn(
            "again",
            sid=str(uuid.uuid4()),
            first=True,
            run_args=("--leases", "enforce"),
            claude_args=ACCEPT_EDITS,
        )
    )
    assert b_file.read_text() == "value = 3\n"
    told = json.dumps(model.turns()[seen:][-1])
    assert "edit refused" in told and "ALICE's lease `src/**`" in told
    assert "finishing the app" in told
    assert result.get("permission_denials")

    # 3. after ALICE's release the same edit goes through
    model.script(["Releasing.\n<myco>\nrelease src/**\n</myco>"])
    ok(alice.turn("release it", sid=str(uuid.uuid4()), first=True))
    model.script(edit_turn(b_file, "value = 3", "value = 4", "done app"))
    ok(
        bob.turn(
            "again",
            sid=str(uuid.uuid4()),
            first=True,
            run_args=("--leases", "enforce"),
            claude_args=ACCEPT_EDITS,
        )
    )
    assert b_file.read_text() == "value = 4\n"
