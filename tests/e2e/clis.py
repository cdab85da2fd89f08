"""Pinned Codex and Aider CLIs for the end-to-end tests, and sessions that run them.

Installed once into ``$MYCO_E2E_CACHE`` (default ``~/.cache/myco-e2e``) and reused:
``@openai/codex`` with npm, ``aider-chat`` with pip into its own venv (never the project's),
each through :mod:`tests.e2e.install` (a lock, progress, a quick failure quoting the
installer). A failed install skips with the reason; ``MYCO_FAIL_ON_SKIP=1`` (CI) turns that
into a failure. Test modules load the fixtures with ``pytest_plugins = ("tests.e2e.clis",)``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess
from tests.e2e import install
from tests.e2e.conftest import MycoSession, cache_dir, cli_version, npm_cli
from tests.e2e.fake_openai import FakeOpenAI
from tests.e2e.install import PIP_FAIL_FAST, InstallError

CODEX_VERSION = "0.169.0"
AIDER_VERSION = "0.86.2"
TURN_TIMEOUT = 60.0
INSTALL_TIMEOUT = 900


def _reports(exe: Path, version: str) -> bool:
    out = cli_version(exe)
    return out is not None and version in out


@pytest.fixture(scope="session")
def codex_bin() -> Path:
    """``codex`` of the pinned version (npm, into the cache on first use)."""
    exe, reason = npm_cli(
        "@openai/codex",
        CODEX_VERSION,
        "codex",
        "codex",
        lambda exe: _reports(exe, CODEX_VERSION),
        timeout=INSTALL_TIMEOUT,
    )
    if reason:
        pytest.skip(reason)
    return exe


@pytest.fixture(scope="session")
def aider_bin() -> Path:
    """``aider`` of the pinned version, in its own venv in the cache (first use installs)."""
    venv = cache_dir() / "venv" / f"aider-chat-{AIDER_VERSION}"
    exe = venv / "bin" / "aider"
    what = f"pip aider-chat=={AIDER_VERSION}"

    def pip_install() -> None:
        shutil.rmtree(venv, ignore_errors=True)
        install.run([sys.executable, "-m", "venv", str(venv)], what, timeout=120)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install"]
        argv = [*pip, "--disable-pip-version-check", *PIP_FAIL_FAST, f"aider-chat=={AIDER_VERSION}"]
        # building a wheel may be silent for a while: a longer stall limit than npm's
        install.run(argv, what, timeout=INSTALL_TIMEOUT, stall=300)

    if not _reports(exe, AIDER_VERSION) and not (3, 10) <= sys.version_info[:2] <= (3, 12):
        pytest.skip(f"aider-chat {AIDER_VERSION} needs Python 3.10-3.12 for its venv")
    try:
        install.install_once(
            f"venv-aider-chat-{AIDER_VERSION}",
            what,
            lambda: _reports(exe, AIDER_VERSION),
            pip_install,
            timeout=INSTALL_TIMEOUT + 120,
        )
    except InstallError as exc:
        pytest.skip(str(exc))
    return exe


@pytest.fixture
def openai() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


class CliSession(MycoSession):
    """One myco session on some CLI, run turn by turn through ``myco run``."""

    agent = ""
    turn_timeout = TURN_TIMEOUT

    def run(
        self, run_args: tuple[str, ...], cli_args: list[str], **env: str
    ) -> subprocess.CompletedProcess[str]:
        return self.myco(
            "run",
            self.session,
            str(self.project),
            "--agent",
            self.agent,
            *run_args,
            "--",
            *cli_args,
            **env,
        )


class CodexSession(CliSession):
    """``codex exec --json``; later turns ``exec resume <thread>`` in the same thread."""

    agent = "codex"
    FLAGS = ("--json", "--skip-git-repo-check")

    def __init__(self, session: str, project: Path, env: dict[str, str]) -> None:
        super().__init__(session, project, env)
        self.thread = ""

    def turn(
        self, prompt: str, *, run_args: tuple[str, ...] = (), **env: str
    ) -> subprocess.CompletedProcess[str]:
        args = ["exec", *self.FLAGS]
        if self.thread:
            args += ["resume", self.thread]
        proc = self.run(run_args, [*args, "--", prompt], **env)
        for line in proc.stdout.splitlines():
            event = _json(line)
            if event.get("type") == "thread.started":
                self.thread = str(event["thread_id"])
        return proc

    def home_config(self) -> Path:
        return Path(self.env["CODEX_HOME"]) / "config.toml"

    def rollout(self) -> list[dict[str, Any]]:
        (path,) = (Path(self.env["CODEX_HOME"]) / "sessions").glob(f"*/*/*/*{self.thread}.jsonl")
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class AiderSession(CliSession):
    """``aider --message``: one process per turn (each is a whole Aider session)."""

    agent = "aider"

    def flags(self) -> list[str]:
        work = self.project.parent / f"aider-{self.session}"
        work.mkdir(exist_ok=True)
        meta = work / "meta.json"
        meta.write_text(
            json.dumps(
                {
                    "openai/fake-model": {
                        "max_input_tokens": 128000,
                        "max_tokens": 4096,
                        "max_output_tokens": 4096,
                        "input_cost_per_token": 0,
                        "output_cost_per_token": 0,
                        "litellm_provider": "openai",
                        "mode": "chat",
                    }
                }
            )
        )
        git = ["--no-auto-commits", "--no-dirty-commits", "--no-gitignore"]
        return [
            "--model",
            "openai/fake-model",
            "--model-metadata-file",
            str(meta),
            "--no-check-update",
            "--no-analytics",
            "--no-show-model-warnings",
            "--no-show-release-notes",
            "--yes-always",
            "--no-pretty",
            "--no-fancy-input",
            "--map-tokens",
            "0",
            "--no-suggest-shell-commands",
            *(git if (self.project / ".git").exists() else ["--no-git"]),
            "--chat-history-file",
            str(work / "chat.md"),
            "--input-history-file",
            str(work / "input.hist"),
        ]

    def turn(
        self, prompt: str, *, run_args: tuple[str, ...] = (), **env: str
    ) -> subprocess.CompletedProcess[str]:
        return self.run(run_args, [*self.flags(), "--message", prompt], **env)


def _json(line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def codex_config(home: Path, model_url: str, sandbox: str = "read-only") -> None:
    """A CODEX_HOME whose model is the fake, failing fast instead of retrying forever."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        'model = "fake-model"\nmodel_provider = "fake"\napproval_policy = "never"\n'
        f'sandbox_mode = "{sandbox}"\ncheck_for_update_on_startup = false\n\n'
        "[analytics]\nenabled = false\n\n"
        f'[model_providers.fake]\nname = "Fake"\nbase_url = "{model_url}"\n'
        'wire_api = "responses"\nenv_key = "FAKE_API_KEY"\n'
        "request_max_retries = 0\nstream_max_retries = 0\n"
    )


def _base_env(
    tmp_path: Path, session: str, daemon: DaemonProcess, bin_dir: Path
) -> tuple[Path, Path, dict[str, str]]:
    home = tmp_path / f"home-{session}"
    project = tmp_path / f"proj-{session}"
    home.mkdir()
    project.mkdir()
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "MYCO_URL": daemon.url,
        "MYCO_TOKEN": TOKEN,
        "MYCO_STATE_DIR": str(tmp_path / "state"),
    }
    return home, project, env


@pytest.fixture
def make_codex(
    tmp_path: Path, codex_bin: Path, openai: FakeOpenAI, daemon: DaemonProcess
) -> Callable[..., CodexSession]:
    def make(session: str, sandbox: str = "read-only", **extra: str) -> CodexSession:
        home, project, env = _base_env(tmp_path, session, daemon, codex_bin.parent)
        codex_config(home / ".codex", openai.url, sandbox)
        env.update({"CODEX_HOME": str(home / ".codex"), "FAKE_API_KEY": "fake", **extra})
        return CodexSession(session, project, env)

    return make


@pytest.fixture
def make_aider(
    tmp_path: Path, aider_bin: Path, openai: FakeOpenAI, daemon: DaemonProcess
) -> Callable[..., AiderSession]:
    def make(session: str, **extra: str) -> AiderSession:
        bin_dir = tmp_path / "bin-aider"  # only `aider`, not its venv's python, on PATH
        if not bin_dir.exists():
            bin_dir.mkdir()
            (bin_dir / "aider").symlink_to(aider_bin)
        _, project, env = _base_env(tmp_path, session, daemon, bin_dir)
        env.update(
            {
                "OPENAI_API_KEY": "fake",
                "OPENAI_API_BASE": openai.url,
                "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                **extra,
            }
        )
        return AiderSession(session, project, env)

    return make
