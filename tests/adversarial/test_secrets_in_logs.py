"""No token in any log line, whatever a hostile client sends or whatever fails."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from myco.auth.tokens import new_token
from tests.adversarial.conftest import connect, log_lines
from tests.daemon_process import DaemonProcess, call

pytestmark = pytest.mark.slow


def send_raw(url: str, data: bytes) -> bytes:
    with connect(url, timeout=3) as s:
        s.sendall(data)
        try:
            return s.recv(65536)
        except (TimeoutError, ConnectionError):
            return b""


def test_no_token_reaches_the_log_under_attack(
    make_daemon: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "tenants").write_text("not a directory")  # every new tenant fails to be stored
    daemon = make_daemon(data=data)
    token = new_token()
    # tenant creation hits a storage error: a 500 and a traceback, without the token
    status, body = call(daemon.url, "POST", "/events", token, {"session": "A", "events": ["start"]})
    assert status == 500 and "internal error" in body["error"]
    # malformed Authorization headers that aiohttp or the auth plugin refuse
    t = token.encode()
    attacks = [
        b"GET /status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + t + b"\x01\r\n\r\n",
        b"GET /status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\x00" + t + b"\r\n\r\n",
        b"GET /status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + t + b" " + t + b"\r\n\r\n",
        b"GET /status HTTP/1.1\r\nHost: x\r\nAuthorization: " + t + b"\r\n\r\n",
        b"GET /status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + t
        + b"\r\n"
        + b"X: y\r\n" * 200
        + b"\r\n",
        b"GET /status?token="
        + t
        + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + t
        + b"\xff\r\n\r\n",
        b"GET /" + t + b"\x7f HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + t
        + b"\r\nContent-Length: x\r\n\r\n",
    ]
    for attack in attacks:
        send_raw(daemon.url, attack)
    assert call(daemon.url, "GET", "/healthz", token)[0] == 200  # still serving
    daemon.stop()
    lines = log_lines(daemon)
    assert any("internal error" in x or "unhandled error" in x for x in lines), lines
    leaking = [x for x in lines if token in x or token[8:30] in x]
    assert leaking == []
