"""Liveness from lifecycle hooks: every transition, staleness, leaving worker views."""

from __future__ import annotations

from myco.default_plugins.context.liveness import gone, liveness
from tests.context.conftest import DeltaSwarm


def state_of(swarm: DeltaSwarm, name: str) -> str:
    return liveness(swarm.state, name, swarm.now)[0]


def test_each_transition(swarm: DeltaSwarm) -> None:
    swarm.post("BACK", "start api")
    assert state_of(swarm, "BACK") == "active"  # no lifecycle hook yet: by its events
    swarm.post("BACK", "live started source:startup")
    assert state_of(swarm, "BACK") == "working"
    swarm.post("BACK", "live idle")
    assert state_of(swarm, "BACK") == "idle"
    swarm.prompt("BACK")  # UserPromptSubmit: the `seen` report means a turn runs
    assert state_of(swarm, "BACK") == "working"
    swarm.post("BACK", "live awaiting-human")
    assert state_of(swarm, "BACK") == "awaiting-human"
    swarm.post("BACK", "live working")
    assert state_of(swarm, "BACK") == "working"
    swarm.post("BACK", "live ended")
    assert state_of(swarm, "BACK") == "ended"
    assert state_of(swarm, "NOBODY") == "unknown"


def test_silence_makes_a_session_stale(swarm: DeltaSwarm, default_settings) -> None:
    swarm.post("BACK", "live working")
    swarm.advance(default_settings.stale_minutes * 60_000 + 1000)
    assert state_of(swarm, "BACK") == "stale"
    swarm.post("BACK", "live awaiting-human")
    swarm.advance(default_settings.stale_minutes * 60_000 + 1000)
    assert state_of(swarm, "BACK") == "awaiting-human"  # waiting for a human is not death


def test_ended_and_stale_sessions_leave_worker_views_after_the_ttl(
    swarm: DeltaSwarm, default_settings
) -> None:
    swarm.post("BACK", "live ended")
    swarm.post("FRONT", "live working")
    assert swarm.section("FRONT", "PEERS").startswith("- **BACK**: unknown, ended 1s, last-seen")
    swarm.advance(default_settings.gone_minutes * 60_000 + 1000)
    swarm.post("FRONT", "live working")
    assert gone(swarm.state, "BACK", swarm.now)
    assert "BACK" not in swarm.view("FRONT").split("## PEERS")[-1]
    assert "| BACK | unknown | ended 30min |" in swarm.section("DIRECTOR", "SESSIONS")


def test_peers_and_sessions_show_liveness_once_a_hook_reported(swarm: DeltaSwarm) -> None:
    swarm.post("BACK", "start api")
    swarm.post("FRONT", "start ui")
    assert swarm.section("FRONT", "PEERS").startswith("- **BACK**: active, last-seen")
    assert "liveness" not in swarm.section("DIRECTOR", "SESSIONS")  # the reference's table
    swarm.post("BACK", "live awaiting-human")
    assert "- **BACK**: active, awaiting-human 0s, last-seen" in swarm.section("FRONT", "PEERS")
    table = swarm.section("DIRECTOR", "SESSIONS").splitlines()
    assert table[0] == (
        "| session | status | liveness | last action | last-seen | blockers | dependents |"
    )
    assert table[2].startswith("| BACK | active | awaiting-human 0s | start api |")
    assert table[3].startswith("| FRONT | active | active ")  # by its events


def test_a_target_that_never_ran_is_not_listed(swarm: DeltaSwarm) -> None:
    swarm.post("FRONT", "live working", "ask BAKC typo?")
    assert "| BAKC |" not in swarm.section("DIRECTOR", "SESSIONS")
    assert swarm.state.presence("BAKC", swarm.now) is None


def test_the_markdown_view_has_no_liveness_section(swarm: DeltaSwarm) -> None:
    swarm.post("BACK", "start api", "live working")
    assert "## LIVENESS" not in swarm.view("FRONT")
    assert "## LIVENESS" not in swarm.view("DIRECTOR")
