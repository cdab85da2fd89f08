"""Slow and greedy clients: half-sent heads, stalled bodies, idle and excess connections."""

from __future__ import annotations

import time

import pytest

from tests.adversarial.conftest import closed_within, connect, head, json_error, read_response
from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess, call

pytestmark = pytest.mark.slow


def test_slowloris_connections_are_closed_and_others_still_served(
    daemon: DaemonProcess,
) -> None:
    socks = [connect(daemon.url) for _ in range(20)]
    try:
        for s in socks:
            s.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\n")
        # trickle one more header line now and then: it must not extend the deadline
        for _ in range(3):
            time.sleep(0.2)
            for s in socks:
                s.sendall(b"X-Slow: 1\r\n")
        started = time.monotonic()
        status, _ = call(daemon.url, "GET", "/status", TOKEN, timeout=3)
        assert status == 200
        assert time.monotonic() - started < 1.0
        assert all(closed_within(s, 3.0) for s in socks)  # header timeout 1 s
    finally:
        for s in socks:
            s.close()


def test_idle_keep_alive_connection_is_closed(daemon: DaemonProcess) -> None:
    with connect(daemon.url) as s:
        s.sendall(head("GET", "/healthz"))
        status, _, _ = read_response(s)
        assert status == 200
        assert closed_within(s, 3.0)


def test_stalled_body_gets_408_json(daemon: DaemonProcess) -> None:
    with connect(daemon.url) as s:
        s.sendall(head("POST", "/events", "Content-Type: application/json", "Content-Length: 200"))
        s.sendall(b'{"session": "A", ')
        started = time.monotonic()
        status, message = json_error(s, deadline_s=5)
        assert status == 408 and "not received within" in message
        assert time.monotonic() - started < 4


def test_connections_beyond_the_cap_get_a_503_json_and_the_daemon_recovers(
    daemon: DaemonProcess,
) -> None:
    held = []
    try:
        for _ in range(60):  # MYCO_MAX_CONNECTIONS
            held.append(connect(daemon.url))
        time.sleep(0.2)  # the daemon accepts them
        with connect(daemon.url) as extra:
            extra.sendall(head("GET", "/healthz"))
            status, message = json_error(extra)
        assert status == 503 and "too many open connections" in message
    finally:
        for s in held:
            s.close()
    deadline = time.monotonic() + 5
    while True:  # the held ones are gone: served again
        status, _ = call(daemon.url, "GET", "/healthz", TOKEN, timeout=3)
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert status == 200
    assert "connection refused: too many open connections" in daemon.stderr_path.read_text()


def test_oversized_headers_are_refused(daemon: DaemonProcess) -> None:
    with connect(daemon.url) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        status, _, _ = read_response(s)
        assert status in (400, 431)
