"""The same file conflict across vendors: Claude Code and Codex in two clones of one repo.

Codex edits through ``apply_patch`` (a freeform tool, offered for a model slug in its
catalog, hence ``gpt-5.5``); its PreToolUse/PostToolUse hooks report the patched paths.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.daemon_process import DaemonProcess
from tests.e2e.conftest import Agent
from tests.e2e.edits_support import ACCEPT_EDITS, edit_turn, git, ok, view
from tests.e2e.fake_anthropic import FakeAnthropic
from tests.e2e.fake_openai import FakeOpenAI

if TYPE_CHECKING:
    from tests.e2e.clis import CodexSession

pytest_plugins = ("tests.e2e.clis",)
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def patch(old: str, new: str) -> str:
    return f"*** Begin Patch\n*** Update File: src/app.py\n@@\n-{old}\n+{new}\n*** End Patch\n"


def test_claude_code_and_codex_editing_one_file_see_the_conflict_and_the_lease(
    make_agent: Callable[..., Agent],
    model: FakeAnthropic,
    make_codex: Callable[..., CodexSession],
    openai: FakeOpenAI,
    daemon: DaemonProcess,
    origin: Path,
) -> None:
    front = make_agent("FRONT")
    back = make_codex("BACK", sandbox="workspace-write")
    config = back.home_config()
    config.write_text(config.read_text().replace('model = "fake-model"', 'model = "gpt-5.5"'))
    for session in (front, back):
        git(session.project.parent, "clone", "-q", str(origin), str(session.project))

    f_file = front.project / "src" / "app.py"
    model.script(edit_turn(f_file, "value = 1", "value = 2", "start app"))
    ok(front.turn("change it", sid=str(uuid.uuid4()), first=True, claude_args=ACCEPT_EDITS))

    openai.script(
        [
            {
                "text": "Patching.",
                "custom_tool_call": {
                    "name": "apply_patch",
                    "input": patch("value = 1", "value = 3"),
                },
            },
            "Done.\n<myco>\nstart app-too\n</myco>",
        ]
    )
    proc = back.turn("change it")
    assert proc.returncode == 0, proc.stderr
    assert (back.project / "src" / "app.py").read_text() == "value = 3\n"
    assert "myco warning: FRONT edited `src/app.py`" in json.dumps(openai.turns()[-1])
    assert "`src/app.py`: edited by BACK and you" in view(daemon, "FRONT")
    assert "`src/app.py`: edited by FRONT and you" in view(daemon, "BACK")

    model.script(["Claiming.\n<myco>\nclaim src/** ttl:30m mine now\n</myco>"])
    ok(front.turn("claim", sid=str(uuid.uuid4()), first=True))
    openai.script(
        [
            {
                "text": "Patching.",
                "custom_tool_call": {
                    "name": "apply_patch",
                    "input": patch("value = 3", "value = 4"),
                },
            },
            "Done.\n<myco>\nstart app-again\n</myco>",
        ]
    )
    proc = back.turn("again", run_args=("--leases", "enforce"))
    assert proc.returncode == 0, proc.stderr
    assert (back.project / "src" / "app.py").read_text() == "value = 3\n"
    told = json.dumps(openai.turns()[-1])
    assert "edit refused" in told and "FRONT's lease `src/**`" in told

    model.script(["Releasing.\n<myco>\nrelease src/**\n</myco>"])
    ok(front.turn("release", sid=str(uuid.uuid4()), first=True))
    openai.script(
        [
            {
                "text": "Patching.",
                "custom_tool_call": {
                    "name": "apply_patch",
                    "input": patch("value = 3", "value = 4"),
                },
            },
            "Done.\n<myco>\ndone app\n</myco>",
        ]
    )
    proc = back.turn("again", run_args=("--leases", "enforce"))
    assert proc.returncode == 0, proc.stderr
    assert (back.project / "src" / "app.py").read_text() == "value = 4\n"
