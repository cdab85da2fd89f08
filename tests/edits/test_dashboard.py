"""The dashboard's state carries file conflicts and leases (the page lists them live)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import AUTH, Api

REPO = "repo:git:0123456789abcdef"


async def test_state_has_file_conflicts_and_leases(client: TestClient[Any, Any], api: Api) -> None:
    await api.post("ALICE", f"edit src/app.py {REPO}", "claim docs/** ttl:20m writing docs")
    await api.post("BOB", f"edit src/app.py {REPO}")
    resp = await client.get("/-/dashboard/state", headers=AUTH)
    assert resp.status == 200
    sections = (await resp.json())["sections"]
    assert sections["CONFLICTS"] == [
        {
            "kind": "edit",
            "path": "src/app.py",
            "repo": "git:0123456789abcdef",
            "sessions": ["ALICE", "BOB"],
        }
    ]
    (lease,) = sections["LEASES"]
    assert (lease["holder"], lease["glob"], lease["why"]) == ("ALICE", "docs/**", "writing docs")
    assert lease["expires_ms"] - lease["since_ms"] == 20 * 60_000


async def test_the_page_has_the_file_panels(client: TestClient[Any, Any]) -> None:
    page = await (await client.get("/")).text()
    assert 'id="file-conflicts"' in page and 'id="leases"' in page
    script = await (await client.get("/-/dashboard/static/app.js")).text()
    assert "sections.CONFLICTS" in script and "sections.LEASES" in script
