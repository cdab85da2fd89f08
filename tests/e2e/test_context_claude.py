"""Deltas and receipts through the real Claude Code CLI (offline, fake model).

A resumed conversation (``claude -p --resume``) keeps its history, so the second turn with
nothing new injects one line; a question's receipt reaches the asker's view once the
target's next prompt injected it; ``/compact`` brings the full view back.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import TOKEN
from tests.daemon_process import DaemonProcess, call
from tests.e2e.conftest import Agent
from tests.e2e.fake_anthropic import FakeAnthropic

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
MakeAgent = Callable[..., Agent]


def ok(proc: Any) -> None:
    assert proc.returncode == 0, (proc.stderr, proc.stdout)
    result = json.loads(proc.stdout)
    assert isinstance(result, dict) and not result.get("is_error"), result


def view(daemon: DaemonProcess, session: str) -> str:
    status, text = call(daemon.url, "GET", f"/view/{session}", TOKEN)
    assert status == 200, text
    return str(text)


def last_prompt(model: FakeAnthropic) -> str:
    """The newest user message the model received (the injected context is in it)."""
    body = [r["body"] for r in model.requests if r.get("path", "").startswith("/v1/messages")][-1]
    return json.dumps(body["messages"][-1], ensure_ascii=False)


def test_one_line_when_nothing_is_new_and_the_receipt_reaches_the_asker(
    make_agent: MakeAgent, model: FakeAnthropic, daemon: DaemonProcess
) -> None:
    front, back = make_agent("FRONT"), make_agent("BACK")
    conv, back_conv = str(uuid.uuid4()), str(uuid.uuid4())
    model.script(
        [
            "Starting.\n<myco>\nstart ui\n</myco>",
            "Nothing to add.\n<myco></myco>",
            "Asking.\n<myco>\nask FRONT which port do you call?\n</myco>",
            "Port 8080.\n<myco>\nreply BACK 8080\n</myco>",
        ]
    )
    ok(front.turn("build the ui", sid=conv, first=True))
    assert "# myco view — FRONT" in last_prompt(model)
    ok(front.turn("go on", sid=conv))
    second = last_prompt(model)
    assert "myco: nothing new for FRONT since your last view" in second
    assert "# myco view — FRONT" not in second
    ok(back.turn("check the port", sid=back_conv, first=True))
    assert "not seen by FRONT yet" in view(daemon, "BACK")
    ok(front.turn("go on", sid=conv))
    assert "which port do you call?" in last_prompt(model)
    assert "# myco delta — FRONT" in last_prompt(model)
    assert "## YOUR OPEN ASKS" not in view(daemon, "BACK")  # answered in that turn


def test_a_receipt_is_shown_before_the_reply(
    make_agent: MakeAgent, model: FakeAnthropic, daemon: DaemonProcess
) -> None:
    front, back = make_agent("FRONT"), make_agent("BACK")
    model.script(
        [
            "Asking.\n<myco>\nask FRONT which port do you call?\n</myco>",
            "Thinking about it.\n<myco></myco>",
        ]
    )
    ok(back.turn("check the port", sid=str(uuid.uuid4()), first=True))
    ok(front.turn("work", sid=str(uuid.uuid4()), first=True))
    assert "seen by FRONT" in view(daemon, "BACK")
    assert "(turn 1), no reply yet" in view(daemon, "BACK")


def test_compaction_brings_the_full_view_back(
    make_agent: MakeAgent, model: FakeAnthropic, daemon: DaemonProcess
) -> None:
    front = make_agent("FRONT")
    conv = str(uuid.uuid4())
    model.script(["One.\n<myco></myco>", "Two.\n<myco></myco>", "Three.\n<myco></myco>"])
    ok(front.turn("one", sid=conv, first=True))
    ok(front.turn("two", sid=conv))
    assert "myco: nothing new" in last_prompt(model)
    ok(front.turn("/compact", sid=conv))
    ok(front.turn("three", sid=conv))
    assert "# myco view — FRONT" in last_prompt(model)


def test_a_direct_to_an_idle_headless_session_wakes_it_once(
    make_agent: MakeAgent, model: FakeAnthropic, daemon: DaemonProcess
) -> None:
    bot = make_agent("BOT")
    model.script(
        [
            "Done for now.\n<myco>\nstart warmup\n</myco>",
            "Freezing it.\n<myco>\ndone schema re:freeze\n</myco>",
        ]
    )
    # a first headless turn: its Stop hook reports the session idle
    status, _ = call(daemon.url, "POST", "/dispatch/BOT", TOKEN, {"prompt": "warm up"})
    assert status == 200
    proc = bot.myco("worker", "BOT", str(bot.project), "--once", "--interval", "0.2")
    assert proc.returncode == 0, proc.stderr
    status, _ = call(
        daemon.url,
        "POST",
        "/events",
        TOKEN,
        {"session": "DIRECTOR", "events": ["direct BOT freeze the schema", "direct BOT now"]},
    )
    assert status == 200
    proc = bot.myco("worker", "BOT", str(bot.project), "--once", "--interval", "0.2")
    assert proc.returncode == 0, proc.stderr
    woken = json.dumps(model.turns()[-1], ensure_ascii=False)
    assert "DIRECTOR sent you a directive" in woken and "# myco delta — BOT" in woken
    assert "direct BOT freeze the schema" in last_prompt(model)
    assert len(model.turns()) == 2
    status, _ = call(daemon.url, "GET", "/dispatch/BOT", TOKEN)
    assert status == 204  # woken once, nothing left queued
