"""``plugins/myco-example`` owns a ``myco serve`` option: ``--review-dispatch``.

With it, a review request queues a prompt for the reviewer (what ``myco worker`` delivers
into a headless agent CLI); without it, nothing is queued. The plugin is the installed
package, loaded through its entry point.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from myco.cli import build_parser
from myco.config import Config
from myco.daemon import Daemon
from myco.plugins import Hooks, make_plugin_manager
from myco.web.app import create_app
from tests.conftest import AUTH

LOAD = {"MYCO_LOAD_PLUGINS": "review"}
Client = TestClient[Any, Any]


async def start(aiohttp_client: Any, config: Config, env: dict[str, str] = LOAD) -> Client:
    client: Client = await aiohttp_client(create_app(Daemon(config, make_plugin_manager(env=env))))
    for session, line in [("BOB", "done api ref:abc"), ("ALICE", "review BOB api error paths")]:
        body = {"session": session, "events": [line]}
        assert (await client.post("/events", json=body, headers=AUTH)).status == 200
    return client


def test_review_dispatch_is_a_serve_option_and_a_variable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plugins = Hooks(make_plugin_manager(env=LOAD))
    options = plugins.register_serve_options()
    args = build_parser(plugins).parse_args(["serve", "--review-dispatch"])
    assert options.resolve({}, args)["review"] == {"review_dispatch": True}
    assert options.resolve({"MYCO_REVIEW_DISPATCH": "1"})["review"] == {"review_dispatch": True}
    assert options.resolve({})["review"] == {"review_dispatch": False}
    with pytest.raises(SystemExit):
        build_parser(plugins).parse_args(["serve", "--help"])
    help_text = capsys.readouterr().out
    assert "review settings:" in help_text
    assert "--review-dispatch" in help_text and "MYCO_REVIEW_DISPATCH" in help_text


async def test_a_review_request_wakes_the_reviewer(aiohttp_client: Any, config: Config) -> None:
    client = await start(aiohttp_client, config.with_settings("review", review_dispatch=True))
    deadline = time.monotonic() + 5
    while True:
        resp = await client.get("/dispatch/BOB", headers=AUTH)
        if resp.status == 200 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.01)  # the prompt is written by a task the post started
    assert resp.status == 200
    prompt = (await resp.json())["prompt"]
    assert prompt.startswith("ALICE asks you to review api: api error paths\n")
    assert "reply ALICE ... re:api" in prompt


async def test_without_the_option_nothing_is_queued(aiohttp_client: Any, config: Config) -> None:
    from myco_example import dispatch

    client = await start(aiohttp_client, config)
    assert not dispatch._PENDING  # no write was even started
    assert (await client.get("/dispatch/BOB", headers=AUTH)).status == 204
