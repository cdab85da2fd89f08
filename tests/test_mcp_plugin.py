"""myco-mcp: MCP over Streamable HTTP with the SDK's own client, threads and search."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import myco_mcp
import pytest
from aiohttp.test_utils import TestServer
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError

from myco.auth.session_tokens import session_token
from myco.auth.tokens import tenant_id
from myco.config import Config
from myco.daemon import Daemon
from myco.plugins import make_plugin_manager
from myco.web.app import create_app
from tests.conftest import TOKEN, TOKEN2


class Served:
    """A daemon with the plugin, served on a loopback port."""

    def __init__(self, server: TestServer, daemon: Daemon) -> None:
        self.server = server
        self.daemon = daemon
        self.url = str(server.make_url(""))

    async def http(
        self, method: str, path: str, token: str | None = TOKEN, **kw: Any
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with (
            aiohttp.ClientSession() as s,
            s.request(method, self.url + path, headers=headers, **kw) as resp,
        ):
            text = await resp.text()
            try:
                return resp.status, json.loads(text)
            except ValueError:
                return resp.status, text

    async def post(self, session: str, *lines: str, token: str = TOKEN) -> dict[str, Any]:
        status, body = await self.http(
            "POST", "/events", token, json={"session": session, "events": list(lines)}
        )
        assert status == 200, body
        return body  # type: ignore[no-any-return]

    async def put_msg(self, name: str, body: str, session: str, token: str = TOKEN) -> None:
        status, answer = await self.http(
            "POST", f"/msg/{name}?session={session}", token, data=body.encode()
        )
        assert status == 200, answer

    async def search(self, q: str, session: str = "", token: str = TOKEN, **kw: Any) -> Any:
        params = {"q": q, **({"session": session} if session else {}), **kw}
        status, body = await self.http("GET", "/search", token, params=params)
        assert status == 200, body
        return body

    @asynccontextmanager
    async def mcp(
        self, token: str | None = TOKEN, session: str | None = None
    ) -> AsyncIterator[ClientSession]:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if session:
            headers["X-Myco-Session"] = session
        async with (
            create_mcp_http_client(headers=headers) as http,
            streamable_http_client(self.url + "/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as client,
        ):
            await client.initialize()
            yield client


Serve = Callable[..., Awaitable[Served]]


@pytest.fixture
async def serve(tmp_path: Path) -> AsyncIterator[Serve]:
    servers: list[TestServer] = []

    async def start(data: Path | None = None, strict: bool = False) -> Served:
        pm = make_plugin_manager(load_entrypoints=False, extra=[myco_mcp])
        cfg = Config(
            data_dir=data or tmp_path / "data",
            access_log=False,
            plugins={"file": {"fsync": "no"}, "auth": {"require_session_tokens": strict}},
        )
        daemon = Daemon(cfg, pm)
        server = TestServer(create_app(daemon), host="127.0.0.1", port=0)
        await server.start_server()
        servers.append(server)
        served = Served(server, daemon)
        await served.http("GET", "/view/ALICE")  # the tenant exists (and its session key)
        await served.http("GET", "/view/ALICE", token=TOKEN2)
        return served

    yield start
    for server in servers:
        await server.close()


def text_of(result: Any) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


async def call(client: ClientSession, tool: str, **args: Any) -> Any:
    result = await client.call_tool(tool, args)
    assert not result.is_error, text_of(result)
    found = result.structured_content
    if isinstance(found, dict) and set(found) != {"result"}:
        return found
    return text_of(result)


async def refused(client: ClientSession, tool: str, **args: Any) -> str:
    result = await client.call_tool(tool, args)
    assert result.is_error, text_of(result)
    return text_of(result)


# -- authentication -------------------------------------------------------------------


async def test_no_token_or_a_wrong_one_is_a_401_before_any_mcp_exchange(serve: Serve) -> None:
    served = await serve()
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
    for token in (None, "myco-wrong"):
        status, body = await served.http("POST", "/mcp", token, json=init)
        assert status == 401, body
        assert "error" in body and "jsonrpc" not in body
    with pytest.raises(Exception) as refusal:  # noqa: PT011 - an exception group
        async with served.mcp(token=None):
            pass
    assert refusal.group_contains(MCPError, match="error response", depth=None)


async def test_get_is_405_the_endpoint_pushes_nothing(serve: Serve) -> None:
    """Stateless: no stream of server messages; an open GET would hold OpenCode's client."""
    served = await serve()
    status, body = await served.http("GET", "/mcp")
    assert status == 405 and "not allowed" in body["error"]
    status, body = await served.http("POST", "/mcp", data=b"x")  # not JSON: the daemon's 400
    assert status == 400 and "application/json" in body["error"]


async def test_session_token_acts_only_as_its_session(serve: Serve) -> None:
    served = await serve()
    alice = session_token(TOKEN, "ALICE")
    async with served.mcp(token=alice) as client:
        view = await call(client, "get_view")  # the token's own session by default
        assert "ALICE" in view
        message = await refused(client, "get_view", session="BOB")
        assert "may only act as session ALICE" in message
        message = await refused(client, "post_events", lines=["start x"], session="BOB")
        assert "may only act as session ALICE" in message


async def test_strict_daemon_keeps_director_verbs_for_director(serve: Serve) -> None:
    served = await serve(strict=True)
    async with served.mcp(token=session_token(TOKEN, "ALICE")) as client:
        message = await refused(client, "post_events", lines=["direct BOB stop"])
        assert "only DIRECTOR may post `direct`" in message
    async with served.mcp(token=session_token(TOKEN, "DIRECTOR")) as client:
        result = await call(client, "post_events", lines=["direct BOB stop"])
        assert len(result["seq"]) == 1
    async with served.mcp(token=TOKEN) as client:  # tenant token acts as nobody there
        assert "requires session tokens" in await refused(client, "get_view", session="BOB")


async def test_tenants_are_isolated(serve: Serve) -> None:
    served = await serve()
    async with served.mcp(session="ALICE") as client:
        await call(client, "post_events", lines=["say zebra crossing tonight"])
    async with served.mcp(token=TOKEN2, session="BOB") as other:
        assert "zebra" not in await call(other, "get_view")
        assert (await call(other, "search", query="zebra"))["hits"] == []
        assert "no message" in await refused(other, "read_message", name="ALICE-x.md")
    assert (await served.search("zebra", token=TOKEN2))["hits"] == []
    assert len((await served.search("zebra"))["hits"]) == 1


# -- tools ----------------------------------------------------------------------------


async def test_tools_are_listed_with_descriptions_that_teach(serve: Serve) -> None:
    served = await serve()
    async with served.mcp(session="ALICE") as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == {
            "get_view",
            "post_events",
            "read_message",
            "write_message",
            "search",
            "thread",
        }
        assert "reply <SESSION>" in (tools["post_events"].description or "")
        assert "re:#<id>" in (tools["thread"].description or "")
        templates = (await client.list_resource_templates()).resource_templates
        assert [t.uri_template for t in templates] == ["myco://view/{session}"]


async def test_post_events_returns_seqs_and_lint_warnings_and_the_view_shows_them(
    serve: Serve,
) -> None:
    served = await serve()
    async with served.mcp(session="ALICE") as client:
        result = await call(client, "post_events", lines=["start login-form", "reply BOB hi"])
        assert len(result["seq"]) == 2 and result["seq"][1] == result["seq"][0] + 1
        assert any("no pending ask from BOB" in w for w in result["warnings"])
        message = await refused(client, "post_events", lines=["start a\nb"])
        assert "events[0]" in message and "line break" in message
    async with served.mcp(session="BOB") as client:  # the header names the session
        assert "login-form" in await call(client, "get_view")
        assert "login-form" in await call(client, "get_view", session="CAROL")


async def test_messages_are_written_read_and_acknowledged(serve: Serve) -> None:
    served = await serve()
    async with served.mcp(session="ALICE") as alice:
        said = await call(alice, "write_message", name="ALICE-001.md", body="use HS256 tokens")
        assert "spec:msg/ALICE-001.md" in said
        await call(alice, "post_events", lines=["ask BOB token format? spec:msg/ALICE-001.md"])
        assert "already exists" in await refused(
            alice, "write_message", name="ALICE-001.md", body="again"
        )
        assert "belong to session BOB" in await refused(
            alice, "write_message", name="BOB-002.md", body="not mine"
        )
    async with served.mcp(session="BOB") as bob:
        assert "msg/ALICE-001.md" in await call(bob, "get_view")
        assert await call(bob, "read_message", name="msg/ALICE-001.md") == "use HS256 tokens"
        view = await call(bob, "get_view")
        pending = view.partition("## PENDING MESSAGES")[2].partition("\n## ")[0]
        assert "ALICE-001.md" not in pending  # read: no longer pending (or no such section)


async def test_the_view_resource_is_the_sessions_view(serve: Serve) -> None:
    served = await serve()
    await served.post("BOB", "start payments")
    async with served.mcp(token=session_token(TOKEN, "ALICE")) as client:
        result = await client.read_resource("myco://view/ALICE")
        text = "".join(getattr(c, "text", "") for c in result.contents)
        assert "payments" in text
        with pytest.raises(Exception, match="may only act as session ALICE"):
            await client.read_resource("myco://view/BOB")


# -- threads --------------------------------------------------------------------------


async def test_an_ask_its_reply_review_and_messages_share_a_thread(serve: Serve) -> None:
    served = await serve()
    ask = await served.post("ALICE", "ask BOB which token format? spec:msg/ALICE-001.md")
    await served.post("CAROL", "say unrelated chatter")
    await served.post("BOB", "reply ALICE jwt-hs256 spec:msg/BOB-002.md")
    await served.post("ALICE", "review BOB msg/BOB-002.md re:msg/ALICE-001.md")
    await served.post("BOB", f"done token-format re:#{ask['seq'][0]}")
    thread_id = ask["seq"][0]
    status, body = await served.http("GET", f"/threads/{thread_id}")
    assert status == 200, body
    lines = [e["line"] for e in body["events"]]
    assert lines == [
        "ask BOB which token format? spec:msg/ALICE-001.md",
        "reply ALICE jwt-hs256 spec:msg/BOB-002.md",
        "review BOB msg/BOB-002.md re:msg/ALICE-001.md",
        f"done token-format re:#{thread_id}",
    ]
    assert body["msgs"] == ["ALICE-001.md", "BOB-002.md"]
    async with served.mcp(session="DAVE") as dave:  # DAVE sees the ask, not the reply
        shown = await call(dave, "thread", id=thread_id)
        assert "reply ALICE jwt-hs256 spec:msg/BOB-002.md" not in [
            e["line"] for e in shown["events"]
        ]
        assert "no thread" in await refused(dave, "thread", id=thread_id + 1)
    status, body = await served.http("GET", "/threads/999")
    assert status == 404 and "no thread" in body["error"]
    status, body = await served.http("GET", "/threads/abc")
    assert status == 400


# -- search ---------------------------------------------------------------------------


async def test_search_applies_visibility_private_notes_replies_and_channels(
    serve: Serve,
) -> None:
    served = await serve()
    await served.post("ALICE", "private gadget secret plan")
    await served.post("ALICE", "say gadget launch soon")
    await served.post("ALICE", "say gadget for ops only channel:ops")
    await served.post("BOB", "up channel:ops")
    await served.post("ALICE", "ask CAROL gadget colour?")
    await served.post("CAROL", "reply ALICE gadget is blue")
    lines = lambda body: sorted(h["line"] for h in body["hits"])  # noqa: E731
    assert lines(await served.search("gadget", "ALICE")) == sorted(
        [
            "private gadget secret plan",
            "say gadget launch soon",
            "say gadget for ops only channel:ops",
            "ask CAROL gadget colour?",
            "reply ALICE gadget is blue",
        ]
    )
    assert lines(await served.search("gadget", "BOB")) == sorted(
        [
            "say gadget launch soon",
            "say gadget for ops only channel:ops",
            "ask CAROL gadget colour?",
        ]
    )
    assert lines(await served.search("gadget", "DAVE")) == sorted(
        ["say gadget launch soon", "ask CAROL gadget colour?"]
    )
    # a session token searches as its session, whatever it asks for
    alice = session_token(TOKEN, "ALICE")
    status, _ = await served.http("GET", "/search", alice, params={"q": "x", "session": "BOB"})
    assert status == 403
    status, body = await served.http(
        "GET", "/search", session_token(TOKEN, "DAVE"), params={"q": "secret"}
    )
    assert status == 200 and body["hits"] == []


async def test_search_ranks_pages_and_finds_messages_their_readers_may_see(
    serve: Serve,
) -> None:
    served = await serve()
    for i in range(5):
        await served.post("ALICE", f"say walrus note {i}")
    await served.post("ALICE", "say walrus walrus walrus")
    first = await served.search("walrus", "BOB", limit=4)
    assert first["hits"][0]["line"] == "say walrus walrus walrus"  # best match first
    assert first["next_offset"] == 4
    rest = await served.search("walrus", "BOB", offset=4, limit=4)
    assert rest["next_offset"] is None
    seen = [h["seq"] for h in first["hits"] + rest["hits"]]
    assert len(seen) == len(set(seen)) == 6

    await served.put_msg("ALICE-plan.md", "the narwhal migration plan", "ALICE")
    await served.put_msg("ALICE-diary.md", "narwhal diary, mine alone", "ALICE")
    await served.post("ALICE", "ask BOB review? spec:msg/ALICE-plan.md")
    await served.post("ALICE", "private remember ref:msg/ALICE-diary.md")
    names = lambda body: sorted(h["name"] for h in body["hits"] if h["kind"] == "msg")  # noqa: E731
    assert names(await served.search("narwhal", "BOB")) == ["ALICE-plan.md"]
    assert names(await served.search("narwhal", "ALICE")) == ["ALICE-diary.md", "ALICE-plan.md"]
    assert names(await served.search("narwhal", "DAVE")) == ["ALICE-plan.md"]  # the ask is public


async def test_search_rejects_bad_queries_with_a_400(serve: Serve) -> None:
    served = await serve()
    for params in ({"q": ""}, {"q": "x", "limit": "0"}, {"q": "x", "offset": "a"}):
        status, body = await served.http("GET", "/search", params=params)
        assert status == 400, (params, body)
        assert body["error"]
    assert (await served.search("%% ..."))["hits"] == []  # no words: nothing matches
    # FTS5 syntax is searched as text, never an error
    await served.post("ALICE", 'say NEAR "quoted" AND * stuff')
    assert len((await served.search('NEAR "quoted" AND *'))["hits"]) == 1


async def test_the_index_is_rebuilt_from_the_log_and_caught_up_after_a_restart(
    serve: Serve, tmp_path: Path
) -> None:
    data = tmp_path / "d1"
    first = await serve(data)
    await first.post("ALICE", "say octopus one")
    await first.server.close()
    second = await serve(data)
    await second.post("ALICE", "say octopus two")
    assert len((await second.search("octopus"))["hits"]) == 2
    await second.server.close()
    for f in (data / "search").iterdir():
        f.unlink()  # a lost index is rebuilt from the log
    third = await serve(data)
    library = myco_mcp.library_of(third.daemon)
    tenant = third.daemon.tenants.get(tenant_id(TOKEN))
    assert tenant is not None
    await library.wait_ready(tenant)
    hits = (await third.search("octopus"))["hits"]
    assert sorted(h["line"] for h in hits) == ["say octopus one", "say octopus two"]


async def test_openapi_documents_the_plugins_paths(serve: Serve) -> None:
    served = await serve()
    status, doc = await served.http("GET", "/openapi.json", token=None)
    assert status == 200
    assert {"/mcp", "/search", "/threads/{id}"} <= set(doc["paths"])
    assert "SearchHit" in doc["components"]["schemas"]


# -- command line: the stdio bridge, search and thread ----------------------------------


def cli_env(served: Served, token: str = TOKEN) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYCO_")}
    return {**env, "MYCO_URL": served.url, "MYCO_TOKEN": token}


async def myco(served: Served, *args: str, token: str = TOKEN) -> tuple[int, str, str]:
    """``myco ARGS`` as a process (asynchronously: the daemon serves from this loop)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "myco",
        *args,
        env=cli_env(served, token),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


@pytest.mark.slow
async def test_stdio_bridge_serves_the_same_tools_as_the_session(serve: Serve) -> None:
    served = await serve()
    await served.post("BOB", "say hello from http")
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "myco", "mcp", "ALICE"], env=cli_env(served)
    )
    async with (
        stdio_client(params) as (read, write),
        ClientSession(read, write) as client,
    ):
        await client.initialize()
        names = {t.name for t in (await client.list_tools()).tools}
        assert {"get_view", "post_events", "search", "thread"} <= names
        assert "hello from http" in await call(client, "get_view")
        posted = await call(client, "post_events", lines=["say hello from stdio"])
        assert len(posted["seq"]) == 1
        hits = (await call(client, "search", query="stdio"))["hits"]
        assert [h["session"] for h in hits] == ["ALICE"]  # it acted as ALICE
    async with served.mcp(session="BOB") as bob:
        assert "hello from stdio" in await call(bob, "get_view")


@pytest.mark.slow
async def test_stdio_bridge_with_a_session_token_of_another_session_is_refused(
    serve: Serve,
) -> None:
    served = await serve()
    env = cli_env(served, session_token(TOKEN, "BOB"))
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "myco", "mcp", "ALICE"], env=env
    )
    async with (
        stdio_client(params) as (read, write),
        ClientSession(read, write) as client,
    ):
        await client.initialize()
        assert "may only act as session BOB" in await refused(client, "get_view")


@pytest.mark.slow
async def test_search_and_thread_commands(serve: Serve) -> None:
    served = await serve()
    ask = await served.post("ALICE", "ask BOB which lobster recipe?")
    await served.post("BOB", "reply ALICE the lobster one")
    await served.post("ALICE", "private lobster secret")
    code, out, err = await myco(served, "search", "lobster", "--session", "BOB")
    assert code == 0, err
    assert "ask BOB which lobster recipe?" in out and f"(thread {ask['seq'][0]})" in out
    assert "secret" not in out
    code, out, err = await myco(served, "thread", str(ask["seq"][0]), "--json")
    assert code == 0, err
    assert [e["line"] for e in json.loads(out)["events"]] == [
        "ask BOB which lobster recipe?",
        "reply ALICE the lobster one",
    ]
    code, out, err = await myco(served, "thread", "nope")
    assert code == 1 and "a thread id is a number" in err and "Traceback" not in err
    code, out, err = await myco(served, "thread", "9999")
    assert code == 1 and "no thread 9999" in err and "Traceback" not in err


async def test_a_tenant_loaded_again_after_eviction_is_caught_up(serve: Serve) -> None:
    """Events another replica stored while this daemon had the tenant evicted are found."""
    served = await serve()
    await served.post("ALICE", "say heron at dawn")
    assert len((await served.search("heron"))["hits"]) == 1
    tid = tenant_id(TOKEN)
    assert tid in await served.daemon.tenants.evict_idle(0)
    # what another replica appends meanwhile: straight into the shared store
    await served.daemon.storage.append(tid, "BOB", ["say heron at dusk"], 1_780_000_000_000, "")
    hits = (await served.search("heron"))["hits"]  # the request loads the tenant again
    assert sorted(h["line"] for h in hits) == ["say heron at dawn", "say heron at dusk"]


async def test_an_evicted_tenant_leaves_nothing_behind_and_reloads_indexed(
    serve: Serve,
) -> None:
    """Eviction closes the tenant's index (its thread and connection) and the plugin keeps
    no reference to the tenant: an idle tenant costs no memory (hook tenant_evicted)."""
    import gc
    import weakref

    served = await serve()
    await served.post("ALICE", "say osprey at noon")
    assert len((await served.search("osprey"))["hits"]) == 1
    tid = tenant_id(TOKEN)
    library = myco_mcp.library_of(served.daemon)
    tenant = served.daemon.tenants.get(tid)
    assert tenant is not None and library.open_indexes() == len(served.daemon.tenants) == 2
    gone = weakref.ref(tenant)
    del tenant
    assert tid in await served.daemon.tenants.evict_idle(0)  # both tenants are idle
    deadline = asyncio.get_running_loop().time() + 10
    while library.open_indexes() or gone() is not None:
        assert asyncio.get_running_loop().time() < deadline, "the evicted tenant is still held"
        gc.collect()
        await asyncio.sleep(0.02)
    hits = (await served.search("osprey"))["hits"]  # loads it again: the index reopens
    assert [h["line"] for h in hits] == ["say osprey at noon"] and library.open_indexes() == 1


# -- GET /threads, the THREADS section, the bounded catch-up buffer ---------------------


async def test_threads_are_listed_newest_activity_first_paged_and_visible_only(
    serve: Serve,
) -> None:
    served = await serve()
    first = (await served.post("ALICE", "ask BOB which token format?"))["seq"][0]
    second = (await served.post("CAROL", "ask DAVE where are the fixtures?"))["seq"][0]
    await served.post("BOB", "reply ALICE jwt-hs256")  # the first thread is now the newest
    status, body = await served.http("GET", "/threads")
    assert status == 200, body
    assert [t["id"] for t in body["threads"]] == [first, second]
    assert body["threads"][0]["events"] == 2
    assert body["threads"][0]["first"]["line"] == "ask BOB which token format?"
    assert body["threads"][0]["last"]["line"] == "reply ALICE jwt-hs256"
    assert body["next_offset"] is None
    status, page = await served.http("GET", "/threads", params={"limit": "1"})
    assert [t["id"] for t in page["threads"]] == [first] and page["next_offset"] == 1
    status, page = await served.http("GET", "/threads", params={"offset": "1", "limit": "1"})
    assert [t["id"] for t in page["threads"]] == [second] and page["next_offset"] is None
    # EVE may see both asks but not BOB's reply to ALICE: as in GET /threads/{id}
    status, eve = await served.http("GET", "/threads", params={"session": "EVE"})
    assert status == 200, eve
    listed = {t["id"]: t for t in eve["threads"]}
    assert listed[first]["events"] == 1
    assert listed[first]["last"]["line"] == "ask BOB which token format?"
    # another tenant sees none of them
    status, other = await served.http("GET", "/threads", token=TOKEN2)
    assert status == 200 and other["threads"] == []


async def test_threads_rejects_bad_params_with_a_json_400(serve: Serve) -> None:
    served = await serve()
    for params in ({"limit": "0"}, {"limit": "101"}, {"offset": "-1"}, {"offset": "x"}):
        status, body = await served.http("GET", "/threads", params=params)
        assert status == 400, (params, body)
        assert body["error"]
    status, body = await served.http("GET", "/threads", params={"session": "bad name!"})
    assert status == 400 and body["error"]
    status, body = await served.http("GET", "/threads", token=None)
    assert status == 401
    status, doc = await served.http("GET", "/openapi.json", token=None)
    assert "/threads" in doc["paths"] and "ThreadSummary" in doc["components"]["schemas"]


async def test_the_threads_section_is_data_in_the_json_view_not_in_the_markdown(
    serve: Serve,
) -> None:
    served = await serve()
    ask = (await served.post("DIRECTOR", "ask BOB which token format?"))["seq"][0]
    await served.post("BOB", "reply DIRECTOR jwt-hs256")
    status, view = await served.http("GET", "/view/DIRECTOR", params={"format": "json"})
    assert status == 200, view
    (thread,) = view["sections"]["THREADS"]
    assert thread["id"] == ask and thread["text"].startswith(f"#{ask} DIRECTOR: ask BOB")
    assert [e["line"] for e in thread["events"]] == [
        "ask BOB which token format?",
        "reply DIRECTOR jwt-hs256",
    ]
    assert thread["count"] == 2
    for n in range(11):
        await served.post("DIRECTOR", f"say more about it {n} re:#{ask}")
    status, view = await served.http("GET", "/view/DIRECTOR", params={"format": "json"})
    (thread,) = view["sections"]["THREADS"]
    assert thread["count"] == 13 and len(thread["events"]) == 10
    assert thread["events"][-1]["line"] == f"say more about it 10 re:#{ask}"
    status, eve = await served.http("GET", "/view/EVE", params={"format": "json"})
    (seen_by_eve,) = eve["sections"]["THREADS"]
    assert seen_by_eve["count"] == 12  # all but BOB's reply to the DIRECTOR
    assert "reply DIRECTOR jwt-hs256" not in [e["line"] for e in seen_by_eve["events"]]
    status, text = await served.http("GET", "/view/DIRECTOR")
    assert "THREADS" not in text


async def test_the_catch_up_buffer_is_bounded_and_the_store_is_read_again(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    from myco_mcp import search

    served = await serve()
    await served.post("ALICE", "say kestrel zero")
    tid = tenant_id(TOKEN)
    library = myco_mcp.library_of(served.daemon)
    before = served.daemon.tenants.get(tid)
    assert before is not None
    assert await library.wait_ready(before, 10)  # its catch-up is over: none but ours reads
    assert tid in await served.daemon.tenants.evict_idle(0)
    tenant = await served.daemon.tenants.open(tid)
    assert tenant is not None
    monkeypatch.setattr(search, "PENDING_MAX", 2)
    reads: list[int] = []
    real_read = library._read_store
    buffered: list[Any] = []

    async def read_then_events_arrive(t: Any, index: Any, after: int) -> Any:
        out = await real_read(t, index, after)
        reads.append(after)
        if len(reads) == 1:  # three events arrive (events_ingested) while it catches up
            await tenant.ingest("BOB", [f"say kestrel {n}" for n in range(3)])
            buffered.append(library._pending[tid])
        return out

    monkeypatch.setattr(library, "_read_store", read_then_events_arrive)
    library.index_for(tenant)
    assert await library.wait_ready(tenant, 10)
    assert buffered == [None]  # past the bound: dropped, not grown
    assert len(reads) == 2  # and the store was read again from where the first read ended
    hits = (await library.search(tenant, None, "kestrel"))["hits"]
    assert len(hits) == 4


async def test_a_query_past_the_rank_window_ranks_the_newest_matches_and_pages_stably(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    from myco_mcp import index

    monkeypatch.setattr(index, "RANK_WINDOW", 6)
    served = await serve()
    await served.post("ALICE", "say heron heron heron")  # the best line, but too old
    for n in range(5):
        await served.post("ALICE", f"say a long line about one heron and many other things {n}")
    await served.post("ALICE", "say heron heron")  # best among the newest six
    await served.post("BOB", "note heron private to bob")  # a private note: not for ALICE
    body = await served.search("heron", session="ALICE", limit=3)
    lines = [h["line"] for h in body["hits"]]
    assert lines[0] == "say heron heron"
    assert "say heron heron heron" not in lines  # older than the window
    pages = [h["line"] for h in body["hits"]]
    offset = body["next_offset"]
    while offset is not None:
        more = await served.search("heron", session="ALICE", limit=3, offset=offset)
        pages += [h["line"] for h in more["hits"]]
        offset = more["next_offset"]
    assert len(pages) == len(set(pages))  # stable pages: nothing twice
    assert "note heron private to bob" not in pages
    assert set(pages) == {"say heron heron"} | {
        f"say a long line about one heron and many other things {n}" for n in range(5)
    } - {"say a long line about one heron and many other things 0"}


def test_window_scores_follow_bm25_term_frequency_length_and_phrases() -> None:
    from myco_mcp import ranking
    from myco_mcp.index import Row, fts_query

    rows = [
        Row(1, 0, "A", "pass the tests and then pass a long line of other words"),
        Row(2, 0, "A", "deploy tests-pass"),
        Row(3, 0, "A", "deploy tests-pass tests-pass"),
        Row(4, 0, "A", "nothing here"),
    ]
    got = ranking.scores(fts_query("tests-pass"), rows, 1000, 100)
    assert got[2] < got[1] < got[0] == got[3] == 0.0  # the phrase, in order, counts
    common = ranking.scores(fts_query("tests-pass"), rows, 1000, 900)
    assert common[1] > got[1]  # a commoner phrase weighs less (smaller IDF)
    assert ranking.scores(fts_query("W07"), [Row(1, 0, "W07", "done x")], 10, 2)[0] < 0


async def test_index_files_of_tenants_removed_from_the_store_are_deleted_at_start(
    serve: Serve, tmp_path: Path
) -> None:
    import shutil

    data = tmp_path / "d1"
    first = await serve(data)
    third = "a-third-tenant-token-0123456789abcdef"
    await first.post("ALICE", "say osprey")
    await first.post("ALICE", "say osprey", token=third)
    assert len((await first.search("osprey", token=third))["hits"]) == 1
    await first.server.close()
    kept, removed = tenant_id(TOKEN), tenant_id(third)
    search_dir = data / "search"
    assert {f"{kept}.sqlite", f"{removed}.sqlite"} <= {p.name for p in search_dir.iterdir()}
    (search_dir / "notes.txt").write_text("not an index")
    # an operator removes a tenant from the store while the daemon is down
    (tenant_dirs,) = {p.parent for p in data.rglob(removed) if p.is_dir()}
    shutil.rmtree(tenant_dirs / removed)
    second = await serve(data)  # uses TOKEN and TOKEN2's tenants, never the third's
    names = {p.name for p in search_dir.iterdir()}
    assert f"{kept}.sqlite" in names and "notes.txt" in names
    assert not any(n.startswith(removed) for n in names)
    assert len((await second.search("osprey"))["hits"]) == 1


async def test_get_view_with_seen_answers_the_public_delta(serve: Serve) -> None:
    from myco.views.delta import view_delta

    served = await serve()
    async with served.mcp(session="BOB") as bob:
        full = text_of(await bob.call_tool("get_view", {}))
        first = text_of(await bob.call_tool("get_view", {"seen": 0}))
        rev = int(first.split("rev:", 1)[1].split()[0])
        await served.post("ALICE", "ask BOB which port for the api?")
        delta = text_of(await bob.call_tool("get_view", {"seen": rev}))
        assert delta.startswith(f"<!-- myco rev:{rev + 1} delta since:{rev} -->")
        assert "which port for the api?" in delta and len(delta) < len(full)
        assert "seen is a revision" in await refused(bob, "get_view", seen=-1)
    tenant = served.daemon.tenants.get(tenant_id(TOKEN))
    assert tenant is not None
    same = view_delta(tenant, "BOB", rev)
    assert (same.mode, same.rev) == ("delta", rev + 1)
    assert view_delta(tenant, "NEWCOMER", None).mode == "full"
    assert "NEWCOMER" not in tenant.state.sessions  # rendered, not added


def test_threads_stay_bounded_however_long_the_history() -> None:
    """A busy thread keeps its newest events; a ref: to a branch links nothing."""
    from myco_mcp import threads as th

    from myco.testing import Swarm

    swarm = Swarm(plugins=[myco_mcp])
    swarm.post("ALICE", "ask BOB which branch? spec:msg/ALICE-q.md ref:main")
    for n in range(th.MAX_MEMBERS + 50):
        swarm.post("BOB", f"say still on it {n} re:msg/ALICE-q.md")
    swarm.post("CAROL", "done release ref:main")  # names the branch, not the thread
    kept = th.threads_of(swarm.state)
    (tid,) = kept.members
    assert len(kept.members[tid]) == th.MAX_MEMBERS
    assert len(kept.of_seq) == th.MAX_MEMBERS
    assert swarm.state.last_seq not in kept.of_seq and "main" not in kept.by_key
