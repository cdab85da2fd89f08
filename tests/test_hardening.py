"""Issue 11 in process: linear /status, message ownership, invisible characters, gzip,
growth limits and log redaction."""

from __future__ import annotations

import gzip
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from myco import logs
from myco.auth.session_tokens import session_token
from myco.daemon import Daemon
from myco.protocol import state as state_module
from tests.conftest import AUTH, TOKEN, Api

Client = TestClient[Any, Any]


async def test_status_is_linear_in_sessions(
    api: Api, client: Client, daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state_module, "MAX_SESSIONS", 10_000, raising=False)
    await api.post("S0", "start x")
    tenant = next(iter(daemon.tenants))
    n = 3000
    for i in range(1, n):  # each waits on the previous one: S{i} needs S{i-1}.api
        await tenant.ingest(f"S{i}", [f"need S{i - 1}.api", f"need thing{i}"])
    started = time.perf_counter()
    resp = await client.get("/status", headers=AUTH)
    elapsed = time.perf_counter() - started
    sessions = (await resp.json())["sessions"]
    assert len(sessions) == n + 1
    assert sessions["S5"]["dependents"] == ["S6"]
    assert sessions["S6"]["blockers"] == ["S5.api", "thing6"]
    assert elapsed < 1.0, f"{elapsed:.2f} s for {n} sessions"  # it was many seconds


async def test_dependents_follow_done_and_up(api: Api, client: Client) -> None:
    await api.post("FRONT", "need BACK.auth", "need db-5432", "need cache")
    await api.post("BACK", "start auth")
    status = (await (await client.get("/status", headers=AUTH)).json())["sessions"]
    assert status["BACK"]["dependents"] == ["FRONT"]
    assert status["FRONT"]["blockers"] == ["BACK.auth", "db-5432", "cache"]
    await api.post("BACK", "done auth")
    await api.post("OPS", "up db addr:x")
    status = (await (await client.get("/status", headers=AUTH)).json())["sessions"]
    assert status["FRONT"]["blockers"] == ["cache"]
    assert status["BACK"]["dependents"] == ["FRONT"]  # it published what FRONT needed


async def test_messages_named_after_a_session_belong_to_it(api: Api, client: Client) -> None:
    await api.post("BOB", "start api")
    squat = await client.post(
        "/events",
        json={"session": "MALLORY", "events": ["say hi"], "msgs": {"bob-plan.md": "fake"}},
        headers=AUTH,
    )
    assert squat.status == 403
    assert "belong to session BOB" in (await squat.json())["error"]
    direct = await client.post("/msg/BOB-plan.md?session=MALLORY", data=b"fake", headers=AUTH)
    assert direct.status == 403
    assert (await client.get("/msg/BOB-plan.md", headers=AUTH)).status == 404
    # nothing of the refused post was stored (MALLORY is not even a session)
    status = (await (await client.get("/status", headers=AUTH)).json())["sessions"]
    assert "MALLORY" not in status
    body = await api.post(
        "BOB", "ask ALICE review spec:msg/BOB-plan.md", msgs={"BOB-plan.md": "real"}
    )
    assert body["msgs"] == {"BOB-plan.md": "created"}
    assert await (await client.get("/msg/BOB-plan.md", headers=AUTH)).text() == "real"
    # DIRECTOR and a tenant-wide request acting as no session may name any message
    assert (await client.post("/msg/BOB-notes.md", data=b"x", headers=AUTH)).status == 200
    await api.post("DIRECTOR", "say x", msgs={"BOB-brief.md": "from the director"})
    # a retried post with the same message is not an error; a different body is
    again = await api.post("BOB", "say again", msgs={"BOB-plan.md": "real"})
    assert again["msgs"] == {"BOB-plan.md": "exists"}


async def test_invisible_characters_are_spelled_out_in_views_and_messages(
    api: Api, client: Client
) -> None:
    sneaky = "review \u202egnp.exe\u202c now\u200b\ufeff\U000e0041"
    await api.post("EVE", f"ask BOB {sneaky}", msgs={"EVE-1.md": f"# hi {sneaky}"})
    view = await api.view("BOB")
    for ch in ("\u202e", "\u202c", "\u200b", "\ufeff", "\U000e0041"):
        assert ch not in view
    assert "[U+202E]" in view and "[U+200B]" in view
    text = await (await client.get("/msg/EVE-1.md", headers=AUTH)).text()
    assert "\u202e" not in text and "[U+202E]" in text


async def test_a_corrupt_gzip_body_is_a_400(client: Client) -> None:
    good = gzip.compress(b'{"session": "A", "events": ["start x"]}')
    headers = {**AUTH, "Content-Encoding": "gzip", "Content-Type": "application/json"}
    bad = await client.post("/events", data=b"\x1f\x8b\x08\x00" + b"\xff" * 40, headers=headers)
    assert bad.status == 400
    assert "could not be read" in (await bad.json())["error"]
    assert (await client.post("/events", data=good, headers=headers)).status == 200


async def test_a_view_of_an_unknown_session_creates_nothing(
    api: Api, client: Client, daemon: Daemon
) -> None:
    await api.view("GHOST")
    await client.get("/view/GHOST2?format=json", headers=AUTH)
    tenant = next(iter(daemon.tenants))
    assert sorted(tenant.state.sessions) == ["DIRECTOR"]


async def test_paged_history_reports_where_to_continue(
    api: Api, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from myco import tenants

    monkeypatch.setattr(tenants, "HISTORY_SCAN_MAX", 50)
    for _ in range(3):
        await api.post("A", *[f"private note{i}" for i in range(40)])
    await api.post("A", "say visible")
    # a session-bound reader who may not see A's private notes: the scan stops at 50
    bob = {"Authorization": f"Bearer {session_token(TOKEN, 'B')}"}
    page = await (await client.get("/events?limit=5", headers=bob)).json()
    assert page["events"] == [] and page["next_after"] == 50
    page = await (await client.get("/events?limit=5&after=100", headers=bob)).json()
    assert [e["line"] for e in page["events"]] == ["say visible"]
    assert "next_after" not in page


def test_redaction_hides_bearer_tokens_remembered_secrets_and_myco_tokens() -> None:
    secret = "s3cr3t-" + "Qx7vN2pL9aR4tY8wK3mZ6bH1cJ5d"
    logs.remember_secret(secret)
    line = (
        f"Authorization: Bearer {secret} and {secret!r} in locals, "
        f"b'\\x00{secret}', myco_{'A' * 30}, plus {TOKEN[:10]}"
    )
    out = logs.redact(line)
    assert secret not in out and "myco_AAAA" not in out
    assert out.count("[redacted]") == 4
    assert TOKEN[:10] in out  # an ordinary word is left alone
    logs.remember_secret("short")  # too short to be a token: never redacted
    assert logs.redact("a short word") == "a short word"


async def test_a_stream_that_falls_behind_is_reset_and_ended_and_the_cap_holds(
    aiohttp_client: Any, daemon: Daemon
) -> None:
    import asyncio

    from myco.web.app import create_app
    from myco.web.limits import Limits

    client = await aiohttp_client(create_app(daemon, Limits(stream_queue=3, streams_per_tenant=2)))
    api = Api(client)
    await api.post("A", "start x")
    first = await client.get("/-/dashboard/stream", headers=AUTH)
    second = await client.get("/-/dashboard/stream", headers=AUTH)
    third = await client.get("/-/dashboard/stream", headers=AUTH)
    assert third.status == 429
    assert "too many live streams" in (await third.json())["error"]
    await asyncio.wait_for(first.content.readuntil(b"\n\n"), 2)  # hello
    tenant = next(iter(daemon.tenants))
    await api.post("A", *[f"say {i}" for i in range(10)])  # 10 events > a queue of 3
    rest = await asyncio.wait_for(first.content.read(), 5)  # the stream ends by itself
    assert b"event: reset" in rest and b"event: events" not in rest
    # `second` fell behind the same way: both are gone, their queues freed
    assert b"event: reset" in await asyncio.wait_for(second.content.read(), 5)
    assert tenant.watchers == set()
    ok = await client.get("/-/dashboard/stream", headers=AUTH)  # room again
    assert ok.status == 200
    ok.close()


async def test_state_that_only_grows_with_history_is_bounded(
    api: Api, daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state_module, "MAX_PROVIDED", 100)
    monkeypatch.setattr(state_module, "MAX_ARTIFACTS", 50)
    monkeypatch.setattr(state_module, "MAX_QUESTIONS", 40)
    monkeypatch.setattr(state_module, "MAX_ACKED", 60)
    await api.post("B", "need A.keep")
    for batch in range(4):
        await api.post("A", *[f"done item{batch}-{i}" for i in range(100)], "done keep")
        await api.post("A", *[f"ask B q{batch}-{i}" for i in range(30)])
        await api.post("B", *[f"ack spec{batch}-{i}" for i in range(30)])
    state = next(iter(daemon.tenants)).state
    assert len(state.provided) <= 100 and len(state.artifacts) == 50
    assert len(state.questions) == 40
    assert len(state.acks) <= 60 and "spec3-29" in state.acks
    assert state.provided.get("A.keep") == {"A"}  # needed by B: never forgotten
    assert "item3-99" in state.provided and "item0-0" not in state.provided
    assert state.blockers_for("B") == []
