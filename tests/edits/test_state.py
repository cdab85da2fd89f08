"""Edit conflicts and leases as the views show them (an in-memory swarm, a moving clock)."""

from __future__ import annotations

import json

import pytest

from myco.default_plugins.edits import model
from myco.testing import Swarm

REPO = "repo:git:0123456789abcdef"
MIN = 60_000


@pytest.fixture
def swarm() -> Swarm:
    return Swarm()


def test_two_sessions_editing_one_path_see_each_other(swarm: Swarm) -> None:
    swarm.post("ALICE", f"edit src/app.py {REPO}")
    assert swarm.section("ALICE", "CONFLICTS") == ""  # alone: no section
    swarm.post("BOB", f"edit src/app.py {REPO}")
    alice, bob = swarm.section("ALICE", "CONFLICTS"), swarm.section("BOB", "CONFLICTS")
    assert "`src/app.py`: edited by BOB and you" in alice
    assert "`src/app.py`: edited by ALICE and you" in bob
    director = swarm.section("DIRECTOR", "CONFLICTS")
    assert "`src/app.py`: edited by ALICE and BOB" in director
    assert "RECENT EVENTS" in swarm.view("ALICE") and "edit src" not in swarm.view("ALICE")


def test_other_repositories_and_paths_do_not_conflict(swarm: Swarm) -> None:
    swarm.post("ALICE", f"edit src/app.py {REPO}", "edit src/app.py repo:git:ffff")
    swarm.post("BOB", "edit src/app.py repo:git:eeee", f"edit src/other.py {REPO}")
    assert swarm.section("ALICE", "CONFLICTS") == ""
    assert "No conflict detected." in swarm.section("DIRECTOR", "CONFLICTS")


def test_the_director_keeps_the_start_conflicts_and_adds_file_ones(swarm: Swarm) -> None:
    swarm.post("ALICE", "start login", f"edit a.py {REPO}")
    swarm.post("BOB", "start login", f"edit a.py {REPO}")
    lines = swarm.section("DIRECTOR", "CONFLICTS").splitlines()
    assert lines[0].startswith("- WARNING: ALICE, BOB working on `login`")
    assert "`a.py`: edited by ALICE and BOB" in lines[1]


def test_a_conflict_clears_on_commit_release_window_and_staleness(swarm: Swarm) -> None:
    swarm.post("ALICE", f"edit a.py {REPO}", f"edit b.py {REPO}")
    swarm.post("BOB", f"edit a.py {REPO}", f"edit b.py {REPO}")
    swarm.post("ALICE", f"clean a.py {REPO}")  # committed
    assert "a.py" not in swarm.section("BOB", "CONFLICTS")
    assert "`b.py`" in swarm.section("BOB", "CONFLICTS")
    swarm.post("BOB", "release b.py")
    assert swarm.section("ALICE", "CONFLICTS") == ""

    swarm.post("ALICE", f"edit c.py {REPO}")
    swarm.post("BOB", f"edit c.py {REPO}")
    swarm.advance(20 * MIN)
    swarm.post("BOB", "say still here")  # BOB live, ALICE silent for 20 min
    assert "`c.py`" in swarm.section("BOB", "CONFLICTS")  # inside the 30 min window
    swarm.advance(11 * MIN)
    assert swarm.section("BOB", "CONFLICTS") == ""  # ALICE's edit is out of the window


def test_leases_are_listed_with_holder_and_time_left_and_end_at_ttl(swarm: Swarm) -> None:
    assert swarm.post("ALICE", "claim src/auth/** ttl:45m reworking login") == []
    leases = swarm.section("BOB", "LEASES")
    assert "- `src/auth/**` held by ALICE, 45 min left" in leases
    assert leases.rstrip().endswith(": reworking login")
    assert "held by you" in swarm.section("ALICE", "LEASES")
    swarm.post("ALICE", "say working")
    swarm.advance(45 * MIN)
    assert swarm.section("BOB", "LEASES") == ""


def test_overlapping_claims_are_a_conflict_for_both(swarm: Swarm) -> None:
    swarm.post("ALICE", "claim src/** ttl:1h")
    warnings = swarm.post("BOB", "claim src/api/*.py ttl:30m")
    assert warnings and "overlaps ALICE's lease `src/**`" in warnings[0]
    assert "leases overlap: `src/** ∩ src/api/*.py` held by BOB and you" in swarm.section(
        "ALICE", "CONFLICTS"
    )
    assert "held by ALICE and you" in swarm.section("BOB", "CONFLICTS")
    swarm.post("BOB", "release all")
    assert swarm.section("ALICE", "CONFLICTS") == ""


def test_a_lease_ends_when_its_holder_goes_stale(swarm: Swarm) -> None:
    swarm.post("ALICE", "claim src/** ttl:3h")
    swarm.advance(29 * MIN)
    assert "held by ALICE" in swarm.section("BOB", "LEASES")
    swarm.advance(2 * MIN)
    assert swarm.section("BOB", "LEASES") == ""


def test_a_bad_ttl_is_warned_about_and_defaults(swarm: Swarm) -> None:
    warnings = swarm.post("ALICE", "claim x.py ttl:soon")
    assert "ttl:soon is not a duration" in warnings[0]
    assert "60 min left" in swarm.section("ALICE", "LEASES")


@pytest.mark.parametrize(
    ("text", "ms"),
    [("90s", 90_000), ("30m", 1_800_000), ("2h", 7_200_000), ("1h30m", 5_400_000), ("15", 900_000)],
)
def test_durations(text: str, ms: int) -> None:
    assert model.parse_duration(text) == ms


def test_the_json_view_carries_conflicts_and_leases_for_the_dashboard(swarm: Swarm) -> None:
    swarm.post("ALICE", f"edit a%20b.py {REPO}", "claim docs/** ttl:10m")
    swarm.post("BOB", f"edit a%20b.py {REPO}")
    data = json.loads(swarm.view("BOB", "json"))["sections"]
    assert data["CONFLICTS"] == [
        {
            "kind": "edit",
            "path": "a b.py",
            "repo": "git:0123456789abcdef",
            "sessions": ["ALICE", "BOB"],
        }
    ]
    assert [(x["glob"], x["holder"]) for x in data["LEASES"]] == [("docs/**", "ALICE")]


def test_memory_is_bounded(swarm: Swarm, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "MAX_PATHS", 10)
    swarm.post("ALICE", *(f"edit f{i}.py {REPO}" for i in range(25)))
    st = model.of(swarm.state)
    assert len(st.edits) == 10 and len(st.by_session["ALICE"]) == 10
    assert ("git:0123456789abcdef", "f24.py") in st.edits
