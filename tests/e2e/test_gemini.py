"""The real Gemini CLI, offline, wired by ``myco run --agent gemini`` from a plugin package.

The adapter lives in ``plugins/myco-gemini`` (installed into the venv here) and reaches
myco only through its entry point: nothing in core knows about Gemini.
"""

from __future__ import annotations

import json
import shlex
import socket
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from myco.agent_hooks.capture import capture
from myco.agent_hooks.env import CORE_VERBS
from myco.launcher import hook_argv
from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess, call
from tests.e2e.conftest import lines_of, post
from tests.e2e.fake_gemini import FakeGemini
from tests.e2e.gemini_agent import MakeGemini, dumps, ok

pytest_plugins = ("tests.e2e.gemini_fixtures",)
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def sid() -> str:
    return str(uuid.uuid4())


def hook_contexts(body: dict[str, Any]) -> list[str]:
    """The ``<hook_context>`` parts of the request's last message (the prompt)."""
    parts = body["contents"][-1]["parts"]
    return [p["text"] for p in parts if p.get("text", "").startswith("<hook_context>")]


def record_hook(event: str, log: Path) -> dict[str, object]:
    """A user's own hook (appends its stdin payload to *log*) in Gemini's settings shape."""
    return {
        "hooks": [
            {
                "type": "command",
                "name": f"user-{event}",
                "command": f"cat >> {log}; echo >> {log}; echo '{{}}'",
            }
        ]
    }


# -- discovery --------------------------------------------------------------------------


def test_the_plugin_is_found_through_its_entry_point(
    make_gemini: MakeGemini, daemon: DaemonProcess
) -> None:
    gem = make_gemini("GEM")
    listed = json.loads(gem.myco("plugins").stdout)
    assert {
        "name": "gemini",
        "package": "myco-gemini",
        "version": "0.1.0",
        "hooks": ["register_adapters"],
    } in listed
    post(daemon.url, "PEER", "say hello-from-peer")
    proc = gem.hook("prompt", {"prompt": "hi", "cwd": str(gem.project)}, MYCO_SESSION="GEM")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["hookSpecificOutput"]["hookEventName"] == "BeforeAgent"
    assert "hello-from-peer" in out["hookSpecificOutput"]["additionalContext"]
    dry = gem.myco("run", "GEM", str(gem.project), "--agent", "gemini", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)
    assert plan["argv"][0].endswith("/gemini")
    assert sorted(Path(p).name for p in plan["would_write"]) == ["GEMINI.md", "settings.json"]


# -- views in, events out ---------------------------------------------------------------


def test_every_turn_sees_a_fresh_view_and_its_block_reaches_the_daemon_once(
    make_gemini: MakeGemini, gemini_model: FakeGemini, daemon: DaemonProcess
) -> None:
    gem = make_gemini("GEM")
    log = gem.project / "after-agent.log"
    (gem.project / ".gemini").mkdir()
    (gem.project / ".gemini" / "settings.json").write_text(
        json.dumps({"hooks": {"AfterAgent": [record_hook("after", log)]}})
    )
    conversation = sid()
    markers = [f"view-marker-{n}-{uuid.uuid4().hex[:8]}" for n in (1, 2)]
    gemini_model.script(
        [
            {
                "text": "Looking.\n<myco>\nstart draft-block\n</myco>",
                "tool_call": {"name": "run_shell_command", "args": {"command": "true"}},
            },
            {"text": ["Done.\n", "<myco>\nstart login-form\nNeed BACK.au", "th-api\n</myco>"]},
            "Second turn.\n<myco>\ndone login-form result:ok\n</myco>",
        ]
    )
    post(daemon.url, "PEER", f"say {markers[0]}")
    ok(gem.turn("task one", sid=conversation, first=True, gemini_args=("--approval-mode", "yolo")))
    post(daemon.url, "PEER", f"say {markers[1]}")
    ok(gem.turn("task two", sid=conversation))

    turns = gemini_model.turns()
    assert len(turns) == 3  # prompt, tool result, prompt
    assert all("# myco view — GEM" in dumps(t) for t in turns)
    assert markers[0] in dumps(turns[0]) and markers[0] in dumps(turns[1])
    assert markers[1] not in dumps(turns[1]) and markers[1] in dumps(turns[2])
    # The view is a <hook_context> part of the prompt itself: the full view first, then
    # (the same conversation resumed) the delta since it.
    for body, marker, heading in (
        (turns[0], markers[0], "# myco view — GEM"),
        (turns[2], markers[1], "# myco delta — GEM"),
    ):
        [context] = hook_contexts(body)
        assert heading in context and marker in context
    expected = ["start login-form", "need BACK.auth-api", "done login-form result:ok"]
    assert lines_of(daemon.url, "GEM") == expected

    # The streamed reply text Gemini hands AfterAgent is garbled (3 chunks); the events
    # above are exact because the hook read the chat record.
    payloads = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert len(payloads) == 2
    naive = capture([payloads[0]["prompt_response"]], CORE_VERBS)
    assert naive.lines == ["start login-form", "need BACK.au th-api"], naive
    # The CLI running the stop hook again for the same turn posts nothing new.
    for payload in payloads:
        again = gem.hook("stop", payload, MYCO_SESSION="GEM")
        assert again.returncode == 0 and isinstance(json.loads(again.stdout), dict), again
    assert lines_of(daemon.url, "GEM") == expected


def test_daemon_down_or_hanging_neither_fails_nor_hangs_and_events_arrive_later(
    make_gemini: MakeGemini, gemini_model: FakeGemini, daemon: DaemonProcess
) -> None:
    gem = make_gemini("GEM")
    conversation = sid()
    gemini_model.script(
        [
            "Offline work.\n<myco>\nstart offline-task\n</myco>",
            "Still no daemon.\n<myco>\nnote hanging-daemon\n</myco>",
            "Back online.\n<myco>\ndone offline-task\n</myco>",
        ]
    )
    port = daemon.url.rsplit(":", 1)[1]
    daemon.stop()
    started = time.monotonic()
    result = ok(gem.turn("work while down", sid=conversation, first=True, run_args=("--offline",)))
    refused = time.monotonic() - started
    assert refused < 30
    assert "offline-task" in str(result.get("response"))
    with socket.create_server(("127.0.0.1", 0), backlog=16) as hung:  # accepts, never answers
        started = time.monotonic()
        ok(
            gem.turn(
                "still down",
                sid=conversation,
                run_args=("--offline",),
                MYCO_URL=f"http://127.0.0.1:{hung.getsockname()[1]}",
            )
        )
        hanging = time.monotonic() - started
    # Each hook gives up within its 0.7 s budget; Gemini's own hook timeout (10 s) is
    # never reached.
    assert hanging < refused + 6, (hanging, refused)
    assert not any("# myco view" in dumps(t) for t in gemini_model.turns())
    back = DaemonProcess(daemon.data_dir, "--quiet", "--port", port)
    back.start()
    try:
        ok(gem.turn("next", sid=conversation))  # the prompt hook flushes the outbox first
        assert lines_of(back.url, "GEM") == [
            "start offline-task",
            "note hanging-daemon",
            "done offline-task",
        ]
        assert "# myco view — GEM" in dumps(gemini_model.turns()[2])
    finally:
        back.stop()


# -- wiring -----------------------------------------------------------------------------


def test_run_twice_wires_settings_idempotently_and_keeps_the_users(
    make_gemini: MakeGemini, gemini_model: FakeGemini, daemon: DaemonProcess
) -> None:
    gem = make_gemini("GEM")
    log = gem.project / "user-hook.log"
    settings = gem.project / ".gemini" / "settings.json"
    settings.parent.mkdir()
    user = {"ui": {"theme": "ANSI"}, "hooks": {"AfterAgent": [record_hook("after", log)]}}
    settings.write_text(json.dumps(user, indent=4))
    (gem.project / "GEMINI.md").write_text("# Project rules\nUse tabs.\n")
    gemini_model.script(["One.\n<myco>\nstart x\n</myco>", "Two.\n<myco>\ndone x\n</myco>"])
    conversation = sid()
    snapshots = []
    for first in (True, False):
        ok(gem.turn("go", sid=conversation, first=first))
        snapshots.append((settings.read_bytes(), (gem.project / "GEMINI.md").read_bytes()))
    assert snapshots[0] == snapshots[1]
    wired = json.loads(snapshots[0][0])
    assert wired["ui"] == {"theme": "ANSI"}
    assert wired["hooks"]["AfterAgent"][0] == user["hooks"]["AfterAgent"][0]
    assert [g["hooks"][0]["command"] for g in wired["hooks"]["AfterAgent"]] == [
        user["hooks"]["AfterAgent"][0]["hooks"][0]["command"],
        shlex.join([*hook_argv(), "hook", "gemini", "stop"]),  # what `myco run` wires
    ]
    assert snapshots[0][1].startswith(b"# Project rules\nUse tabs.\n\n<!-- myco:begin -->")
    assert b"<myco>" in snapshots[0][1]
    ran = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert [p["hook_event_name"] for p in ran] == ["AfterAgent"] * 2  # the user's hook too
    assert lines_of(daemon.url, "GEM") == ["start x", "done x"]
    # The protocol guide reaches the model as Gemini context (GEMINI.md).
    assert "<!-- myco:begin -->" in dumps(gemini_model.turns()[0])


def test_enforcement_sends_a_blockless_edit_back_once(
    make_gemini: MakeGemini, gemini_model: FakeGemini, daemon: DaemonProcess
) -> None:
    gem = make_gemini("GEM", MYCO_REQUIRE_BLOCK="1")
    target = gem.project / "a.txt"
    gemini_model.script(
        [
            {
                "text": "Writing.",
                "tool_call": {
                    "name": "write_file",
                    "args": {"file_path": str(target), "content": "hello\n"},
                },
            },
            "Wrote a.txt.",
            "Sorry.\n<myco>\ndone a-txt result:ok\n</myco>",
        ]
    )
    ok(gem.turn("write a.txt", sid=sid(), first=True, gemini_args=("--approval-mode", "yolo")))
    assert target.read_text() == "hello\n"
    turns = gemini_model.turns()
    assert len(turns) == 3
    assert "no <myco> block" in dumps(turns[2]["contents"][-1])
    assert lines_of(daemon.url, "GEM") == ["done a-txt result:ok"]


def test_worker_delivers_a_queued_prompt_into_the_idle_session(
    make_gemini: MakeGemini, gemini_model: FakeGemini, daemon: DaemonProcess
) -> None:
    bot = make_gemini("BOT")
    gemini_model.script(
        ["On it.\n<myco>\nstart queued-job\n</myco>", "Again.\n<myco>\ndone queued-job\n</myco>"]
    )
    for prompt in ("the queued job", "the follow-up"):
        status, _ = call(daemon.url, "POST", "/dispatch/BOT", TOKEN, {"prompt": prompt})
        assert status == 200
        proc = bot.myco(
            "worker", "BOT", str(bot.project), "--agent", "gemini", "--once", "--interval", "0.2"
        )
        assert proc.returncode == 0, proc.stderr
    turns = gemini_model.turns()
    assert "the queued job" in dumps(turns[0])
    assert "the queued job" in dumps(turns[1]) and "the follow-up" in dumps(turns[1])
    assert lines_of(daemon.url, "BOT") == ["start queued-job", "done queued-job"]
