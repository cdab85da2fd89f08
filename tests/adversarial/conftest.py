"""A real ``myco serve`` with tight limits, and raw-socket tools to attack it with.

The limits are set through the documented ``MYCO_*`` variables, small enough that every
attack is decided within a second or two.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess

LIMITS = {
    "MYCO_HEADER_TIMEOUT": "1",
    "MYCO_BODY_TIMEOUT": "1",
    "MYCO_MAX_CONNECTIONS": "60",
    "MYCO_STREAMS_PER_TENANT": "4",
    "MYCO_STREAM_WRITE_TIMEOUT": "1",
    "MYCO_STREAM_QUEUE": "50",
    "MYCO_MAX_SESSIONS": "40",
    "MYCO_MAX_NEEDS": "20",
    "MYCO_MAX_RESOURCES": "20",
    "MYCO_MAX_MSGS": "30",
    "MYCO_MAX_CHANNELS": "10",
    "MYCO_MAX_DIRECTIVES": "5",
}


def start_daemon(data: Path, *args: str, env: dict[str, str] | None = None) -> DaemonProcess:
    proc = DaemonProcess(
        data, "--log-format", "json", "--fsync", "no", *args, env={**LIMITS, **(env or {})}
    )
    proc.start()
    return proc


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    """One daemon per module (each module's attacks share it)."""
    proc = start_daemon(tmp_path_factory.mktemp("adversarial") / "data")
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def make_daemon(tmp_path: Path) -> Iterator[Callable[..., DaemonProcess]]:
    """Start daemons of one test's own (stopped by PID at the end)."""
    started: list[DaemonProcess] = []

    def make(*args: str, data: Path | None = None, env: dict[str, str] | None = None) -> Any:
        proc = start_daemon(data or tmp_path / "data", *args, env=env)
        started.append(proc)
        return proc

    yield make
    for proc in started:
        proc.stop()


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def connect(url: str, timeout: float = 5.0) -> socket.socket:
    return socket.create_connection(address(url), timeout=timeout)


def head(method: str, path: str, *headers: str, token: str = TOKEN) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: x", f"Authorization: Bearer {token}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_response(
    sock: socket.socket, deadline_s: float = 5.0
) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one response (by Content-Length, else until EOF)."""
    sock.settimeout(deadline_s)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response head: {data!r}")
        data += chunk
    raw_head, body = data.split(b"\r\n\r\n", 1)
    lines = raw_head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "-1"))
    while length >= 0 and len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


def json_error(sock: socket.socket, deadline_s: float = 5.0) -> tuple[int, str]:
    status, headers, body = read_response(sock, deadline_s)
    assert headers.get("content-type", "").startswith("application/json"), (status, body)
    data = json.loads(body)
    assert data["ok"] is False
    return status, str(data["error"])


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the peer closes *sock* (EOF or reset) within *seconds*; data is drained."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            if not sock.recv(65536):
                return True
        except TimeoutError:
            return False
        except OSError:
            return True
    return False


def rss_kib(pid: int) -> int:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def wait_until(predicate: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds}s: {what}")


def log_lines(proc: DaemonProcess) -> list[str]:
    """Every line the daemon wrote to stderr so far."""
    return proc.stderr_path.read_text(errors="replace").splitlines()


def open_sockets(pid: int) -> int:
    """Sockets the daemon holds (its listening socket and every connection)."""
    fds = Path(f"/proc/{pid}/fd")
    count = 0
    for fd in fds.iterdir():
        try:
            count += os.readlink(fd).startswith("socket:")
        except OSError:
            continue
    return count
