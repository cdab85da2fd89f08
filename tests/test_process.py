"""``myco serve`` as a real process: restart, replay and kill -9 without losing events."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess, call

pytestmark = pytest.mark.slow

AGES = re.compile(r"last-seen \S+|\| \d+(?:s|min|\.\d+h|d) \|")


def normalised(view: str) -> str:
    """A view without its wall-clock ages (they move between two requests)."""
    return AGES.sub("<age>", view)


def views(url: str, sessions: list[str]) -> dict[str, str]:
    out = {}
    for s in sessions:
        status, text = call(url, "GET", f"/view/{s}", TOKEN)
        assert status == 200
        out[s] = normalised(text)
    return out


def test_serve_restart_replays_to_identical_views(tmp_path: Path) -> None:
    data = tmp_path / "data"
    script = [
        ("FRONT", ["start login-page", "need BACK.auth-api"]),
        ("DIRECTOR", ["direct all use-jwt", "direct BACK refresh-first, then logout"]),
        ("BACK", ["start auth-api", "up dev-server addr:http://127.0.0.1:9"]),
        ("FRONT", ["ask BACK token-format spec:msg/FRONT-001.md"]),
        (
            "BACK",
            [
                "done auth-api ref:feat/auth result:ok re:refresh-first",
                "reply FRONT jwt re:msg/FRONT-001.md spec:msg/BACK-001.md",
            ],
        ),
        ("FRONT", ["say deploy soon", "private thinking"]),
    ]
    with DaemonProcess(data) as d:
        for name in ("FRONT-001.md", "BACK-001.md"):
            status, _ = call(d.url, "POST", f"/msg/{name}", TOKEN, "spec")
            assert status == 200
        for session, lines in script:
            status, body = call(
                d.url, "POST", "/events", TOKEN, {"session": session, "events": lines}
            )
            assert status == 200, body
        status, _ = call(d.url, "GET", "/msg/BACK-001.md?session=FRONT", TOKEN)
        assert status == 200
        before = views(d.url, ["FRONT", "BACK", "DIRECTOR"])
        assert d.stop() == 0
    with DaemonProcess(data) as d:
        assert views(d.url, ["FRONT", "BACK", "DIRECTOR"]) == before
        assert "(reply read)" in before["BACK"]  # the GET acknowledgement survived


def test_kill_9_during_concurrent_posts_loses_no_acknowledged_event(tmp_path: Path) -> None:
    data = tmp_path / "data"
    acked: dict[int, list[int]] = {c: [] for c in range(8)}
    stop = threading.Event()

    def client(c: int, url: str) -> None:
        for j in range(100_000):
            if stop.is_set():
                return
            try:
                status, _ = call(
                    url,
                    "POST",
                    "/events",
                    TOKEN,
                    {"session": f"C{c}", "events": [f"say m-{c}-{j}"], "id": f"c{c}-{j}"},
                    timeout=2,
                )
            except OSError:
                return  # the daemon is gone; this post was never acknowledged
            if status != 200:
                return
            acked[c].append(j)

    d = DaemonProcess(data)
    d.start()
    threads = [threading.Thread(target=client, args=(c, d.url)) for c in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while sum(map(len, acked.values())) < 400 and time.monotonic() < deadline:
        time.sleep(0.01)
    d.kill()  # SIGKILL while posts are in flight
    stop.set()
    for t in threads:
        t.join(timeout=10)
    d.stop()
    total = sum(map(len, acked.values()))
    assert total >= 400

    with DaemonProcess(data) as d2:
        status, body = call(d2.url, "GET", "/events?limit=100000", TOKEN)
        assert status == 200
        seen: dict[int, list[int]] = {c: [] for c in range(8)}
        seqs = [e["seq"] for e in body["events"]]
        assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
        for e in body["events"]:
            _, c, j = e["line"].split()[1].split("-")
            seen[int(c)].append(int(j))
        for c in range(8):
            assert seen[c] == sorted(seen[c]), "per-client order kept"
            assert len(seen[c]) == len(set(seen[c])), "no duplicates"
            assert set(acked[c]) <= set(seen[c]), "every acknowledged event survived"
        first = views(d2.url, [f"C{c}" for c in range(8)])
    with DaemonProcess(data) as d3:
        assert views(d3.url, [f"C{c}" for c in range(8)]) == first


def test_serve_refuses_a_busy_port_with_one_line(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "myco",
                "serve",
                "--port",
                str(port),
                "--data-dir",
                str(tmp_path),
                "--quiet",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith("myco: cannot listen on 127.0.0.1:")
    assert "Traceback" not in proc.stderr
