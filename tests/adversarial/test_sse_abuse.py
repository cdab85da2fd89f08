"""Live-stream abuse: readers that never read, and more streams than a tenant may hold."""

from __future__ import annotations

import socket
import time

import pytest

from tests.adversarial.conftest import (
    address,
    closed_within,
    connect,
    head,
    json_error,
    open_sockets,
    read_response,
    rss_kib,
    wait_until,
)
from tests.conftest import TOKEN, TOKEN2
from tests.daemon_process import DaemonProcess, call

pytestmark = pytest.mark.slow

STREAM = "/-/dashboard/stream"


def open_stream(url: str, token: str = TOKEN) -> socket.socket:
    s = connect(url)
    s.sendall(head("GET", STREAM, token=token))
    status, headers, _ = read_response(s)
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    return s


def test_readers_that_never_read_are_dropped_and_memory_stays_bounded(
    daemon: DaemonProcess,
) -> None:
    assert (
        call(daemon.url, "POST", "/events", TOKEN, {"session": "W", "events": ["start"]})[0] == 200
    )
    baseline = open_sockets(daemon.pid)
    readers = []
    for _ in range(4):  # MYCO_STREAMS_PER_TENANT
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills at once
        s.settimeout(5)
        s.connect(address(daemon.url))
        s.sendall(head("GET", STREAM))
        readers.append(s)
    time.sleep(0.3)
    before = rss_kib(daemon.pid)
    line = "say " + "x" * 3000
    for _ in range(60):  # about 30 MB of frames for four readers that read nothing
        status, _ = call(
            daemon.url, "POST", "/events", TOKEN, {"session": "W", "events": [line] * 40}
        )
        assert status == 200
    try:
        # each is dropped (write deadline 1 s, or its 50-event queue overflowed) without
        # reading a byte: the daemon lets go of its socket and of what it had not sent ...
        wait_until(lambda: open_sockets(daemon.pid) <= baseline, 10, "readers dropped")
        assert rss_kib(daemon.pid) - before < 40_000
        assert all(closed_within(s, 5.0) for s in readers)
        # ... and a new reader is welcome again (the cap counts live streams)
        fresh = open_stream(daemon.url)
        fresh.close()
    finally:
        for s in readers:
            s.close()


def test_streams_beyond_the_per_tenant_cap_get_429(daemon: DaemonProcess) -> None:
    streams = [open_stream(daemon.url, TOKEN2) for _ in range(4)]
    try:
        with connect(daemon.url) as extra:
            extra.sendall(head("GET", STREAM, token=TOKEN2))
            status, message = json_error(extra)
        assert status == 429 and "too many live streams" in message
        # another tenant is not affected by this one's streams
        other = open_stream(daemon.url, TOKEN)
        other.close()
    finally:
        for s in streams:
            s.close()
