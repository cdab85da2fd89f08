"""The real Aider CLI, offline, wired by ``myco run --agent aider``: views in, events out.

Aider has no hooks; myco's in-process shim refreshes the ``--read`` view file before every
model call and sends every reply of a turn to ``myco hook aider stop``.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.daemon_process import DaemonProcess
from tests.e2e.conftest import lines_of, post
from tests.e2e.fake_openai import FakeOpenAI

if TYPE_CHECKING:
    from tests.e2e.clis import AiderSession

    MakeAider = Callable[..., AiderSession]

pytest_plugins = ("tests.e2e.clis",)
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, (proc.stderr[-3000:], proc.stdout[-3000:])
    return proc.stdout


def git_repo(session: AiderSession) -> None:
    """A repository with app.py: a reply that names it makes aider add it and ask again."""
    (session.project / "app.py").write_text("print('hello')\n")
    for cmd in (
        ["git", "init", "-q"],
        ["git", "add", "app.py"],
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"],
    ):
        subprocess.run(cmd, cwd=session.project, check=True, capture_output=True)


def test_every_model_call_sees_a_fresh_view_and_every_reply_is_captured_once(
    make_aider: MakeAider, openai: FakeOpenAI, daemon: DaemonProcess
) -> None:
    front = make_aider("FRONT")
    git_repo(front)
    marker = [f"aider-marker-{n}-{time.time_ns()}" for n in range(3)]
    openai.script(
        [
            "I will look at app.py first.\n<myco>\nstart greet-fix\n</myco>",
            "Looked at it; nothing else to report.",
            "Second turn.\n<myco>\ndone greet-fix result:ok\n</myco>",
        ]
    )
    openai.before_reply = lambda n: post(daemon.url, "PEER", f"say {marker[1]}") if n == 1 else None
    conventions = front.project / "CONVENTIONS.md"
    conventions.write_text("# House rules\nUse tabs.\n")
    post(daemon.url, "PEER", f"say {marker[0]}")
    ok(front.turn("fix the greeting"))
    wired = conventions.read_bytes()
    post(daemon.url, "PEER", f"say {marker[2]}")
    ok(front.turn("and finish"))
    assert conventions.read_bytes() == wired  # the second run changed nothing
    assert wired.startswith(b"# House rules\nUse tabs.\n\n<!-- myco:begin -->")

    turns = [json.dumps(t, ensure_ascii=False) for t in openai.turns("chat")]
    assert len(turns) == 3
    assert all("# myco view — FRONT" in t for t in turns)
    assert marker[0] in turns[0] and marker[1] not in turns[0]
    assert marker[1] in turns[1]  # refreshed before the second call of the same turn
    assert marker[2] in turns[2]
    assert lines_of(daemon.url, "FRONT") == ["start greet-fix", "done greet-fix result:ok"]


def test_daemon_down_neither_fails_nor_hangs_and_events_arrive_later(
    make_aider: MakeAider, openai: FakeOpenAI, daemon: DaemonProcess
) -> None:
    front = make_aider("FRONT")
    openai.script(
        [
            "Offline work.\n<myco>\nstart offline-task\n</myco>",
            "Back online.\n<myco>\ndone offline-task\n</myco>",
        ]
    )
    port = daemon.url.rsplit(":", 1)[1]
    daemon.stop()
    started = time.monotonic()
    out = ok(front.turn("work while down", run_args=("--offline",)))
    assert time.monotonic() - started < 30
    assert "offline-task" in out
    assert "myco: no fresh view at" in json.dumps(openai.turns("chat")[0])
    back = DaemonProcess(daemon.data_dir, "--quiet", "--port", port)
    back.start()
    try:
        ok(front.turn("next"))  # the first model call's prompt hook flushes the outbox
        assert lines_of(back.url, "FRONT") == ["start offline-task", "done offline-task"]
        assert "# myco view — FRONT" in json.dumps(openai.turns("chat")[1], ensure_ascii=False)
    finally:
        back.stop()
