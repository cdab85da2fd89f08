"""``.ci/run`` and ``.gitignore``: what CI and a fresh checkout rely on.

``.ci/run`` is run for real in a copy of the repository layout, with stand-ins for the
system tools on PATH that record how they were called: it must make its own virtualenv
with the pinned interpreter and run that venv's tox, never the first Python on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: a stand-in for python3.X: ``-m venv DIR`` makes DIR/bin/{python,tox}; every call is logged
FAKE_PYTHON = """#!/bin/sh
echo "$(basename "$0") $*" >> "$CALLS"
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    mkdir -p "$3/bin"
    printf '#!/bin/sh\\necho "venv-python $*" >> "$CALLS"\\n' > "$3/bin/python"
    printf '#!/bin/sh\\necho "venv-tox $* FAIL_ON_SKIP=$MYCO_FAIL_ON_SKIP" >> "$CALLS"\\n' \\
        > "$3/bin/tox"
    chmod +x "$3/bin/python" "$3/bin/tox"
fi
"""
LOGGER = '#!/bin/sh\necho "$(basename "$0") $*" >> "$CALLS"\n'


@pytest.fixture
def ci(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    repo = tmp_path / "repo"
    (repo / ".ci").mkdir(parents=True)
    shutil.copy(ROOT / ".ci" / "run", repo / ".ci" / "run")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("redis-server", "npm", "git", "apt-get", "python3", "tox", "pip"):
        (bindir / tool).write_text(LOGGER)
    (bindir / "python3.11").write_text(FAKE_PYTHON)
    for exe in bindir.iterdir():
        exe.chmod(0o755)
    calls = tmp_path / "calls"
    calls.touch()
    env = {
        "PATH": f"{bindir}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "CALLS": str(calls),
        "HOME": str(tmp_path),
    }
    return repo, calls, env


def run_ci(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash") or "/bin/bash"
    return subprocess.run(
        [bash, str(repo / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=60
    )


def test_ci_runs_tox_from_its_own_venv(ci: tuple[Path, Path, dict[str, str]]) -> None:
    repo, calls, env = ci
    done = run_ci(repo, env)
    assert done.returncode == 0, done.stderr
    log = calls.read_text().splitlines()
    assert "python3.11 -m venv .ci-venv" in log  # the pinned interpreter, not python3
    assert any(line.startswith("venv-python -m pip install") and "tox" in line for line in log)
    assert log[-1] == "venv-tox  FAIL_ON_SKIP=1"
    assert not [line for line in log if line.split()[0] in ("python3", "pip", "tox")]
    # a second run reuses the venv
    calls.write_text("")
    assert run_ci(repo, env).returncode == 0
    assert calls.read_text().splitlines()[-1] == "venv-tox  FAIL_ON_SKIP=1"
    assert "-m venv" not in calls.read_text() and "pip install" not in calls.read_text()


def test_ci_honours_an_explicit_interpreter(ci: tuple[Path, Path, dict[str, str]]) -> None:
    repo, calls, env = ci
    bindir = Path(env["PATH"].split(os.pathsep)[0])
    shutil.copy(bindir / "python3.11", bindir / "python3.12")
    done = run_ci(repo, {**env, "MYCO_CI_PYTHON": "python3.12"})
    assert done.returncode == 0, done.stderr
    assert "python3.12 -m venv .ci-venv" in calls.read_text().splitlines()


@pytest.mark.parametrize(
    ("path", "ignored"),
    [(".venv", True), (".venv/bin/python", True), (".ci-venv/bin/tox", True), ("src/x.py", False)],
)
def test_gitignore(path: str, ignored: bool) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    out = subprocess.run(
        [git, "check-ignore", "--no-index", "-q", path], cwd=ROOT, capture_output=True
    )
    assert (out.returncode == 0) is ignored, path
