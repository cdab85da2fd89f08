"""End-to-end fixtures: a pinned real Claude Code CLI, a fake model, a real daemon.

The CLI is installed once with npm into ``$MYCO_E2E_CACHE`` (default
``~/.cache/myco-e2e``) and reused; :mod:`tests.e2e.install` does it under a lock, with
progress on the terminal and a quick failure that quotes npm. When npm or the install fails
the tests skip with the reason; ``MYCO_FAIL_ON_SKIP=1`` (CI) turns that skip into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from myco.launcher import myco_command
from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess, call
from tests.e2e import install
from tests.e2e.fake_anthropic import FakeAnthropic
from tests.e2e.install import NPM_FAIL_FAST, InstallError, cache_dir

__all__ = ["cache_dir"]

CLAUDE_CODE_VERSION = "2.1.197"
TURN_TIMEOUT = 60.0

#: internal verbs the agent hooks post themselves (deltas, receipts, liveness, edits)
BOOKKEEPING = frozenset({"seen", "live", "edit", "clean"})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: runs a real agent CLI against a fake model")

    def say(message: str) -> None:
        """Install progress on the terminal, past pytest's output capture."""
        capture = config.pluginmanager.getplugin("capturemanager")
        terminal = config.pluginmanager.getplugin("terminalreporter")
        if capture is None or terminal is None:
            install._default_say(message)
            return
        with capture.global_and_fixture_disabled():
            terminal.write_line(f"[e2e install] {message}")

    install.say = say


def cli_version(exe: Path, timeout: float = 60, env: dict[str, str] | None = None) -> str | None:
    """What ``exe --version`` prints, or None when it is missing or cannot run."""
    if not exe.exists():
        return None
    try:
        out = subprocess.run(
            [str(exe), "--version"],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout


def npm_cli(
    package: str,
    version: str,
    folder: str,
    command: str,
    version_ok: Callable[[Path], bool],
    timeout: float = 600,
) -> tuple[Path, str]:
    """``command`` of npm *package* at *version*, installed into the cache on first use,
    and why it is not usable ("" when it is): the reason to skip with.

    npm reads its CA bundle and proxy from the environment (``NODE_EXTRA_CA_CERTS``,
    ``npm_config_*``, ``HTTPS_PROXY``): tox passes them (see tox.ini).
    """
    prefix = cache_dir() / "npm" / f"{folder}-{version}"
    exe = prefix / "node_modules" / ".bin" / command
    npm = shutil.which("npm")
    if npm is None and not version_ok(exe):
        return exe, f"npm is not installed: cannot install {package}"
    what = f"npm {package}@{version}"

    def run_npm() -> None:
        assert npm is not None
        prefix.mkdir(parents=True, exist_ok=True)
        argv = [npm, "install", "--prefix", str(prefix), *NPM_FAIL_FAST, f"{package}@{version}"]
        install.run(argv, what, timeout=timeout)

    try:
        install.install_once(
            f"npm-{folder}-{version}", what, lambda: version_ok(exe), run_npm, timeout=timeout
        )
    except InstallError as exc:
        return exe, str(exc)
    return exe, ""


@pytest.fixture(scope="session")
def claude_bin() -> Path:
    """``claude`` of the pinned version, installed into the cache on first use."""
    exe, reason = npm_cli(
        "@anthropic-ai/claude-code", CLAUDE_CODE_VERSION, "claude-code", "claude", _version_ok
    )
    if reason:
        pytest.skip(reason)
    return exe


def _version_ok(exe: Path) -> bool:
    out = cli_version(exe, timeout=30)
    return out is not None and out.startswith(CLAUDE_CODE_VERSION)


@pytest.fixture
def model() -> Iterator[FakeAnthropic]:
    fake = FakeAnthropic().start()
    yield fake
    fake.stop()


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    d = DaemonProcess(tmp_path / "data", "--quiet")
    d.start()
    yield d
    d.stop()


class MycoSession:
    """One myco session in *project*: runs ``myco`` there with *env* (the agent helpers)."""

    #: how long :meth:`myco` waits by default
    turn_timeout = TURN_TIMEOUT

    def __init__(self, session: str, project: Path, env: dict[str, str]) -> None:
        self.session = session
        self.project = project
        self.env = env

    def myco(
        self, *args: str, timeout: float | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*myco_command(), *args],
            capture_output=True,
            text=True,
            cwd=self.project,
            env={**self.env, **env},
            timeout=self.turn_timeout if timeout is None else timeout,
            stdin=subprocess.DEVNULL,
        )


class Agent(MycoSession):
    """One myco session on Claude Code: runs headless turns through ``myco run``."""

    def turn(
        self,
        prompt: str,
        *,
        sid: str,
        first: bool = False,
        run_args: tuple[str, ...] = (),
        claude_args: tuple[str, ...] = (),
        **env: str,
    ) -> subprocess.CompletedProcess[str]:
        """One ``claude -p`` turn, started by ``myco run`` (``--resume`` after the first)."""
        args = ["run", self.session, str(self.project), *run_args]
        if not first:
            args += ["--resume", sid]
        args += ["--", "-p", "--output-format", "json"]
        if first:
            args += ["--session-id", sid]
        args += [*claude_args, "--", prompt]
        return self.myco(*args, **env)

    def transcript(self, sid: str) -> list[dict[str, Any]]:
        projects = Path(self.env["HOME"]) / ".claude" / "projects"
        (path,) = projects.glob(f"*/{sid}.jsonl")
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture
def make_agent(
    tmp_path: Path, claude_bin: Path, model: FakeAnthropic, daemon: DaemonProcess
) -> Callable[..., Agent]:
    def make(session: str, **extra: str) -> Agent:
        home = tmp_path / f"home-{session}"
        project = tmp_path / f"proj-{session}"
        home.mkdir()
        project.mkdir()
        env = {
            "PATH": f"{claude_bin.parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "ANTHROPIC_BASE_URL": model.url,
            "ANTHROPIC_AUTH_TOKEN": "fake",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_ERROR_REPORTING": "1",
            "MYCO_URL": daemon.url,
            "MYCO_TOKEN": TOKEN,
            "MYCO_STATE_DIR": str(tmp_path / "state"),
            **extra,
        }
        return Agent(session, project, env)

    return make


def post(url: str, session: str, *lines: str) -> None:
    status, body = call(url, "POST", "/events", TOKEN, {"session": session, "events": list(lines)})
    assert status == 200, body


def lines_of(url: str, session: str) -> list[str]:
    status, body = call(url, "GET", "/events", TOKEN)
    assert status == 200, body
    # the hooks' own bookkeeping (``seen``, ``live``: deltas, receipts, liveness) is left out
    return [
        e["line"]
        for e in body["events"]
        if e["session"] == session and e["line"].split(None, 1)[0] not in BOOKKEEPING
    ]


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """A git repository with one commit of ``src/app.py``, for the edits tests to clone."""
    from tests.e2e.edits_support import git

    origin = tmp_path / "origin"
    (origin / "src").mkdir(parents=True)
    git(origin, "init", "-q", "-b", "main")
    (origin / "src" / "app.py").write_text("value = 1\n")
    git(origin, "add", ".")
    git(origin, "commit", "-qm", "root")
    return origin
