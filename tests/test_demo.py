"""``myco demo``: the script itself, and the command as a real process."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from myco.daemon import Daemon
from myco.dashboard.snapshot import snapshot
from myco.demo import SCRIPT, play
from myco.testing import Swarm
from myco.web.app import create_app
from tests.conftest import TOKEN
from tests.daemon_process import call


def test_the_script_is_clean_protocol() -> None:
    """Every line is accepted without a lint warning: the demo shows good practice."""
    swarm = Swarm()
    sessions = set()
    for step in SCRIPT:
        for name in step.msgs:
            swarm.add_msg(name)
        if step.read:
            swarm.post(step.session, f"ack msg/{step.read}")
        if step.lines:
            assert swarm.post(step.session, *step.lines) == [], step
        sessions.add(step.session)
    assert sessions == {"FRONT", "BACK", "AUTH", "DIRECTOR"}
    verbs = {line.split()[0] for step in SCRIPT for line in step.lines}
    assert {"start", "need", "ask", "reply", "direct", "done", "up", "block", "say"} <= verbs


async def test_play_goes_through_the_http_api(
    aiohttp_server: Callable[..., Any], daemon: Daemon
) -> None:
    server = await aiohttp_server(create_app(daemon))
    said: list[str] = []
    await play(str(server.make_url("/")), TOKEN, speed=1000, say=said.append)
    assert any("FRONT     ask BACK token-format" in s for s in said)
    tenant = next(iter(daemon.tenants))
    data = snapshot(tenant.state, tenant.state.events[-1].ts_ms)
    status = {s["name"]: s["status"] for s in data["sessions"]}
    assert status == {"AUTH": "idle", "BACK": "idle", "DIRECTOR": "active", "FRONT": "idle"}
    assert data["directives"]["open"] == []
    assert data["directives"]["closed"][0]["closed_by"] == ["BACK"]
    assert data["questions"]["open"] == []
    assert data["questions"]["closed"][0]["closed_by"] == "BACK"
    assert [(r["name"], r["state"]) for r in data["resources"]] == [("token-service", "UP")]
    messages = {m["name"]: m for m in data["messages"]}
    assert messages["BACK-001.md"]["read_by"] == ["FRONT"]
    kinds = {(e["from"], e["to"], e["kind"], e["open"]) for e in data["graph"]["edges"]}
    assert ("FRONT", "BACK", "need", False) in kinds and ("BACK", "AUTH", "need", False) in kinds


# -- the command ---------------------------------------------------------------------------


class Demo:
    """``myco demo`` as a child process whose output is read with deadlines."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "myco", "demo", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.out = ""
        assert self.proc.stdout is not None
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.proc.stdout, selectors.EVENT_READ)

    def wait_for(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.out)
            if m:
                return m
            if self.sel.select(timeout=0.1):
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk and self.proc.poll() is not None:
                    break
                self.out += chunk.decode(errors="replace")
        raise AssertionError(f"{pattern!r} not printed; output so far:\n{self.out}")

    def finish(self, timeout: float = 15.0) -> int:
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
            raise
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.out += self.proc.stdout.read().decode(errors="replace")
        self.err = self.proc.stderr.read().decode(errors="replace")
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None and not stream.closed:
                stream.close()


@pytest.fixture
def demo() -> Any:
    started: list[Demo] = []

    def start(*args: str) -> Demo:
        d = Demo(*args)
        started.append(d)
        return d

    yield start
    for d in started:
        d.close()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_demo_serves_the_dashboard_and_stops_cleanly(
    demo: Callable[..., Demo], sig: signal.Signals
) -> None:
    d = demo("--speed", "200")
    url = d.wait_for(r"dashboard: (http://127\.0\.0\.1:\d+/)").group(1)
    token = d.wait_for(r"token:\s+(\S+)").group(1)
    data_dir = Path(d.wait_for(r"data:\s+(\S+)").group(1))
    assert token not in url
    d.wait_for("script finished")
    status, page = call(url.rstrip("/"), "GET", "/", token)
    assert status == 200 and "myco" in page
    status, state = call(url.rstrip("/"), "GET", "/-/dashboard/state", token)
    assert status == 200
    assert {s["name"] for s in state["sessions"]} == {"FRONT", "BACK", "AUTH", "DIRECTOR"}
    assert data_dir.is_dir()
    os.kill(d.proc.pid, sig)
    assert d.finish() == 0, d.err
    assert "demo: stopping" in d.out
    assert not data_dir.exists()  # the throwaway data directory is removed
    assert token not in d.err  # never logged


@pytest.mark.slow
def test_demo_once_with_a_kept_data_dir(demo: Callable[..., Demo], tmp_path: Path) -> None:
    data = tmp_path / "demo-data"
    d = demo("--speed", "500", "--once", "--data-dir", str(data), "--token", TOKEN)
    d.wait_for("script finished")
    assert d.finish() == 0, d.err
    assert data.is_dir() and any(data.rglob("*.log"))  # kept: replayable with myco serve


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--speed", "0"), "--speed must be a positive number"),
        (("--token", "weak"), "--token rejected: token too short"),
    ],
)
def test_demo_refuses_bad_options(
    demo: Callable[..., Demo], args: tuple[str, ...], message: str
) -> None:
    d = demo(*args)
    assert d.finish() == 1
    assert message in d.err


@pytest.mark.slow
def test_demo_stops_cleanly_in_the_middle_of_the_script(demo: Callable[..., Demo]) -> None:
    d = demo("--speed", "1")  # a person's pace: the script is far from over
    d.wait_for(r"DIRECTOR\s+say kickoff")
    os.kill(d.proc.pid, signal.SIGTERM)
    assert d.finish(timeout=10) == 0, d.err
    assert "demo: stopping" in d.out and "script finished" not in d.out
    assert "Traceback" not in d.err
