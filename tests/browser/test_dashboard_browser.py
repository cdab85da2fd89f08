"""The dashboard in real headless Chromium, against real ``myco serve`` processes."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ROOT, free_port, login, post, shot, wait_js
from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess, call

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EVIL = """# Totally harmless plan

<script>window.__pwned = 1; alert("script ran")</script>
<img src="x" onerror="window.__pwned = 2">
<svg onload="window.__pwned = 3"></svg>
[click me](javascript:window.__pwned=4)

Visible **markdown** with a `code <span>` and a [real link](https://example.org/docs).
"""


def seed_small(url: str) -> None:
    post(url, "FRONT", "start login-page", "need BACK.auth-api")
    post(url, "BACK", "start auth-api")
    post(url, "AUTH", "start token-service")
    post(
        url,
        "FRONT",
        "ask AUTH token-format spec:msg/FRONT-001.md",
        msgs={"FRONT-001.md": "## Which token format?\n\nJWT or opaque?"},
    )
    post(url, "DIRECTOR", "direct BACK refresh-tokens: add refresh tokens")


def test_seeded_sessions_and_edges_are_shown(page: Any, served: DaemonProcess) -> None:
    seed_small(served.url)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    login(page, served.url)
    rows = page.locator("#sessions-table tbody tr")
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.session)")) == [
        "AUTH",
        "BACK",
        "DIRECTOR",
        "FRONT",
    ]
    front = page.locator('#sessions-table tr[data-session="FRONT"]')
    assert "active" in front.inner_text() and "BACK.auth-api" in front.inner_text()
    edge = 'svg path.edge[data-kind="{}"][data-from="{}"][data-to="{}"]'
    assert page.locator(edge.format("need", "FRONT", "BACK")).count() == 1
    assert page.locator(edge.format("ask", "FRONT", "AUTH")).count() == 1
    assert page.locator(edge.format("direct", "DIRECTOR", "BACK")).count() == 1
    assert page.locator('svg g.node[data-id="FRONT"]').count() == 1
    assert "token-format" in page.locator("#questions").inner_text()
    assert "refresh-tokens" in page.locator("#directives").inner_text()
    assert page.locator('#messages button[data-msg="FRONT-001.md"]').count() == 1
    view = page.locator("#view-text")
    page.select_option("#view-session", "BACK")
    wait_js(page, "document.getElementById('view-text').dataset.session === 'BACK'")
    assert view.inner_text().startswith("<!-- myco protocol v1 -->\n# myco view — BACK")
    assert "refresh-tokens: add refresh tokens" in view.inner_text()
    shot(page, "dashboard-seeded")
    # The token was typed once: it is in sessionStorage, never in an address.
    assert page.evaluate("sessionStorage.getItem('myco.dashboard.token')") == TOKEN
    assert all(TOKEN not in u for u in requested) and TOKEN not in page.url
    page.reload()
    page.wait_for_selector("body[data-ready=yes]")  # no second prompt in the same tab
    assert page.locator("#login").is_hidden()
    page.click("#logout")
    assert page.locator("#login").is_visible()
    assert page.evaluate("sessionStorage.getItem('myco.dashboard.token')") is None


def test_an_event_from_another_client_appears_within_a_second(
    page: Any, served: DaemonProcess
) -> None:
    seed_small(served.url)
    login(page, served.url)
    navigations: list[str] = []
    page.on("framenavigated", lambda f: navigations.append(f.url))
    reply = post(served.url, "QA", "start e2e-suite channel:qa")
    posted = time.monotonic()
    seq = reply["seq"][0]
    page.wait_for_selector(f'#timeline li[data-seq="{seq}"]', timeout=1000)
    assert time.monotonic() - posted < 1.0
    page.wait_for_selector('#sessions-table tr[data-session="QA"]', timeout=1000)
    assert time.monotonic() - posted < 1.0
    assert "e2e-suite" in page.locator(f'#timeline li[data-seq="{seq}"]').inner_text()
    assert navigations == []  # no reload
    # Filters: by channel, then by session, then cleared.
    page.select_option("#f-channel", "qa")
    wait_js(page, "document.querySelectorAll('#timeline li[data-seq]').length === 1")
    page.select_option("#f-channel", "")
    page.select_option("#f-session", "AUTH")
    wait_js(page, "[...document.querySelectorAll('#timeline li[data-seq]')].length === 2")
    post(served.url, "FRONT", "say unrelated")
    post(served.url, "AUTH", "done token-service")
    wait_js(
        page, "[...document.querySelectorAll('#timeline li[data-seq]')].length === 3", timeout=2
    )
    page.click("#f-clear")
    wait_js(page, "document.querySelectorAll('#timeline li[data-seq]').length >= 9", timeout=2)
    shot(page, "dashboard-live-event")


def test_a_directive_posted_from_the_page_reaches_the_target_view(
    page: Any, served: DaemonProcess
) -> None:
    seed_small(served.url)
    login(page, served.url)
    page.check('#compose input[value="direct"]')
    page.select_option("#c-target", "FRONT")
    page.fill("#c-text", "ship-login: merge the login page before 17:00")
    page.click("#compose button[type=submit]")
    wait_js(page, "document.getElementById('c-result').textContent.startsWith('Directive posted')")
    status, view = call(served.url, "GET", "/view/FRONT", TOKEN)
    assert status == 200
    directives = view.split("## DIRECTIVES\n", 1)[1].split("\n## ", 1)[0]
    assert "ship-login: merge the login page before 17:00" in directives
    wait_js(page, "document.getElementById('directives').textContent.includes('ship-login')")
    # A broadcast reaches every worker's view.
    page.check('#compose input[value="say"]')
    assert page.locator("#c-target").is_hidden()
    page.fill("#c-text", "code freeze at 17:30")
    page.press("#c-text", "Enter")
    wait_js(page, "document.getElementById('c-result').textContent.startsWith('Broadcast posted')")
    status, view = call(served.url, "GET", "/view/AUTH", TOKEN)
    assert "**DIRECTOR**: code freeze at 17:30" in view
    shot(page, "dashboard-directive")


def test_a_script_in_a_message_never_runs(page: Any, served: DaemonProcess) -> None:
    post(
        served.url,
        "MALLORY",
        "ask FRONT plan spec:msg/MALLORY-001.md",
        msgs={"MALLORY-001.md": EVIL},
    )
    login(page, served.url)
    page.click('#messages button[data-msg="MALLORY-001.md"]')
    body = page.locator("#msg-body")
    wait_js(page, "document.getElementById('msg-body').textContent.includes('harmless plan')")
    text = body.inner_text()
    assert "<script>window.__pwned = 1" in text  # shown as text
    assert '<img src="x" onerror=' in text
    assert body.locator("script, img, svg, iframe").count() == 0
    assert body.locator("strong").inner_text() == "markdown"
    assert body.locator("a").count() == 1
    assert body.locator("a").get_attribute("href") == "https://example.org/docs"
    page.wait_for_timeout(300)  # give any (wrongly) injected handler a chance to fire
    assert page.evaluate("window.__pwned") is None
    shot(page, "dashboard-message-script")
    page.keyboard.press("Escape")
    assert page.locator("#msg-dialog").is_hidden()
    # Reading from the dashboard acknowledges nothing for FRONT.
    _, state = call(served.url, "GET", "/-/dashboard/state", TOKEN)
    assert state["messages"][0]["unread_by"] == ["FRONT"]


def test_the_feed_reconnects_after_a_daemon_restart(page: Any, tmp_path: Path) -> None:
    port = free_port()  # a restart must come back on the same address
    data = tmp_path / "data"
    first = DaemonProcess(data, "--quiet", "--port", str(port))
    first.start()
    second: DaemonProcess | None = None
    try:
        seed_small(first.url)
        login(page, first.url)
        assert first.stop() == 0
        page.wait_for_selector("body:not([data-stream=live])", timeout=5000)
        shot(page, "dashboard-daemon-down", full_page=False)
        second = DaemonProcess(data, "--quiet", "--port", str(port))
        assert second.start() == first.url
        page.wait_for_selector("body[data-stream=live]", timeout=10_000)
        reply = post(second.url, "OPS", "up staging addr:http://127.0.0.1:8443")
        posted = time.monotonic()
        page.wait_for_selector(f'#timeline li[data-seq="{reply["seq"][0]}"]', timeout=1000)
        assert time.monotonic() - posted < 1.0
        wait_js(page, "document.getElementById('resources').textContent.includes('staging')")
        link = page.locator('#resources a[href="http://127.0.0.1:8443"]')
        assert link.count() == 1
        shot(page, "dashboard-reconnected")
    finally:
        first.stop()
        if second is not None:
            second.stop()


def test_first_render_is_fast_with_50_sessions_and_10000_events(
    page: Any, served: DaemonProcess
) -> None:
    verbs = ("start t{n}", "need S{o}.t{n}", "say step {n}", "ask S{o} q{n}", "done t{n}")
    for p in range(200):  # 200 posts of 50 lines by 50 sessions
        lines = [verbs[n % 5].format(n=n, o=(p + 1) % 50) for n in range(p * 50, p * 50 + 50)]
        post(served.url, f"S{p % 50}", *lines)
    login(page, served.url)
    page.reload()  # the token is in sessionStorage: this is a cold first render
    page.wait_for_selector("body[data-ready=yes]")
    render_ms = int(page.evaluate("document.body.dataset.renderMs"))
    assert render_ms < 1000, f"first render took {render_ms} ms"
    assert page.locator("#sessions-table tbody tr").count() == 50
    assert page.locator("#timeline li[data-seq]").count() == 300
    assert page.locator("svg g.node").count() >= 50
    shot(page, "dashboard-50-sessions", full_page=False)


CONTRAST = """
(sel) => {
  function rgb(c) { return c.match(/[\\d.]+/g).slice(0, 3).map(Number); }
  function lum(c) {
    const [r, g, b] = rgb(c).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92
      : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  function bg(el) {
    for (; el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor;
      if (!c.startsWith("rgba(0, 0, 0, 0)") && c !== "transparent") return c;
    }
    return "rgb(255, 255, 255)";
  }
  return [...document.querySelectorAll(sel)].filter(e => e.offsetParent).map(e => {
    const a = lum(getComputedStyle(e).color), b = lum(bg(e));
    return [e.tagName + "." + e.className, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
  });
}
"""


def test_keyboard_contrast_and_a_narrow_window(page: Any, served: DaemonProcess) -> None:
    seed_small(served.url)
    login(page, served.url)
    ratios = page.evaluate(
        CONTRAST, "td, th, .hint, .timeline time, .items .meta, label, .summary, h2, h3, .sub"
    )
    low = [(what, round(r, 2)) for what, r in ratios if r < 4.5]
    assert ratios and low == [], low
    # Keyboard: a graph node is focusable and Enter selects its session.
    page.focus('svg g.node[data-id="AUTH"]')
    page.keyboard.press("Enter")
    assert page.locator("#f-session").input_value() == "AUTH"
    wait_js(page, "document.getElementById('view-text').dataset.session === 'AUTH'")
    # Tab order starts with the skip link and reaches the composer and the messages.
    page.reload()
    page.wait_for_selector("body[data-ready=yes]")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    focusable = set()
    for _ in range(80):
        page.keyboard.press("Tab")
        focusable.add(
            page.evaluate("document.activeElement.id || document.activeElement.dataset.msg || ''")
        )
    assert {"c-text", "f-session", "FRONT-001.md"} <= focusable
    page.set_viewport_size({"width": 420, "height": 900})
    page.wait_for_timeout(100)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px at 420px"
    shot(page, "dashboard-narrow")


SHOWCASE_MSG = """## Token format for the login page

Which format will `POST /auth/login` return: a **JWT** in the body or an opaque cookie?
I need it before wiring the form's error states.
"""


def test_readme_screenshot(page: Any, served: DaemonProcess) -> None:
    """A realistic mid-flight swarm; ``MYCO_UPDATE_SCREENSHOT=1`` refreshes docs/dashboard.png."""
    url = served.url
    post(url, "DIRECTOR", "say kickoff: checkout v2 ships Friday - see the plan in the wiki")
    post(url, "AUTH", "start token-service")
    post(url, "BACK", "start orders-api", "need AUTH.token-service")
    post(url, "FRONT", "start checkout-page", "need BACK.orders-api")
    post(url, "PAY", "start stripe-webhooks", "need BACK.orders-api")
    post(url, "BACK", "need PAY.webhook-schema")
    post(url, "PAY", "ask BACK order-id-format")  # PAY ↔ BACK: a deadlock
    post(
        url,
        "FRONT",
        "ask AUTH token-format spec:msg/FRONT-001.md",
        msgs={"FRONT-001.md": SHOWCASE_MSG},
    )
    post(
        url,
        "DIRECTOR",
        "direct BACK refresh-tokens: add refresh tokens before logout",
        "direct all run-the-linter before every done",
    )
    post(
        url,
        "OPS",
        "up staging-db addr:postgres://127.0.0.1:5432/checkout",
        "up preview addr:http://127.0.0.1:8080",
        "done ci-pipeline ref:ops@1c9e2a7 result:green",
    )
    post(
        url,
        "AUTH",
        "done token-service ref:auth@4f2c1e9 result:tests-green re:run-the-linter",
        "reply FRONT jwt-rs256 re:msg/FRONT-001.md",
    )
    post(url, "QA", "start e2e-suite channel:qa", "block FRONT waiting for the checkout page")
    post(url, "FRONT", "say checkout page behind a feature flag for now")
    login(page, url)
    page.wait_for_timeout(300)
    path = shot(page, "dashboard", full_page=False)
    shot(page, "dashboard-full")
    assert page.locator(".alert").inner_text().startswith("Deadlock: BACK → PAY → BACK")
    if os.environ.get("MYCO_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(path, ROOT / "docs" / "dashboard.png")
