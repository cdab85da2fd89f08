"""Replicas on Redis as real processes: propagation, kill -9, Redis restarts and outages.

Each test starts its own ``redis-server`` (free port, temporary directory) and its own
``myco serve --storage redis`` processes on port 0, and stops every one by PID.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bench.redis_server import RedisServer

from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess, call
from tests.redis_fixtures import need_redis

pytestmark = pytest.mark.slow

AGES = re.compile(r"last-seen \S+|\| \d+(?:s|min|\.\d+h|d) \|")
#: no request may take longer than this while Redis is away (the daemon answers 503 sooner)
BOUND = 5.0


def normalised(view: str) -> str:
    """A view without its wall-clock ages (they move between two requests)."""
    return AGES.sub("<age>", view)


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def redis(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[RedisServer]:
    need_redis()
    fsync = getattr(request, "param", "everysec")
    server = RedisServer(tmp_path / "redis", appendonly=True, appendfsync=fsync)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Replicas:
    """``myco serve --storage redis`` processes on one Redis; all stopped at teardown."""

    def __init__(self, tmp_path: Path, url: str) -> None:
        self.tmp_path = tmp_path
        self.url = url
        self.procs: list[DaemonProcess] = []

    def start(self, name: str) -> DaemonProcess:
        proc = DaemonProcess(
            self.tmp_path / name, "--storage", "redis", "--redis-url", self.url, "--quiet"
        )
        self.procs.append(proc)
        proc.start()
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            proc.stop()


@pytest.fixture
def replicas(tmp_path: Path, redis: RedisServer) -> Iterator[Replicas]:
    group = Replicas(tmp_path, redis.url)
    try:
        yield group
    finally:
        group.stop_all()


def post(url: str, session: str, *lines: str, **extra: Any) -> dict[str, Any]:
    status, body = call(
        url, "POST", "/events", TOKEN, {"session": session, "events": list(lines), **extra}
    )
    assert status == 200, body
    assert isinstance(body, dict)
    return body


def views(url: str, sessions: list[str]) -> dict[str, str]:
    out = {}
    for s in sessions:
        status, text = call(url, "GET", f"/view/{s}", TOKEN)
        assert status == 200, text
        out[s] = normalised(text)
    return out


def same_views(urls: list[str], sessions: list[str], timeout: float = 15.0) -> dict[str, str]:
    """Wait until every replica renders the same views; returns them."""
    last: list[dict[str, str]] = []

    def equal() -> bool:
        last[:] = [views(u, sessions) for u in urls]
        return all(v == last[0] for v in last[1:])

    wait_for(equal, timeout, "identical views on every replica")
    return last[0]


def stored(url: str) -> list[dict[str, Any]]:
    status, body = call(url, "GET", "/events?limit=100000", TOKEN)
    assert status == 200, body
    events: list[dict[str, Any]] = body["events"]
    return events


class Client(threading.Thread):
    """One agent posting ``say m-<c>-<j>`` with id ``c<c>-<j>``, each until acknowledged.

    Like a client behind a load balancer: a refused connection fails over to the next
    replica, a 503 is retried after a pause, always with the same id.
    """

    def __init__(self, c: int, urls: list[str], stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.c = c
        self.urls = urls
        self.target = c % len(urls)
        self.stop_event = stop
        self.acked: list[int] = []
        self.statuses: Counter[int] = Counter()
        self.hangs = 0
        self.slowest = 0.0
        self.give_up = time.monotonic() + 120

    def run(self) -> None:
        j = 0
        while not self.stop_event.is_set() and j < 100_000:
            payload = {
                "session": f"C{self.c}",
                "events": [f"say m-{self.c}-{j}"],
                "id": f"c{self.c}-{j}",
            }
            while time.monotonic() < self.give_up:
                t0 = time.monotonic()
                try:
                    status, _ = call(
                        self.urls[self.target], "POST", "/events", TOKEN, payload, timeout=BOUND * 2
                    )
                except TimeoutError:
                    self.hangs += 1
                    continue
                except OSError as exc:  # refused: that replica is gone, fail over
                    if "timed out" in str(exc):
                        self.hangs += 1
                    self.target = (self.target + 1) % len(self.urls)
                    time.sleep(0.01)
                    continue
                finally:
                    self.slowest = max(self.slowest, time.monotonic() - t0)
                self.statuses[status] += 1
                if status == 200:
                    self.acked.append(j)
                    break
                time.sleep(0.05)  # 503 (or anything else): retry the same post
            j += 1


def run_clients(urls: list[str], n: int) -> tuple[list[Client], threading.Event]:
    stop = threading.Event()
    clients = [Client(c, urls, stop) for c in range(n)]
    for client in clients:
        client.start()
    return clients, stop


def total(clients: list[Client]) -> int:
    return sum(len(c.acked) for c in clients)


def check_stored(clients: list[Client], events: list[dict[str, Any]]) -> None:
    """Every acknowledged event stored exactly once, in each client's order."""
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
    seen: dict[int, list[int]] = {c.c: [] for c in clients}
    for e in events:
        _, c, j = e["line"].split()[1].split("-")
        seen[int(c)].append(int(j))
    for client in clients:
        got = seen[client.c]
        assert got == sorted(got), "per-client order kept"
        assert len(got) == len(set(got)), "no event stored twice"
        assert set(client.acked) <= set(got), "every acknowledged event stored"


# -- tests --------------------------------------------------------------------------------


def test_an_event_on_one_replica_shows_in_the_others_view(replicas: Replicas) -> None:
    a, b = replicas.start("a"), replicas.start("b")
    post(a.url, "FRONT", "start login-page", "need BACK.auth-api")
    wait_for(lambda: "login-page" in views(b.url, ["FRONT"])["FRONT"], 10, "FRONT on B")
    post(b.url, "BACK", "done auth-api ref:feat/auth result:ok")
    status, _ = call(a.url, "POST", "/msg/BACK-001.md", TOKEN, "spec")
    assert status == 200
    post(a.url, "BACK", "reply FRONT jwt spec:msg/BACK-001.md")
    sessions = ["FRONT", "BACK", "DIRECTOR"]
    shown = same_views([a.url, b.url], sessions)
    assert "auth-api" in shown["FRONT"] and "msg/BACK-001.md" in shown["FRONT"]
    c = replicas.start("c")  # a new replica replays to the same views
    assert views(c.url, sessions) == shown


def test_kill_9_of_one_replica_under_load_loses_and_duplicates_nothing(
    replicas: Replicas,
) -> None:
    a, b = replicas.start("a"), replicas.start("b")
    clients, stop = run_clients([a.url, b.url], 8)
    try:
        wait_for(lambda: total(clients) >= 300, 30, "load before the kill")
        a.kill()  # SIGKILL mid-load: posts in flight on A are cut
        at_kill = [len(c.acked) for c in clients]
        wait_for(
            lambda: all(len(c.acked) >= n + 30 for c, n in zip(clients, at_kill, strict=True)),
            30,
            "every client served by the survivor",
        )
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=30)
    assert all(not c.is_alive() for c in clients)
    assert all(set(c.statuses) <= {200} for c in clients), [c.statuses for c in clients]
    check_stored(clients, stored(b.url))
    a2 = replicas.start("a2")  # A restarted
    sessions = [f"C{c}" for c in range(8)] + ["DIRECTOR"]
    shown = same_views([a2.url, b.url], sessions)
    b.stop()
    b2 = replicas.start("b2")  # and B restarted too
    assert same_views([a2.url, b2.url], sessions) == shown
    check_stored(clients, stored(a2.url))


@pytest.mark.parametrize(
    ("redis", "crash"),
    [("everysec", False), ("always", True)],
    ids=["sigterm-everysec", "kill9-always"],
    indirect=["redis"],
)
def test_redis_restart_under_load_loses_nothing_and_answers_503_not_hangs(
    replicas: Replicas, redis: RedisServer, crash: bool
) -> None:
    a, b = replicas.start("a"), replicas.start("b")
    clients, stop = run_clients([a.url, b.url], 6)
    try:
        wait_for(lambda: total(clients) >= 200, 30, "load before the restart")
        redis.restart(crash=crash, down_for=1.5)
        restarted = total(clients)
        wait_for(lambda: total(clients) >= restarted + 200, 30, "load after the restart")
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=30)
    statuses = sum((c.statuses for c in clients), Counter())
    assert statuses[503] > 0, "posts during the gap were refused with 503"
    assert set(statuses) <= {200, 503}, statuses
    assert sum(c.hangs for c in clients) == 0
    assert max(c.slowest for c in clients) < BOUND
    check_stored(clients, stored(a.url))
    sessions = [f"C{c}" for c in range(6)] + ["DIRECTOR"]
    same_views([a.url, b.url], sessions)


def test_redis_down_means_quick_503s_then_recovery(replicas: Replicas, redis: RedisServer) -> None:
    a, b = replicas.start("a"), replicas.start("b")
    post(a.url, "BACK", "start api")
    wait_for(lambda: "api" in views(b.url, ["BACK"])["BACK"], 10, "BACK on B")
    redis.stop()
    for url in (a.url, b.url):
        start = time.monotonic()
        status, body = call(
            url,
            "POST",
            "/events",
            TOKEN,
            {"session": "BACK", "events": ["say lost"]},
            timeout=BOUND * 2,
        )
        assert time.monotonic() - start < BOUND
        assert status == 503, body
        assert body == {"ok": False, "error": "storage unavailable: redis is unreachable"}
        status, text = call(url, "GET", "/view/BACK", TOKEN)  # served from memory
        assert status == 200 and "api" in text
    time.sleep(1.0)  # down a while: the followers back off
    redis.start()

    def accepted() -> bool:
        status, _ = call(
            a.url,
            "POST",
            "/events",
            TOKEN,
            {"session": "BACK", "events": ["done api ref:main"], "id": "back-1"},
        )
        return status == 200

    wait_for(accepted, 15, "A to accept posts again")
    wait_for(lambda: "done api" in views(b.url, ["BACK"])["BACK"], 15, "B's follower to reconnect")
    same_views([a.url, b.url], ["BACK", "DIRECTOR"])
    assert [e["line"] for e in stored(b.url)] == ["start api", "done api ref:main"]


def test_serve_refuses_to_start_without_redis_in_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    from bench.redis_server import free_port

    need_redis()
    url = f"redis://:secret@127.0.0.1:{free_port()}/0"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "myco",
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path),
            "--storage",
            "redis",
            "--redis-url",
            url,
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("myco: storage unavailable at start-up: redis is unreachable")
    assert "secret" not in proc.stderr and "Traceback" not in proc.stderr
