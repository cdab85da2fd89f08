"""Receipts and revisions on Redis replicas: an event on one, the receipt on the other."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.redis_server import RedisServer

from myco.testing import DaemonProcess
from tests.redis_fixtures import need_redis

pytestmark = pytest.mark.slow


@pytest.fixture
def two_replicas(tmp_path: Path) -> Iterator[tuple[DaemonProcess, DaemonProcess]]:
    need_redis()
    server = RedisServer(tmp_path / "redis", appendonly=True, appendfsync="everysec")
    server.start()
    args = ("--storage", "redis", "--redis-url", server.url, "--quiet")
    a = DaemonProcess(tmp_path / "a", *args)
    b = DaemonProcess(tmp_path / "b", *args, token=a.token)
    try:
        a.start()
        b.start()
        yield a, b
    finally:
        b.stop()
        a.stop()
        server.stop()


def wait_for_text(daemon: DaemonProcess, session: str, text: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in (view := daemon.view(session)):
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} never reached {session}'s view:\n{view}")
        time.sleep(0.05)


def test_a_receipt_posted_to_one_replica_shows_on_the_other(
    two_replicas: tuple[DaemonProcess, DaemonProcess],
) -> None:
    a, b = two_replicas
    a.post("FRONT", "ask BACK which port?")
    wait_for_text(b, "FRONT", "not seen by BACK yet")
    status, delta = b.request("GET", "/view/BACK/delta")
    rev = int(delta.split("rev:", 1)[1].split()[0])
    b.post("BACK", f"seen view rev:{rev} turn:1")
    wait_for_text(a, "FRONT", "(turn 1), no reply yet")
    status, again = a.request("GET", f"/view/BACK/delta?seen={rev}&turn=2")
    assert status == 200 and "nothing new for BACK" in again
