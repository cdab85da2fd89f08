"""kill -9 of a real ``myco serve``, then a restart: the same views and status as before.

The daemon snapshots after 10 events (``MYCO_SNAPSHOT_EVENTS``), so the restart restores
the snapshot and replays only the events posted after it (the tail).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from myco.auth.tokens import tenant_id
from tests.daemon_process import DaemonProcess

SESSIONS = ("FRONT", "BACK", "DIRECTOR")
ENV = {
    "MYCO_SNAPSHOT_INTERVAL": "3600",
    "MYCO_SNAPSHOT_EVENTS": "10",
    "MYCO_TENANT_IDLE_TTL": "0",
}


def stored_seq(path: Path) -> int:
    return int.from_bytes(path.read_bytes()[:8], "big") if path.exists() else 0


def wait_for_snapshot(path: Path, seq: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while stored_seq(path) < seq:
        assert time.monotonic() < deadline, f"no snapshot up to seq {seq} before the deadline"
        time.sleep(0.05)


def observed(daemon: DaemonProcess) -> dict[str, Any]:
    """Every session's JSON view without the clock-dependent fields, and /status."""
    out: dict[str, Any] = {}
    for session in SESSIONS:
        view = daemon.view(session, "json")
        view.pop("now")
        for entry in view["sessions"].values():
            entry.pop("age_ms")
        out[session] = view
    status, body = daemon.request("GET", "/status")
    assert status == 200
    out["status"] = body
    return out


def test_kill_9_then_restart_gives_the_pre_crash_state(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with DaemonProcess(data, env=ENV) as daemon:
        daemon.start()
        snapshot = data / "tenants" / tenant_id(daemon.token) / "snapshot.bin"
        daemon.post("FRONT", "start login-page", "need BACK.auth-api", "need cache-8080")
        daemon.post("DIRECTOR", "direct all use-jwt everywhere", "direct BACK task-a first")
        daemon.post("BACK", "start auth-api", "up cache addr:http://127.0.0.1:9")
        daemon.post("FRONT", "ask BACK q-one spec:msg/F-1.md", "say deploy soon channel:ops")
        daemon.post("BACK", "done auth-api ref:feat/auth result:ok re:task-a")
        wait_for_snapshot(snapshot, 10)
        # the tail: fewer events than the threshold, so no newer snapshot holds them
        daemon.post("BACK", "reply FRONT answer re:msg/F-1.md", "block waiting for keys")
        daemon.post("FRONT", "ack msg/F-1.md")
        last = daemon.events()[-1]["seq"]
        snapshot_seq = stored_seq(snapshot)
        assert snapshot_seq < last  # the restart must replay a tail
        before = observed(daemon)

        daemon.kill()  # SIGKILL: no clean stop, no final snapshot
        assert stored_seq(snapshot) == snapshot_seq
        daemon.start()
        assert observed(daemon) == before
        assert daemon.events()[-1]["seq"] == last
        # and it goes on from there
        assert daemon.post("FRONT", "say after the crash")["seq"] == [last + 1, last + 1]
