"""The real Claude Code CLI, offline, wired by ``myco run``: views in, events out."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable

import pytest

from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess, call
from tests.e2e.conftest import Agent, lines_of, post
from tests.e2e.fake_anthropic import FakeAnthropic

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
MakeAgent = Callable[..., Agent]


def sid() -> str:
    return str(uuid.uuid4())


def dumps(body: object) -> str:
    return json.dumps(body, ensure_ascii=False)


def ok(proc: object) -> dict[str, object]:
    assert getattr(proc, "returncode", None) == 0, (
        getattr(proc, "stderr", ""),
        getattr(proc, "stdout", ""),
    )
    result = json.loads(getattr(proc, "stdout", ""))
    assert isinstance(result, dict) and not result.get("is_error"), result
    return result


def test_every_turn_sees_a_fresh_view_and_its_block_reaches_the_daemon_once(
    make_agent: MakeAgent, model: FakeAnthropic, daemon: DaemonProcess
) -> None:
    front = make_agent("FRONT")
    conversation = sid()
    markers = [f"view-marker-{n}-{uuid.uuid4().hex[:8]}" for n in (1, 2)]
    model.script(
        [
            {
                "text": "Looking.\n<myco>\nstart draft-block\n</myco>",
                "tool_use": {"name": "Bash", "input": {"command": "true"}},
            },
            "Done.\n<myco>\nstart login-form\nNeed BACK.auth-api\n</myco>",
            "Second turn.\n<myco>\ndone login-form result:ok\n</myco>",
        ]
    )
    post(daemon.url, "PEER", f"say {markers[0]}")
    ok(front.turn("task one", sid=conversation, first=True, claude_args=("--allowedTools", "Bash")))
    post(daemon.url, "PEER", f"say {markers[1]}")
    ok(front.turn("task two", sid=conversation))

    turns = model.turns()
    assert len(turns) == 3
    assert all("# myco view — FRONT" in dumps(t) for t in turns)
    assert markers[0] in dumps(turns[0]) and markers[0] in dumps(turns[1])
    assert markers[1] not in dumps(turns[1]) and markers[1] in dumps(turns[2])
    assert lines_of(daemon.url, "FRONT") == [
        "start login-form",
        "need BACK.auth-api",
        "done login-form result:ok",
    ]


def test_a_dropped_block_is_reported_to_the_human(
    make_agent: MakeAgent, model: FakeAnthropic, daemon: DaemonProcess
) -> None:
    front = make_agent("FRONT")
    conversation = sid()
    model.script(["<myco>\nstart one\n</myco>\nand also\n<myco>\nstart two\nfinishd x\n</myco>"])
    ok(front.turn("go", sid=conversation, first=True))
    messages = [
        r["attachment"]["content"]
        for r in front.transcript(conversation)
        if r.get("type") == "attachment" and r["attachment"].get("type") == "hook_system_message"
    ]
    assert len(messages) == 1
    assert "2 <myco> blocks in this turn" in messages[0]
    assert "'finishd'" in messages[0]
    assert lines_of(daemon.url, "FRONT") == ["start two"]


def test_daemon_down_neither_fails_nor_hangs_and_events_arrive_later(
    make_agent: MakeAgent, model: FakeAnthropic, daemon: DaemonProcess
) -> None:
    front = make_agent("FRONT")
    conversation = sid()
    model.script(
        [
            "Offline work.\n<myco>\nstart offline-task\n</myco>",
            "Back online.\n<myco>\ndone offline-task\n</myco>",
        ]
    )
    port = daemon.url.rsplit(":", 1)[1]
    daemon.stop()
    started = time.monotonic()
    result = ok(
        front.turn("work while down", sid=conversation, first=True, run_args=("--offline",))
    )
    assert time.monotonic() - started < 20
    assert "offline-task" in str(result.get("result"))
    back = DaemonProcess(daemon.data_dir, "--quiet", "--port", port)
    back.start()
    try:
        ok(front.turn("next", sid=conversation))  # the prompt hook flushes the outbox first
        assert lines_of(back.url, "FRONT") == ["start offline-task", "done offline-task"]
        assert "# myco view — FRONT" in dumps(model.turns()[1])
    finally:
        back.stop()


def test_enforcement_sends_a_blockless_edit_back_once(
    make_agent: MakeAgent, model: FakeAnthropic, daemon: DaemonProcess
) -> None:
    front = make_agent("FRONT", MYCO_REQUIRE_BLOCK="1")
    conversation = sid()
    model.script(
        [
            {
                "text": "Writing.",
                "tool_use": {
                    "name": "Write",
                    "input": {"file_path": str(front.project / "a.txt"), "content": "hello\n"},
                },
            },
            "Wrote a.txt.",
            "Sorry.\n<myco>\ndone a-txt result:ok\n</myco>",
        ]
    )
    ok(
        front.turn(
            "write a.txt", sid=conversation, first=True, claude_args=("--allowedTools", "Write")
        )
    )
    assert (front.project / "a.txt").read_text() == "hello\n"
    turns = model.turns()
    assert len(turns) == 3
    assert "no <myco> block" in dumps(turns[2]["messages"][-1])
    assert lines_of(daemon.url, "FRONT") == ["done a-txt result:ok"]


def test_run_twice_wires_local_settings_idempotently_and_keeps_user_hooks(
    make_agent: MakeAgent, model: FakeAnthropic, daemon: DaemonProcess
) -> None:
    front = make_agent("FRONT")
    (front.project / ".claude").mkdir()
    user_hook_log = front.project / "user-hook.log"
    settings = front.project / ".claude" / "settings.local.json"
    settings.write_text(
        json.dumps(
            {
                "hooks": {
                    "Stop": [
                        {
                            "hooks": [
                                {"type": "command", "command": f"echo user-hook >> {user_hook_log}"}
                            ]
                        }
                    ]
                }
            }
        )
    )
    (front.project / "CLAUDE.md").write_text("# Project rules\nUse tabs.\n")
    model.script(["One.\n<myco>\nstart x\n</myco>", "Two.\n<myco>\ndone x\n</myco>"])
    conversation = sid()
    snapshots = []
    for first in (True, False):
        ok(front.turn("go", sid=conversation, first=first, run_args=("--wire", "local")))
        snapshots.append((settings.read_bytes(), (front.project / "CLAUDE.md").read_bytes()))
    assert snapshots[0] == snapshots[1]
    assert snapshots[0][1].startswith(b"# Project rules\nUse tabs.\n\n<!-- myco:begin -->")
    assert user_hook_log.read_text() == "user-hook\nuser-hook\n"
    assert lines_of(daemon.url, "FRONT") == ["start x", "done x"]
    assert "--settings" not in dumps(model.requests)


def test_worker_delivers_a_queued_prompt_into_the_idle_session(
    make_agent: MakeAgent, model: FakeAnthropic, daemon: DaemonProcess
) -> None:
    bot = make_agent("BOT")
    model.script(["On it.\n<myco>\nstart queued-job\n</myco>"])
    status, _ = call(daemon.url, "POST", "/dispatch/BOT", TOKEN, {"prompt": "the queued job"})
    assert status == 200
    proc = bot.myco("worker", "BOT", str(bot.project), "--once", "--interval", "0.2")
    assert proc.returncode == 0, proc.stderr
    assert "the queued job" in dumps(model.turns()[0])
    assert lines_of(daemon.url, "BOT") == ["start queued-job"]
