"""Replay after a restart yields exactly the pre-restart state (same views at the same time)."""

from __future__ import annotations

from pathlib import Path

from myco.config import Config
from myco.daemon import Daemon
from myco.plugins import make_plugin_manager

TENANT = "a" * 64
SCRIPT = [
    ("FRONT", ["start login-page", "need BACK.auth-api", "need cache-8080"]),
    (
        "DIRECTOR",
        ["direct all use-jwt everywhere", "direct BACK task-a first", "direct BACK task-b later"],
    ),
    ("BACK", ["start auth-api", "up cache addr:http://127.0.0.1:9"]),
    (
        "FRONT",
        [
            "ask BACK q-one spec:msg/F-1.md",
            "ask BACK q-two spec:msg/F-2.md",
            "say deploy soon channel:ops",
        ],
    ),
    (
        "BACK",
        [
            "done auth-api ref:feat/auth result:ok re:task-a",
            "reply FRONT answer re:msg/F-1.md spec:msg/B-1.md",
            "private thinking",
        ],
    ),
    ("AUTH", ["start tokens channel:ops", "block waiting for keys", "down cache"]),
    ("DIRECTOR", ["private re:task-b"]),
]


async def build(data: Path) -> Daemon:
    daemon = Daemon(
        Config(data_dir=data, access_log=False, plugins={"file": {"fsync": "always"}}),
        make_plugin_manager(load_entrypoints=False),
    )
    await daemon.start()
    return daemon


def snapshot(daemon: Daemon, now: int) -> dict[str, str]:
    tenant = daemon.tenants.get(TENANT)  # loaded by the caller
    assert tenant is not None
    sessions = sorted(tenant.state.sessions)
    out = {f"md:{s}": tenant.render(s, "markdown", now) for s in sessions}
    out.update({f"json:{s}": tenant.render(s, "json", now) for s in sessions})
    return out


async def test_restart_replays_to_the_same_state(tmp_path: Path) -> None:
    first = await build(tmp_path)
    tenant = await first.tenants.create(TENANT)
    for name in ("F-1.md", "F-2.md", "B-1.md"):
        assert await tenant.put_msg(name, b"body") == "created"
    for session, lines in SCRIPT:
        await tenant.ingest(session, lines)
    await tenant.ack_msg("B-1.md", "FRONT")
    await tenant.ack_msg("F-2.md", "EVE")  # a third party's read changes nothing for BACK
    now = tenant.state.events[-1].ts_ms + 5_000
    before = snapshot(first, now)
    await first.stop()

    second = await build(tmp_path)
    assert second.tenants.get(TENANT) is None  # tenants load on first use
    assert await second.tenants.open(TENANT) is not None
    after = snapshot(second, now)
    await second.stop()
    assert after == before
    assert "(reply read)" in before["md:BACK"]
    assert "q-two" in before["md:BACK"]  # still open: only its target's read would close it
    directives = before["md:BACK"].split("## DIRECTIVES\n")[1].split("\n\n")[0].splitlines()
    assert [d.split("] ", 1)[1] for d in directives] == [
        "use-jwt everywhere",
        "task-a",
        "task-b",  # open first, then closed (✓) ones
    ]
    assert [d.startswith("- ✓") for d in directives] == [False, True, True]


async def test_snapshot_restart_replays_only_the_tail_and_matches(tmp_path: Path) -> None:
    first = await build(tmp_path)
    tenant = await first.tenants.create(TENANT)
    for session, lines in SCRIPT:
        await tenant.ingest(session, lines)
    await first.stop()  # a clean stop writes the snapshot
    assert (tmp_path / "tenants" / TENANT / "snapshot.bin").exists()

    second = await build(tmp_path)
    t2 = await second.tenants.open(TENANT)  # loaded on first use
    assert t2 is not None and t2.snapshot_seq == t2.state.last_seq
    await t2.ingest("LATE", ["start after-snapshot"], client_id="late-1")
    now = t2.state.events[-1].ts_ms + 1_000
    expected = snapshot(second, now)
    await second.storage.close()  # as if it crashed: no new snapshot

    third = await build(tmp_path)  # stale snapshot + a newer tail
    t3 = await third.tenants.open(TENANT)
    assert t3 is not None
    assert snapshot(third, now) == expected
    again = await t3.ingest("LATE", ["start after-snapshot"], client_id="late-1")
    assert again.duplicate  # client ids survive through the snapshot too
    await third.stop()


async def test_snapshot_of_another_plugin_set_is_ignored(tmp_path: Path) -> None:
    first = await build(tmp_path)
    tenant = await first.tenants.create(TENANT)
    await tenant.ingest("ALICE", ["start x"])
    await first.stop()
    path = tmp_path / "tenants" / TENANT / "snapshot.bin"
    path.write_bytes(path.read_bytes()[:8] + b"not a pickle")
    second = await build(tmp_path)
    t2 = await second.tenants.open(TENANT)  # loaded on first use
    assert t2 is not None and t2.snapshot_seq == 0  # unusable: full replay instead
    assert t2.state.sessions["ALICE"].action == "start x"
    await second.stop()
