"""Two real Claude Code sessions in two clones of one repository: conflicts and leases.

The fake model replies with Read and Edit tool calls, so the CLI really edits the files;
myco's PreToolUse/PostToolUse hooks report the edits, warn, and (with ``--leases
enforce``) refuse an edit under the other session's lease.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.daemon_process import DaemonProcess
from tests.e2e.conftest import Agent
from tests.e2e.edits_support import ACCEPT_EDITS, clone_into, edit_turn, ok, view
from tests.e2e.fake_anthropic import FakeAnthropic

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
MakeAgent = Callable[..., Agent]


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
