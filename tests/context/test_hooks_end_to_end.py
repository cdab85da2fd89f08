"""The Claude Code hooks against a real daemon: deltas, compaction resync, receipts, liveness.

Payloads in Claude Code's shapes go through the adapter (``AdapterHarness``) to a real
``myco serve``; the daemon is restarted to show revisions and receipts survive it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from myco.adapters.claude_code.adapter import ADAPTER
from myco.testing import AdapterHarness, DaemonProcess


def injected(harness: AdapterHarness, prompt: str = "go on") -> str:
    out = harness.hook("prompt", {"prompt": prompt})
    assert out.exit_code == 0
    if not out.stdout:
        return ""
    return str(json.loads(out.stdout)["hookSpecificOutput"]["additionalContext"])


def stop(harness: AdapterHarness, block: str, key: str) -> None:
    payload = {"prompt_id": key, "last_assistant_message": f"ok\n<myco>\n{block}\n</myco>"}
    assert harness.hook("stop", payload).exit_code == 0


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    with DaemonProcess(tmp_path / "data", "--quiet") as d:
        yield d


def harness(daemon: DaemonProcess, tmp_path: Path, session: str) -> AdapterHarness:
    return AdapterHarness(ADAPTER, daemon, tmp_path / f"state-{session}", session=session)


def test_second_turn_with_nothing_new_is_one_line_and_compaction_resyncs(
    daemon: DaemonProcess, tmp_path: Path
) -> None:
    front = harness(daemon, tmp_path, "FRONT")
    first = injected(front)
    assert "# myco view — FRONT" in first and "<!-- myco rev:" not in first
    second = injected(front)
    assert second.startswith("myco: nothing new for FRONT since your last view")
    assert second.count("\n") == 1
    out = front.hook("session-start", {"source": "compact"})
    assert out.stdout == "" and out.exit_code == 0
    assert "# myco view — FRONT" in injected(front)  # the compacted context lost the view
    assert injected(front).startswith("myco: nothing new")
    assert injected(front, "/clear") == ""  # slash commands never reach the model


def test_a_receipt_reaches_the_asker_after_the_targets_next_prompt(
    daemon: DaemonProcess, tmp_path: Path
) -> None:
    front, back = harness(daemon, tmp_path, "FRONT"), harness(daemon, tmp_path, "BACK")
    injected(front)
    injected(back)
    stop(front, "ask BACK which port do you listen on?", "p1")
    assert "not seen by BACK yet" in daemon.view("FRONT")
    delta = injected(back)
    assert "which port do you listen on?" in delta and "# myco delta — BACK" in delta
    assert "seen by BACK" in daemon.view("FRONT") and "(turn 2), no reply yet" in daemon.view(
        "FRONT"
    )
    assert "## RECEIPTS" in injected(front)

    daemon.restart()  # revisions and receipts are events: replayed like the rest
    for h in (front, back):
        h.environ["MYCO_URL"] = daemon.url
    assert "(turn 2), no reply yet" in daemon.view("FRONT")
    assert injected(back).startswith("myco: nothing new for BACK")
    stop(back, "reply FRONT 8080", "p2")
    assert "reply FRONT 8080" in injected(front)
    assert "## YOUR OPEN ASKS" not in daemon.view("FRONT")


def test_lifecycle_hooks_drive_liveness(daemon: DaemonProcess, tmp_path: Path) -> None:
    back = harness(daemon, tmp_path, "BACK")
    injected(back)  # the first prompt learns the daemon speaks deltas
    assert "| BACK | " in (v := daemon.view("DIRECTOR")) and " | working " in v
    stop(back, "start api", "p1")
    assert "| BACK | " in (v := daemon.view("DIRECTOR")) and " | idle " in v
    back.hook("notify", {"notification_type": "permission_prompt", "message": "allow Bash?"})
    assert "| BACK | " in (v := daemon.view("DIRECTOR")) and " | awaiting-human " in v
    back.hook("session-end", {"reason": "exit"})
    assert "| BACK | " in (v := daemon.view("DIRECTOR")) and " | ended " in v
    lines = [e["line"] for e in daemon.events() if e["session"] == "BACK"]
    assert lines[-3:] == ["live idle", "live awaiting-human", "live ended"]


def test_a_daemon_without_the_plugin_gets_full_views_and_no_bookkeeping(tmp_path: Path) -> None:
    env = {"MYCO_DISABLE_PLUGINS": "myco.default_plugins.context"}
    with DaemonProcess(tmp_path / "data", "--quiet", env=env) as daemon:
        front = AdapterHarness(ADAPTER, daemon, tmp_path / "state", session="FRONT")
        for _ in range(2):
            assert "# myco view — FRONT" in injected(front)
        stop(front, "start ui", "p1")
        assert [e["line"] for e in daemon.events()] == ["start ui"]


def test_resuming_the_same_conversation_keeps_deltas_another_gets_the_full_view(
    daemon: DaemonProcess, tmp_path: Path
) -> None:
    front = harness(daemon, tmp_path, "FRONT")
    first = front.hook("prompt", {"prompt": "go", "session_id": "conv-1"})
    assert "# myco view — FRONT" in first.stdout
    front.hook("session-start", {"source": "resume", "session_id": "conv-1"})
    assert injected(front).startswith("myco: nothing new")  # its history holds the view
    front.hook("prompt", {"prompt": "go", "session_id": "conv-1"})
    front.hook("session-start", {"source": "resume", "session_id": "conv-2"})
    assert "# myco view — FRONT" in injected(front)
    front.hook("session-start", {"source": "clear", "session_id": "conv-2"})
    assert "# myco view — FRONT" in injected(front)


def test_lifecycle_reports_are_never_queued_while_the_daemon_is_down(
    daemon: DaemonProcess, tmp_path: Path
) -> None:
    back = harness(daemon, tmp_path, "BACK")
    injected(back)
    back.environ["MYCO_URL"] = "http://127.0.0.1:9"  # nothing listens there
    back.hook("notify", {"notification_type": "permission_prompt"})
    back.hook("session-end", {})
    back.environ["MYCO_URL"] = daemon.url
    injected(back)  # flushes the outbox: nothing stale arrives
    lines = [e["line"] for e in daemon.events() if e["session"] == "BACK"]
    assert not [ln for ln in lines if ln.startswith("live ")]


def test_the_human_hears_of_a_directive_that_woke_nobody(
    daemon: DaemonProcess, tmp_path: Path
) -> None:
    back = harness(daemon, tmp_path, "BACK")
    injected(back)
    asked = back.run("notify", {"notification_type": "permission_prompt", "message": "Bash?"})
    assert asked.exit_code == 0 and asked.stdout == ""  # nothing to tell yet
    daemon.post("DIRECTOR", "direct BACK freeze the schema")
    daemon.post("FRONT", "ask BAKC typo?")
    reply = "ok <myco>\nask FRNT x\n</myco>"
    out = back.run("stop", {"prompt_id": "p1", "last_assistant_message": reply})
    assert out.exit_code == 0
    said = json.loads(out.stdout)["systemMessage"].splitlines()
    assert said[0] == "⚠️ myco: no session FRNT has posted yet: did you mean FRONT?"
    assert said[1].startswith("⚠️ myco: while BACK waited for you, DIRECTOR sent it a directive")
    assert said[1].endswith(
        "freeze the schema — BACK was not woken; your next prompt shows it to BACK."
    )
    again = back.run("notify", {"notification_type": "permission_prompt", "message": "Bash?"})
    assert again.stdout == ""  # told once
    assert "| BAKC |" not in daemon.view("DIRECTOR")  # a typo target is no session
