"""The CLI's HTTP client against a real daemon: its failures say what to do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from myco.auth.tokens import new_token
from myco.client import NEW_SWARM_NOTICE, Client, ClientError
from tests.agent_hooks.fakes import free_port
from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with DaemonProcess(tmp_path_factory.mktemp("client") / "data", "--quiet") as d:
        yield d.url


def test_the_new_swarm_notice_comes_once_per_client(url: str) -> None:
    said: list[str] = []
    client = Client(url, new_token(), notice=said.append)
    client.json("POST", "/events", {"session": "A", "events": ["start x"]})
    client.json("GET", "/status")
    assert said == [NEW_SWARM_NOTICE] and client.created_tenant
    known = Client(url, TOKEN, notice=said.append)
    known.json("GET", "/status")  # TOKEN's tenant exists by now (or is created here)
    before = len(said)
    Client(url, TOKEN, notice=said.append).json("GET", "/status")
    assert len(said) == before  # an existing swarm: nothing to say


def test_refusals_carry_the_status_and_what_to_do(url: str) -> None:
    with pytest.raises(ClientError) as no_token:
        Client(url, "").request("GET", "/status")
    assert no_token.value.status == 401 and "set MYCO_TOKEN" in str(no_token.value)
    with pytest.raises(ClientError) as weak:
        Client(url, "short").request("GET", "/status")
    assert str(weak.value) == (
        "401: token rejected: token too short (min 32 chars) (the token comes from MYCO_TOKEN)"
    )


def test_a_daemon_that_is_down_names_myco_serve_and_myco_url() -> None:
    with pytest.raises(ClientError) as down:
        Client(f"127.0.0.1:{free_port()}", TOKEN, timeout=3).request("GET", "/healthz")
    assert down.value.status is None
    message = str(down.value)
    assert message.startswith("cannot reach the myco daemon at http://127.0.0.1:")
    assert "`myco serve`" in message and "MYCO_URL" in message


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("127.0.0.1:8123", "http://127.0.0.1:8123"),
        ("localhost:8123/", "http://localhost:8123"),
        (" https://myco.example:443/ ", "https://myco.example:443"),
        ("", "http://127.0.0.1:8000"),
    ],
)
def test_urls_without_a_scheme_mean_http(
    given: str, used: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MYCO_URL", raising=False)
    assert Client(given, TOKEN).url == used


def test_a_url_with_another_scheme_is_explained(tmp_path: Path) -> None:
    with pytest.raises(ClientError, match=r"must start with http:// or https:// \(got 'ftp"):
        Client("ftp://127.0.0.1:21", TOKEN)
