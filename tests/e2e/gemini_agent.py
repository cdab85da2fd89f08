"""Gemini CLI sessions for end-to-end tests: the plugin, the pinned CLI, an isolated home.

Installed once and reused across runs: the plugin package goes into the running venv
(editable, ``--no-deps``, like ``tests/test_example_plugin.py``), the CLI into
``$MYCO_E2E_CACHE`` with npm. When npm or the install fails the tests skip with the reason
(``MYCO_FAIL_ON_SKIP=1`` fails them). The fixtures are in :mod:`tests.e2e.gemini_fixtures`.
Recipe: /work/shared/docs/agent-cli-claude-gemini.md §4.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import site
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from myco.launcher import myco_command
from tests.conftest import TOKEN
from tests.e2e.conftest import MycoSession, cli_version, npm_cli

GEMINI_CLI_VERSION = "0.61.0"
PLUGIN = Path(__file__).resolve().parents[2] / "plugins" / "myco-gemini"
TURN_TIMEOUT = 90.0
#: user settings that point the CLI at the fake server and keep it quiet (doc §4.2)
USER_SETTINGS = {
    "security": {"auth": {"selectedType": "gemini-api-key"}},
    "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False},
    "privacy": {"usageStatisticsEnabled": False},
    "telemetry": {"enabled": False},
}

_skip_reason: dict[str, str] = {}


def _installed_from_checkout() -> bool:
    """True when entry point ``gemini`` exists and imports this checkout's package."""
    if not any(ep.name == "gemini" for ep in metadata.entry_points(group="myco")):
        return False
    spec = importlib.util.find_spec("myco_gemini")
    return (
        spec is not None
        and spec.origin is not None
        and Path(spec.origin).resolve().is_relative_to(PLUGIN)
    )


def install_plugin() -> ModuleType:
    """``myco_gemini``, pip-installed (editable) into this venv; a no-op when it already is."""
    if not _installed_from_checkout():
        pip = [sys.executable, "-m", "pip"]
        if subprocess.run([*pip, "--version"], capture_output=True).returncode != 0:
            pytest.skip("pip is not available to install plugins/myco-gemini")
        done = subprocess.run(
            [
                *pip,
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "-e",
                str(PLUGIN),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"pip install failed:\n{done.stdout}\n{done.stderr}"
        # An editable install is a .pth file, read only at interpreter start-up.
        site.addsitedir(sysconfig.get_paths()["purelib"])
        importlib.invalidate_caches()
        assert _installed_from_checkout(), "installed, but entry point 'gemini' not found"
    return importlib.import_module("myco_gemini")


def gemini_cli() -> Path:
    """``gemini`` of the pinned version, npm-installed into the e2e cache on first use."""
    if "cli" in _skip_reason:
        pytest.skip(_skip_reason["cli"])
    exe, reason = npm_cli(
        "@google/gemini-cli", GEMINI_CLI_VERSION, "gemini-cli", "gemini", _version_ok
    )
    if reason:
        _skip_reason["cli"] = reason
        pytest.skip(reason)
    return exe


def _version_ok(exe: Path) -> bool:
    out = cli_version(exe, env={**os.environ, "GEMINI_CLI_NO_RELAUNCH": "true"})
    return out is not None and out.strip() == GEMINI_CLI_VERSION


class GeminiAgent(MycoSession):
    """One myco session on Gemini CLI: headless turns through ``myco run --agent gemini``."""

    turn_timeout = TURN_TIMEOUT

    def __init__(self, session: str, project: Path, home: Path, env: dict[str, str]) -> None:
        super().__init__(session, project, env)
        self.home = home

    def turn(
        self,
        prompt: str,
        *,
        sid: str,
        first: bool = False,
        run_args: tuple[str, ...] = (),
        gemini_args: tuple[str, ...] = (),
        **env: str,
    ) -> subprocess.CompletedProcess[str]:
        """One ``gemini -p`` turn, started by ``myco run`` (``--resume`` after the first)."""
        args = ["run", self.session, str(self.project), "--agent", "gemini", *run_args]
        if not first:
            args += ["--resume", sid]
        args.append("--")
        if first:
            args += ["--session-id", sid]
        args += ["--output-format", "json", *gemini_args, f"--prompt={prompt}"]
        return self.myco(*args, **env)

    def hook(
        self, event: str, payload: dict[str, Any], **env: str
    ) -> subprocess.CompletedProcess[str]:
        """``myco hook gemini EVENT`` by hand, as the CLI runs it (payload on stdin)."""
        return subprocess.run(
            [*myco_command(), "hook", "gemini", event],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            cwd=self.project,
            env={**self.env, **env},
            timeout=10,
        )

    def chat(self) -> list[dict[str, Any]]:
        """Records of the session's chat file (Gemini's transcript), in file order."""
        (path,) = (self.home / ".gemini" / "tmp").glob("*/chats/session-*.jsonl")
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def new_agent(
    base: Path, session: str, *, model_url: str, daemon_url: str, cli: Path, **extra: str
) -> GeminiAgent:
    """A Gemini session with its own home (settings, chats) and project under *base*."""
    home = base / f"gemini-home-{session}"
    project = base / f"gemini-proj-{session}"
    (home / ".gemini").mkdir(parents=True)
    project.mkdir()
    (home / ".gemini" / "settings.json").write_text(json.dumps(USER_SETTINGS, indent=2))
    env = {
        "PATH": f"{cli.parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "GEMINI_CLI_HOME": str(home),
        "LANG": "C.UTF-8",
        "GEMINI_API_KEY": "fake",
        "GOOGLE_GEMINI_BASE_URL": model_url,
        "GEMINI_CLI_TRUST_WORKSPACE": "true",
        "GEMINI_CLI_NO_RELAUNCH": "true",
        "MYCO_URL": daemon_url,
        "MYCO_TOKEN": TOKEN,
        "MYCO_STATE_DIR": str(base / "state"),
        **extra,
    }
    return GeminiAgent(session, project, home, env)


MakeGemini = Callable[..., GeminiAgent]


def dumps(body: object) -> str:
    return json.dumps(body, ensure_ascii=False)


def ok(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The CLI's JSON result of a turn that exited 0."""
    assert proc.returncode == 0, (proc.stderr[-3000:], proc.stdout[-2000:])
    result = json.loads(proc.stdout)
    assert isinstance(result, dict) and "error" not in result, result
    return result
