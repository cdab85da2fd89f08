"""Browser tests: Playwright driving Debian's Chromium against a real ``myco serve``.

Playwright is used only as a driver: it never downloads a browser, it launches
``/usr/bin/chromium`` through ``executable_path`` with a fresh profile per test. When the
browser or the package is missing the tests skip with the reason (CI turns skips into
failures with ``MYCO_FAIL_ON_SKIP=1``).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess, call

CHROMIUM = Path(os.environ.get("MYCO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
VIEWPORT = {"width": 1440, "height": 900}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives a real headless Chromium through Playwright"
    )


@pytest.fixture
def playwright() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[browser]')")
    with sync_playwright() as p:
        yield p


@pytest.fixture
def browser(playwright: Any, tmp_path: Path) -> Iterator[Any]:
    """A fresh Chromium profile for each test."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=VIEWPORT,
        color_scheme="light",
        locale="en-US",
        timezone_id="UTC",
    )
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


class PageErrors(list[str]):
    """Uncaught script errors, console errors and alert()s seen by a page."""


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    page = browser.pages[0] if browser.pages else browser.new_page()
    errors = PageErrors()
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    page.on(
        "console",
        lambda m: (
            errors.append(f"console: {m.text}")
            if m.type == "error"
            and "net::ERR_CONNECTION_REFUSED" not in m.text
            and "Failed to load resource" not in m.text
            else None
        ),
    )
    page.errors = errors
    yield page
    assert list(errors) == [], errors


@pytest.fixture
def served(tmp_path: Path) -> Iterator[DaemonProcess]:
    """A real ``myco serve`` on a free port."""
    d = DaemonProcess(tmp_path / "data", "--quiet")
    d.start()
    try:
        yield d
    finally:
        d.stop()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def post(
    url: str, session: str, *lines: str, msgs: dict[str, str] | None = None, token: str = TOKEN
) -> dict[str, Any]:
    body: dict[str, Any] = {"session": session, "events": list(lines)}
    if msgs:
        body["msgs"] = msgs
    status, reply = call(url, "POST", "/events", token, body)
    assert status == 200, reply
    return reply  # type: ignore[no-any-return]


def login(page: Any, url: str, token: str = TOKEN) -> None:
    """Open the page, enter the token once, and wait for the first render and the feed."""
    page.goto(url + "/")
    page.fill("#token", token)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("body[data-ready=yes]")
    page.wait_for_selector("body[data-stream=live]")


def wait_js(page: Any, expression: str, timeout: float = 10.0) -> Any:
    """Poll *expression* until it is truthy (Playwright's wait_for_function uses eval, which
    the dashboard's Content-Security-Policy rightly forbids)."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout}s: {expression}")
        page.wait_for_timeout(20)


def shot(page: Any, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
