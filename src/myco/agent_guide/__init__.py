"""The agents' guide: the packaged base text, assembled with what plugins add.

``swarm/PROTOCOL.md`` and ``swarm/DIRECTOR.md`` are the source of truth; this package holds
copies so that an installed wheel has them (``tests/agent_hooks/test_agent_guide.py`` checks that
the copies are identical).

:func:`assemble` is what agents read (``myco guide``, and the managed block ``myco run``
writes): the protocol guide whose verbs table lists every registered verb (its
``VerbSpec.example`` and ``summary``), then the entries of the ``register_guide`` hook for
the session's role. With only the built-ins installed it is the base text, then the
built-in plugins' entries (deltas and receipts; files and leases).
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from myco.plugins import Hooks
    from myco.registry import GuideRegistry, VerbSpec

PROTOCOL = "PROTOCOL.md"
DIRECTOR = "DIRECTOR.md"
#: the header of the verbs table in PROTOCOL.md, whose rows :func:`assemble` regenerates
VERBS_HEADER = "| verb | example | meaning |"


def read(name: str) -> str:
    """The text of guide file *name* (``PROTOCOL.md`` or ``DIRECTOR.md``)."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def verb_rows(verbs: Iterable[VerbSpec]) -> list[str]:
    """One table row per verb: name, example line, summary."""
    rows = []
    for spec in verbs:
        example = f"`{_cell(spec.example)}`" if spec.example else "—"
        rows.append(f"| `{spec.name}` | {example} | {_cell(spec.summary) or '—'} |")
    return rows


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def with_verbs(base: str, verbs: Iterable[VerbSpec]) -> str:
    """*base* with the rows of its verbs table replaced by one row per verb in *verbs*."""
    lines = base.split("\n")
    start = lines.index(VERBS_HEADER) + 2  # after the header and its |---| line
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "\n".join([*lines[:start], *verb_rows(verbs), *lines[end:]])


def assemble(guide: GuideRegistry, role: str) -> tuple[str, str]:
    """(protocol guide, role text) for *role* (``"worker"`` or ``"director"``)."""
    text = with_verbs(read(PROTOCOL), guide.verbs.in_order())
    for entry in guide.for_role(role):
        text = text.rstrip("\n") + f"\n\n## {entry.heading}\n\n{entry.text.strip()}\n"
    return text, read(DIRECTOR) if role == "director" else ""


def for_role(role: str, hooks: Hooks | None = None) -> tuple[str, str]:
    """:func:`assemble` with the installed plugins (or those of *hooks*)."""
    if hooks is None:
        from myco.plugins import Hooks, make_plugin_manager

        hooks = Hooks(make_plugin_manager())
    return assemble(hooks.register_guide(), role)


def printable(protocol: str, role_text: str) -> str:
    """The guide as one document, as ``myco guide`` prints it."""
    return protocol if not role_text else protocol.rstrip("\n") + "\n\n" + role_text
