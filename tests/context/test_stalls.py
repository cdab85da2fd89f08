"""Stalls and deadlocks: shown to those involved and the DIRECTOR, absent otherwise."""

from __future__ import annotations

from tests.context.conftest import DeltaSwarm


def test_nothing_wrong_means_no_section(swarm: DeltaSwarm) -> None:
    swarm.post("BACK", "start api")
    swarm.post("FRONT", "ask BACK which port?")
    assert "## STALLS" not in swarm.view("DIRECTOR")
    assert "## STALLS" not in swarm.view("FRONT")


def test_a_need_cycle_is_a_deadlock_for_both_and_the_director(swarm: DeltaSwarm) -> None:
    swarm.post("BACK", "need FRONT.ui")
    swarm.post("FRONT", "need BACK.api")
    swarm.post("DB", "start schema")
    for who in ("BACK", "FRONT", "DIRECTOR"):
        assert "deadlock: BACK → FRONT → BACK wait on each other" in swarm.section(who, "STALLS")
    assert swarm.section("DB", "STALLS") == ""


def test_an_ask_past_its_ttl(swarm: DeltaSwarm) -> None:
    swarm.post("FRONT", "ask BACK which port?")
    swarm.advance(31 * 60_000)
    assert "ask FRONT → BACK open 31min (past its TTL)" in swarm.section("BACK", "STALLS")
    assert "past its TTL" in swarm.section("DIRECTOR", "STALLS")


def test_a_directive_open_too_long(swarm: DeltaSwarm, default_settings) -> None:
    default_settings.directive_minutes = 20
    swarm.post("DIRECTOR", "direct BACK freeze the schema")
    swarm.advance(21 * 60_000)
    assert "directive DIRECTOR → BACK open 21min" in swarm.section("BACK", "STALLS")


def test_awaiting_a_human_too_long(swarm: DeltaSwarm, default_settings) -> None:
    swarm.post("BACK", "live awaiting-human")
    swarm.advance((default_settings.awaiting_minutes + 1) * 60_000)
    assert "BACK awaiting its human" in swarm.section("DIRECTOR", "STALLS")
    assert "BACK awaiting its human" in swarm.section("BACK", "STALLS")
    assert swarm.section("FRONT", "STALLS") == ""


def test_a_delta_carries_the_stalls_of_the_session(swarm: DeltaSwarm) -> None:
    swarm.post("BACK", "need FRONT.ui")
    swarm.prompt("FRONT")
    swarm.post("FRONT", "need BACK.api")
    swarm.post("BACK", "ask FRONT ui ready?")
    assert "deadlock" in swarm.prompt("FRONT").text
