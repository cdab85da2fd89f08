"""``myco guard``: the git hooks refuse a commit under another live session's lease."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from myco.testing import DaemonProcess


def git(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    with DaemonProcess(tmp_path / "data") as d:
        yield d


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "src").mkdir()
    (repo / "src" / "app.py").write_text("1\n")
    (repo / "README.md").write_text("hi\n")
    git(repo, "add", ".")
    assert git(repo, "commit", "-qm", "root").returncode == 0
    return repo


def test_guard_refuses_a_commit_under_a_lease_and_no_verify_escapes(
    daemon: DaemonProcess, repo: Path, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "MYCO_URL": daemon.url,
        "MYCO_TOKEN": daemon.token,
        "MYCO_SESSION": "BOB",
        "MYCO_STATE_DIR": str(tmp_path / "state"),
    }
    install = subprocess.run(
        [sys.executable, "-m", "myco", "guard", "install", "--dir", str(repo)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert install.returncode == 0, install.stderr
    assert (repo / ".git" / "hooks" / "pre-commit").exists()

    daemon.post("ALICE", "claim src/** ttl:30m moving the app")
    (repo / "README.md").write_text("changed\n")
    git(repo, "add", "README.md")
    assert git(repo, "commit", "-qm", "docs", env=env).returncode == 0  # not leased

    (repo / "src" / "app.py").write_text("2\n")
    git(repo, "add", "src/app.py")
    refused = git(repo, "commit", "-qm", "app", env=env)
    assert refused.returncode != 0
    assert "src/app.py is under ALICE's lease `src/**`" in refused.stderr
    assert "moving the app" in refused.stderr and "--no-verify" in refused.stderr

    daemon.post("ALICE", "release all")
    assert git(repo, "commit", "-qm", "app", env=env).returncode == 0


def test_guard_fails_open_without_a_daemon_and_keeps_foreign_hooks(
    repo: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "MYCO_URL": "http://127.0.0.1:9", "MYCO_STATE_DIR": str(tmp_path / "s")}
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexit 0\n")
    again = subprocess.run(
        [sys.executable, "-m", "myco", "guard", "install", "--dir", str(repo)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert again.returncode == 1 and "pass --force" in again.stderr
    assert "Traceback" not in again.stderr
    forced = subprocess.run(
        [sys.executable, "-m", "myco", "guard", "install", "--dir", str(repo), "--force"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert forced.returncode == 0
    (repo / "src" / "app.py").write_text("3\n")
    git(repo, "add", ".")
    done = git(repo, "commit", "-qm", "x", env=env)
    assert done.returncode == 0 and "daemon unreachable" in done.stderr


def test_guard_checks_every_staged_path_in_chunks(
    daemon: DaemonProcess, repo: Path, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "MYCO_URL": daemon.url,
        "MYCO_TOKEN": daemon.token,
        "MYCO_STATE_DIR": str(tmp_path / "state"),
    }
    subprocess.run(
        [sys.executable, "-m", "myco", "guard", "install", "--dir", str(repo)],
        check=True,
        capture_output=True,
        env=env,
        timeout=60,
    )
    daemon.post("ALICE", "claim zz/last.py ttl:30m")
    (repo / "zz").mkdir()
    for i in range(20):  # more than one check's worth, the leased one sorted last
        (repo / f"f{i:02}.txt").write_text("x\n")
    (repo / "zz" / "last.py").write_text("x\n")
    git(repo, "add", ".")
    refused = git(repo, "commit", "-qm", "many", env=env)
    assert refused.returncode != 0 and "zz/last.py is under ALICE's lease" in refused.stderr


def test_pre_push_checks_the_pushed_commits(
    daemon: DaemonProcess, repo: Path, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "MYCO_URL": daemon.url,
        "MYCO_TOKEN": daemon.token,
        "MYCO_STATE_DIR": str(tmp_path / "state"),
    }
    base = git(repo, "rev-parse", "HEAD").stdout.strip()
    (repo / "src" / "app.py").write_text("pushed\n")
    assert git(repo, "commit", "-qam", "local").returncode == 0  # no guard installed yet
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    daemon.post("ALICE", "claim src/app.py ttl:30m")
    refs = f"refs/heads/main {head} refs/heads/main {base}\n"
    push = subprocess.run(
        [sys.executable, "-m", "myco", "guard", "check", "--pre-push"],
        cwd=repo,
        input=refs,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert push.returncode == 1 and "src/app.py is under ALICE's lease" in push.stderr
    daemon.post("ALICE", "release all")
    push = subprocess.run(
        [sys.executable, "-m", "myco", "guard", "check", "--pre-push"],
        cwd=repo,
        input=refs,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert push.returncode == 0, push.stderr
