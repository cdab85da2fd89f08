"""The OpenCode adapter of myco-mcp: MCP wiring without clobbering the user's config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import myco_mcp
import pytest
from myco_mcp.opencode import (
    ADAPTER,
    CONFIG_DIR_ENV,
    CONFIG_ENV,
    MCP_GUIDE,
    PLUGIN_FILE,
    PLUGIN_LOCK,
    plugin_source,
)

from myco.adapters import Adapter, HeadlessRun, LaunchRequest
from myco.launcher import LaunchError, write_files
from myco.plugins import Hooks, make_plugin_manager


def request(project: Path, **kw: Any) -> LaunchRequest:
    return LaunchRequest(
        session="OPEN",
        project_dir=project,
        hook_command=["myco", "hook", "opencode"],
        instructions="# protocol\nEnd with a <myco> block.",
        **kw,
    )


@pytest.fixture(autouse=True)
def daemon_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MYCO_URL", "http://127.0.0.1:8123")
    monkeypatch.setenv("MYCO_TOKEN", "myco-secret-token")
    monkeypatch.setenv("MYCO_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    monkeypatch.delenv(CONFIG_DIR_ENV, raising=False)


def project_files(plan: Any, project: Path) -> set[Path]:
    return {p for p in plan.files if project in p.parents and "state" not in p.parts}


def test_the_plugin_registers_the_adapter() -> None:
    assert isinstance(ADAPTER, Adapter)
    pm = make_plugin_manager(load_entrypoints=False, extra=[myco_mcp])
    assert Hooks(pm).register_adapters().get("opencode") is ADAPTER


def test_launch_adds_the_mcp_server_through_the_environment_only(tmp_path: Path) -> None:
    plan = ADAPTER.launch(request(tmp_path))
    assert plan.argv == ["opencode"]
    config = json.loads(plan.env[CONFIG_ENV])
    assert config == {
        "mcp": {
            "myco": {
                "type": "remote",
                "url": "http://127.0.0.1:8123/mcp",
                "headers": {
                    "Authorization": "Bearer myco-secret-token",
                    "X-Myco-Session": "OPEN",
                },
                "oauth": False,
                "enabled": True,
            }
        }
    }
    # no config file of the user's is touched: the plugin has a config directory of its own
    assert project_files(plan, tmp_path) == {tmp_path / "AGENTS.md"}
    other = ADAPTER.launch(request(tmp_path, url="http://127.0.0.1:9999"))  # myco run --url
    assert json.loads(other.env[CONFIG_ENV])["mcp"]["myco"]["url"] == "http://127.0.0.1:9999/mcp"


def test_an_existing_config_in_the_environment_is_extended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = {"model": "x/y", "mcp": {"other": {"type": "local", "command": ["srv"]}}}
    monkeypatch.setenv(CONFIG_ENV, json.dumps(mine))
    config = json.loads(ADAPTER.launch(request(tmp_path)).env[CONFIG_ENV])
    assert config["model"] == "x/y"
    assert set(config["mcp"]) == {"other", "myco"}


def test_wire_local_merges_the_project_config_and_keeps_the_rest(tmp_path: Path) -> None:
    local = tmp_path / "opencode.json"
    local.write_text(json.dumps({"theme": "dark", "mcp": {"other": {"type": "remote"}}}))
    plan = ADAPTER.launch(request(tmp_path, wire="local"))
    assert set(plan.env) == {CONFIG_DIR_ENV}
    write_files(plan.files)
    config = json.loads(local.read_text())
    assert config["theme"] == "dark" and set(config["mcp"]) == {"other", "myco"}
    # a project file may be committed: the token stays in the environment
    assert config["mcp"]["myco"]["headers"]["Authorization"] == "Bearer {env:MYCO_TOKEN}"
    assert "myco-secret-token" not in local.read_text()
    again = ADAPTER.launch(request(tmp_path, wire="local"))
    assert again.files[local] == local.read_text()  # running twice changes nothing


def test_a_broken_project_config_is_refused_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "opencode.json").write_text("{not json")
    with pytest.raises(LaunchError, match="not valid JSON"):
        ADAPTER.launch(request(tmp_path, wire="local"))
    assert (tmp_path / "opencode.json").read_text() == "{not json"


def test_the_guide_goes_to_agents_md_beside_the_users_text(tmp_path: Path) -> None:
    (tmp_path / "AGENTS.md").write_text("# My project\nUse tabs.\n")
    write_files(ADAPTER.launch(request(tmp_path, role="You are DIRECTOR.")).files)
    text = (tmp_path / "AGENTS.md").read_text()
    assert text.startswith("# My project\nUse tabs.\n")
    assert "# protocol" in text and MCP_GUIDE.strip() in text and "You are DIRECTOR." in text


def test_resume_headless_and_the_conversation_id(tmp_path: Path) -> None:
    assert ADAPTER.launch(request(tmp_path, resume="")).argv == ["opencode", "--continue"]
    assert ADAPTER.launch(request(tmp_path, resume="ses_1")).argv == [
        "opencode",
        "--session",
        "ses_1",
    ]
    run = ADAPTER.headless(request(tmp_path), "do it", "ses_2")
    assert run.argv == ["opencode", "run", "--format", "json", "--session", "ses_2", "do it"]
    out = '{"type":"step_start","part":{"sessionID":"ses_9"}}\n'
    assert ADAPTER.conversation_from_output(out, HeadlessRun([], "")) == "ses_9"
    assert ADAPTER.conversation_from_output("noise\n", HeadlessRun([], "ses_2")) == "ses_2"


def test_the_plugin_goes_to_a_config_directory_of_myco_s_own(tmp_path: Path) -> None:
    plan = ADAPTER.launch(request(tmp_path))
    here = Path(plan.env[CONFIG_DIR_ENV])
    assert (tmp_path / "state") in here.parents and here.name == "OPEN"
    source = plan.files[here / "plugins" / PLUGIN_FILE]
    assert 'const HOOK = ["myco","hook","opencode"];' in source
    assert "experimental.chat.system.transform" in source and "__HOOK__" not in source
    # what OpenCode would otherwise try to install into the directory (offline: a stall)
    assert plan.files[here / "package-lock.json"] == PLUGIN_LOCK
    assert here / "node_modules" / ".myco" in plan.files


def test_a_users_config_directory_gets_only_the_plugin_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = tmp_path / "my-opencode"
    monkeypatch.setenv(CONFIG_DIR_ENV, str(mine))
    plan = ADAPTER.launch(request(tmp_path))
    assert CONFIG_DIR_ENV not in plan.env  # the user's choice stands
    assert [p for p in plan.files if mine in p.parents] == [mine / "plugins" / PLUGIN_FILE]


def test_the_plugins_hook_calls_give_the_view_and_post_the_block(tmp_path: Path) -> None:
    from myco.testing import AdapterHarness, DaemonProcess

    with DaemonProcess(tmp_path / "data", "--quiet") as daemon:
        daemon.post("DIRECTOR", "direct OPEN ship it")
        opencode = AdapterHarness(ADAPTER, daemon, tmp_path / "hook-state", session="OPEN")
        out = json.loads(opencode.hook("prompt", {"cwd": str(tmp_path)}).stdout)
        assert "# myco view — OPEN" in out["view"] and "ship it" in out["view"]
        text = "Shipping.\n<myco>\nstart ship\n</myco>"
        for _ in range(2):  # OpenCode may report a part twice: posted once
            opencode.hook("text", {"cwd": str(tmp_path), "text": text, "turn_id": "prt_1"})
        lines = [e["line"] for e in daemon.events() if e["session"] == "OPEN"]
        assert lines == ["start ship"]


DRIVER = """\
const { MycoPlugin } = await import(process.argv[2]);
const hooks = await MycoPlugin({ directory: "/project" });
const out = { system: [] };
await hooks["experimental.chat.system.transform"]({ sessionID: "s1" }, out);
await hooks["experimental.text.complete"]({ partID: "p1" }, { text: "ok <myco>say x</myco>" });
console.log(JSON.stringify(out.system));
"""


@pytest.mark.parametrize("started_by_myco", [True, False])
def test_the_plugin_runs_the_hook_only_in_sessions_myco_started(
    tmp_path: Path, started_by_myco: bool
) -> None:
    """A user's own OPENCODE_CONFIG_DIR keeps the file: other sessions must not post."""
    import os
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    # a stand-in for `myco hook opencode EVENT`: records its payload, answers a view
    script = f'cat > {tmp_path}/$1.json; printf \'{{"view":"VIEW-%s"}}\' "$1"'
    plugin = tmp_path / "myco.mjs"
    plugin.write_text(plugin_source(["/bin/sh", "-c", script, "sh"]))
    (tmp_path / "driver.mjs").write_text(DRIVER)
    env = {k: v for k, v in os.environ.items() if k != "MYCO_SESSION"}
    if started_by_myco:
        env["MYCO_SESSION"] = "FRONT"
    run = subprocess.run(
        [node, str(tmp_path / "driver.mjs"), str(plugin)],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=True,
    )
    if started_by_myco:
        assert json.loads(run.stdout) == ["VIEW-prompt"]
        assert json.loads((tmp_path / "text.json").read_text())["text"].endswith("</myco>")
    else:
        assert json.loads(run.stdout) == []
        assert not (tmp_path / "prompt.json").exists() and not (tmp_path / "text.json").exists()
