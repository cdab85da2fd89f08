"""``myco hook`` as a process honours the daemon's plugin selection, with or without a cache.

The cache is what ``myco run`` (or the hook's own background refresh) leaves behind:
``python -m myco.agent_hooks.plugin_cache`` writes it the same way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from myco.launcher import myco_command
from tests.agent_hooks.fakes import free_port
from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess, call

pytestmark = pytest.mark.slow
CLAUDE_PLUGIN = "myco.adapters.claude_code.plugin"


def hook(agent: str, event: str, payload: object, env: dict[str, str]) -> str:
    """Run ``myco hook AGENT EVENT``; asserts it exits 0 and returns its stdout."""
    proc = subprocess.run(
        [*myco_command(), "hook", agent, event],
        input=json.dumps(payload),
        text=True,
        capture_output=True,
        env=env,
        timeout=10,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def write_cache(env: dict[str, str]) -> Path:
    """What ``myco run`` writes before the first turn (synchronously)."""
    subprocess.run(
        [sys.executable, "-m", "myco.agent_hooks.plugin_cache"], env=env, check=True, timeout=30
    )
    files = list((Path(env["MYCO_STATE_DIR"]) / "plugins").glob("*.json"))
    assert len(files) == 1
    return files[0]


def wait_for_refresh(
    state: Path, site: Path | None = None, timeout: float = 20.0
) -> dict[str, Any]:
    """The cache the hook's background refresh writes (polling with a deadline).

    With *site*, wait for a cache computed after *site* last changed.
    """
    deadline = time.monotonic() + timeout
    plugins = state / "plugins"
    while time.monotonic() < deadline:
        done = not list(plugins.glob("*.refreshing"))
        files = list(plugins.glob("*.json"))
        if done and files:
            data: dict[str, Any] = json.loads(files[0].read_text())
            seen = data["fingerprint"]["mtimes"].get(str(site))
            if site is None or seen == site.stat().st_mtime_ns:
                return data
        time.sleep(0.05)
    raise TimeoutError("the plugin cache was not written")


def errors(env: dict[str, str]) -> str:
    path = Path(env["MYCO_STATE_DIR"]) / "hook-errors.log"
    return path.read_text() if path.exists() else ""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MYCO_")}
    return {
        **base,
        "MYCO_TOKEN": TOKEN,
        "MYCO_SESSION": "LOADER",
        "MYCO_STATE_DIR": str(tmp_path / "state"),
        "MYCO_URL": f"http://127.0.0.1:{free_port()}",
    }


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real daemon with the installed plugins (the example plugin's ``review`` verb)."""
    with DaemonProcess(tmp_path_factory.mktemp("loaderd") / "data", "--quiet") as d:
        yield d.url


STOP = {"prompt_id": "p1", "stop_hook_active": False, "last_assistant_message": ""}


@pytest.mark.parametrize("cache", ["none", "same selection", "stale"])
def test_a_disabled_built_in_adapter_makes_its_hook_a_no_op(
    env: dict[str, str], cache: str
) -> None:
    disabled = {**env, "MYCO_DISABLE_PLUGINS": CLAUDE_PLUGIN}
    if cache == "same selection":
        write_cache(disabled)
    elif cache == "stale":
        written = json.loads(write_cache(env).read_text())
        assert "claude-code" in written["adapters"]  # the cache knows it, for another selection
    out = hook(
        "claude-code",
        "stop",
        {**STOP, "last_assistant_message": "<myco>\nstart x\n</myco>"},
        disabled,
    )
    assert out == ""
    assert "no adapter named 'claude-code'" in errors(env)
    assert not (Path(env["MYCO_STATE_DIR"]) / "outbox").exists()  # nothing queued either
    control = hook("claude-code", "prompt", {"prompt": "hi"}, env)  # enabled: it answers
    assert control == "" and errors(env).count("no adapter") == 1


@pytest.mark.parametrize("cached", [False, True])
def test_load_plugins_without_gemini_hides_its_adapter_from_hooks(
    env: dict[str, str], cached: bool
) -> None:
    only_review = {**env, "MYCO_LOAD_PLUGINS": "review"}
    if cached:
        write_cache(only_review)
    assert hook("gemini", "stop", {}, only_review) == ""
    assert "no adapter named 'gemini'" in errors(env)
    with_gemini = {**env, "MYCO_LOAD_PLUGINS": "review,gemini"}
    hook("gemini", "stop", {}, with_gemini)
    assert errors(env).count("no adapter named 'gemini'") == 1


def test_a_hand_wired_hook_learns_plugin_verbs_and_captures_them(
    env: dict[str, str], daemon: str
) -> None:
    """No ``myco run``, no ``MYCO_VERBS``: the first hook's refresh teaches the next one."""
    env = {**env, "MYCO_URL": daemon, "MYCO_SESSION": "HANDWIRED"}
    out = hook("claude-code", "prompt", {"prompt": "go"}, env)
    assert "# myco view — HANDWIRED" in json.loads(out)["hookSpecificOutput"]["additionalContext"]
    cache = wait_for_refresh(Path(env["MYCO_STATE_DIR"]))
    assert "review" in cache["verbs"]
    block = "done api\nreview BOB api please look"
    stop = {**STOP, "prompt_id": "hw-1", "last_assistant_message": f"ok\n<myco>\n{block}\n</myco>"}
    hook("claude-code", "stop", stop, env)
    _, events = call(daemon, "GET", "/events", TOKEN)
    mine = [e["line"] for e in events["events"] if e["session"] == "HANDWIRED"]
    # the hooks' own bookkeeping (``seen``, ``live``) goes with them; the block arrives whole
    assert [line for line in mine if line.split()[0] not in ("seen", "live")] == [
        "done api",
        "review BOB api please look",
    ]
    assert mine[0].startswith("seen view rev:") and mine[-1] == "live idle"


FAKE_PLUGIN = """
import json

from myco import VerbSpec, hookimpl
from myco.adapters import HookOutput


class FakeCli:
    name = "fakecli"
    executable = "fakecli"
    instructions_file = "FAKE.md"

    def hook(self, ctx):
        return HookOutput(json.dumps({"event": ctx.event, "verbs": sorted(ctx.env.verbs)}))


ADAPTER = FakeCli()


@hookimpl
def register_adapters(adapters):
    adapters.add(ADAPTER)


@hookimpl
def register_verbs(verbs):
    verbs.add(VerbSpec("wave", lambda state, event: None, "wave at the swarm"))
"""


def install(site: Path, dist: str, entry_points: str, modules: dict[str, str]) -> None:
    """What pip leaves in a site directory: a dist-info with entry points, and modules."""
    info = site / f"{dist}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[myco]\n{entry_points}\n")
    for name, text in modules.items():
        (site / f"{name}.py").write_text(text)


def fake_verbs(env: dict[str, str]) -> list[str]:
    out = json.loads(hook("fakecli", "prompt", {}, env))
    assert out["event"] == "prompt"
    return out["verbs"]  # type: ignore[no-any-return]


def test_an_installed_plugin_is_found_cached_and_a_new_install_seen(
    env: dict[str, str], tmp_path: Path
) -> None:
    site = tmp_path / "site"
    install(site, "fakecli_plugin", "fakecli = fakecli_plugin", {"fakecli_plugin": FAKE_PLUGIN})
    env = {**env, "PYTHONPATH": str(site)}
    state = Path(env["MYCO_STATE_DIR"])
    # no cache: the entry point answers, with the built-in verbs; a refresh starts
    assert "wave" not in fake_verbs(env) and "start" in fake_verbs(env)
    cache = wait_for_refresh(state, site)
    assert cache["adapters"]["fakecli"] == ["fakecli", "fakecli_plugin", "ADAPTER"]
    assert "wave" in fake_verbs(env)  # from the cache: the plugin's verb too
    # another distribution appears in the same site directory: the cache is stale
    install(site, "other_plugin", "other = other_plugin", {"other_plugin": ""})
    assert "wave" not in fake_verbs(env)
    wait_for_refresh(state, site)  # rebuilt for the new installation
    assert "wave" in fake_verbs(env)
    assert errors(env) == ""


def test_a_broken_plugin_leaves_no_cache_and_the_hooks_working(
    env: dict[str, str], tmp_path: Path
) -> None:
    site = tmp_path / "site"
    install(site, "broken_plugin", "broken = broken_plugin", {"broken_plugin": "raise 1 / 0"})
    env = {**env, "PYTHONPATH": str(site)}
    refresh = subprocess.run(
        [sys.executable, "-m", "myco.agent_hooks.plugin_cache"], env=env, timeout=30
    )
    assert refresh.returncode == 1
    assert not list((Path(env["MYCO_STATE_DIR"]) / "plugins").glob("*.json"))
    out = hook(
        "claude-code", "stop", {**STOP, "last_assistant_message": "<myco>\nstart x\n</myco>"}, env
    )
    assert "outbox" in json.loads(out)["systemMessage"]  # daemon down: queued, as always
