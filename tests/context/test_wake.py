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


def test_a_session_awaiting_its_human_is_not_woken_its_human_is_told_once() -> None:
    from myco.testing import Swarm

    swarm = Swarm()
    swarm.post("BACK", "live awaiting-human")
    swarm.post("DIRECTOR", "direct BACK freeze the schema")
    swarm.post("FRONT", "ask BACK which port? urgent:yes", "ask BACK a plain one")
    told = swarm.post("BACK", "live idle")  # its next lifecycle report (Stop, Notification)
    assert len(told) == 2
    assert told[0].startswith("while BACK waited for you, DIRECTOR sent it a directive (")
    assert told[0].endswith(
        "freeze the schema — BACK was not woken; your next prompt shows it to BACK."
    )
    assert "FRONT sent it an urgent question" in told[1] and "which port?" in told[1]
    assert swarm.post("BACK", "live awaiting-human") == []  # once
    swarm.post("DIRECTOR", "direct BACK and the migrations")
    assert swarm.post("BACK", "live ended") == []  # kept for the next start
    assert "and the migrations" in swarm.post("BACK", "live started source:resume")[0]
    swarm.post("BACK", "live awaiting-human")
    swarm.post("DIRECTOR", "direct BACK seen before any report")
    swarm.post("BACK", f"seen view rev:{swarm.seq} turn:3")  # its model saw it: nothing to tell
    assert swarm.post("BACK", "live idle") == []
