"""Cheap requests with expensive answers: deep history, view and session floods, big needs."""

from __future__ import annotations

import hashlib
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from myco.auth.tokens import new_token
from myco.storage import filelog
from tests.adversarial.conftest import (
    address,
    closed_within,
    head,
    open_sockets,
    rss_kib,
    wait_until,
)
from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess, call

pytestmark = pytest.mark.slow

HISTORY = 300_000


def write_history(data: Path, token: str, n: int) -> None:
    """*n* events of two sessions, written in the file backend's own format."""
    log_dir = data / "tenants" / hashlib.sha256(token.encode()).hexdigest() / "log"
    log_dir.mkdir(parents=True)
    ts = 1_790_000_000_000
    with (log_dir / "ALICE.log").open("wb") as a, (log_dir / "BOB.log").open("wb") as b:
        for first in range(1, n + 1, 1000):
            count = min(1000, n + 1 - first)
            half = count // 2
            a.write(filelog.format_lines(ts, first, "", "ALICE", [f"say a{first}"] * half))
            b.write(
                filelog.format_lines(
                    ts, first + half, "", "BOB", [f"say b{first}"] * (count - half)
                )
            )


def test_the_last_page_of_a_huge_history_is_cheap(
    make_daemon: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    write_history(data, TOKEN, HISTORY)
    daemon = make_daemon(data=data)
    status, body = call(daemon.url, "GET", f"/events?after={HISTORY - 1}&limit=1", TOKEN)
    assert status == 200 and [e["seq"] for e in body["events"]] == [HISTORY]
    before = rss_kib(daemon.pid)
    started = time.monotonic()
    for after in (HISTORY - 1, HISTORY // 2, 10, 0):
        status, body = call(daemon.url, "GET", f"/events?after={after}&limit=1", TOKEN)
        assert status == 200 and [e["seq"] for e in body["events"]] == [after + 1]
    elapsed = time.monotonic() - started
    # replaying 300 000 events takes seconds and about a hundred MB; a page takes neither
    assert elapsed < 1.0, elapsed
    assert rss_kib(daemon.pid) - before < 20_000
    status, body = call(daemon.url, "GET", f"/events?after={HISTORY - 5}&limit=100", TOKEN)
    assert [e["seq"] for e in body["events"]] == list(range(HISTORY - 4, HISTORY + 1))


def test_view_requests_for_invented_names_create_no_session(daemon: DaemonProcess) -> None:
    token = new_token()
    assert (
        call(daemon.url, "POST", "/events", token, {"session": "REAL", "events": ["start"]})[0]
        == 200
    )
    for i in range(200):
        status, text = call(daemon.url, "GET", f"/view/FLOOD-{i}", token)
        assert status == 200 and "FLOOD" in text
    status, body = call(daemon.url, "GET", "/status", token)
    assert sorted(body["sessions"]) == ["DIRECTOR", "REAL"]


def test_a_session_flood_is_refused_with_429(daemon: DaemonProcess) -> None:
    token = new_token()
    answers = [
        call(daemon.url, "POST", "/events", token, {"session": f"S{i}", "events": ["start"]})
        for i in range(45)
    ]
    statuses = [status for status, _ in answers]
    assert statuses[:39] == [200] * 39  # DIRECTOR plus 39: MYCO_MAX_SESSIONS=40
    assert set(statuses[39:]) == {429}
    assert "MYCO_MAX_SESSIONS" in answers[-1][1]["error"]
    # targets count too: an ask cannot invent sessions past the limit
    status, _body = call(
        daemon.url, "POST", "/events", token, {"session": "S1", "events": ["ask NEWCOMER hi"]}
    )
    assert status == 429
    # known sessions keep working
    assert (
        call(daemon.url, "POST", "/events", token, {"session": "S1", "events": ["say ok"]})[0]
        == 200
    )


def test_needs_resources_and_messages_are_bounded(daemon: DaemonProcess) -> None:
    token = new_token()
    url = daemon.url
    long = "n" * 400
    status, body = call(
        url,
        "POST",
        "/events",
        token,
        {"session": "A", "events": [f"need {long}{i}" for i in range(30)]},
    )
    assert status == 429 and "MYCO_MAX_NEEDS" in body["error"]
    lines = [f"need {long}{i}" for i in range(20)]
    assert call(url, "POST", "/events", token, {"session": "A", "events": lines})[0] == 200
    status, body = call(
        url, "POST", "/events", token, {"session": "A", "events": ["need one-more"]}
    )
    assert status == 429
    ups = [f"up res{i}" for i in range(21)]
    status, body = call(url, "POST", "/events", token, {"session": "A", "events": ups})
    assert status == 429 and "MYCO_MAX_RESOURCES" in body["error"]
    msgs = {f"A-{i}.md": "x" for i in range(31)}
    status, body = call(
        url, "POST", "/events", token, {"session": "A", "events": ["say m"], "msgs": msgs}
    )
    assert status == 429 and "MYCO_MAX_MSGS" in body["error"]
    chans = "channel:" + ",".join(f"c{i}" for i in range(11))
    status, body = call(
        url, "POST", "/events", token, {"session": "A", "events": [f"say x {chans}"]}
    )
    assert status == 429 and "MYCO_MAX_CHANNELS" in body["error"]
    directs = [f"direct A task{i}" for i in range(6)]
    status, body = call(url, "POST", "/events", token, {"session": "DIRECTOR", "events": directs})
    assert status == 429 and "MYCO_MAX_DIRECTIVES" in body["error"]
    # the status answer stays small: blockers are listed, at most 50 of them, never megabytes
    status, body = call(url, "GET", "/status", token)
    assert len(body["sessions"]["A"]["blockers"]) == 20
    status, _state = call(url, "GET", "/-/dashboard/state", token)
    assert status == 200


def test_readers_of_big_pages_that_never_read_are_disconnected(
    make_daemon: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    write_history(data, TOKEN, 40_000)
    daemon = make_daemon(data=data)
    baseline = open_sockets(daemon.pid)
    readers = []
    try:
        for _ in range(8):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(5)
            s.connect(address(daemon.url))
            s.sendall(head("GET", "/events?limit=100000"))
            readers.append(s)
        time.sleep(0.5)
        started = time.monotonic()
        assert call(daemon.url, "GET", "/events?after=39999", TOKEN)[0] == 200  # others served
        assert time.monotonic() - started < 2
        # each holds megabytes it does not read: dropped after the 1 s write deadline,
        # without the client reading a byte
        wait_until(lambda: open_sockets(daemon.pid) <= baseline, 30, "readers dropped")
        assert all(closed_within(s, 5.0) for s in readers)
    finally:
        for s in readers:
            s.close()
    status, body = call(daemon.url, "GET", "/events?limit=100000", TOKEN, timeout=30)
    assert status == 200 and len(body["events"]) == 40_000  # a reader that reads gets it all
