"""One structured log line per request, with tenant prefix, session, route, status, duration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pluggy
from structlog.testing import capture_logs

from myco.config import Config
from myco.daemon import Daemon
from myco.web.app import create_app
from tests.conftest import AUTH, TOKEN


async def test_each_request_logs_one_line(
    aiohttp_client: Any, tmp_path: Path, pm: pluggy.PluginManager
) -> None:
    import hashlib

    config = Config(data_dir=tmp_path, access_log=True, plugins={"file": {"fsync": "no"}})
    daemon = Daemon(config, pm)
    client = await aiohttp_client(create_app(daemon))
    with capture_logs() as logs:
        resp = await client.post(
            "/events", json={"session": "alice", "events": ["start x"]}, headers=AUTH
        )
        assert resp.status == 200
        bad = await client.get("/view/.hidden", headers=AUTH)
        assert bad.status in (400, 404)
    lines = [entry for entry in logs if entry["event"] == "request"]
    assert len(lines) == 2
    first = lines[0]
    assert first["route"] == "/events" and first["status"] == 200
    assert first["tenant"] == hashlib.sha256(TOKEN.encode()).hexdigest()[:8]
    assert first["session"] == "ALICE"
    assert isinstance(first["ms"], float)
    assert TOKEN not in repr(logs)  # the token itself is never logged


def test_json_lines_when_not_a_terminal(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    code = (
        "from myco.logs import configure_logging\n"
        "import structlog\n"
        "configure_logging('auto')\n"
        "structlog.get_logger('t').info('hello', route='/x')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    record = json.loads(out.stderr.strip().splitlines()[-1])
    assert record["event"] == "hello" and record["route"] == "/x" and record["level"] == "info"
