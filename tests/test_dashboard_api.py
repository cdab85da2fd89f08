"""The dashboard's data endpoints, its SSE stream and its pieces, without a browser."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from myco.auth.actor import Actor
from myco.auth.tokens import tenant_id
from myco.config import Config
from myco.daemon import Daemon
from myco.dashboard import graph, markdown, sse
from myco.dashboard.snapshot import STALE_AFTER_MS, snapshot
from myco.hookspecs import hookimpl
from myco.plugins import make_plugin_manager
from myco.testing import Swarm
from myco.web.app import create_app
from tests.conftest import AUTH, TOKEN, Api

Client = TestClient[Any, Any]

DATA_ROUTES = [
    "/-/dashboard/state",
    "/-/dashboard/events",
    "/-/dashboard/msg/X.md",
    "/-/dashboard/stream",
]


async def state_of(client: Client) -> dict[str, Any]:
    resp = await client.get("/-/dashboard/state", headers=AUTH)
    assert resp.status == 200, await resp.text()
    return await resp.json()  # type: ignore[no-any-return]


def edges(data: dict[str, Any]) -> set[tuple[str, str, str, bool]]:
    return {(e["from"], e["to"], e["kind"], e["open"]) for e in data["graph"]["edges"]}


# -- the page ---------------------------------------------------------------------------


async def test_page_is_public_and_locked_down_by_csp(client: Client) -> None:
    resp = await client.get("/")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    page = await resp.text()
    assert '<script src="/-/dashboard/static/app.js" defer></script>' in page
    assert "http://" not in page and "https://" not in page  # no CDN, works offline


@pytest.mark.parametrize(
    ("name", "ctype"),
    [("app.js", "text/javascript"), ("style.css", "text/css"), ("index.html", "text/html")],
)
async def test_assets_are_served_with_etags(client: Client, name: str, ctype: str) -> None:
    resp = await client.get(f"/-/dashboard/static/{name}")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith(ctype)
    etag = resp.headers["ETag"]
    again = await client.get(f"/-/dashboard/static/{name}", headers={"If-None-Match": etag})
    assert again.status == 304


@pytest.mark.parametrize(
    "name", ["nope.js", "..%2F__init__.py", "%2E%2E", "graph.py", "..%2F..%2Fpyproject.toml"]
)
async def test_only_shipped_assets_are_served(client: Client, name: str) -> None:
    resp = await client.get(f"/-/dashboard/static/{name}")
    assert resp.status == 404


async def test_page_assets_reference_no_external_origin() -> None:
    from myco.dashboard.routes import assets

    files = assets()
    assert {"index.html", "app.js", "style.css"} <= set(files)
    for body, _, _ in files.values():
        text = body.decode()
        assert "cdn" not in text.lower()
        assert "@import" not in text
    assert b"new EventSource" not in files["app.js"][0]  # it could not send the header


@pytest.mark.parametrize("path", DATA_ROUTES)
async def test_data_endpoints_need_the_token(client: Client, path: str) -> None:
    resp = await client.get(path)
    assert resp.status == 401
    bad = await client.get(path, headers={"Authorization": "Bearer short"})
    assert bad.status == 401


# -- the snapshot -----------------------------------------------------------------------


async def test_state_lists_sessions_with_status_blockers_and_dependents(
    api: Api, client: Client
) -> None:
    await api.post("FRONT", "start login-page", "need BACK.auth-api")
    await api.post("BACK", "start auth-api")
    data = await state_of(client)
    by_name = {s["name"]: s for s in data["sessions"]}
    assert set(by_name) == {"FRONT", "BACK"}  # DIRECTOR appears once it has spoken
    assert by_name["FRONT"]["status"] == "active"
    assert by_name["FRONT"]["action"] == "start login-page"
    assert by_name["FRONT"]["blockers"] == ["BACK.auth-api"]
    assert by_name["FRONT"]["stale"] is False
    assert ("FRONT", "BACK", "need", True) in edges(data)
    assert data["graph"]["cycles"] == []
    assert [e["verb"] for e in data["events"]] == ["start", "need", "start"]
    assert data["last_seq"] == 3
    assert "start" in data["verbs"] and "global" in data["channels"]
    await api.post("BACK", "done auth-api")
    data = await state_of(client)
    assert ("FRONT", "BACK", "need", False) in edges(data)  # met: kept, drawn faint
    by_name = {s["name"]: s for s in data["sessions"]}
    assert by_name["BACK"]["dependents"] == ["FRONT"]


async def test_every_edge_kind(api: Api, client: Client) -> None:
    await api.post("FRONT", "need BACK.api", "ask AUTH token-format", "block BACK no api yet")
    await api.post("DIRECTOR", "direct BACK ship-api first", "direct all use-jwt")
    await api.post("BACK", "need db-server")
    data = await state_of(client)
    found = edges(data)
    assert {
        ("FRONT", "BACK", "need", True),
        ("FRONT", "AUTH", "ask", True),
        ("FRONT", "BACK", "block", True),
        ("DIRECTOR", "BACK", "direct", True),
        ("DIRECTOR", "group:ALL", "direct", True),
        ("BACK", "item:db-server", "need", True),
    } <= found
    kinds = {n["id"]: n["kind"] for n in data["graph"]["nodes"]}
    assert kinds["item:db-server"] == "item" and kinds["group:ALL"] == "group"
    await api.post("DBA", "up db-server addr:postgres://127.0.0.1:5432/app")
    assert ("BACK", "DBA", "need", False) in edges(await state_of(client))


async def test_a_deadlock_is_reported_as_a_cycle(api: Api, client: Client) -> None:
    await api.post("FRONT", "need BACK.api")
    await api.post("BACK", "need AUTH.tokens")
    await api.post("AUTH", "ask FRONT which-scopes")
    await api.post("DIRECTOR", "direct FRONT hurry")  # directives never make a deadlock
    data = await state_of(client)
    assert data["graph"]["cycles"] == [["AUTH", "FRONT", "BACK", "AUTH"]]
    in_cycle = {n["id"] for n in data["graph"]["nodes"] if n["cycle"]}
    assert in_cycle == {"FRONT", "BACK", "AUTH"}
    cycle_edges = {(e["from"], e["to"]) for e in data["graph"]["edges"] if e["cycle"]}
    assert cycle_edges == {("FRONT", "BACK"), ("BACK", "AUTH"), ("AUTH", "FRONT")}
    await api.post("FRONT", "reply AUTH read-only")  # answering breaks the cycle
    assert (await state_of(client))["graph"]["cycles"] == []


async def test_stale_sessions_are_marked(api: Api, client: Client, daemon: Daemon) -> None:
    await api.post("FRONT", "start a")
    await api.post("BACK", "start b")
    await api.post("IDLER", "done c")
    tenant = daemon.tenants.get(tenant_id(TOKEN))
    assert tenant is not None
    for name in ("FRONT", "IDLER"):
        seen = tenant.state.sessions[name].last_seen_ms
        assert seen is not None
        tenant.state.sessions[name].last_seen_ms = seen - STALE_AFTER_MS - 5000
    by_name = {s["name"]: s for s in (await state_of(client))["sessions"]}
    assert by_name["FRONT"]["stale"] is True
    assert by_name["BACK"]["stale"] is False
    assert by_name["IDLER"]["stale"] is False  # idle after a done: finished, not stale
    assert by_name["FRONT"]["age_ms"] > STALE_AFTER_MS


async def test_questions_and_directives_open_then_recently_closed(api: Api, client: Client) -> None:
    await api.post("FRONT", "ask BACK token-format spec:msg/F1.md", msgs={"F1.md": "# q"})
    await api.post("DIRECTOR", "direct BACK refresh-tokens: add refresh")
    data = await state_of(client)
    (q,) = data["questions"]["open"]
    assert (q["asker"], q["target"], q["spec"], q["in_views"]) == (
        "FRONT",
        "BACK",
        "msg/F1.md",
        True,
    )
    assert q["age_ms"] >= 0
    (d,) = data["directives"]["open"]
    assert (d["author"], d["target"], d["obj"], d["pending"]) == (
        "DIRECTOR",
        "BACK",
        "refresh-tokens",
        ["BACK"],
    )
    # BACK never posted: only named as a target, it is not a session of the list yet
    assert [s["name"] for s in data["sessions"]] == ["DIRECTOR", "FRONT"]
    await api.post("BACK", "start api")
    data = await state_of(client)
    back = next(s for s in data["sessions"] if s["name"] == "BACK")
    assert (back["questions"], back["directives"], back["inbox"]) == (1, 1, 1)
    await api.post("BACK", "reply FRONT jwt re:msg/F1.md", "done api re:refresh-tokens")
    data = await state_of(client)
    assert data["questions"]["open"] == [] and data["directives"]["open"] == []
    (cq,) = data["questions"]["closed"]
    assert (cq["asker"], cq["closed_by"], cq["how"]) == ("FRONT", "BACK", "answered")
    (cd,) = data["directives"]["closed"]
    assert cd["closed_by"] == ["BACK"] and cd["closed_ts_ms"] >= cd["ts_ms"]


async def test_resources_artifacts_and_messages(api: Api, client: Client) -> None:
    await api.post(
        "BACK", "ask FRONT schema spec:msg/BACK-001.md", msgs={"BACK-001.md": "## schema"}
    )
    await api.post("AUTH", "up token-service addr:http://127.0.0.1:9100")
    await api.post("AUTH", "done token-service ref:feat/tokens result:green")
    read = await client.get("/msg/BACK-001.md?session=FRONT", headers=AUTH)
    assert read.status == 200
    data = await state_of(client)
    (res,) = data["resources"]
    assert (res["name"], res["state"], res["addr"], res["session"]) == (
        "token-service",
        "UP",
        "http://127.0.0.1:9100",
        "AUTH",
    )
    (art,) = data["artifacts"]
    assert (art["session"], art["obj"], art["ref"], art["result"]) == (
        "AUTH",
        "token-service",
        "feat/tokens",
        "green",
    )
    (msg,) = data["messages"]
    assert (msg["name"], msg["from"], msg["to"], msg["read_by"], msg["unread_by"]) == (
        "BACK-001.md",
        "BACK",
        ["FRONT"],
        ["FRONT"],
        [],
    )


async def test_timeline_filters_and_paging(api: Api, client: Client) -> None:
    await api.post("FRONT", "start a", "say hi channel:web")
    await api.post("BACK", "ask FRONT q", "start b")
    await api.post("DIRECTOR", "say everyone")

    async def seqs(query: str) -> list[int]:
        resp = await client.get(f"/-/dashboard/events?{query}", headers=AUTH)
        assert resp.status == 200, await resp.text()
        return [e["seq"] for e in (await resp.json())["events"]]

    assert await seqs("") == [1, 2, 3, 4, 5]
    assert await seqs("session=front") == [1, 2, 3]  # its own events and those naming it
    assert await seqs("verb=say") == [2, 5]
    assert await seqs("channel=web") == [2]
    assert await seqs("limit=2") == [4, 5]
    assert await seqs("limit=2&before=4") == [2, 3]
    for bad in ("limit=0", "limit=x", "before=y", "session=..%2F"):
        resp = await client.get(f"/-/dashboard/events?{bad}", headers=AUTH)
        assert resp.status == 400


async def test_message_is_rendered_escaped_and_not_acknowledged(api: Api, client: Client) -> None:
    body = (
        "# Plan <script>alert(1)</script>\n\n"
        "<img src=x onerror=alert(2)> [x](javascript:alert(3)) **ok** `a<b`\n"
    )
    await api.post("BACK", "ask FRONT plan spec:msg/EVIL.md", msgs={"EVIL.md": body})
    resp = await client.get("/-/dashboard/msg/EVIL.md", headers=AUTH)
    assert resp.status == 200
    data = await resp.json()
    html = data["html"]
    assert (
        "<script" not in html
        and "<img" not in html
        and "javascript:" not in html.split("href", 1)[-1][:20]
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<strong>ok</strong>" in html and "<code>a&lt;b</code>" in html
    assert data["text"] == body and data["meta"]["unread_by"] == ["FRONT"]
    missing = await client.get("/-/dashboard/msg/NOPE.md", headers=AUTH)
    assert missing.status == 404
    bad = await client.get("/-/dashboard/msg/..%2Fx", headers=AUTH)
    assert bad.status in (400, 404)
    state = await state_of(client)
    assert state["messages"][0]["unread_by"] == ["FRONT"]  # the dashboard read nothing


async def test_a_session_credential_cannot_open_the_dashboard(
    aiohttp_client: Callable[..., Any], config: Config
) -> None:
    class SessionCredential:
        __name__ = "session_credential"

        @hookimpl
        def authenticate(self, request: web.Request) -> Actor | None:
            if "X-Session" not in request.headers:
                return None
            return Actor(tenant_id(TOKEN), request.headers["X-Session"])

    pm = make_plugin_manager(load_entrypoints=False, extra=[SessionCredential()])
    client = await aiohttp_client(create_app(Daemon(config, pm)))
    assert (await client.get("/status", headers=AUTH)).status == 200  # creates the tenant
    for path in DATA_ROUTES:
        resp = await client.get(path, headers={"X-Session": "FRONT"})
        assert resp.status == 403, path
        assert "tenant-wide credential" in (await resp.json())["error"]
    own = await client.get("/view/FRONT?format=dashboard", headers={"X-Session": "FRONT"})
    assert own.status == 200


async def test_dashboard_view_format_keeps_to_what_the_session_may_see(
    api: Api, client: Client
) -> None:
    await api.post("BACK", "private secret-plan", "start api")
    await api.post("AUTH", "ask BACK scopes channel:auth")
    await api.post("FRONT", "start page")
    resp = await client.get("/view/FRONT?format=dashboard", headers=AUTH)
    assert resp.headers["Content-Type"].startswith("application/json")
    mine = await resp.json()
    assert mine["viewer"] == "FRONT"
    assert "private" not in [e["verb"] for e in mine["events"]]
    assert mine["questions"]["open"] == []  # AUTH's question is in a channel FRONT is not in
    everything = await state_of(client)
    assert "private" in [e["verb"] for e in everything["events"]]
    assert len(everything["questions"]["open"]) == 1


async def test_the_plugin_can_be_disabled(
    aiohttp_client: Callable[..., Any], config: Config
) -> None:
    pm = make_plugin_manager(
        load_entrypoints=False, env={"MYCO_DISABLE_PLUGINS": "myco.default_plugins.dashboard"}
    )
    daemon = Daemon(config, pm)
    assert "dashboard" not in daemon.renderers
    client = await aiohttp_client(create_app(daemon))
    assert (await client.get("/")).status == 404
    assert (await client.get("/-/dashboard/state", headers=AUTH)).status == 404
    assert (await client.get("/status", headers=AUTH)).status == 200


async def test_snapshot_is_fast_with_50_sessions_and_10000_events(
    client: Client, daemon: Daemon
) -> None:
    assert (await client.get("/status", headers=AUTH)).status == 200
    tenant = daemon.tenants.get(tenant_id(TOKEN))
    assert tenant is not None
    verbs = ("start t{n}", "need S{o}.t{n}", "say step {n}", "ask S{o} q{n}", "done t{n}")
    for post in range(200):  # 200 posts of 50 lines by 50 sessions
        session = f"S{post % 50}"
        lines = [
            verbs[n % 5].format(n=n, o=(post + 1) % 50) for n in range(post * 50, post * 50 + 50)
        ]
        await tenant.ingest(session, lines)
    assert tenant.state.last_seq == 10_000
    start = time.perf_counter()
    data = await state_of(client)
    elapsed = time.perf_counter() - start
    assert len(data["sessions"]) == 50
    assert len(data["events"]) == 300
    assert elapsed < 0.5, f"snapshot took {elapsed:.3f}s"
    assert len(json.dumps(data)) < 1_500_000


# -- the stream -------------------------------------------------------------------------


async def read_frame(resp: Any, timeout: float = 2.0) -> tuple[str, Any, str | None]:
    """The next SSE frame that is not a comment: (event, data, id)."""
    while True:
        raw = await asyncio.wait_for(resp.content.readuntil(b"\n\n"), timeout)
        lines = raw.decode().strip("\n").split("\n")
        if all(line.startswith(":") for line in lines):
            continue
        fields: dict[str, str] = {}
        for line in lines:
            key, _, value = line.partition(": ")
            fields[key] = value
        return fields["event"], json.loads(fields["data"]), fields.get("id")


async def test_stream_says_hello_then_pushes_new_events(api: Api, client: Client) -> None:
    await api.post("FRONT", "start a")
    resp = await client.get("/-/dashboard/stream", headers=AUTH)
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/event-stream")
    assert resp.headers["Cache-Control"] == "no-cache, no-store"
    kind, data, _ = await read_frame(resp)
    assert kind == "hello" and data["last_seq"] == 1
    started = time.perf_counter()
    await api.post("BACK", "need FRONT.a", "say hi")
    kind, data, seq = await read_frame(resp)
    assert time.perf_counter() - started < 1.0
    assert kind == "events" and seq == "3"
    assert [(e["session"], e["verb"], e["obj"]) for e in data] == [
        ("BACK", "need", "FRONT.a"),
        ("BACK", "say", "hi"),
    ]
    resp.close()


async def test_stream_replays_what_a_reconnecting_client_missed(api: Api, client: Client) -> None:
    await api.post("FRONT", "start a", "start b", "start c")
    resp = await client.get("/-/dashboard/stream", headers={**AUTH, "Last-Event-ID": "1"})
    assert (await read_frame(resp))[0] == "hello"
    kind, data, seq = await read_frame(resp)
    assert kind == "events" and [e["seq"] for e in data] == [2, 3] and seq == "3"
    await api.post("FRONT", "start d")
    assert [e["seq"] for e in (await read_frame(resp))[1]] == [4]
    resp.close()
    query = await client.get("/-/dashboard/stream?after=3", headers=AUTH)
    assert (await read_frame(query))[0] == "hello"
    assert [e["seq"] for e in (await read_frame(query))[1]] == [4]
    query.close()


async def test_stream_resets_a_client_that_knows_more_than_the_daemon(
    api: Api, client: Client
) -> None:
    await api.post("FRONT", "start a")
    resp = await client.get("/-/dashboard/stream", headers={**AUTH, "Last-Event-ID": "99"})
    assert (await read_frame(resp))[0] == "hello"
    kind, data, _ = await read_frame(resp)
    assert kind == "reset" and data == {"last_seq": 1}
    resp.close()
    bad = await client.get("/-/dashboard/stream", headers={**AUTH, "Last-Event-ID": "x"})
    assert bad.status == 400


async def test_stream_keeps_the_connection_alive(
    api: Api, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sse, "HEARTBEAT_S", 0.05)
    await api.post("FRONT", "start a")
    resp = await client.get("/-/dashboard/stream", headers=AUTH)
    assert (await read_frame(resp))[0] == "hello"
    raw = await asyncio.wait_for(resp.content.readuntil(b"\n\n"), 2)
    assert raw == b": keep-alive\n\n"
    resp.close()


async def test_streams_end_when_the_daemon_shuts_down(api: Api, client: Client) -> None:
    await api.post("FRONT", "start a")
    resp = await client.get("/-/dashboard/stream", headers=AUTH)
    assert (await read_frame(resp))[0] == "hello"
    assert len(client.app[sse.STREAMS]) == 1
    await client.app.shutdown()  # what the runner does first when the daemon stops
    rest = await asyncio.wait_for(resp.content.read(), 2)
    assert rest == b""  # the stream ended instead of holding the shutdown up
    assert client.app[sse.STREAMS] == set()


async def test_a_gone_client_is_forgotten(api: Api, client: Client, daemon: Daemon) -> None:
    await api.post("FRONT", "start a")
    tenant = daemon.tenants.get(tenant_id(TOKEN))
    assert tenant is not None
    resp = await client.get("/-/dashboard/stream", headers=AUTH)
    assert (await read_frame(resp))[0] == "hello"
    assert len(tenant.watchers) == 1
    resp.close()
    deadline = time.monotonic() + 5
    while tenant.watchers and time.monotonic() < deadline:
        await api.post("FRONT", "say still there?")  # a write notices the closed socket
        await asyncio.sleep(0.02)
    assert tenant.watchers == set()


# -- pieces -----------------------------------------------------------------------------


def test_layout_places_dependencies_left_to_right_without_overlap() -> None:
    swarm = Swarm()
    swarm.post("FRONT", "need BACK.api")
    swarm.post("BACK", "need AUTH.tokens")
    swarm.post("AUTH", "start tokens")
    swarm.post("DIRECTOR", "direct FRONT go")
    for i in range(9):
        swarm.post(f"W{i}", "start x")
    data = snapshot(swarm.state, swarm.now)["graph"]
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes["DIRECTOR"]["x"] < nodes["FRONT"]["x"] < nodes["BACK"]["x"] < nodes["AUTH"]["x"]
    assert data["grid_y"] is not None and all(
        nodes[f"W{i}"]["y"] >= data["grid_y"] for i in range(9)
    )
    boxes = [(n["x"], n["y"], n["x"] + n["w"], n["y"] + n["h"]) for n in data["nodes"]]
    for i, a in enumerate(boxes):
        assert a[2] <= data["width"] and a[3] <= data["height"]
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


def test_tarjan_and_shortest_cycle() -> None:
    succ = {"A": ["B"], "B": ["C", "A"], "C": ["A"], "D": ["D"], "E": ["A"]}
    comps = graph.strongly_connected(sorted(succ), succ)
    assert sorted(comps) == [["A", "B", "C"], ["D"], ["E"]]
    assert graph.cycle_through("A", succ, {"A", "B", "C"}) == ["A", "B", "A"]
    assert graph.cycle_through("C", succ, {"A", "B", "C"}) == ["C", "A", "B", "C"]
    long_chain = {f"N{i}": [f"N{i + 1}"] for i in range(5000)}
    assert len(graph.strongly_connected(sorted(long_chain), long_chain)) == 5001  # no recursion


def test_need_provider_resolution() -> None:
    swarm = Swarm()
    swarm.post("BACK", "done api")
    swarm.post("AUTH", "start tokens")
    swarm.post("OPS", "up db-server addr:x")
    state = swarm.state
    assert graph.need_provider(state, "BACK.anything") == "BACK"
    assert graph.need_provider(state, "back.anything") == "BACK"
    assert graph.need_provider(state, "api") == "BACK"
    assert graph.need_provider(state, "tokens") == "AUTH"
    assert graph.need_provider(state, "db-server-5432") == "OPS"
    assert graph.need_provider(state, "unknown") is None


def test_tracking_survives_a_replay() -> None:
    swarm = Swarm()
    swarm.post("FRONT", "ask BACK q1", "block BACK waiting")
    swarm.post("BACK", "reply FRONT a1")
    swarm.post("AUTH", "ask BACK q2")
    first = snapshot(swarm.state, swarm.now)
    again = Swarm()
    for ev in swarm.state.events:
        again.seq = ev.seq - 1
        again.now = ev.ts_ms - 1000
        again.post(ev.session, " ".join(p for p in (ev.verb, ev.obj, ev.detail) if p))
    assert snapshot(again.state, swarm.now) == first
    assert [q["target"] for q in first["questions"]["open"]] == ["BACK"]
    assert first["questions"]["closed"][0]["closed_by"] == "BACK"
    assert ("FRONT", "BACK", "block", True) in edges(first)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        ("[a](javascript:alert(1))", "<p>[a](javascript:alert(1))</p>"),
        ('[a](https://x.org/?q=1&r="2")', '<p><a href="https://x.org/?q=1&amp;r=&quot;2&quot;"'),
        ("see https://x.org/a.", '<a href="https://x.org/a" '),
        ("**b** *i* ~~s~~ `c`", "<p><strong>b</strong> <em>i</em> <del>s</del> <code>c</code></p>"),
        ("# T\n\n- a\n- [x] b\n\n1. c", '<h1>T</h1>\n<ul><li>a</li><li class="task">☑ b</li>'),
        (
            "```js\n<b>x</b>\n```",
            '<pre><code class="language-js">&lt;b&gt;x&lt;/b&gt;</code></pre>',
        ),
        ("| h |\n|---|\n| <i>c</i> |", "<td>&lt;i&gt;c&lt;/i&gt;</td>"),
        ("> q <b>", "<blockquote><p>q &lt;b&gt;</p></blockquote>"),
        ('" onmouseover="x', "<p>&quot; onmouseover=&quot;x</p>"),
    ],
)
def test_markdown_renderer_escapes_everything(source: str, expected: str) -> None:
    assert expected in markdown.render(source)


def test_markdown_renderer_never_emits_foreign_tags() -> None:
    import re

    hostile = "\n".join(
        [
            "<svg onload=alert(1)>",
            "<iframe src=x>",
            "`<script>`",
            "> <style>",
            "| <a> |",
            "|---|",
            "| <x> |",
            "- <b onclick=y>",
            "[<img>](https://a.b)",
            "![i](javascript:1)",
        ]
    )
    html = markdown.render(hostile)
    tags = set(re.findall(r"</?([a-z0-9]+)", html))
    assert tags <= {
        "p",
        "code",
        "blockquote",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "ul",
        "li",
        "a",
        "strong",
        "em",
        "del",
        "pre",
        "h1",
        "h2",
        "hr",
        "ol",
    }
    assert re.findall(r"<[^>]*\son\w+=", html) == []  # no event handler on any real tag
