"""Rate limits count the real client behind a trusted reverse proxy, and only then."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pluggy
import pytest

from myco.auth.address import client_address, parse_networks
from myco.config import Config
from myco.daemon import Daemon
from myco.web.app import create_app

PROXY = parse_networks(["127.0.0.1", "10.0.0.0/8"])


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("127.0.0.1", ["203.0.113.7"], "203.0.113.7"),  # one trusted proxy
        ("127.0.0.1", ["203.0.113.7, 10.1.2.3"], "203.0.113.7"),  # two proxies in a chain
        ("127.0.0.1", ["6.6.6.6, 203.0.113.7"], "203.0.113.7"),  # a forged left-most hop
        ("198.51.100.1", ["203.0.113.7"], "198.51.100.1"),  # not a proxy: header ignored
        ("127.0.0.1", [], "127.0.0.1"),  # nothing forwarded
        ("127.0.0.1", ["not-an-ip"], "127.0.0.1"),  # garbage is not an address
        ("::ffff:127.0.0.1", ["2001:db8::1"], "2001:db8::1"),  # IPv4-mapped proxy
    ],
)
def test_client_address(remote: str, forwarded: list[str], expected: str) -> None:
    assert client_address(remote, forwarded, PROXY) == expected


def test_no_trusted_proxy_means_the_peer_address() -> None:
    assert client_address("127.0.0.1", ["203.0.113.7"], ()) == "127.0.0.1"


def test_bad_network_is_named() -> None:
    with pytest.raises(ValueError, match="'nope'"):
        parse_networks(["10.0.0.0/8", "nope"])


async def test_bans_follow_the_forwarded_client(
    aiohttp_client: Any, tmp_path: Path, pm: pluggy.PluginManager
) -> None:
    config = Config(
        data_dir=tmp_path,
        access_log=False,
        plugins={"file": {"fsync": "no"}, "auth": {"trusted_proxies": ("127.0.0.1",)}},
    )
    client = await aiohttp_client(create_app(Daemon(config, pm)))

    def via(ip: str) -> dict[str, str]:
        return {"X-Forwarded-For": ip, "Authorization": "Bearer short"}

    for _ in range(5):  # five weak-token failures from one client behind the proxy
        assert (await client.get("/status", headers=via("203.0.113.7"))).status == 401
    banned = await client.get(
        "/status", headers={**via("203.0.113.7"), "Authorization": "Bearer " + "q" * 40}
    )
    assert banned.status == 429
    other = await client.get("/status", headers=via("203.0.113.8"))
    assert other.status == 401  # another client behind the same proxy is not banned
    assert (await other.json())["error"].startswith("token rejected")
