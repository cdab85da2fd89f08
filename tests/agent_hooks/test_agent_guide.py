"""The packaged guide is the swarm/ guide, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from myco import agent_guide
from myco.launcher import guide_for

SWARM = Path(__file__).resolve().parents[2] / "swarm"


@pytest.mark.parametrize("name", [agent_guide.PROTOCOL, agent_guide.DIRECTOR])
def test_packaged_copy_is_identical_to_swarm(name: str) -> None:
    assert agent_guide.read(name) == (SWARM / name).read_text(encoding="utf-8"), (
        f"copy swarm/{name} to src/myco/agent_guide/{name}"
    )


def test_only_the_director_gets_the_role_text() -> None:
    protocol, role = guide_for("FRONT")
    assert protocol.startswith("# myco: you are one of several parallel sessions")
    assert role == ""
    assert guide_for("DIRECTOR")[1].startswith("# myco: you are the DIRECTOR")
