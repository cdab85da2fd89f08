"""Seen receipts: delivered → seen (turn, time) → answered, shown to the asker."""

from __future__ import annotations

from myco import clock
from myco.default_plugins.context.ledger import ledger
from tests.context.conftest import DeltaSwarm


def hhmm(ms: int) -> str:
    return clock.iso_s(ms)[11:16]


def test_the_asker_sees_delivered_then_seen_then_nothing(swarm: DeltaSwarm) -> None:
    swarm.prompt("BACK")
    swarm.prompt("FRONT")
    swarm.post("FRONT", "ask BACK which port?")
    asks = swarm.section("FRONT", "YOUR OPEN ASKS")
    assert asks.endswith("which port? — delivered, not seen by BACK yet")
    for _ in range(2):
        swarm.prompt("BACK")  # turn 2 injects the question; turn 3 changes nothing
    seen_at = ledger(swarm.state).receipts[("ask", 3)].ts_ms
    assert swarm.section("FRONT", "YOUR OPEN ASKS").endswith(
        f"which port? — seen by BACK {hhmm(seen_at)} (turn 2), no reply yet"
    )
    receipt_delta = swarm.prompt("FRONT")
    assert "## RECEIPTS" in receipt_delta.text and "(turn 2)" in receipt_delta.text
    swarm.post("BACK", "reply FRONT 8080")
    assert swarm.section("FRONT", "YOUR OPEN ASKS") == ""  # answered: the section leaves


def test_directives_get_receipts_too(swarm: DeltaSwarm) -> None:
    swarm.prompt("BACK")
    swarm.post("DIRECTOR", "direct BACK freeze the schema")
    assert "delivered, not seen by BACK yet" in swarm.section("DIRECTOR", "YOUR OPEN ASKS")
    swarm.prompt("BACK")
    assert "seen by BACK" in swarm.section("DIRECTOR", "YOUR OPEN ASKS")


def test_the_director_is_told_of_items_unseen_too_long(swarm: DeltaSwarm, default_settings) -> None:
    default_settings.unseen_minutes = 10
    swarm.post("FRONT", "ask BACK which port?")
    swarm.post("DIRECTOR", "direct DB freeze the schema")
    assert swarm.section("DIRECTOR", "UNSEEN") == ""
    swarm.advance(11 * 60_000)
    unseen = swarm.section("DIRECTOR", "UNSEEN")
    assert "ask FRONT → BACK, 11min ago, not seen by BACK" in unseen
    assert "direct → DB, 11min ago, not seen by DB" in unseen
    swarm.prompt("BACK")
    assert "BACK" not in swarm.section("DIRECTOR", "UNSEEN")
    assert "UNSEEN" not in swarm.view("FRONT")  # the DIRECTOR's section only


def test_receipts_of_resolved_items_are_forgotten(swarm: DeltaSwarm) -> None:
    """Bounded: a long session does not accumulate receipts of answered questions."""
    for i in range(200):
        swarm.post("FRONT", f"ask BACK question {i}?")
        swarm.prompt("BACK")
        swarm.post("BACK", f"reply FRONT answer {i}")
    assert len(ledger(swarm.state).receipts) <= 2 * len(swarm.state.questions) + 64 + 1


def test_the_json_view_carries_receipts_liveness_and_stalls(swarm: DeltaSwarm) -> None:
    import json

    swarm.prompt("BACK")
    swarm.post("FRONT", "ask BACK which port?", "live working")
    swarm.prompt("BACK")
    swarm.post("BACK", "need FRONT.ui")
    swarm.post("FRONT", "need BACK.api")
    sections = json.loads(swarm.view("FRONT", "json"))["sections"]
    [ask] = sections["YOUR OPEN ASKS"]
    assert ask["kind"] == "ask" and ask["target"] == "BACK" and ask["seen"]["turn"] == 2
    assert sections["LIVENESS"]["BACK"]["state"] == "working"
    assert [s["kind"] for s in sections["STALLS"]] == ["deadlock"]
    assert "NOW" not in sections  # built-ins without data stay structured fields
