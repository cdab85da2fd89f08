"""Cached views stay fresh: a new render when the state changes or the second turns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from myco import clock
from myco.config import Config
from myco.daemon import Daemon
from myco.plugins import make_plugin_manager

TENANT = "d" * 64


@pytest.fixture
async def daemon(tmp_path: Path):  # type: ignore[no-untyped-def]
    d = Daemon(
        Config(data_dir=tmp_path, access_log=False, tenant_idle_ttl=0),
        make_plugin_manager(load_entrypoints=False),
    )
    await d.start()
    yield d
    await d.stop()


async def test_cached_view_follows_state_and_clock(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await daemon.tenants.create(TENANT)
    await tenant.ingest("ALICE", ["start task-one"])
    base = tenant.state.events[-1].ts_ms + 5_000
    base -= base % 1000
    now = [base + 100]
    monkeypatch.setattr(clock, "now_ms", lambda: now[0])

    seen = tenant.state.sessions["ALICE"].last_seen_ms
    assert seen is not None

    def age(text: str) -> int:
        return int(json.loads(text)["sessions"]["ALICE"]["age_ms"])

    first = tenant.render_fresh("BOB", "json")
    assert age(first) == now[0] - seen
    now[0] = base + 900  # the same second, nothing changed: the same string
    assert tenant.render_fresh("BOB", "json") is first

    now[0] = base + 1_000  # the next second: ages move on
    second = tenant.render_fresh("BOB", "json")
    assert age(second) == now[0] - seen

    await tenant.ingest("ALICE", ["start task-two"])  # a state change within the second
    third = tenant.render_fresh("BOB", "json")
    assert json.loads(third)["sessions"]["ALICE"]["working_on"] == "task-two"
    markdown = tenant.render_fresh("BOB")
    assert "task-two" in markdown and tenant.render_fresh("BOB") is markdown

    # the cache is per session and format, and equals an uncached render
    assert tenant.render_fresh("BOB", "json") == tenant.render("BOB", "json", now[0])
    assert tenant.render_fresh("ALICE") == tenant.render("ALICE", "markdown", now[0])


async def test_new_message_invalidates_the_cached_view(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await daemon.tenants.create(TENANT)
    await tenant.ingest("ALICE", ["start x"])
    monkeypatch.setattr(clock, "now_ms", lambda: tenant.state.events[-1].ts_ms + 1_000)
    before = tenant.render_fresh("BOB")
    revision = tenant.revision
    assert await tenant.put_msg("ALICE-note.md", b"hello") == "created"
    assert tenant.revision == revision + 1
    assert tenant.render_fresh("BOB") is not before


async def test_views_of_an_older_state_are_not_held(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache keeps only the current state's and second's views: memory stays bounded by
    what was asked since the last change, not by every session name ever requested."""
    tenant = await daemon.tenants.create(TENANT)
    await tenant.ingest("ALICE", ["start x"])
    monkeypatch.setattr(clock, "now_ms", lambda: tenant.state.events[-1].ts_ms + 1_000)
    for name in ("BOB", "CAROL", "DAVE"):
        tenant.view_body(name)
    assert len(tenant._views) == 3
    await tenant.ingest("ALICE", ["start y"])
    assert tenant.view_body("BOB") == tenant.render_fresh("BOB").encode()
    assert len(tenant._views) == 1  # the three stale views were dropped, not kept
