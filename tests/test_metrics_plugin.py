"""The third-party route plugin ``plugins/myco-metrics``, installed for real.

It is found through its entry point (group ``myco``, name ``metrics``) like any plugin;
these tests load it with ``MYCO_LOAD_PLUGINS=metrics`` and check its route, its option,
its OpenAPI path (tests/test_http_api.py checks the whole document) and that disabling it
removes all of it.
"""

from __future__ import annotations

import argparse
from importlib import metadata
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

# installed by tox (commands_pre); a skip fails CI (MYCO_FAIL_ON_SKIP=1)
pytest.importorskip("myco_metrics", reason="pip install -e plugins/myco-metrics")
from prometheus_client.parser import text_string_to_metric_families

from myco.cli import build_parser
from myco.config import Config
from myco.daemon import Daemon
from myco.plugins import Hooks, list_plugins, make_plugin_manager
from myco.web.app import create_app
from tests.conftest import AUTH

Client = TestClient[Any, Any]
LOAD = {"MYCO_LOAD_PLUGINS": "metrics"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """``(name, sorted labels) -> value`` of a Prometheus text exposition."""
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


async def start(aiohttp_client: Any, config: Config, env: dict[str, str] = LOAD) -> Client:
    daemon = Daemon(config, make_plugin_manager(env=env))
    client: Client = await aiohttp_client(create_app(daemon))
    return client


def test_the_plugin_is_installed_and_listed() -> None:
    (entry,) = metadata.entry_points(group="myco", name="metrics")
    assert entry.value == "myco_metrics" and entry.dist is not None
    assert entry.dist.name == "myco-metrics"
    listed = {p["name"]: p for p in list_plugins(make_plugin_manager(env=LOAD))}
    assert listed["metrics"]["package"] == "myco-metrics"
    assert {"register_transports", "register_serve_options", "events_ingested"} <= set(
        listed["metrics"]["hooks"]
    )


async def test_metrics_count_events_tenants_sessions_and_requests(
    aiohttp_client: Any, config: Config
) -> None:
    client = await start(aiohttp_client, config)
    for session, lines in [("ALICE", ["start x", "say hi"]), ("BOB", ["start y"])]:
        body = {"session": session, "events": lines}
        assert (await client.post("/events", json=body, headers=AUTH)).status == 200
    assert (await client.get("/nowhere", headers=AUTH)).status == 404
    resp = await client.get("/metrics")  # public without --metrics-token, like /healthz
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/plain")
    found = samples(await resp.text())
    assert found[("myco_events_ingested_total", ())] == 3
    assert found[("myco_tenants", ())] == 1
    assert found[("myco_sessions", ())] == 3  # ALICE, BOB and DIRECTOR (always there)
    posted = (("method", "POST"), ("route", "/events"), ("status", "200"))
    assert found[("myco_http_requests_total", posted)] == 2
    missing = (("method", "GET"), ("route", "unmatched"), ("status", "404"))
    assert found[("myco_http_requests_total", missing)] == 1


async def test_metrics_token_guards_the_route(aiohttp_client: Any, config: Config) -> None:
    client = await start(aiohttp_client, config.with_settings("metrics", metrics_token="m" * 40))
    for headers in ({}, AUTH, {"Authorization": "Bearer " + "n" * 40}):
        resp = await client.get("/metrics", headers=headers)
        assert resp.status == 401
        assert await resp.json() == {
            "ok": False,
            "error": "GET /metrics needs the --metrics-token bearer token",
        }
    ok = await client.get("/metrics", headers={"Authorization": "Bearer " + "m" * 40})
    assert ok.status == 200
    # a tenant token sent to /metrics is not a login: no tenant was created
    assert (await (await client.get("/healthz")).json())["tenants"] == 0


def test_metrics_token_is_a_serve_option() -> None:
    plugins = Hooks(make_plugin_manager(env=LOAD))
    args = build_parser(plugins).parse_args(["serve", "--metrics-token", "abc"])
    values = plugins.register_serve_options().resolve({}, args)
    assert values["metrics"] == {"metrics_token": "abc"}
    from_env = plugins.register_serve_options().resolve({"MYCO_METRICS_TOKEN": "xyz"}, None)
    assert from_env["metrics"] == {"metrics_token": "xyz"}


async def test_disabling_the_plugin_removes_route_option_and_path(
    aiohttp_client: Any, config: Config
) -> None:
    env = {**LOAD, "MYCO_DISABLE_PLUGINS": "metrics"}
    client = await start(aiohttp_client, config, env)
    assert (await client.get("/metrics")).status == 404
    doc = await (await client.get("/openapi.json")).json()
    assert "/metrics" not in doc["paths"]
    parser = build_parser(Hooks(make_plugin_manager(env=env)))
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", "--metrics-token", "abc"])
    assert isinstance(parser, argparse.ArgumentParser)


async def test_each_daemon_counts_for_itself(aiohttp_client: Any, config: Config) -> None:
    first = await start(aiohttp_client, config)
    await first.post("/events", json={"session": "A", "events": ["start x"]}, headers=AUTH)
    other = Config(data_dir=config.data_dir.parent / "other", plugins=config.plugins)
    second = await start(aiohttp_client, other)
    text = await (await second.get("/metrics")).text()
    assert samples(text)[("myco_events_ingested_total", ())] == 0
    assert samples(text)[("myco_tenants", ())] == 0
