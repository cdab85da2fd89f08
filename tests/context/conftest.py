"""A swarm with the context plugin's delta renderer at hand."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest

from myco.default_plugins.context.delta import Delta, render_delta
from myco.default_plugins.context.settings import SETTINGS, Settings
from myco.plugins import Hooks
from myco.testing import Swarm


class DeltaSwarm(Swarm):
    """A :class:`Swarm` that also renders deltas and plays the prompt hook's report."""

    def __init__(self) -> None:
        super().__init__()
        self.sections = Hooks(self.pm).register_view_sections()
        self.turns: dict[str, int] = {}
        self.revs: dict[str, int | None] = {}

    def delta(self, session: str, seen: int | None, turn: int = 0) -> Delta:
        return render_delta(self.sections, self.state, session, self.now, self.budget, seen, turn)

    def prompt(self, session: str) -> Delta:
        """What the prompt hook does: ask for the delta since its last view, report it."""
        turn = self.turns.get(session, 0) + 1
        got = self.delta(session, self.revs.get(session), turn)
        self.turns[session] = turn
        self.revs[session] = got.rev
        self.post(session, f"seen view rev:{got.rev} turn:{turn}")
        return got


@pytest.fixture
def swarm() -> DeltaSwarm:
    return DeltaSwarm()


@pytest.fixture(autouse=True)
def default_settings() -> Iterator[Settings]:
    """Each test starts from the default settings and leaves them so."""
    saved = attrs.asdict(SETTINGS)
    for name, value in attrs.asdict(Settings()).items():
        setattr(SETTINGS, name, value)
    yield SETTINGS
    for name, value in saved.items():
        setattr(SETTINGS, name, value)
