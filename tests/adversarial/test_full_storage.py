"""A full disk answers 507 and a Redis at maxmemory 503, with nothing half-written."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.adversarial.conftest import log_lines
from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess, call
from tests.redis_fixtures import need_redis

pytestmark = pytest.mark.slow


def _can_mount_tmpfs() -> bool:
    """Root with mount rights (a CI container may lack them: the test is then skipped)."""
    if os.geteuid() != 0:
        return False
    probe = Path(f"/tmp/myco-tmpfs-probe-{os.getpid()}")
    probe.mkdir(exist_ok=True)
    try:
        ok = (
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)],
                capture_output=True,
                timeout=10,
            ).returncode
            == 0
        )
        if ok:
            subprocess.run(["umount", str(probe)], capture_output=True, timeout=10)
        return ok
    except (OSError, subprocess.TimeoutExpired):
        return False
    finally:
        probe.rmdir()


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "disk"
    mnt.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], check=True, timeout=10
    )
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], timeout=10)


def fill(disk: Path, leave: int) -> Path:
    """Fill *disk* completely, then free *leave* bytes of it again."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    size = filler.stat().st_size
    os.truncate(filler, size - leave)
    return filler


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs root and the right to mount a tmpfs")
def test_a_full_disk_answers_507_and_stores_nothing_of_the_post(
    make_daemon: Callable[..., DaemonProcess], tiny_disk: Path
) -> None:
    daemon = make_daemon(data=tiny_disk / "data")
    url = daemon.url
    status, first = call(url, "POST", "/events", TOKEN, {"session": "A", "events": ["start x"]})
    assert status == 200
    filler = fill(tiny_disk, 4096)  # room for the message, not for the events
    post = {"session": "A", "events": ["say " + "y" * 3000] * 3, "msgs": {"A-full.md": "body"}}
    try:
        status, body = call(url, "POST", "/events", TOKEN, post)
        assert status == 507, body
        assert "storage full" in body["error"] and "nothing was stored" in body["error"]
        assert len([x for x in log_lines(daemon) if "storage full" in x]) == 1  # one line
        assert call(url, "GET", "/msg/A-full.md", TOKEN)[0] == 404
        _, events = call(url, "GET", "/events", TOKEN)
        assert [e["line"] for e in events["events"]] == ["start x"]
    finally:
        filler.unlink()
    status, body = call(url, "POST", "/events", TOKEN, post)
    assert status == 200 and body["seq"][0] == first["seq"][1] + 1  # no seq lost or reused
    assert call(url, "GET", "/msg/A-full.md", TOKEN)[0] == 200
    # a stop on a full disk: the snapshot cannot be written, and no half of it stays
    filler = fill(tiny_disk, 0)
    assert daemon.stop() == 0
    assert list((tiny_disk / "data").rglob("*.tmp")) == []
    filler.unlink()


def redis_command(port: int, *args: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        parts = [f"*{len(args)}\r\n".encode()]
        for a in args:
            parts.append(f"${len(a.encode())}\r\n{a}\r\n".encode())
        s.sendall(b"".join(parts))
        return s.recv(4096)


def test_redis_at_maxmemory_answers_503_and_stores_nothing_of_the_post(
    make_daemon: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    need_redis()
    from bench.redis_server import RedisServer

    with RedisServer(tmp_path / "redis") as server:
        daemon = make_daemon("--storage", "redis", "--redis-url", server.url)
        url = daemon.url
        assert (
            call(url, "POST", "/events", TOKEN, {"session": "A", "events": ["start x"]})[0] == 200
        )
        assert redis_command(server.port, "CONFIG", "SET", "maxmemory", "1").startswith(b"+OK")
        post = {"session": "A", "events": ["say later"], "msgs": {"A-oom.md": "body"}}
        status, body = call(url, "POST", "/events", TOKEN, post)
        assert status == 503 and "out of memory" in body["error"], body
        assert len([x for x in log_lines(daemon) if "out of memory" in x]) == 1
        assert redis_command(server.port, "CONFIG", "SET", "maxmemory", "0").startswith(b"+OK")
        assert call(url, "GET", "/msg/A-oom.md", TOKEN)[0] == 404
        _, events = call(url, "GET", "/events", TOKEN)
        assert [e["line"] for e in events["events"]] == ["start x"]
        assert call(url, "POST", "/events", TOKEN, post)[0] == 200
        daemon.stop()
