"""Per-session tokens: derivation, verification, binding, require mode, restarts."""

from __future__ import annotations

import hashlib
import hmac
import stat
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pluggy
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from myco.auth.session_tokens import (
    SESSION_KEYS_FILE,
    SessionKeyStore,
    parse_session_token,
    session_key,
    session_token,
)
from myco.auth.tokens import new_token, tenant_id
from myco.cli import main as cli_main
from myco.config import Config
from myco.daemon import Daemon
from myco.names import InvalidName
from myco.web.app import create_app
from tests.conftest import TOKEN, TOKEN2
from tests.daemon_process import DaemonProcess, call

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[tuple[Client, Daemon]]]

ALICE = session_token(TOKEN, "alice")
BOB = session_token(TOKEN, "BOB")
DIRECTOR = session_token(TOKEN, "director")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def forge(token: str) -> str:
    """The same token with its last MAC digit changed."""
    return token[:-1] + ("0" if token[-1] != "0" else "1")


# -- derivation -----------------------------------------------------------------------


def test_derivation_follows_the_documented_scheme() -> None:
    key = hashlib.sha256(b"myco-session-key\0" + TOKEN.encode()).digest()
    mac = hmac.new(key, b"ALICE", hashlib.sha256).hexdigest()
    assert session_token(TOKEN, "ALICE") == f"myco_s_ALICE_{tenant_id(TOKEN)[:16]}_{mac}"
    assert session_key(TOKEN) == key


def test_derivation_is_deterministic_and_case_insensitive() -> None:
    assert session_token(TOKEN, "alice") == session_token(TOKEN, "ALICE") == ALICE
    assert session_token(TOKEN, "ALICE") != session_token(TOKEN, "BOB")
    assert session_token(TOKEN, "ALICE") != session_token(TOKEN2, "ALICE")
    # the key is not the tenant id: knowing a tenant id (a directory name) forges nothing
    assert session_key(TOKEN).hex() != tenant_id(TOKEN)


@pytest.mark.parametrize("bad", ["", "../x", ".hidden", "a/b", "A" * 65, "é"])
def test_invalid_session_names_are_refused(bad: str) -> None:
    with pytest.raises(InvalidName):
        session_token(TOKEN, bad)


def test_parse_round_trip_and_non_session_tokens() -> None:
    claim = parse_session_token(session_token(TOKEN, "front_end.v2-x"))
    assert claim is not None and claim.session == "FRONT_END.V2-X"
    assert claim.tenant_prefix == tenant_id(TOKEN)[:16]
    for other in (
        TOKEN,
        "myco_s_",
        "myco_s_ALICE_abc_def",
        ALICE + "0",
        ALICE.upper(),
        ALICE.replace("_ALICE_", "_.A_"),
        *(new_token() for _ in range(200)),
    ):
        assert parse_session_token(other) is None, other


def test_key_store_registers_once_privately_and_verifies(tmp_path: Path) -> None:
    path = tmp_path / "data" / SESSION_KEYS_FILE
    store = SessionKeyStore(path)
    assert store.verify(parse_session_token(ALICE)) is None  # type: ignore[arg-type]
    assert store.register(TOKEN) == tenant_id(TOKEN)
    store.register(TOKEN)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().splitlines() == [f"{tenant_id(TOKEN)} {session_key(TOKEN).hex()}"]
    assert TOKEN not in path.read_text()
    assert store.verify(parse_session_token(ALICE)) == tenant_id(TOKEN)  # type: ignore[arg-type]
    assert store.verify(parse_session_token(forge(ALICE))) is None  # type: ignore[arg-type]
    # another process appends (``myco token add``): seen without a restart
    SessionKeyStore(path).register(TOKEN2)
    claim = parse_session_token(session_token(TOKEN2, "X"))
    assert claim is not None and store.verify(claim) == tenant_id(TOKEN2)


# -- over HTTP ------------------------------------------------------------------------


@pytest.fixture
def make_client(
    aiohttp_client: AiohttpClient, config: Config, pm: pluggy.PluginManager
) -> MakeClient:
    async def make(**changes: Any) -> tuple[Client, Daemon]:
        daemon = Daemon(config.with_settings("auth", **changes), pm)
        return await aiohttp_client(create_app(daemon)), daemon

    return make


async def status_of(resp: Any) -> tuple[int, Any]:
    ctype = resp.headers.get("Content-Type", "")
    return resp.status, (await resp.json()) if ctype.startswith("application/json") else None


async def test_session_token_acts_only_as_its_session(make_client: MakeClient) -> None:
    client, _ = await make_client()
    assert (await client.get("/status", headers=bearer(TOKEN))).status == 200  # key learnt
    ok = await client.post(
        "/events", json={"session": "alice", "events": ["start x"]}, headers=bearer(ALICE)
    )
    assert ok.status == 200, await ok.text()
    assert (await client.get("/view/ALICE", headers=bearer(ALICE))).status == 200
    forbidden = [
        await client.post(
            "/events", json={"session": "BOB", "events": ["start y"]}, headers=bearer(ALICE)
        ),
        await client.get("/view/BOB", headers=bearer(ALICE)),
        await client.get("/dispatch/BOB", headers=bearer(ALICE)),
        await client.get("/msg/ANY.md?session=BOB", headers=bearer(ALICE)),
    ]
    for resp in forbidden:
        assert await status_of(resp) == (
            403,
            {"ok": False, "error": "this credential may only act as session ALICE"},
        )
    history = await (await client.get("/events", headers=bearer(TOKEN))).json()
    assert [(e["session"], e["line"]) for e in history["events"]] == [("ALICE", "start x")]


async def test_session_token_sees_only_what_its_session_may_see(make_client: MakeClient) -> None:
    client, _ = await make_client()
    await client.post(
        "/events",
        json={"session": "BOB", "events": ["private bob-only", "say hello"]},
        headers=bearer(TOKEN),
    )
    mine = await (await client.get("/events", headers=bearer(ALICE))).json()
    assert [e["line"] for e in mine["events"]] == ["say hello"]
    everything = await (await client.get("/events", headers=bearer(TOKEN))).json()
    assert len(everything["events"]) == 2


@pytest.mark.parametrize(
    "token",
    [
        forge(ALICE),
        ALICE.replace("_ALICE_", "_BOB_"),  # a session name the MAC was not made for
        session_token(TOKEN2, "ALICE"),  # a tenant this daemon has never seen
        ALICE.replace(tenant_id(TOKEN)[:16], tenant_id(TOKEN2)[:16]),
    ],
)
async def test_forged_or_unknown_session_tokens_are_401(
    make_client: MakeClient, token: str
) -> None:
    client, daemon = await make_client()
    await client.get("/status", headers=bearer(TOKEN))
    resp = await client.get("/view/ALICE", headers=bearer(token))
    status, body = await status_of(resp)
    assert status == 401
    assert body["error"].startswith("session token rejected: invalid signature")
    assert len(daemon.tenants) == 1  # a session-shaped token never creates a tenant


async def test_closed_daemon_accepts_a_session_token_of_a_registered_token(
    make_client: MakeClient, config: Config
) -> None:
    assert cli_main(["token", "add", TOKEN, "--data-dir", str(config.data_dir)]) == 0
    client, daemon = await make_client(tenants="closed")
    # the tenant token was never used: the key came from `myco token add`
    resp = await client.post(
        "/events", json={"session": "ALICE", "events": ["start x"]}, headers=bearer(ALICE)
    )
    assert resp.status == 200, await resp.text()
    assert tenant_id(TOKEN) in daemon.tenants


# -- --require-session-tokens ---------------------------------------------------------


async def test_require_mode_refuses_the_tenant_token_as_a_session(make_client: MakeClient) -> None:
    client, _ = await make_client(require_session_tokens=True)
    t = bearer(TOKEN)
    for resp in [
        await client.post("/events", json={"session": "ALICE", "events": ["start x"]}, headers=t),
        await client.get("/view/ALICE", headers=t),
        await client.get("/dispatch/ALICE", headers=t),
        await client.get("/msg/M.md?session=ALICE", headers=t),
    ]:
        status, body = await status_of(resp)
        assert status == 403
        assert body["error"].startswith(
            "this daemon requires session tokens (--require-session-tokens): the tenant token "
            "may not act as session ALICE; use the token printed by `myco token session"
        )
    # what acts as no session stays open to the tenant token
    assert (await client.get("/status", headers=t)).status == 200
    assert (await client.get("/events", headers=t)).status == 200
    assert (await client.post("/msg/M.md", data=b"body", headers=t)).status == 200
    assert (await client.get("/msg/M.md", headers=t)).status == 200
    assert (await client.post("/dispatch/ALICE", json={"prompt": "p"}, headers=t)).status == 200
    assert (await client.get("/dispatch/ALICE", headers=bearer(ALICE))).status == 200


@pytest.mark.parametrize("line", ["direct BOB ship-it", "Direct all stop", "  direct  BOB x"])
async def test_require_mode_only_director_may_direct(make_client: MakeClient, line: str) -> None:
    client, _ = await make_client(require_session_tokens=True)
    await client.get("/status", headers=bearer(TOKEN))
    resp = await client.post(
        "/events", json={"session": "ALICE", "events": ["start x", line]}, headers=bearer(ALICE)
    )
    assert await status_of(resp) == (
        403,
        {
            "ok": False,
            "error": (
                "events[1]: only DIRECTOR may post `direct` on this daemon "
                "(--require-session-tokens); ALICE may not"
            ),
        },
    )
    history = await (await client.get("/events", headers=bearer(TOKEN))).json()
    assert history["events"] == []  # nothing of the refused post was stored
    ok = await client.post(
        "/events", json={"session": "DIRECTOR", "events": [line]}, headers=bearer(DIRECTOR)
    )
    assert ok.status == 200, await ok.text()
    assert (
        await client.post(
            "/events", json={"session": "ALICE", "events": ["start x"]}, headers=bearer(ALICE)
        )
    ).status == 200


async def test_require_mode_only_director_or_the_tenant_token_dispatches_to_others(
    make_client: MakeClient,
) -> None:
    """Issue 11 defect 7: a worker's token queued prompts for any session."""
    client, _ = await make_client(require_session_tokens=True)
    await client.get("/status", headers=bearer(TOKEN))  # the daemon learns the key
    prompt = {"prompt": "drop everything"}
    refused = await client.post("/dispatch/BOB", json=prompt, headers=bearer(ALICE))
    assert await status_of(refused) == (
        403,
        {
            "ok": False,
            "error": (
                "only DIRECTOR or the tenant token may queue a prompt for another session on "
                "this daemon (--require-session-tokens); ALICE may not dispatch to BOB"
            ),
        },
    )
    assert (await client.get("/dispatch/BOB", headers=bearer(BOB))).status == 204  # nothing queued
    for token, target in [(ALICE, "alice"), (DIRECTOR, "BOB"), (TOKEN, "BOB")]:
        resp = await client.post(f"/dispatch/{target}", json=prompt, headers=bearer(token))
        assert resp.status == 200, (token, target, await resp.text())
    taken = await client.get("/dispatch/BOB", headers=bearer(BOB))
    assert (await taken.json())["prompt"] == "drop everything"


async def test_without_require_mode_a_session_token_dispatches_anywhere(
    make_client: MakeClient,
) -> None:
    client, _ = await make_client()
    await client.get("/status", headers=bearer(TOKEN))
    resp = await client.post("/dispatch/BOB", json={"prompt": "p"}, headers=bearer(ALICE))
    assert resp.status == 200


async def test_without_require_mode_anyone_may_direct(make_client: MakeClient) -> None:
    client, _ = await make_client()
    await client.get("/status", headers=bearer(TOKEN))
    for token in (TOKEN, ALICE):
        resp = await client.post(
            "/events", json={"session": "ALICE", "events": ["direct BOB x"]}, headers=bearer(token)
        )
        assert resp.status == 200


# -- command line and real processes --------------------------------------------------


def myco(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "myco", *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.slow
def test_cli_prints_the_session_token() -> None:
    out = myco("token", "session", TOKEN, "alice")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ALICE
    bad = myco("token", "session", TOKEN, "../etc")
    assert bad.returncode == 1 and "invalid session name" in bad.stderr


@pytest.mark.slow
def test_session_tokens_survive_a_crash_and_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = DaemonProcess(data, "--quiet", "--fsync", "always")
    url = first.start()
    try:
        assert call(url, "GET", "/status", TOKEN)[0] == 200  # the daemon learns the key
    finally:
        first.kill()  # SIGKILL: nothing flushed on the way out
        first.stop()
    with DaemonProcess(data, "--quiet", "--require-session-tokens") as second:
        # straight after the restart, without the tenant token ever being used again
        status, body = call(
            second.url,
            "POST",
            "/events",
            ALICE,
            {"session": "ALICE", "events": ["start after-restart"]},
        )
        assert status == 200, body
        assert (
            call(second.url, "POST", "/events", ALICE, {"session": "BOB", "events": ["start x"]})[0]
            == 403
        )
        assert call(second.url, "GET", "/view/ALICE", forge(ALICE))[0] == 401
        status, body = call(
            second.url, "POST", "/events", TOKEN, {"session": "ALICE", "events": ["start x"]}
        )
        assert status == 403 and "--require-session-tokens" in body["error"]
        status, body = call(
            second.url, "POST", "/events", ALICE, {"session": "ALICE", "events": ["direct BOB x"]}
        )
        assert status == 403 and "only DIRECTOR may post `direct`" in body["error"]
        assert (
            call(
                second.url,
                "POST",
                "/events",
                DIRECTOR,
                {"session": "DIRECTOR", "events": ["direct BOB x"]},
            )[0]
            == 200
        )
