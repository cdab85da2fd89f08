"""The :class:`Adapter` protocol: what the launcher and the hooks call on an adapter.

Kept apart from :mod:`myco.adapters` (which re-exports it on demand) because a
:class:`typing.Protocol` needs :mod:`typing`, which the per-turn hook path never imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from myco.adapters import HeadlessRun, HookOutput, LaunchPlan, LaunchRequest
    from myco.agent_hooks.runtime import HookContext


@runtime_checkable
class Adapter(Protocol):
    """One agent CLI."""

    #: name used by ``myco run --agent NAME`` and ``myco hook NAME EVENT``
    name: str
    #: the executable the launcher runs (looked up on PATH)
    executable: str
    #: the instructions file inside the project (``CLAUDE.md``, ``AGENTS.md``, ...)
    instructions_file: str

    def hook(self, ctx: HookContext) -> HookOutput:
        """Answer hook ``ctx.event``; must not raise for network trouble."""

    def launch(self, req: LaunchRequest) -> LaunchPlan:
        """Files and command that start an interactive session with myco wired in."""

    def headless(self, req: LaunchRequest, prompt: str, conversation: str) -> HeadlessRun:
        """The command that runs *prompt* in *conversation* (``""``: start one)."""

    def conversation_from_output(self, stdout: str, run: HeadlessRun) -> str:
        """The conversation id a finished headless run reports (or ``run.conversation``)."""
