"""Helpers for testing myco and myco plugins without a daemon.

:class:`Swarm` feeds event lines into an in-memory swarm with a controllable clock and
renders views, through the same lint/apply code the daemon runs.
"""

from __future__ import annotations

from collections.abc import Iterable

import pluggy

from myco.names import session_name
from myco.plugins import Hooks, make_plugin_manager
from myco.protocol.engine import apply_batch
from myco.protocol.events import Record
from myco.protocol.state import SwarmState

START_MS = 1_780_000_000_000  # a fixed, realistic epoch in milliseconds


class Swarm:
    """An in-memory swarm: ``post`` lines, ``view`` sessions, move the clock."""

    def __init__(
        self,
        pm: pluggy.PluginManager | None = None,
        *,
        now_ms: int = START_MS,
        budget: int = 9000,
        plugins: Iterable[object] = (),
    ) -> None:
        self.pm = pm or make_plugin_manager(load_entrypoints=False, extra=plugins)
        hooks = Hooks(self.pm)
        self.verbs = hooks.register_verbs()
        self.renderers = hooks.register_renderers()
        self.state = SwarmState(self.verbs)
        self.now = now_ms
        self.budget = budget
        self.seq = 0
        self.warnings: list[str] = []

    def post(self, session: str, *lines: str, step_ms: int = 1000) -> list[str]:
        """Apply *lines* by *session* as one batch (one timestamp); returns lint warnings."""
        self.now += step_ms
        author = session_name(session)
        records = []
        for line in lines:
            self.seq += 1
            records.append(Record(self.seq, self.now, author, line))
        _, warnings = apply_batch(self.state, records, self.now)
        self.warnings = warnings
        return warnings

    def advance(self, ms: int) -> None:
        self.now += ms

    def add_msg(self, name: str) -> None:
        self.state.msg_names.add(name)

    def view(self, session: str, fmt: str = "markdown") -> str:
        renderer = self.renderers.get(fmt)
        assert renderer is not None, fmt
        return renderer.render(self.state, session_name(session), self.now, self.budget)

    def section(self, session: str, heading: str) -> str:
        """The body of section ``## heading`` of *session*'s view ("" when absent)."""
        text = self.view(session)
        marker = f"## {heading}\n"
        if marker not in text:
            return ""
        body = text.split(marker, 1)[1]
        return body.split("\n## ", 1)[0].strip()
