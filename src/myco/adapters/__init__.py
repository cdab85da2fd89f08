"""The contract of agent-CLI adapters (Claude Code, Codex, Aider, Gemini CLI, ...).

An adapter knows, for one CLI, how to launch a session with myco wired in (hooks and
instructions), how to answer the CLI's hooks (view in before a turn, ``<myco>`` block out
after it; see :mod:`myco.agent_hooks.runtime` for the shared logic), and how to run one prompt
headless for ``myco worker``. Adapters are plugins: a ``register_adapters`` hook adds
them. Because ``myco hook`` runs on every turn, this module and an adapter's module import
only the standard library at the top (and not even :mod:`typing` or :mod:`pathlib`:
their records are :class:`myco.records.Record`); launch-time helpers come from
:mod:`myco.launcher`. The contract itself, :class:`~myco.adapters.protocol.Adapter`, is
importable from here.
"""

from __future__ import annotations

from myco.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from myco.adapters.protocol import Adapter as Adapter
else:

    def __getattr__(name: str) -> object:
        if name == "Adapter":  # a typing.Protocol: imported when asked for, not per hook
            from myco.adapters.protocol import Adapter

            return Adapter
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class HookOutput(Record):
    """What a hook invocation prints on stdout and how it exits (myco always exits 0)."""

    stdout: str = ""
    exit_code: int = 0


class LaunchRequest(Record):
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


class LaunchPlan(Record):
    """An adapter's answer: files to (re)write, then the command to exec."""

    argv: list[str]
    #: variables to add to the CLI's environment (``MYCO_*`` are added by the launcher)
    env: Mapping[str, str]
    #: full new contents of files to write; the launcher writes only those that differ
    files: Mapping[Path, str]
    #: one-line messages for the human
    notes: Sequence[str] = ()


class HeadlessRun(Record):
    """One prompt delivered without a terminal (``myco worker``)."""

    argv: list[str]
    #: the CLI conversation the prompt goes to (known up front or learnt from stdout)
    conversation: str
