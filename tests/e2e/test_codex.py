"""The real Codex CLI, offline, wired by ``myco run --agent codex``: views in, events out.

Codex skips untrusted hooks without a word, so every test here also proves that the trust
pins ``myco run`` writes are accepted (no ``--dangerously-bypass-hook-trust``).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess, call
from tests.e2e.conftest import lines_of, post
from tests.e2e.fake_openai import FakeOpenAI

if TYPE_CHECKING:
    from tests.e2e.clis import CodexSession

    MakeCodex = Callable[..., CodexSession]

pytest_plugins = ("tests.e2e.clis",)
pytestmark = [pytest.mark.e2e, pytest.mark.slow]
BYPASS_WARNING = "--dangerously-bypass-hook-trust` is enabled"


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, (proc.stderr[-3000:], proc.stdout[-3000:])
    assert BYPASS_WARNING not in proc.stdout
    return proc.stdout


def dumps(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False)


def developer_after_prompt(body: dict[str, Any], prompt: str) -> str:
    """The text of the developer messages after the last user message holding *prompt*."""
    items = body["input"]
    last = max(
        i for i, item in enumerate(items) if item.get("role") == "user" and prompt in dumps(item)
    )
    return dumps([item for item in items[last + 1 :] if item.get("role") == "developer"])


def test_every_turn_sees_a_fresh_view_and_its_block_reaches_the_daemon_once(
    make_codex: MakeCodex, openai: FakeOpenAI, daemon: DaemonProcess
) -> None:
    front = make_codex("FRONT")
    markers = [f"codex-marker-{n}-{time.time_ns()}" for n in (1, 2)]
    openai.script(
        [
            {
                "text": "Looking first.\n<myco>\nstart login-form\nneed BACK.auth-api\n</myco>",
                "tool_call": {"name": "exec_command", "arguments": {"cmd": "true"}},
            },
            "Looked; nothing more to say.",  # the final message: the block is only in the rollout
            "Second turn.\n<myco>\ndone login-form result:ok\n</myco>",
        ]
    )
    post(daemon.url, "PEER", f"say {markers[0]}")
    ok(front.turn("task one"))
    post(daemon.url, "PEER", f"say {markers[1]}")
    ok(front.turn("task two"))

    turns = openai.turns("responses")
    assert len(turns) == 3
    first, second = (
        developer_after_prompt(turns[0], "task one"),
        developer_after_prompt(turns[2], "task two"),
    )
    assert "# myco view — FRONT" in first and markers[0] in first
    # the same thread: the second prompt gets the delta since the first view
    assert "# myco delta — FRONT" in second and markers[1] in second
    assert markers[1] not in dumps(turns[1])
    assert lines_of(daemon.url, "FRONT") == [
        "start login-form",
        "need BACK.auth-api",
        "done login-form result:ok",
    ]


def test_trust_pins_keep_the_users_config_and_a_second_run_changes_nothing(
    make_codex: MakeCodex, openai: FakeOpenAI, daemon: DaemonProcess
) -> None:
    front = make_codex("FRONT")
    config = front.home_config()
    user_part = config.read_text()
    (front.project / "AGENTS.md").write_text("# Project rules\nUse tabs.\n")
    openai.script(["One.\n<myco>\nstart x\n</myco>", "Two.\n<myco>\ndone x\n</myco>"])
    snapshots = []
    for prompt in ("go", "again"):
        ok(front.turn(prompt))
        snapshots.append((config.read_bytes(), (front.project / "AGENTS.md").read_bytes()))
    assert snapshots[0] == snapshots[1]
    text = snapshots[0][0].decode()
    assert text.startswith(user_part)
    # one pin per wired hook: UserPromptSubmit, Stop, the lifecycle SessionStart,
    # PostCompact, PermissionRequest, SessionEnd, and PreToolUse/PostToolUse (edits)
    assert text.count("trusted_hash") == 8 and "<session-flags>" in text
    for event in ("post_compact", "permission_request", "session_end"):
        assert f":{event}:0:0" in text
    assert snapshots[0][1].startswith(b"# Project rules\nUse tabs.\n\n<!-- myco:begin -->")
    assert b"<myco>" in snapshots[0][1]  # the protocol guide is in the managed block
    assert lines_of(daemon.url, "FRONT") == ["start x", "done x"]


def test_daemon_down_neither_fails_nor_hangs_and_events_arrive_later(
    make_codex: MakeCodex, openai: FakeOpenAI, daemon: DaemonProcess
) -> None:
    front = make_codex("FRONT")
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
    assert time.monotonic() - started < 20
    assert "offline-task" in out
    back = DaemonProcess(daemon.data_dir, "--quiet", "--port", port)
    back.start()
    try:
        ok(front.turn("next"))  # the prompt hook flushes the outbox first
        assert lines_of(back.url, "FRONT") == ["start offline-task", "done offline-task"]
        assert "# myco view — FRONT" in developer_after_prompt(openai.turns("responses")[1], "next")
    finally:
        back.stop()


def test_worker_delivers_queued_prompts_into_one_thread(
    make_codex: MakeCodex, openai: FakeOpenAI, daemon: DaemonProcess
) -> None:
    bot = make_codex("BOT")
    openai.script(
        [
            "On it.\n<myco>\nstart queued-job\n</myco>",
            "Still here.\n<myco>\ndone queued-job\n</myco>",
        ]
    )
    for prompt in ("the queued job", "the follow-up"):
        status, _ = call(daemon.url, "POST", "/dispatch/BOT", TOKEN, {"prompt": prompt})
        assert status == 200
        proc = bot.myco(
            "worker",
            "BOT",
            str(bot.project),
            "--agent",
            "codex",
            "--once",
            "--interval",
            "0.2",
            "--",
            "--skip-git-repo-check",
        )
        assert proc.returncode == 0, proc.stderr
    turns = openai.turns("responses")
    assert "the queued job" in dumps(turns[0]) and "# myco view — BOT" in dumps(turns[0])
    assert "the queued job" in dumps(turns[1])  # resumed: the first prompt is history
    # resumed: the full view is history, the follow-up gets the one-line delta
    assert "# myco view — BOT" in dumps(turns[1])
    assert "myco: nothing new for BOT" in developer_after_prompt(turns[1], "the follow-up")
    assert lines_of(daemon.url, "BOT") == ["start queued-job", "done queued-job"]


def test_wire_local_puts_the_hooks_in_the_project_for_plain_codex(
    make_codex: MakeCodex, openai: FakeOpenAI, daemon: DaemonProcess
) -> None:
    front = make_codex("FRONT")
    hooks = front.project / ".codex" / "hooks.json"
    hooks.parent.mkdir()
    hooks.write_text(
        json.dumps({"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "true"}]}]}})
    )
    openai.script(["Local.\n<myco>\nstart local-wiring\n</myco>"])
    ok(front.turn("go", run_args=("--wire", "local")))
    wired = json.loads(hooks.read_text())["hooks"]
    assert wired["Stop"][0]["hooks"][0]["command"] == "true"  # the user's hook is kept
    assert any(" hook codex stop" in h["command"] for g in wired["Stop"] for h in g["hooks"])
    plan = json.loads(
        front.myco(
            "run", "FRONT", str(front.project), "--agent", "codex", "--wire", "local", "--dry-run"
        ).stdout
    )
    assert not any(arg.startswith("hooks.") for arg in plan["argv"])  # not on the command line
    assert plan["would_write"] == []  # the run before wrote everything already
    assert lines_of(daemon.url, "FRONT") == ["start local-wiring"]
