"""The dashboard's plugin panel shows myco-mcp's threads live, in real headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import login, post, shot, wait_js
from tests.daemon_process import DaemonProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow]

THREADS = '#plugin-sections ul[data-section="THREADS"]'


def test_an_ask_and_its_reply_appear_in_the_threads_panel_live(
    page: Any, served: DaemonProcess
) -> None:
    pytest.importorskip("myco_mcp", reason="the myco-mcp plugin is not installed")
    post(served.url, "FRONT", "start login-page")
    login(page, served.url)
    assert page.locator(THREADS).count() == 0  # no thread yet: the section is left out
    ask = post(served.url, "DIRECTOR", "ask BACK which token format for the api?")["seq"][0]
    wait_js(
        page,
        f"(document.querySelector('{THREADS}') || {{}}).innerText"
        f"?.includes('#{ask} DIRECTOR: ask BACK which token format')",
    )
    post(served.url, "BACK", "reply DIRECTOR jwt-hs256, rotated daily")
    wait_js(
        page,
        f"document.querySelector('{THREADS}').innerText"
        ".includes('2 event(s) · last: BACK: reply DIRECTOR jwt-hs256')",
    )
    items = page.locator(f"{THREADS} li").all_inner_texts()
    assert len(items) == 1 and f"#{ask}" in items[0]
    shot(page, "dashboard-threads")
