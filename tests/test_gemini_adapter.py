"""The Gemini CLI adapter plugin (``plugins/myco-gemini``) without the CLI.

The package is imported from its source tree (``plugins/myco-gemini/src``) when it is not
installed, so that these tests run in the normal suite; ``tests/e2e/test_gemini.py``
installs it and drives the real CLI. Samples of the chat record follow what Gemini CLI
0.61.0 writes (see the e2e test and /work/shared/docs/agent-cli-claude-gemini.md §4).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from myco.adapters import Adapter, LaunchRequest
from myco.agent_hooks.env import read_env
from myco.agent_hooks.resolve import adapters_of
from myco.agent_hooks.runtime import ENFORCE_REASON, HookContext
from myco.launcher import LaunchError, guide_for, merge_hook_settings
from tests.agent_hooks.fakes import FakeDaemon, free_port
from tests.conftest import TOKEN

PLUGIN_SRC = Path(__file__).resolve().parent.parent / "plugins" / "myco-gemini" / "src"
if importlib.util.find_spec("myco_gemini") is None:  # not installed: the source tree
    sys.path.insert(0, str(PLUGIN_SRC))

import myco_gemini  # noqa: E402
from myco_gemini.adapter import (  # noqa: E402
    ADAPTER,
    UNREADABLE,
    merge_settings,
    strip_json_comments,
)
from myco_gemini.chat import ChatTurn, read_turn  # noqa: E402

SID = "11111111-2222-3333-4444-555555555555"
HOOK = ["/venv/bin/myco", "hook", "gemini"]
MakeCtx = Callable[..., HookContext]


# -- a chat record as Gemini CLI 0.61 writes it -----------------------------------------


def user(msg_id: str, *parts: dict[str, Any]) -> dict[str, Any]:
    return {"id": msg_id, "timestamp": "t", "type": "user", "content": list(parts)}


def gemini(msg_id: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": msg_id,
        "timestamp": "t",
        "type": "gemini",
        "content": text,
        "thoughts": [],
        "model": "gemini-3.8-flash",
        **extra,
    }


def write_chat(path: Path, *records: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def block(*lines: str) -> str:
    return "<myco>\n" + "\n".join(lines) + "\n</myco>"


def sample_chat(path: Path) -> Path:
    """Two turns; the second calls write_file (its message is re-appended with the call)."""
    first = gemini("g-1", "Earlier.\n" + block("start old-task"))
    draft = gemini("g-2", "Writing.\n" + block("start draft"))
    call = {
        "id": "write_file_1",
        "name": "write_file",
        "args": {"file_path": "a.txt"},
        "result": [{"functionResponse": {"id": "write_file_1", "name": "write_file"}}],
    }
    return write_chat(
        path,
        {
            "sessionId": SID,
            "projectHash": "h",
            "startTime": "t",
            "lastUpdated": "t",
            "kind": "main",
        },
        {"$set": {"messages": [user("ctx", {"text": "<session_context>…"})]}},
        user("u-1", {"text": "task one"}),
        first,
        {"$set": {"lastUpdated": "t"}},
        user("u-2", {"text": "task two"}, {"text": "<hook_context># myco view</hook_context>"}),
        draft,
        {**draft, "tokens": {"total": 15}, "toolCalls": [call]},
        user(
            "fr-1",
            {
                "functionResponse": {
                    "id": "write_file_1",
                    "name": "write_file",
                    "response": {"output": "ok"},
                }
            },
        ),
        gemini("g-3", "Done.\n" + block("start login-form", "need BACK.auth-api")),
        {"$set": {"lastUpdated": "t"}},
    )


#: what the CLI passes AfterAgent for the turn above: streamed chunks re-joined with spaces
GARBLED = "Done.\n<myco>\nstart login-form\nneed BACK.auth-api\n</myco> need B ACK.auth-api"


# -- reading the chat record ------------------------------------------------------------


def test_the_turn_is_read_from_the_chat_record(tmp_path: Path) -> None:
    turn = read_turn(str(sample_chat(tmp_path / "chat.jsonl")))
    assert turn.texts == [
        "Writing.\n" + block("start draft"),
        "Done.\n" + block("start login-form", "need BACK.auth-api"),
    ]
    assert turn.tools == {"write_file"}
    assert turn.key == "u-2"


def test_history_replaced_by_a_set_record_is_read_from_it(tmp_path: Path) -> None:
    history = [
        user("u-1", {"text": "old"}),
        gemini("g-1", "old reply"),
        user("u-2", {"text": "now"}),
        {
            "id": "g-2",
            "type": "gemini",
            "content": [
                {"text": "secret plan", "thought": True},
                {"text": "Part one, "},
                {"functionCall": {"name": "replace", "args": {}}},
            ],
        },
    ]
    path = write_chat(
        tmp_path / "chat.jsonl",
        {"$set": {"messages": history}},
        user("u-3", {"text": "Please continue."}),
        gemini("g-3", "part two"),
    )
    turn = read_turn(str(path))
    assert turn.texts == ["Part one, ", "part two"]
    assert turn.tools == {"replace"}
    assert turn.key == "u-2"


def test_a_block_written_with_escaped_tags_counts(tmp_path: Path) -> None:
    """Gemini shows the view to the model with < and > escaped; the model may copy that."""
    path = write_chat(
        tmp_path / "chat.jsonl",
        user("u-1", {"text": "go"}),
        gemini("g-1", "Done.\n&lt;myco&gt;\nstart api\n&lt;/myco&gt;"),
    )
    assert read_turn(str(path)).texts == ["Done.\n" + block("start api")]


def test_a_rewind_ends_the_turn_and_a_missing_record_is_empty(tmp_path: Path) -> None:
    path = write_chat(
        tmp_path / "chat.jsonl",
        user("u-1", {"text": "x"}),
        gemini("g-1", "a"),
        {"$rewindTo": "u-1"},
        gemini("g-2", "b"),
    )
    assert read_turn(str(path)).texts == ["b"]
    assert read_turn(str(tmp_path / "missing.jsonl")) == ChatTurn([], frozenset(), "")


# -- hooks against a scripted daemon ----------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeDaemon]:
    daemon = FakeDaemon().start()
    yield daemon
    daemon.stop()


@pytest.fixture
def make_ctx(tmp_path: Path, fake: FakeDaemon) -> MakeCtx:
    def make(event: str, payload: dict[str, Any], **env: str) -> HookContext:
        environ = {
            "MYCO_URL": fake.url,
            "MYCO_TOKEN": TOKEN,
            "MYCO_SESSION": "gem",
            "MYCO_STATE_DIR": str(tmp_path / "state"),
            "HOME": str(tmp_path),
            **env,
        }
        return HookContext("gemini", event, payload, read_env(environ))

    return make


def stop_payload(transcript: Path | None, **extra: Any) -> dict[str, Any]:
    payload = {
        "session_id": SID,
        "cwd": "/p",
        "hook_event_name": "AfterAgent",
        "prompt": "task two",
        "prompt_response": GARBLED,
        "stop_hook_active": False,
    }
    if transcript is not None:
        payload["transcript_path"] = str(transcript)
    return {**payload, **extra}


def hook(ctx: HookContext) -> dict[str, Any]:
    """Run the adapter's hook; its stdout must be exactly one JSON object."""
    out = ADAPTER.hook(ctx)
    assert out.exit_code == 0
    assert out.stdout.endswith("\n") and out.stdout.count("\n") == 1
    data = json.loads(out.stdout)
    assert isinstance(data, dict)
    return data


def test_stop_sends_the_exact_block_once_not_the_garbled_stream(
    tmp_path: Path, make_ctx: MakeCtx, fake: FakeDaemon
) -> None:
    payload = stop_payload(sample_chat(tmp_path / "chat.jsonl"))
    for _ in range(2):  # the CLI ran the hook twice
        out = hook(make_ctx("stop", payload))
        assert list(out) == ["systemMessage"]  # the draft block before the tool call
        assert "2 <myco> blocks in this turn" in out["systemMessage"]
    assert fake.lines() == ["start login-form", "need BACK.auth-api"]
    assert fake.posts[0]["id"] == fake.posts[1]["id"]
    assert fake.posts[0]["session"] == "GEM"


def test_stop_without_a_readable_record_says_so_and_sends_nothing(
    make_ctx: MakeCtx, fake: FakeDaemon
) -> None:
    out = hook(make_ctx("stop", stop_payload(None)))
    assert out == {"systemMessage": UNREADABLE.format(path="no transcript_path")}
    assert fake.posts == []
    assert hook(make_ctx("stop", stop_payload(None, prompt_response="no block"))) == {}


def test_stop_with_the_daemon_down_queues_and_tells_the_human(
    tmp_path: Path, make_ctx: MakeCtx, fake: FakeDaemon
) -> None:
    payload = stop_payload(sample_chat(tmp_path / "chat.jsonl"))
    out = hook(make_ctx("stop", payload, MYCO_URL=f"http://127.0.0.1:{free_port()}"))
    assert "kept in the local outbox" in out["systemMessage"]
    assert hook(make_ctx("prompt", {"prompt": "next"}))["hookSpecificOutput"]
    assert fake.lines() == ["start login-form", "need BACK.auth-api"]


def test_enforcement_denies_a_blockless_edit_once(
    tmp_path: Path, make_ctx: MakeCtx, fake: FakeDaemon
) -> None:
    call = {"id": "c", "name": "replace", "args": {}}
    path = write_chat(
        tmp_path / "chat.jsonl",
        user("u-1", {"text": "edit"}),
        gemini("g-1", "Edited.", toolCalls=[call]),
    )
    payload = stop_payload(path, prompt_response="Edited.")
    out = hook(make_ctx("stop", payload, MYCO_REQUIRE_BLOCK="1"))
    assert out == {"decision": "deny", "reason": ENFORCE_REASON}
    retry = {**payload, "stop_hook_active": True}
    assert hook(make_ctx("stop", retry, MYCO_REQUIRE_BLOCK="1")) == {}
    assert hook(make_ctx("stop", payload)) == {}  # not required: never denied


def test_prompt_injects_the_view_as_before_agent_context(
    make_ctx: MakeCtx, fake: FakeDaemon
) -> None:
    out = hook(make_ctx("prompt", {"prompt": "task", "session_id": SID}))
    assert out == {
        "hookSpecificOutput": {"hookEventName": "BeforeAgent", "additionalContext": fake.view}
    }
    down = make_ctx("prompt", {"prompt": "task"}, MYCO_URL=f"http://127.0.0.1:{free_port()}")
    assert hook(down) == {}


def test_session_start_adds_the_directors_role_only(make_ctx: MakeCtx) -> None:
    out = hook(make_ctx("start", {"source": "startup"}, MYCO_SESSION="DIRECTOR"))
    assert out["hookSpecificOutput"] == {
        "hookEventName": "SessionStart",
        "additionalContext": guide_for("DIRECTOR")[1],
    }
    assert hook(make_ctx("start", {"source": "resume"})) == {}
    assert hook(make_ctx("other", {})) == {}


# -- wiring -----------------------------------------------------------------------------


def request(project: Path, **kw: Any) -> LaunchRequest:
    return LaunchRequest(
        session="GEM",
        project_dir=project,
        hook_command=HOOK,
        instructions="# protocol\nEnd with a <myco> block.",
        **kw,
    )


def settle(project: Path, **kw: Any) -> tuple[list[str], dict[str, str], list[str]]:
    """Launch, write the files like the launcher does, and return (argv, files, notes)."""
    plan = ADAPTER.launch(request(project, **kw))
    for path, text in plan.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return plan.argv, {p.name: t for p, t in plan.files.items()}, list(plan.notes)


def test_launch_wires_seven_hooks_and_the_instructions(tmp_path: Path) -> None:
    argv, files, notes = settle(tmp_path)
    assert argv == ["gemini"]
    settings = json.loads(files["settings.json"])
    assert {
        event: [(h["name"], h["command"], h["timeout"]) for g in groups for h in g["hooks"]]
        for event, groups in settings["hooks"].items()
    } == {
        "SessionStart": [("myco-role", "/venv/bin/myco hook gemini start", 10_000)],
        "BeforeAgent": [("myco-view", "/venv/bin/myco hook gemini prompt", 10_000)],
        "AfterAgent": [("myco-capture", "/venv/bin/myco hook gemini stop", 10_000)],
        # lifecycle: liveness (PreCompress fires on every compression check: not wired)
        "Notification": [("myco-notify", "/venv/bin/myco hook gemini notify", 10_000)],
        "SessionEnd": [("myco-end", "/venv/bin/myco hook gemini session-end", 10_000)],
        # edit tracking and leases, on write_file|replace only
        "BeforeTool": [("myco-edit-check", "/venv/bin/myco hook gemini pre-edit", 10_000)],
        "AfterTool": [("myco-edit-report", "/venv/bin/myco hook gemini post-edit", 10_000)],
    }
    assert settings["hooks"]["BeforeTool"][0]["matcher"] == "write_file|replace"
    assert files["GEMINI.md"].startswith("<!-- myco:begin -->")
    assert "End with a <myco> block." in files["GEMINI.md"]
    assert notes and "no --settings flag" in notes[0]
    assert settle(tmp_path)[2] == []  # nothing changes the second time: no note


def test_launch_keeps_the_users_settings_and_instructions(tmp_path: Path) -> None:
    mine = {"hooks": [{"type": "command", "command": "notify-send done"}]}
    stale = {"hooks": [{"type": "command", "command": "/old/bin/myco hook gemini stop"}]}
    settings = tmp_path / ".gemini" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(
        json.dumps({"model": {"name": "gemini-2.5-pro"}, "hooks": {"AfterAgent": [mine, stale]}})
    )
    (tmp_path / "GEMINI.md").write_text("# Rules\nUse tabs.\n")
    _, files, _ = settle(tmp_path)
    data = json.loads(files["settings.json"])
    assert data["model"] == {"name": "gemini-2.5-pro"}
    commands = [h["command"] for g in data["hooks"]["AfterAgent"] for h in g["hooks"]]
    assert commands == ["notify-send done", "/venv/bin/myco hook gemini stop"]
    assert files["GEMINI.md"].startswith("# Rules\nUse tabs.\n\n<!-- myco:begin -->")
    before = {p: p.read_bytes() for p in (settings, tmp_path / "GEMINI.md")}
    settle(tmp_path)
    assert {p: p.read_bytes() for p in before} == before


def test_settings_with_comments_are_kept_or_refused(tmp_path: Path) -> None:
    hooks = ADAPTER.hooks(HOOK)
    wired = merge_hook_settings(None, hooks, owned=" hook gemini ")
    commented = '// my settings\n{"ui": {"theme": "ANSI"}, /* "x": 1, */ "url": "a//b"}\n'
    assert json.loads(strip_json_comments(commented)) == {"ui": {"theme": "ANSI"}, "url": "a//b"}
    with pytest.raises(LaunchError, match="has comments"):
        merge_settings(commented, hooks, " hook gemini ")
    already = "// mine\n" + wired
    assert merge_settings(already, hooks, " hook gemini ") == already
    with pytest.raises(LaunchError, match="not a valid settings file"):
        merge_settings("{not json", hooks, " hook gemini ")
    with pytest.raises(LaunchError, match="not a valid settings file"):
        merge_settings("[]", hooks, " hook gemini ")


def test_resume_and_headless_command_lines(tmp_path: Path) -> None:
    assert settle(tmp_path, resume="", args=["-m", "x"])[0] == [
        "gemini",
        "--resume",
        "latest",
        "-m",
        "x",
    ]
    assert settle(tmp_path, resume=SID)[0] == ["gemini", "--resume", SID]
    req = request(tmp_path, args=["--approval-mode", "yolo"])
    run = ADAPTER.headless(req, "-do it", "")
    assert run.argv[:2] == ["gemini", "--session-id"] and run.argv[2] == run.conversation
    assert run.argv[3:] == [
        "--skip-trust",
        "--output-format",
        "json",
        "--approval-mode",
        "yolo",
        "--prompt=-do it",
    ]
    again = ADAPTER.headless(req, "next", run.conversation)
    assert again.argv[:3] == ["gemini", "--resume", run.conversation]
    assert ADAPTER.conversation_from_output(json.dumps({"session_id": "s2"}), run) == "s2"
    assert ADAPTER.conversation_from_output("not json", run) == run.conversation


# -- the plugin -------------------------------------------------------------------------


def test_the_plugin_registers_the_adapter() -> None:
    assert isinstance(ADAPTER, Adapter)
    assert adapters_of(myco_gemini) == {"gemini": ADAPTER}  # the hook path's way
    from myco.plugins import Hooks, make_plugin_manager

    pm = make_plugin_manager(load_entrypoints=False, extra=[myco_gemini])
    assert Hooks(pm).register_adapters().get("gemini") is ADAPTER


def test_the_hook_imports_no_heavy_modules(tmp_path: Path) -> None:
    """What ``myco hook gemini stop`` imports beyond the core (which finds entry points)."""
    probe = (
        "import sys, json\n"
        f"sys.path.insert(0, {str(PLUGIN_SRC)!r})\n"
        "import importlib.metadata\n"
        "from myco.agent_hooks.main import main\n"
        "from myco.agent_hooks.resolve import adapters_of\n"
        "import myco_gemini\n"
        "assert adapters_of(myco_gemini)['gemini'] is myco_gemini.ADAPTER\n"
        "assert not hasattr(myco_gemini.register_adapters, 'myco_impl')\n"
        "ctx_env = {'MYCO_URL': sys.argv[2], 'MYCO_STATE_DIR': sys.argv[3]}\n"
        "from myco.agent_hooks.runtime import HookContext\n"
        "out = myco_gemini.ADAPTER.hook(HookContext.from_environ(\n"
        "    'gemini', 'stop', json.loads(sys.argv[1]), ctx_env))\n"
        "heavy = {'pluggy', 'attrs', 'aiohttp', 'cattrs', 'structlog', 'argparse',\n"
        "         'urllib.request', 'http.client', 'asyncio', 'myco.launcher'}\n"
        "print(sorted(heavy & set(sys.modules)), file=sys.stderr)\n"
    )
    payload = json.dumps(stop_payload(sample_chat(tmp_path / "chat.jsonl")))
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            probe,
            payload,
            f"http://127.0.0.1:{free_port()}",
            str(tmp_path / "state"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "[]"


def test_lifecycle_events_drive_liveness(myco_daemon: Any, tmp_path: Path) -> None:
    """Notification (ToolPermission) and SessionEnd work as Claude Code's."""
    from myco.testing import AdapterHarness

    gem = AdapterHarness(ADAPTER, myco_daemon, tmp_path / "state", session="GEM")

    def said(event: str, payload: dict[str, Any]) -> dict[str, Any]:
        out = gem.hook(event, payload)
        assert out.stdout.endswith("}\n")  # Gemini reads stdout as one JSON object
        return dict(json.loads(out.stdout))

    assert (
        "# myco view — GEM"
        in said("prompt", {"prompt": "go"})["hookSpecificOutput"]["additionalContext"]
    )
    assert said("notify", {"notification_type": "ToolPermission", "message": "write?"}) == {}
    myco_daemon.post("DIRECTOR", "direct GEM ship it")
    told = said("notify", {"notification_type": "ToolPermission", "message": "run?"})
    assert (
        "DIRECTOR sent it a directive" in told["systemMessage"]
        and "ship it" in told["systemMessage"]
    )  # shown with Gemini's alert
    assert said("session-end", {"reason": "exit"}) == {}
    lines = [e["line"] for e in myco_daemon.events() if e["session"] == "GEM"]
    assert [ln for ln in lines if ln.startswith("live")] == [
        "live awaiting-human",
        "live awaiting-human",
        "live ended",
    ]
