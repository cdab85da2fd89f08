"""``myco run``: idempotent wiring, user content preserved, clear failures."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from myco.adapters import LaunchRequest
from myco.adapters.claude_code.adapter import ADAPTER, SETTINGS_LOCAL
from myco.launcher import (
    MANAGED_BEGIN,
    MANAGED_END,
    MANAGED_NOTE,
    LaunchError,
    managed_block,
    merge_hook_settings,
    myco_command,
)
from tests.agent_hooks.fake_cli import calls, install_fake_cli, path_with
from tests.agent_hooks.fakes import free_port
from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess

HOOKS = ADAPTER.settings(["/abs/myco", "hook", "claude-code"])["hooks"]


def test_managed_block_is_added_replaced_and_stable() -> None:
    user = "# My project\n\nOur rules.\n"
    first = managed_block(user, "guide v1")
    assert first.startswith(user) and first.count(MANAGED_BEGIN) == 1
    assert managed_block(first, "guide v1") == first
    edited = first + "\nMore of my own notes.\n"
    second = managed_block(edited, "guide v2")
    assert "guide v2" in second and "guide v1" not in second
    assert second.startswith(user) and second.endswith("More of my own notes.\n")
    assert managed_block(None, "g") == f"{MANAGED_BEGIN}\n{MANAGED_NOTE}\ng\n{MANAGED_END}\n"


def test_hook_settings_merge_keeps_the_users_hooks_and_is_idempotent() -> None:
    mine = {
        "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]},
        "model": "opus",
    }
    text = json.dumps(mine, indent=4)
    merged = merge_hook_settings(text, HOOKS, owned=" hook claude-code ")
    data = json.loads(merged)
    assert data["model"] == "opus"
    assert data["hooks"]["Stop"][0]["hooks"][0]["command"] == "notify-send done"
    assert "/abs/myco hook claude-code stop" in data["hooks"]["Stop"][1]["hooks"][0]["command"]
    assert merge_hook_settings(merged, HOOKS, owned=" hook claude-code ") == merged
    moved = ADAPTER.settings(["/new/myco", "hook", "claude-code"])["hooks"]
    again = json.loads(merge_hook_settings(merged, moved, owned=" hook claude-code "))
    commands = [h["command"] for g in again["hooks"]["Stop"] for h in g["hooks"]]
    assert commands == ["notify-send done", "/new/myco hook claude-code stop"]


def test_hook_settings_merge_refuses_to_clobber_broken_json() -> None:
    with pytest.raises(LaunchError, match="not valid JSON"):
        merge_hook_settings("{oops", HOOKS, owned=" hook claude-code ")


def request(tmp_path: Path, **kw: object) -> LaunchRequest:
    base = dict(
        session="FRONT",
        project_dir=tmp_path,
        hook_command=["/abs/myco", "hook", "claude-code"],
        instructions="GUIDE",
    )
    return LaunchRequest(**{**base, **kw})  # type: ignore[arg-type]


def test_claude_launch_passes_settings_on_the_command_line(tmp_path: Path) -> None:
    plan = ADAPTER.launch(request(tmp_path, resume="abc", args=["--model", "sonnet"]))
    assert plan.argv[:2] == ["claude", "--settings"]
    settings = json.loads(plan.argv[2])
    assert settings["hooks"]["UserPromptSubmit"][0]["hooks"][0]["command"] == (
        "/abs/myco hook claude-code prompt"
    )
    assert plan.argv[3:] == ["--resume", "abc", "--model", "sonnet"]
    assert list(plan.files) == [tmp_path / "CLAUDE.md"]
    assert "GUIDE" in plan.files[tmp_path / "CLAUDE.md"]


def test_claude_launch_local_wiring_and_director_role(tmp_path: Path) -> None:
    plan = ADAPTER.launch(request(tmp_path, wire="local", role="YOU DIRECT", resume=""))
    assert "--settings" not in plan.argv
    assert plan.argv[1:] == ["--append-system-prompt", "YOU DIRECT", "--resume"]
    local = json.loads(plan.files[tmp_path / SETTINGS_LOCAL])
    assert set(local["hooks"]) == {
        "UserPromptSubmit",
        "Stop",
        "SessionStart",
        "Notification",
        "SessionEnd",
        "PreToolUse",
        "PostToolUse",
    }
    pre = local["hooks"]["PreToolUse"][0]
    assert pre["matcher"] == "Edit|MultiEdit|NotebookEdit|Write"  # write tools only
    assert pre["hooks"][0]["command"].endswith("hook claude-code pre-edit")


def test_headless_starts_then_resumes_a_conversation(tmp_path: Path) -> None:
    first = ADAPTER.headless(request(tmp_path), "-do this", "")
    assert first.argv[first.argv.index("--session-id") + 1] == first.conversation
    assert first.argv[-2:] == ["--", "-do this"] and "-p" in first.argv
    later = ADAPTER.headless(request(tmp_path), "next", first.conversation)
    assert later.argv[later.argv.index("--resume") + 1] == first.conversation
    out = json.dumps({"session_id": "other"})
    assert ADAPTER.conversation_from_output(out, later) == "other"
    assert ADAPTER.conversation_from_output("garbage", later) == first.conversation


# -- the command, as a process ------------------------------------------------------
def myco(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*myco_command(), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )


@pytest.fixture(scope="module")
def daemon_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with DaemonProcess(tmp_path_factory.mktemp("run") / "data", "--quiet") as d:
        yield d.url


@pytest.fixture
def cli_env(tmp_path: Path, daemon_url: str) -> dict[str, str]:
    bindir = tmp_path / "bin"
    install_fake_cli(bindir)
    return {
        "PATH": path_with(bindir),
        "MYCO_URL": daemon_url,
        "MYCO_TOKEN": TOKEN,
        "MYCO_STATE_DIR": str(tmp_path / "state"),
    }


@pytest.mark.slow
def test_run_twice_execs_the_cli_and_changes_nothing_the_second_time(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    project = tmp_path / "proj"
    (project / ".claude").mkdir(parents=True)
    (project / "CLAUDE.md").write_text("# Ours\nKeep this.\n")
    user_settings = '{"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "x"}]}]}}'
    (project / SETTINGS_LOCAL).write_text(user_settings)
    snapshots = []
    for _ in range(2):
        out = myco(
            "run", "front", str(project), "--wire", "local", "--", "--model", "m", env=cli_env
        )
        assert out.returncode == 0, out.stderr
        snapshots.append(
            {p.name: p.read_bytes() for p in (project / "CLAUDE.md", project / SETTINGS_LOCAL)}
        )
    assert snapshots[0] == snapshots[1]
    assert snapshots[0]["CLAUDE.md"].startswith(b"# Ours\nKeep this.\n")
    local = json.loads(snapshots[0]["settings.local.json"])
    assert local["hooks"]["Stop"][0]["hooks"][0]["command"] == "x"
    first, second = calls(Path(cli_env["PATH"].split(os.pathsep)[0]) / "claude.calls.jsonl")
    assert first["argv"] == ["--model", "m"] == second["argv"]
    assert first["cwd"] == str(project.resolve())
    assert first["env"]["MYCO_SESSION"] == "FRONT"
    assert first["env"]["MYCO_URL"] == cli_env["MYCO_URL"]
    assert first["env"]["MYCO_TOKEN"] == TOKEN
    # The hooks learn adapters and verbs from the plugin cache `myco run` writes (no
    # MYCO_VERBS): it holds what the daemon's plugin manager registers.
    assert "MYCO_VERBS" not in first["env"]
    (cache,) = (Path(cli_env["MYCO_STATE_DIR"]) / "plugins").glob("*.json")
    resolution = json.loads(cache.read_text())
    assert {"start", "review"} <= set(resolution["verbs"])
    assert resolution["adapters"]["claude-code"][1] == "myco.adapters.claude_code.adapter"


@pytest.mark.slow
def test_run_fails_clearly_without_the_cli_or_the_daemon(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    no_cli = myco("run", "front", str(tmp_path), env={**cli_env, "PATH": "/nonexistent"})
    assert no_cli.returncode == 1
    assert no_cli.stderr.strip().splitlines() == [
        "myco: 'claude' (the claude-code CLI) is not installed or not on PATH; "
        "install it with `npm install -g @anthropic-ai/claude-code`"
    ]
    down = {**cli_env, "MYCO_URL": f"http://127.0.0.1:{free_port()}"}
    refused = myco("run", "front", str(tmp_path), env=down)
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert "cannot reach the myco daemon" in refused.stderr and "--offline" in refused.stderr
    offline = myco("run", "front", str(tmp_path), "--offline", env=down)
    assert offline.returncode == 0, offline.stderr
    tokenless = myco("run", "front", str(tmp_path), env={**cli_env, "MYCO_TOKEN": ""})
    assert tokenless.returncode == 1 and "needs a token: export MYCO_TOKEN" in tokenless.stderr
    bad = myco("run", "../x", str(tmp_path), env=cli_env)
    assert bad.returncode == 1 and "invalid session name" in bad.stderr


@pytest.mark.slow
def test_dry_run_prints_the_plan_and_writes_nothing(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    out = myco("run", "director", str(tmp_path), "--dry-run", "--", "-p", "hi", env=cli_env)
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    assert plan["would_write"] == [str(tmp_path.resolve() / "CLAUDE.md")]
    assert plan["argv"][-2:] == ["-p", "hi"] and "--append-system-prompt" in plan["argv"]
    assert "MYCO_TOKEN" not in plan["env"]
    assert not (tmp_path / "CLAUDE.md").exists()


@pytest.mark.slow
def test_dry_run_plans_even_without_the_cli_or_the_daemon(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    """A new user checks what `myco run` would do before installing anything."""
    env = {**cli_env, "PATH": "/nonexistent", "MYCO_URL": f"127.0.0.1:{free_port()}"}
    out = myco("run", "front", str(tmp_path), "--dry-run", env=env)
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    assert plan["argv"][0] == "claude"  # the bare name: it is not on PATH
    assert plan["would_write"] == [str(tmp_path.resolve() / "CLAUDE.md")]
    assert plan["env"]["MYCO_URL"] == "http://" + env["MYCO_URL"]  # scheme-less accepted
    no_cli, down = plan["problems"]  # every problem, in the order a launch meets them
    assert no_cli.startswith("'claude' (the claude-code CLI) is not installed")
    assert "npm install -g @anthropic-ai/claude-code" in no_cli
    assert "cannot reach the myco daemon" in down and "`myco serve`" in down
    assert f"[myco] a real launch would stop here: {no_cli}" in out.stderr
    assert not (tmp_path / "CLAUDE.md").exists()
    offline = myco("run", "front", str(tmp_path), "--dry-run", "--offline", env=env)
    assert json.loads(offline.stdout)["problems"] == [no_cli]  # --offline: no daemon needed
    ready = json.loads(myco("run", "front", str(tmp_path), "--dry-run", env=cli_env).stdout)
    assert ready["problems"] == []


@pytest.mark.slow
def test_an_adapter_from_a_plugin_that_is_missing_says_how_to_install_it(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    # as if myco-gemini (and myco-mcp, which adds opencode) were not installed
    env = {**cli_env, "MYCO_DISABLE_PLUGINS": "gemini,mcp"}
    out = myco("run", "front", str(tmp_path), "--agent", "gemini", "--dry-run", env=env)
    assert out.returncode == 1
    assert out.stderr.strip() == (
        "myco: no agent adapter named 'gemini' (installed: aider, claude-code, codex); "
        "install its plugin with `pip install myco-gemini`"
    )
    other = myco("run", "front", str(tmp_path), "--agent", "cursor", env=env)
    assert other.returncode == 1 and "adapters for other agent CLIs come as plugins" in other.stderr
