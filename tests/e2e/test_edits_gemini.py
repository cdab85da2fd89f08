"""The file conflict across vendors with the Gemini plugin's session (``replace`` tool)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.daemon_process import DaemonProcess
from tests.e2e.conftest import Agent
from tests.e2e.edits_support import ACCEPT_EDITS, edit_turn, git, ok, view
from tests.e2e.fake_anthropic import FakeAnthropic
from tests.e2e.fake_gemini import FakeGemini
from tests.e2e.gemini_agent import MakeGemini

pytest_plugins = ("tests.e2e.gemini_fixtures",)
pytestmark = [pytest.mark.e2e, pytest.mark.slow]
AUTO_EDIT = ("--approval-mode", "auto_edit")


def replace(old: str, new: str) -> dict[str, object]:
    args = {
        "file_path": "src/app.py",
        "instruction": "change",
        "old_string": old,
        "new_string": new,
    }
    return {"text": "Editing.", "tool_call": {"name": "replace", "args": args}}


def test_claude_code_and_gemini_conflict_and_an_enforced_lease_denies_gemini(
    make_agent: Callable[..., Agent],
    model: FakeAnthropic,
    make_gemini: MakeGemini,
    gemini_model: FakeGemini,
    daemon: DaemonProcess,
    origin: Path,
) -> None:
    front, gem = make_agent("FRONT"), make_gemini("GEM")
    for session in (front, gem):
        git(session.project.parent, "clone", "-q", str(origin), str(session.project))
    f_file, g_file = front.project / "src" / "app.py", gem.project / "src" / "app.py"

    model.script(edit_turn(f_file, "value = 1", "value = 2", "start app"))
    ok(front.turn("change it", sid=str(uuid.uuid4()), first=True, claude_args=ACCEPT_EDITS))

    gemini_model.script(
        [replace("value = 1", "value = 3"), "Done.\n<myco>\nstart app-too\n</myco>"]
    )
    proc = gem.turn("change it", sid=str(uuid.uuid4()), first=True, gemini_args=AUTO_EDIT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert g_file.read_text() == "value = 3\n"
    assert "myco warning: FRONT edited `src/app.py`" in json.dumps(gemini_model.turns()[-1])
    assert "`src/app.py`: edited by GEM and you" in view(daemon, "FRONT")
    assert "`src/app.py`: edited by FRONT and you" in view(daemon, "GEM")

    model.script(["Claiming.\n<myco>\nclaim src/** ttl:30m mine now\n</myco>"])
    ok(front.turn("claim", sid=str(uuid.uuid4()), first=True))
    gemini_model.script([replace("value = 3", "value = 4"), "Done.\n<myco>\nstart again\n</myco>"])
    proc = gem.turn(
        "again",
        sid=str(uuid.uuid4()),
        first=True,
        run_args=("--leases", "enforce"),
        gemini_args=AUTO_EDIT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert g_file.read_text() == "value = 3\n"
    told = json.dumps(gemini_model.turns()[-1])
    assert "edit refused" in told and "FRONT's lease `src/**`" in told

    model.script(["Releasing.\n<myco>\nrelease src/**\n</myco>"])
    ok(front.turn("release", sid=str(uuid.uuid4()), first=True))
    gemini_model.script([replace("value = 3", "value = 4"), "Done.\n<myco>\ndone app\n</myco>"])
    proc = gem.turn(
        "again",
        sid=str(uuid.uuid4()),
        first=True,
        run_args=("--leases", "enforce"),
        gemini_args=AUTO_EDIT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert g_file.read_text() == "value = 4\n"
