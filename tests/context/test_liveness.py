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
    assert "- BACK: ended" in swarm.section("FRONT", "LIVENESS")
    swarm.advance(default_settings.gone_minutes * 60_000 + 1000)
    swarm.post("FRONT", "live working")
    assert gone(swarm.state, "BACK", swarm.now)
    assert "BACK" not in swarm.section("FRONT", "LIVENESS")
    assert "- BACK: ended" in swarm.section("DIRECTOR", "LIVENESS")  # the DIRECTOR keeps it


def test_a_target_that_never_ran_is_not_listed(swarm: DeltaSwarm) -> None:
    swarm.post("FRONT", "live working", "ask BAKC typo?")
    assert "BAKC" not in swarm.section("DIRECTOR", "LIVENESS")


def test_no_lifecycle_report_means_no_section(swarm: DeltaSwarm) -> None:
    swarm.post("BACK", "start api")
    assert "## LIVENESS" not in swarm.view("FRONT")


def test_a_typo_target_gets_a_did_you_mean(swarm: DeltaSwarm) -> None:
    swarm.post("BACK", "start api")
    assert swarm.post("FRONT", "ask BAKC which port?") == [
        "no session BAKC has posted yet: did you mean BACK?"
    ]
    assert swarm.post("FRONT", "ask BAKC again?") != []  # still unknown: still said
    assert swarm.post("FRONT", "ask BACK which port?") == []
    assert swarm.post("FRONT", "ask DB schema?") == []  # nothing close: may start later
