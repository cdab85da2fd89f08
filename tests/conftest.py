from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pluggy
import pytest
from aiohttp.test_utils import TestClient

from myco.config import Config
from myco.daemon import Daemon
from myco.plugins import make_plugin_manager
from myco.testing import Swarm
from myco.web.app import create_app

# myco's fixtures for plugin authors (myco_daemon, myco_swarm) load through the pytest11
# entry point; an editable install older than that entry point lacks it: load them here.
if not any(
    ep.value == "myco.testing.pytest_plugin"
    for ep in importlib.metadata.entry_points(group="pytest11")
):
    pytest_plugins = ["myco.testing.pytest_plugin"]

TOKEN = "myco-test-alpha-Qx7vN2pL9aR4tY8wK3mZ6bH1cJ5dF0gS"
TOKEN2 = "myco-test-beta-Zr3Wq8Lm2Nx6Vb9Kc4Jh7Gf1Ds5Ap0Te"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def swarm() -> Swarm:
    return Swarm()


@pytest.fixture
def pm() -> pluggy.PluginManager:
    return make_plugin_manager(load_entrypoints=False)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(data_dir=tmp_path / "data", access_log=False, plugins={"file": {"fsync": "no"}})


@pytest.fixture
def daemon(config: Config, pm: pluggy.PluginManager) -> Daemon:
    return Daemon(config, pm)


class Api:
    """A test client that speaks as tenant TOKEN by default."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client

    async def post(self, session: str, *lines: str, **extra: Any) -> dict[str, Any]:
        resp = await self.client.post(
            "/events", json={"session": session, "events": list(lines), **extra}, headers=AUTH
        )
        assert resp.status == 200, await resp.text()
        return await resp.json()  # type: ignore[no-any-return]

    async def view(self, session: str, token: str = TOKEN) -> str:
        resp = await self.client.get(
            f"/view/{session}", headers={"Authorization": f"Bearer {token}"}
        )
        assert resp.status == 200, await resp.text()
        return await resp.text()


@pytest.fixture
async def client(aiohttp_client: Callable[..., Any], daemon: Daemon) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(daemon))  # type: ignore[no-any-return]


@pytest.fixture
def api(client: TestClient[Any, Any]) -> Api:
    return Api(client)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """With MYCO_FAIL_ON_SKIP=1 (set by .ci/run) a skipped test is a failure.

    Tests skip only when a required tool (an agent CLI, redis-server, chromium) cannot be
    installed; CI must not pass silently in that case. Skips declared with a ``skipif``
    mark (a Python version without some module) are conditions, not missing tools: kept.
    """
    outcome = yield
    report = outcome.get_result()
    failing = os.environ.get("MYCO_FAIL_ON_SKIP") == "1"
    declared = any(item.iter_markers("skipif")) or any(item.iter_markers("skip"))
    if report.skipped and failing and not declared and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped in CI (MYCO_FAIL_ON_SKIP=1): {reason}"
