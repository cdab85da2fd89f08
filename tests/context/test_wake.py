"""Wake: a direct or an urgent ask to an idle session queues one prompt for `myco worker`."""

from __future__ import annotations

import time

from myco.testing import DaemonProcess


def take(daemon: DaemonProcess, session: str) -> str | None:
    status, body = daemon.request("GET", f"/dispatch/{session}")
    if status == 204:
        return None
    assert status == 200, body
    return str(body["prompt"])


def wait_take(daemon: DaemonProcess, session: str, timeout: float = 10.0) -> str | None:
    """The wake is queued by a task right after the post: poll for it with a deadline."""
    deadline = time.monotonic() + timeout
    while (prompt := take(daemon, session)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return prompt


def test_a_direct_to_an_idle_session_wakes_it_once(myco_daemon: DaemonProcess) -> None:
    myco_daemon.post("BACK", "live idle")
    myco_daemon.post("DIRECTOR", "direct BACK freeze the schema")
    myco_daemon.post("DIRECTOR", "direct BACK and the migrations")
    prompt = wait_take(myco_daemon, "BACK")
    assert prompt is not None and "DIRECTOR sent you a directive" in prompt
    assert take(myco_daemon, "BACK") is None  # once


def test_a_working_session_is_woken_when_it_goes_idle(myco_daemon: DaemonProcess) -> None:
    myco_daemon.post("FRONT", "live working")
    myco_daemon.post("BACK", "ask FRONT which port? urgent:yes")
    myco_daemon.post("FRONT", "start ui")
    assert take(myco_daemon, "FRONT") is None  # never interrupts a running turn
    myco_daemon.post("FRONT", "live idle")
    prompt = wait_take(myco_daemon, "FRONT")
    assert prompt is not None and "BACK sent you an urgent question" in prompt


def test_no_wake_for_a_plain_ask_an_awaiting_human_session_or_a_pending_prompt(
    myco_daemon: DaemonProcess,
) -> None:
    myco_daemon.post("FRONT", "live idle")
    myco_daemon.post("BACK", "ask FRONT which port?")  # not urgent
    myco_daemon.post("DB", "live awaiting-human")
    myco_daemon.post("DIRECTOR", "direct DB freeze")  # its human decides
    status, _ = myco_daemon.request("POST", "/dispatch/FRONT", {"prompt": "the human's job"})
    assert status == 200
    myco_daemon.post("DIRECTOR", "direct FRONT ship it")
    # wakes are queued in order: once a later one has landed, a wrong one would have too
    myco_daemon.post("OPS", "live idle")
    myco_daemon.post("DIRECTOR", "direct OPS restart staging")
    assert wait_take(myco_daemon, "OPS") is not None
    assert take(myco_daemon, "FRONT") == "the human's job"  # kept, not replaced
    assert take(myco_daemon, "DB") is None
