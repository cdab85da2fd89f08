"""The contract of agent-CLI adapters (Claude Code, Codex, Aider, Gemini CLI, ...).

An adapter knows, for one CLI, how to launch a session with myco wired in, how to inject
the view before each turn, how to capture the ``<myco>`` block after each turn, and where
the protocol instructions go. Adapters are registered with the ``register_adapters`` hook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from attrs import frozen


@frozen
class HookResult:
    """What a hook invocation prints and how it exits."""

    stdout: str = ""
    exit_code: int = 0


@runtime_checkable
class Adapter(Protocol):
    """One agent CLI."""

    #: name used by ``myco run --agent NAME`` and ``myco hook NAME EVENT``
    name: str
    #: the executable the launcher runs
    executable: str
    #: the instructions file inside the project (``CLAUDE.md``, ``AGENTS.md``, ...)
    instructions_file: str

    def install(self, project_dir: Path, session: str, hook_command: str) -> None:
        """Wire myco's hooks and instructions into *project_dir*, idempotently."""

    def launch_argv(self, project_dir: Path, session: str, args: Sequence[str]) -> list[str]:
        """The argv that starts the CLI for *session* with *args* passed through."""

    def handle_hook(self, event: str, payload: Mapping[str, object]) -> HookResult:
        """Run hook *event* of the CLI with its stdin *payload*; never raises."""
