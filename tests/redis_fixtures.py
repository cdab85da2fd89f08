"""Fixtures for tests that need a private Redis (skipped, with the reason, without one)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.redis_server import RedisServer, available


def need_redis() -> None:
    why = available()
    if why is not None:
        pytest.skip(why)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One private server per test module (tests that need their own start one)."""
    need_redis()
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A private server for one test, with an AOF, that the test may stop and restart."""
    need_redis()
    server = RedisServer(tmp_path / "redis", appendonly=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def flush(server: RedisServer) -> None:
    """Empty the server (between tests sharing it)."""
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"FLUSHALL\r\n")
        assert s.recv(64).startswith(b"+OK")
