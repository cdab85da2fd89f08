"""The Codex adapter without Codex: rollout reading, hook answers, trust pins, launch plans."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from myco.adapters import LaunchRequest
from myco.adapters.codex import trust
from myco.adapters.codex.adapter import BYPASS, Codex, read_turn, toml_inline
from myco.agent_hooks.runtime import HookContext
from myco.launcher import myco_command
from tests.agent_hooks.conftest import TOKEN
from tests.agent_hooks.fakes import FakeDaemon, free_port

TURN = "turn-2"


def record(kind: str, payload: dict[str, Any]) -> str:
    return json.dumps({"timestamp": "t", "type": kind, "payload": payload})


def message(role: str, text: str, turn: str = TURN) -> str:
    kind = "output_text" if role == "assistant" else "input_text"
    return record(
        "response_item",
        {
            "type": "message",
            "role": role,
            "content": [{"type": kind, "text": text}],
            "internal_chat_message_metadata_passthrough": {"turn_id": turn},
        },
    )


def rollout(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "rollout.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def started(turn: str) -> str:
    return record("event_msg", {"type": "task_started", "turn_id": turn})


def test_the_turn_holds_the_block_written_before_a_tool_call(tmp_path: Path) -> None:
    path = rollout(
        tmp_path,
        started("turn-1"),
        message("user", "one", "turn-1"),
        message("assistant", "<myco>\nstart old\n</myco>", "turn-1"),
        started(TURN),
        message("user", "two"),
        message("assistant", "Looking.\n<myco>\nstart pre-tool\n</myco>"),
        record(
            "response_item",
            {"type": "function_call", "name": "exec_command", "arguments": "{}", "call_id": "c1"},
        ),
        record(
            "response_item",
            {
                "type": "custom_tool_call",
                "name": "apply_patch",
                "input": "*** Begin Patch",
                "call_id": "c2",
            },
        ),
        message("assistant", "Done."),
    )
    texts, changed = read_turn(path, TURN)
    assert texts == ["Looking.\n<myco>\nstart pre-tool\n</myco>", "Done."]
    assert changed


def test_a_rollout_that_is_behind_yields_nothing_of_the_older_turn(tmp_path: Path) -> None:
    path = rollout(
        tmp_path,
        started("turn-1"),
        message("user", "one", "turn-1"),
        message("assistant", "<myco>\nstart old\n</myco>", "turn-1"),
    )
    assert read_turn(path, TURN) == ([], False)
    bare = rollout(
        tmp_path,
        started("turn-1"),
        record(
            "response_item",
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "x"}],
            },
        ),
    )
    assert read_turn(bare, TURN) == ([], False)  # no per-record turn ids: task_started decides
    assert read_turn(str(tmp_path / "missing.jsonl"), TURN) == ([], False)


def ctx(event: str, payload: dict[str, Any], fake: FakeDaemon, tmp_path: Path) -> HookContext:
    return HookContext.from_environ(
        "codex",
        event,
        payload,
        {
            "MYCO_URL": fake.url,
            "MYCO_TOKEN": TOKEN,
            "MYCO_SESSION": "back",
            "MYCO_STATE_DIR": str(tmp_path / "state"),
        },
    )


def test_stop_posts_the_last_block_of_the_turn_once(fake: FakeDaemon, tmp_path: Path) -> None:
    path = rollout(
        tmp_path,
        started(TURN),
        message("user", "go"),
        message("assistant", "<myco>\nstart pre-tool\n</myco>"),
    )
    payload = {
        "session_id": "s",
        "turn_id": TURN,
        "transcript_path": path,
        "hook_event_name": "Stop",
        "stop_hook_active": False,
        "last_assistant_message": "Done, no block.",
    }
    for _ in range(2):  # a Stop hook registered twice: one copy stored
        out = Codex().hook(ctx("stop", payload, fake, tmp_path))
        assert out.exit_code == 0 and out.stdout == ""
    assert fake.lines() == ["start pre-tool"]
    assert fake.posts[0]["session"] == "BACK"


def test_prompt_answers_with_the_view_as_additional_context(
    fake: FakeDaemon, tmp_path: Path
) -> None:
    out = Codex().hook(ctx("prompt", {"prompt": "hi", "turn_id": TURN}, fake, tmp_path))
    answer = json.loads(out.stdout)
    assert answer["hookSpecificOutput"] == {
        "hookEventName": "UserPromptSubmit",
        "additionalContext": fake.view,
    }


def test_the_hook_process_is_harmless_with_the_daemon_down(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "MYCO_URL": f"http://127.0.0.1:{free_port()}",
        "MYCO_TOKEN": TOKEN,
        "MYCO_STATE_DIR": str(tmp_path / "state"),
    }
    for event, payload in (
        ("prompt", {"prompt": "x"}),
        ("stop", {"turn_id": "t", "last_assistant_message": "<myco>\nsay x\n</myco>"}),
    ):
        proc = subprocess.run(
            [*myco_command(), "hook", "codex", event],
            text=True,
            input=json.dumps(payload),
            capture_output=True,
            env=env,
            timeout=10,
        )
        assert proc.returncode == 0
        assert proc.stdout == "" or isinstance(json.loads(proc.stdout), dict)


# -- trust ----------------------------------------------------------------------------
def test_the_hash_is_the_one_codex_reported() -> None:
    # `codex app-server` hooks/list, Codex 0.169.0, for these exact handlers
    assert trust.handler_hash("UserPromptSubmit", {"command": "/tmp/cx/hook.sh prompt"}) == (
        "sha256:d4c34b185aba57bd9cbf99bc3fa713c627f7064927c85beb9ba1aeafbfabaaed"
    )
    assert trust.handler_hash("Stop", {"command": "/tmp/cx/hook.sh stop"}) == (
        "sha256:7341c6b4b20acac90abd3d845899df1ac9fcd33f1e0d44a7af5d7f5e3a536e0c"
    )


def test_pins_are_keyed_by_source_event_and_position() -> None:
    hooks = {
        "Stop": [
            {"hooks": [{"type": "command", "command": "user-thing"}]},
            {"hooks": [{"type": "command", "command": "myco hook codex stop"}]},
        ]
    }
    assert list(trust.pins("/p/.codex/hooks.json", hooks, owned=" hook codex ")) == [
        "/p/.codex/hooks.json:stop:1:0"
    ]


USER_CONFIG = 'model = "o3"\n\n[projects."/src/app"]\ntrust_level = "trusted"\n'
PINS = {
    f"{trust.SESSION_FLAGS}:stop:0:0": "sha256:aa",
    f"{trust.SESSION_FLAGS}:user_prompt_submit:0:0": "sha256:bb",
}


def test_pins_go_in_a_marked_region_and_a_second_pass_changes_nothing() -> None:
    first = trust.pin_config(USER_CONFIG, PINS)
    assert first is not None and first.startswith(USER_CONFIG)
    assert first.count("trusted_hash") == 2 and trust.REGION_BEGIN in first
    assert trust.pin_config(first, PINS) == first
    assert trust.pin_config(None, PINS) == first[len(USER_CONFIG) + 1 :]


def test_a_new_hash_replaces_the_old_and_other_pins_are_kept() -> None:
    other = {"/p/.codex/hooks.json:stop:0:0": "sha256:cc"}
    text = trust.pin_config(trust.pin_config(USER_CONFIG, other), PINS)
    assert text is not None and "sha256:cc" in text
    changed = trust.pin_config(text, {f"{trust.SESSION_FLAGS}:stop:0:0": "sha256:dd"})
    assert changed is not None
    assert "sha256:dd" in changed and "sha256:aa" not in changed and "sha256:cc" in changed


def test_a_pin_the_user_already_has_is_updated_in_place_not_duplicated() -> None:
    key = f"{trust.SESSION_FLAGS}:stop:0:0"
    mine = USER_CONFIG + f'\n[hooks.state."{key}"]\ntrusted_hash = "sha256:old"\n'
    text = trust.pin_config(mine, {key: "sha256:aa"})
    assert text is not None
    assert text.count(f'[hooks.state."{key}"]') == 1
    assert 'trusted_hash = "sha256:aa"' in text and trust.REGION_BEGIN not in text


@pytest.mark.skipif(sys.version_info < (3, 11), reason="needs tomllib to spot broken TOML")
def test_a_config_it_cannot_edit_safely_gets_no_pins() -> None:
    assert trust.pin_config("this is [not toml", PINS) is None


def test_a_project_is_trusted_once_unless_the_user_decided() -> None:
    text = trust.pin_config(USER_CONFIG, PINS, projects=["/src/app", "/src/api"])
    assert text is not None
    assert text.count('[projects."/src/app"]') == 1 and '[projects."/src/api"]' in text


def test_toml_inline_values_parse_back() -> None:
    value = [
        {
            "hooks": [
                {"type": "command", "command": "a 'b' \"c\" \\d", "timeout": 10, "async": False}
            ]
        }
    ]
    assert toml_inline(value).startswith('[{hooks=[{type="command",command=')
    if sys.version_info >= (3, 11):
        import tomllib

        assert tomllib.loads("x=" + toml_inline(value))["x"] == value


# -- launching ------------------------------------------------------------------------
def request(tmp_path: Path, **kw: Any) -> LaunchRequest:
    project = tmp_path / "proj"
    project.mkdir(exist_ok=True)
    return LaunchRequest(
        session="BACK",
        project_dir=project,
        hook_command=["/venv/bin/myco", "hook", "codex"],
        instructions="# guide\n",
        **kw,
    )


@pytest.fixture
def codex_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "codex-home"
    monkeypatch.setenv("CODEX_HOME", str(home))
    return home


def confirm(monkeypatch: pytest.MonkeyPatch, answer: dict[str, str] | None) -> list[Any]:
    calls: list[Any] = []

    def reported(executable: str, cli: list[str], cwd: Path, env: Any) -> dict[str, str] | None:
        calls.append(cli)
        return answer

    monkeypatch.setattr(trust, "reported_hashes", reported)
    return calls


def test_flag_wiring_pins_what_codex_reports_and_needs_no_bypass(
    tmp_path: Path, codex_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = Codex().hooks(["/venv/bin/myco", "hook", "codex"])
    ours = trust.pins(trust.SESSION_FLAGS, hooks)
    theirs = {k: "sha256:from-codex" for k in ours}
    calls = confirm(monkeypatch, theirs)
    plan = Codex().launch(request(tmp_path, args=["--model", "o3"]))
    assert plan.argv[0] == "codex" and plan.argv[-2:] == ["--model", "o3"]
    assert BYPASS not in plan.argv
    flags = [plan.argv[i + 1] for i, a in enumerate(plan.argv) if a == "-c"]
    assert [f.split("=", 1)[0] for f in flags] == [
        "hooks.UserPromptSubmit",
        "hooks.Stop",
        "hooks.SessionStart",
        "hooks.PostCompact",  # lifecycle: liveness and the full view after a compaction
        "hooks.PermissionRequest",
        "hooks.SessionEnd",
        "hooks.PreToolUse",  # edit tracking and leases, on apply_patch only
        "hooks.PostToolUse",
    ]
    assert "/venv/bin/myco hook codex prompt" in flags[0]
    assert "hook codex compacted" in flags[3] and "hook codex notify" in flags[4]
    assert 'matcher="apply_patch"' in flags[6] and "hook codex pre-edit" in flags[6]
    assert calls == [[arg for f in flags for arg in ("-c", f)]]
    config = plan.files[codex_home / "config.toml"]
    assert config.count("sha256:from-codex") == 8  # prompt, stop, 4 lifecycle, 2 tools
    assert plan.files[tmp_path / "proj" / "AGENTS.md"].startswith("<!-- myco:begin -->")


def test_unconfirmed_trust_falls_back_to_the_bypass_flag(
    tmp_path: Path, codex_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    confirm(monkeypatch, None)
    plan = Codex().launch(request(tmp_path))
    assert BYPASS in plan.argv
    assert any("unconfirmed" in note for note in plan.notes)


def test_local_wiring_merges_the_project_hooks_file(
    tmp_path: Path, codex_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    confirm(
        monkeypatch,
        {
            k: v
            for k, v in trust.pins(
                trust.SESSION_FLAGS, Codex().hooks(["/venv/bin/myco", "hook", "codex"])
            ).items()
        },
    )
    req = request(tmp_path, wire="local", resume="")
    local = req.project_dir / ".codex" / "hooks.json"
    local.parent.mkdir()
    local.write_text(
        json.dumps({"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "notify-me"}]}]}})
    )
    plan = Codex().launch(req)
    assert not any(a.startswith("hooks.") for a in plan.argv)
    assert plan.argv[-1] == "resume"
    merged = json.loads(plan.files[local])["hooks"]
    assert merged["Stop"][0]["hooks"][0]["command"] == "notify-me"
    config = plan.files[codex_home / "config.toml"]
    assert f'[hooks.state."{local}:stop:1:0"]' in config
    assert f'[projects."{req.project_dir}"]' in config


def test_headless_runs_exec_json_and_resumes_the_thread(
    tmp_path: Path, codex_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    confirm(monkeypatch, {})
    adapter = Codex()
    run = adapter.headless(request(tmp_path), "-do it", "")
    assert run.argv[-4:] == ["exec", "--json", "--", "-do it"]
    out = '{"type":"thread.started","thread_id":"th-1"}\n{"type":"turn.started"}\n'
    assert adapter.conversation_from_output(out, run) == "th-1"
    again = adapter.headless(request(tmp_path), "next", "th-1")
    assert again.argv[-5:] == ["--json", "resume", "th-1", "--", "next"]
    assert adapter.conversation_from_output("not json", again) == "th-1"


def test_the_codex_hook_path_stays_light(tmp_path: Path) -> None:
    probe = (
        "import io, json, sys\n"
        "from myco.cli import main\n"
        "sys.stdin = io.TextIOWrapper(io.BytesIO(sys.argv[1].encode()))\n"
        "main(['hook', 'codex', 'stop'])\n"
        "heavy = {'pluggy', 'attrs', 'aiohttp', 'argparse', 'urllib.request', 'http.client',\n"
        "         'importlib.metadata', 'asyncio', 'subprocess', 'myco.adapters.codex.trust',\n"
        "         'myco.launcher'}\n"
        "print(sorted(heavy & set(sys.modules)), file=sys.stderr)\n"
    )
    payload = json.dumps({"turn_id": "t", "last_assistant_message": "<myco>\nsay x\n</myco>"})
    proc = subprocess.run(
        [sys.executable, "-c", probe, payload],
        capture_output=True,
        text=True,
        timeout=10,
        env={
            **os.environ,
            "MYCO_TOKEN": TOKEN,
            "MYCO_STATE_DIR": str(tmp_path / "state"),
            "MYCO_URL": f"http://127.0.0.1:{free_port()}",
        },
    )
    assert proc.stderr.strip().splitlines()[-1] == "[]"


def test_local_wiring_unconfirmed_still_writes_the_pins_and_bypasses_this_run(
    tmp_path: Path, codex_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    confirm(monkeypatch, None)
    req = request(tmp_path, wire="local")
    plan = Codex().launch(req)
    assert BYPASS in plan.argv
    assert req.project_dir / ".codex" / "hooks.json" in plan.files
    assert "trusted_hash" in plan.files[codex_home / "config.toml"]
