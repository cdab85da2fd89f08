"""Registration of the edits plugin: verbs, view sections, guide, options, route, command."""

from __future__ import annotations

from typing import TYPE_CHECKING

from myco.default_plugins.edits import model, sections
from myco.hookspecs import hookimpl
from myco.options import Option
from myco.registry import DIRECTOR_ROLE, WORKER, GuideEntry, VerbSpec, ViewSection
from myco.views import sections as core_sections

if TYPE_CHECKING:
    from myco.cli.registry import CommandRegistry
    from myco.daemon import Daemon
    from myco.options import OptionRegistry
    from myco.protocol.state import SwarmState
    from myco.registry import GuideRegistry, TransportRegistry, VerbRegistry, ViewSectionRegistry

NS = model.NAME
WINDOW = Option(
    NS,
    "edit_window",
    "minutes during which two sessions' edits of one path conflict",
    default=30,
    type=int,
)
STALE = Option(
    NS,
    "edit_stale",
    "minutes after which a silent session's edits and leases stop counting",
    default=30,
    type=int,
)
LEASES = Option(
    NS,
    "leases",
    "default lease mode of the sessions' pre-edit hooks",
    default="advisory",
    choices=("advisory", "enforce"),
)


@hookimpl
def register_verbs(verbs: VerbRegistry) -> None:
    keys = frozenset({"repo", "host"})
    verbs.add(
        VerbSpec(
            "edit",
            model.apply_edit,
            "a hook saw this session edit a path",
            keys=keys,
            internal=True,
        )
    )
    verbs.add(
        VerbSpec(
            "clean", model.apply_clean, "a hook saw a path committed", keys=keys, internal=True
        )
    )
    verbs.add(
        VerbSpec(
            "claim",
            model.apply_claim,
            "lease the files matching a glob for a while; others are warned (or denied)",
            lint=model.lint_claim,
            keys=frozenset({"ttl", "repo"}),
            example="claim src/auth/** ttl:45m reworking login",
        )
    )
    verbs.add(
        VerbSpec(
            "release",
            model.apply_release,
            "drop your lease on a glob (or `all`) and clear your conflicts under it",
            example="release src/auth/**",
        )
    )


def conflicts(state: SwarmState, me: str, now_ms: int, limit: int) -> list[str]:
    """The built-in CONFLICTS (same ``start`` object) for the DIRECTOR, plus file conflicts."""
    files = sections.conflict_lines(state, me, now_ms, limit)
    if me != "DIRECTOR":
        return files
    starts = core_sections.conflicts(state, limit)
    if files and starts == ["No conflict detected."]:
        return files
    return [*starts, *files]


@hookimpl
def register_view_sections(sections: ViewSectionRegistry) -> None:
    both = frozenset({WORKER, DIRECTOR_ROLE})
    sections.add(
        ViewSection(
            "CONFLICTS",
            conflicts,
            roles=both,
            order=470,
            priority=90,
            limit=50,
            steps=(5, 0),
            label="conflict(s)",
            addressed=True,
            data=sections_data_conflicts,
        ),
        replace=True,  # extends the built-in DIRECTOR section with file conflicts
    )
    sections.add(
        ViewSection(
            "LEASES",
            sections_lines_leases,
            roles=both,
            order=480,
            priority=85,
            limit=30,
            steps=(5, 0),
            label="lease(s)",
            data=sections_data_leases,
        )
    )


sections_lines_leases = sections.lease_lines
sections_data_leases = sections.leases_data
sections_data_conflicts = sections.conflicts_data

GUIDE = """\
myco's hooks report the files you edit; when another live session edited the same file
in the last half hour, both of you see it under CONFLICTS (and a warning at the edit).
Before a larger change to shared files, take a lease: `claim <glob> ttl:<duration> why`
(`claim src/api/** ttl:45m new routes`). Leases are listed under LEASES; an edit under
another session's lease is warned about, or refused when that session runs with
`--leases enforce`. Drop it with `release <glob>` (or `release all`) as soon as you are
done; committing a file also clears its conflict.
"""


@hookimpl
def register_guide(guide: GuideRegistry) -> None:
    guide.add(GuideEntry("Files: conflicts and leases", GUIDE, order=300))


@hookimpl
def register_serve_options(options: OptionRegistry) -> None:
    for option in (WINDOW, STALE, LEASES):
        options.add(option)


@hookimpl
def register_transports(transports: TransportRegistry) -> None:
    from myco.default_plugins.edits.routes import EditsTransport

    transports.add(EditsTransport())


@hookimpl
def startup(daemon: Daemon) -> None:
    model.configure(
        model.Settings(
            window_ms=max(1, int(WINDOW.value(daemon.config))) * 60_000,
            stale_ms=max(1, int(STALE.value(daemon.config))) * 60_000,
            mode=str(LEASES.value(daemon.config)),
        )
    )


@hookimpl
def register_commands(commands: CommandRegistry) -> None:
    from myco.default_plugins.edits import guard

    commands.add(guard.COMMAND)
