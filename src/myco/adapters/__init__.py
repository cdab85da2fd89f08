"""The contract of agent-CLI adapters (Claude Code, Codex, Aider, Gemini CLI, ...).

An adapter knows, for one CLI, how to launch a session with myco wired in (hooks and
instructions), how to answer the CLI's hooks (view in before a turn, ``<myco>`` block out
after it; see :mod:`myco.agent_hooks.runtime` for the shared logic), and how to run one prompt
headless for ``myco worker``. Adapters are plugins: a ``register_adapters`` hook adds
them. Because ``myco hook`` runs on every turn, this module and an adapter's module import
only the standard library at the top; launch-time helpers come from :mod:`myco.launcher`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

if TYPE_CHECKING:
    from myco.agent_hooks.runtime import HookContext


class HookOutput(NamedTuple):
    """What a hook invocation prints on stdout and how it exits (myco always exits 0)."""

    stdout: str = ""
    exit_code: int = 0


class LaunchRequest(NamedTuple):
    """What ``myco run`` and ``myco worker`` ask an adapter to prepare."""

    session: str
    project_dir: Path
    #: argv that runs ``myco hook <agent>`` (absolute executable first); add the event
    hook_command: Sequence[str]
    #: the protocol guide for the managed block of the instructions file
    instructions: str
    #: extra role instructions (the DIRECTOR's), or ``""``
    role: str = ""
    #: None: new session; ``""``: resume the latest / let the CLI ask; else a session id
    resume: str | None = None
    #: agent flags passed through verbatim
    args: Sequence[str] = ()
    #: how to wire hooks: ``flag`` (command line only) or ``local`` (project-local file)
    wire: str = "flag"
    #: the daemon's URL (``--url`` or ``MYCO_URL``), for adapters that wire it into a config
    url: str = ""


class LaunchPlan(NamedTuple):
    """An adapter's answer: files to (re)write, then the command to exec."""

    argv: list[str]
    #: variables to add to the CLI's environment (``MYCO_*`` are added by the launcher)
    env: Mapping[str, str]
    #: full new contents of files to write; the launcher writes only those that differ
    files: Mapping[Path, str]
    #: one-line messages for the human
    notes: Sequence[str] = ()


class HeadlessRun(NamedTuple):
    """One prompt delivered without a terminal (``myco worker``)."""

    argv: list[str]
    #: the CLI conversation the prompt goes to (known up front or learnt from stdout)
    conversation: str


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
