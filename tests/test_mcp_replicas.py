"""myco-mcp on Redis replicas: each replica keeps its own search index from the stream.

Real ``myco serve --storage redis`` processes (the plugin loaded from its entry point) on
a private ``redis-server``; every process is stopped by PID.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bench.redis_server import RedisServer

from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess, call
from tests.redis_fixtures import need_redis

pytestmark = pytest.mark.slow


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    need_redis()
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def search(url: str, q: str, session: str) -> list[str]:
    query = urllib.parse.urlencode({"q": q, "session": session})
    status, body = call(url, "GET", f"/search?{query}", TOKEN)
    assert status == 200, body
    return sorted(h.get("line") or h["name"] for h in body["hits"])


def eventually(check: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def test_each_replica_indexes_what_the_others_store(tmp_path: Path, redis: RedisServer) -> None:
    args = ("--storage", "redis", "--redis-url", redis.url, "--quiet")
    with (
        DaemonProcess(tmp_path / "a", *args, token=TOKEN) as a,
        DaemonProcess(tmp_path / "b", *args, token=TOKEN) as b,
    ):
        a.post("ALICE", "say kestrel sighting at noon")
        a.post("ALICE", "private kestrel notes for me")
        ask = a.post("ALICE", "ask BOB kestrel count?")
        b.post("BOB", "reply ALICE three kestrels")
        expected_bob = sorted(
            ["say kestrel sighting at noon", "ask BOB kestrel count?", "reply ALICE three kestrels"]
        )
        for url in (a.url, b.url):  # each replica's own index, fed by the stream
            assert eventually(lambda u=url: search(u, "kestrel", "BOB") == expected_bob), (
                url,
                search(url, "kestrel", "BOB"),
            )
            assert "private kestrel notes for me" in search(url, "kestrel", "ALICE")
            assert search(url, "kestrel", "CAROL") == sorted(
                ["say kestrel sighting at noon", "ask BOB kestrel count?"]
            )
            status, thread = call(url, "GET", f"/threads/{ask['seq'][0]}", TOKEN)
            assert status == 200, thread
            assert [e["line"] for e in thread["events"]] == [
                "ask BOB kestrel count?",
                "reply ALICE three kestrels",
            ]
