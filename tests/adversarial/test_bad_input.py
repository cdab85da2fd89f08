"""Bad bytes: garbage in a session log, corrupt gzip bodies, uploads cut off mid-body."""

from __future__ import annotations

import gzip
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.adversarial.conftest import connect, head, json_error, log_lines, wait_until
from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess, call

pytestmark = pytest.mark.slow


def test_garbage_lines_in_a_session_log_are_skipped_and_reported(
    make_daemon: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = make_daemon(data=data)
    script = [
        ("DIRECTOR", ["direct BOB ship-it"]),
        ("BOB", ["start api"]),
        ("ALICE", ["need BOB.api"]),
    ]
    for session, lines in script:
        assert (
            call(first.url, "POST", "/events", TOKEN, {"session": session, "events": lines})[0]
            == 200
        )
    _, before = call(first.url, "GET", "/events", TOKEN)
    first.kill()  # no snapshot: the restart reads (and verifies) every record
    log = data / "tenants" / hashlib.sha256(TOKEN.encode()).hexdigest() / "log" / "BOB.log"
    with log.open("ab") as f:
        f.write(b"garbage that is not a record\n")
        f.write(b"2026-11-25T13:12:39.123Z;1 BOB done api\n")  # a fake event reusing seq 1
        f.write(b"2026-11-25T13:12:39.123Z BOB done api\n")  # a fake reference line
        good = log.read_bytes().splitlines()[0]
        f.write(good.replace(b"start api", b"start evil") + b"\n")  # checksum no longer matches
    second = make_daemon(data=data)
    _, after = call(second.url, "GET", "/events", TOKEN)
    assert after["events"] == before["events"]  # nothing vanished, nothing appeared
    view = call(second.url, "GET", "/view/BOB", TOKEN)[1]
    assert "ship-it" in view and "evil" not in view
    status, body = call(
        second.url, "POST", "/events", TOKEN, {"session": "BOB", "events": ["say next"]}
    )
    assert status == 200 and body["seq"] == [4, 4]  # no seq is reused
    bad = [json.loads(x) for x in log_lines(second) if "bad log record skipped" in x]
    assert [(Path(b["file"]).name, b["line"]) for b in bad] == [
        ("BOB.log", 2),
        ("BOB.log", 3),
        ("BOB.log", 4),
        ("BOB.log", 5),
    ]
    assert all(b["level"] == "error" for b in bad)


def test_corrupt_gzip_body_is_a_400_json(daemon: DaemonProcess) -> None:
    body = gzip.compress(b'{"session": "A", "events": ["start x"]}')[:20] + b"\x00garbage"
    with connect(daemon.url) as s:
        s.sendall(
            head(
                "POST",
                "/events",
                "Content-Type: application/json",
                "Content-Encoding: gzip",
                f"Content-Length: {len(body)}",
            )
            + body
        )
        status, message = json_error(s)
    assert status == 400 and "could not be read" in message
    good = gzip.compress(b'{"session": "A", "events": ["start x"]}')
    with connect(daemon.url) as s:
        s.sendall(
            head(
                "POST",
                "/events",
                "Content-Type: application/json",
                "Content-Encoding: gzip",
                f"Content-Length: {len(good)}",
            )
            + good
        )
        assert s.recv(100).startswith(b"HTTP/1.1 200")


def test_an_upload_cut_off_mid_body_logs_one_line_and_no_traceback(
    daemon: DaemonProcess,
) -> None:
    start = len(log_lines(daemon))
    for path in ("/events", "/msg/CUT-1.md", "/dispatch/A"):
        with connect(daemon.url) as s:
            s.sendall(head("POST", path, "Content-Length: 100000") + b'{"session": "A"')
        time.sleep(0.05)

    def logged() -> list[str]:
        return log_lines(daemon)[start:]

    wait_until(lambda: len(logged()) >= 3, 5, "a line per aborted upload")
    time.sleep(0.3)  # nothing more is coming
    lines = logged()
    assert len(lines) == 3, lines
    assert not any("Traceback" in x or "exception" in json.loads(x) for x in lines)
    assert call(daemon.url, "GET", "/msg/CUT-1.md", TOKEN)[0] == 404
