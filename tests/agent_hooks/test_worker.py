"""``myco worker``: queued prompts go into the session's conversation, one at a time."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from myco.launcher import myco_command
from tests.agent_hooks.fake_cli import calls, install_fake_cli, path_with
from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess, call

pytestmark = pytest.mark.slow


def test_worker_starts_then_resumes_the_conversation(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    log = install_fake_cli(bindir)
    project = tmp_path / "proj"
    project.mkdir()
    with DaemonProcess(tmp_path / "data", "--quiet") as daemon:
        env = {
            **os.environ,
            "PATH": path_with(bindir),
            "MYCO_URL": daemon.url,
            "MYCO_TOKEN": TOKEN,
            "MYCO_STATE_DIR": str(tmp_path / "state"),
        }
        argv = [
            *myco_command(),
            "worker",
            "bot",
            str(project),
            "--once",
            "--interval",
            "0.2",
            "--",
            "--model",
            "m",
        ]
        for n in (1, 2):
            assert (
                call(daemon.url, "POST", "/dispatch/BOT", TOKEN, {"prompt": f"task {n}"})[0] == 200
            )
            out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)
            assert out.returncode == 0, out.stderr
            assert '"result": "did it"' in out.stdout
        assert call(daemon.url, "GET", "/dispatch/BOT", TOKEN)[0] == 204
    first, second = calls(log)
    sid = first["argv"][first["argv"].index("--session-id") + 1]
    assert second["argv"][second["argv"].index("--resume") + 1] == sid
    assert first["argv"][-4:] == ["--model", "m", "--", "task 1"]
    assert second["argv"][-1] == "task 2" and second["env"]["MYCO_SESSION"] == "BOT"
    assert first["cwd"] == str(project.resolve())
    assert (project / "CLAUDE.md").exists()


def test_worker_waits_for_a_running_turn_and_survives_the_daemon_going_away(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    log = install_fake_cli(bindir)
    data = tmp_path / "data"
    daemon = DaemonProcess(data, "--quiet")
    url = daemon.start()
    env = {
        **os.environ,
        "PATH": path_with(bindir),
        "MYCO_URL": url,
        "MYCO_TOKEN": TOKEN,
        "MYCO_STATE_DIR": str(tmp_path / "state"),
        "FAKE_CLI_SLEEP": "1.0",
    }
    worker = subprocess.Popen(
        [*myco_command(), "worker", "bot", str(tmp_path), "--interval", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        call(url, "POST", "/dispatch/BOT", TOKEN, {"prompt": "one"})
        deadline = time.monotonic() + 10
        while not calls(log) and time.monotonic() < deadline:
            time.sleep(0.05)
        call(url, "POST", "/dispatch/BOT", TOKEN, {"prompt": "two"})  # while "one" runs
        while len(calls(log)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        one, two = calls(log)
        assert two["t"] - one["t"] >= 1.0  # "two" started only after "one" finished
        daemon.stop()  # the worker finishes "two", then keeps polling, backing off
        time.sleep(1.8)
        assert worker.poll() is None
        second = subprocess.run(
            [*myco_command(), "worker", "bot", str(tmp_path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert second.returncode == 1
        assert "another worker is already delivering to BOT" in second.stderr
    finally:
        worker.terminate()
        _, err = worker.communicate(timeout=10)
        daemon.stop()
    assert "daemon unavailable, retrying" in err
